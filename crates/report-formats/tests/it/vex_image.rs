//! VEX statements whose product is the image (`pkg:oci/...`): the Trivy adapter gives the
//! tally the image from `Metadata` before the findings, and refuses a file whose `Metadata`
//! comes too late for such statements to apply.

use findings::{
    CountOptions, VexDocument, VexProduct, VexRule, VexSet, VexStatement, VexStatus, Want,
};
use report_formats::{ReadOptions, ReportError, read_report};

const DIGEST: &str = "sha256:412488c631d887be829b94a7e8714d4b9673e5df0046ebbdc85e4deafec7f58d";

fn metadata(repo_digests: bool) -> String {
    let digests = if repo_digests {
        format!(r#""RepoDigests": ["127.0.0.1:5000/fixture/alpine-vulnerable@{DIGEST}"],"#)
    } else {
        String::new()
    };
    format!(r#""Metadata": {{{digests} "ImageConfig": {{"architecture": "amd64"}}}}"#)
}

const RESULTS: &str = r#""Results": [{"Target": "t", "Vulnerabilities": [
  {"VulnerabilityID": "CVE-2022-28391", "PkgName": "busybox", "InstalledVersion": "1.33.1-r2",
   "PkgIdentifier": {"PURL": "pkg:apk/alpine/busybox@1.33.1-r2?arch=x86_64&distro=3.14.0"}, "Severity": "CRITICAL"},
  {"VulnerabilityID": "CVE-2022-28391", "PkgName": "ssl_client", "InstalledVersion": "1.33.1-r2",
   "PkgIdentifier": {"PURL": "pkg:apk/alpine/ssl_client@1.33.1-r2?arch=x86_64&distro=3.14.0"}, "Severity": "CRITICAL"}
]}]"#;

fn report(metadata_first: bool, repo_digests: bool) -> String {
    let m = metadata(repo_digests);
    let (a, b) = if metadata_first {
        (m.as_str(), RESULTS)
    } else {
        (RESULTS, m.as_str())
    };
    format!(
        r#"{{"SchemaVersion": 2, "ArtifactName": "x", "ArtifactType": "container_image", {a}, {b}}}"#
    )
}

fn vex(product: &str) -> CountOptions {
    CountOptions {
        vex: Some(VexSet {
            documents: vec![VexDocument {
                rule: VexRule::LatestApplying,
                statements: vec![VexStatement {
                    vulnerability: "CVE-2022-28391".to_owned(),
                    aliases: Vec::new(),
                    products: vec![VexProduct::new(
                        product,
                        vec!["pkg:apk/alpine/busybox".to_owned()],
                    )],
                    status: VexStatus::NotAffected,
                    justification: None,
                    description: "CVE-2022-28391 not_affected (vex.json statement 1)".to_owned(),
                }],
            }],
        }),
        ..CountOptions::default()
    }
}

fn count(json: &str, opts: &CountOptions) -> Result<(u64, Vec<String>), ReportError> {
    let r = read_report(
        json.as_bytes(),
        opts,
        Want::default(),
        &ReadOptions::default(),
    )?;
    let suppressed = r
        .summary
        .vex_suppressed
        .iter()
        .flat_map(|u| u.findings.clone())
        .collect();
    Ok((r.summary.findings, suppressed))
}

#[test]
fn metadata_before_results_names_the_image() {
    let opts = vex(&format!("pkg:oci/alpine-vulnerable@{DIGEST}"));
    assert_eq!(
        count(&report(true, true), &opts).unwrap(),
        (1, vec!["CVE-2022-28391 busybox@1.33.1-r2".to_owned()])
    );
    // Another image: nothing.
    let other = vex("pkg:oci/alpine-vulnerable@sha256:00");
    assert_eq!(count(&report(true, true), &other).unwrap(), (2, Vec::new()));
}

#[test]
fn without_repo_digests_the_image_has_no_package_url() {
    // A tar read with `trivy image --input`: Trivy gives the image no package URL either.
    let opts = vex("pkg:oci/alpine-vulnerable");
    assert_eq!(count(&report(true, false), &opts).unwrap(), (2, Vec::new()));
    assert_eq!(
        count(&report(false, false), &opts).unwrap(),
        (2, Vec::new())
    );
}

#[test]
fn metadata_after_results_is_refused_when_a_statement_names_an_image() {
    let opts = vex(&format!("pkg:oci/alpine-vulnerable@{DIGEST}"));
    let e = count(&report(false, true), &opts).unwrap_err().to_string();
    assert!(
        e.starts_with("malformed trivy-json report: `Metadata` (image pkg:oci/alpine-vulnerable@sha256%3A412488"),
        "{e}"
    );
    assert!(e.contains("put `Metadata` before `Results`"), "{e}");
    // Statements about packages only: the order does not matter.
    let opts = vex("pkg:apk/alpine/busybox");
    assert_eq!(count(&report(false, true), &opts).unwrap().0, 1);
    assert_eq!(
        count(&report(false, true), &CountOptions::default())
            .unwrap()
            .0,
        2
    );
}

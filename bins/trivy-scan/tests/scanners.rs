//! trivy-scan on other scanners' reports: detection, counts, what the JSON records, the
//! refusals (exit 2, one line), `--input-format`, `--fixable-only` without fix data, and
//! incomplete `trivy k8s` reports.

use std::path::PathBuf;

use test_support::cli::{Run, assert_error};
use test_support::fixtures::fixture;

fn corpus(rel: &str) -> PathBuf {
    fixture(&format!("corpus/{rel}"))
}

fn trivy_scan(args: &[&std::ffi::OsStr]) -> Run {
    Run::null_stdin(
        std::path::Path::new(assert_cmd::cargo::cargo_bin!("trivy-scan")),
        args,
    )
}

fn json_scan(file: &std::path::Path, extra: &[&str]) -> Run {
    let mut args: Vec<&std::ffi::OsStr> = vec!["--format".as_ref(), "json".as_ref()];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    args.push("--report".as_ref());
    args.push(file.as_os_str());
    trivy_scan(&args)
}

fn counts(r: &Run) -> (serde_json::Value, [u64; 5]) {
    assert_eq!(r.code, Some(0), "{r:#?}");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("one JSON object");
    let c =
        ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"].map(|s| v["counts"][s].as_u64().unwrap());
    (v, c)
}

#[test]
fn grype_report_is_counted_with_scanner_and_negligible() {
    let r = json_scan(&corpus("grype/grype-0.66.0-keycloak.json"), &[]);
    let (v, c) = counts(&r);
    assert_eq!(c, [0, 0, 0, 6, 0]);
    assert_eq!(v["input"]["format"], "grype-json", "{v:#}");
    assert_eq!(v["input"]["scanner"]["name"], "grype", "{v:#}");
    assert_eq!(v["input"]["scanner"]["version"], "0.66.0", "{v:#}");

    let r = json_scan(
        &corpus("grype/grype-0.66.0-keycloak.json"),
        &["--fixable-only"],
    );
    assert_eq!(counts(&r).1, [0; 5], "all six are wont-fix");
}

#[test]
fn sarif_report_is_counted_and_fixable_only_is_refused() {
    let file = corpus("trivy/trivy-head__alpine-310.sarif.golden");
    let (v, c) = counts(&json_scan(&file, &[]));
    assert_eq!(c, [0, 0, 4, 0, 0]);
    assert_eq!(v["input"]["format"], "sarif", "{v:#}");
    assert_eq!(counts(&json_scan(&file, &["--unique"])).1, [0, 0, 2, 0, 0]);

    let r = json_scan(&file, &["--fixable-only"]);
    assert_error(&r, "trivy-scan", 2, &["--fixable-only", "SARIF"]);
    assert_eq!(r.stderr.lines().count(), 1, "{r:#?}");
    assert!(r.stdout.is_empty(), "no counts on a refusal: {r:#?}");
}

#[test]
fn cyclonedx_and_operator_reports_are_counted() {
    let (v, c) = counts(&json_scan(
        &corpus("grype/grype-presenter-cyclonedx-image.golden.cdx.json"),
        &[],
    ));
    assert_eq!(c, [1, 0, 0, 1, 0]);
    assert_eq!(v["input"]["format"], "cyclonedx", "{v:#}");
    let (v, c) = counts(&json_scan(
        &corpus("trivy/trivy-operator-ea1dc5f__workload.vulnerabilityReportList.json"),
        &[],
    ));
    assert_eq!(c, [40, 86, 99, 170, 3]);
    assert_eq!(v["input"]["format"], "trivy-operator", "{v:#}");
}

#[test]
fn other_documents_are_refused_with_one_line_naming_what_they_are() {
    for (file, needle) in [
        ("trivy/trivy-head__conda-spdx.json.golden", "SPDX"),
        (
            "trivy/trivy-head__fixtures.k8s.summary-ids.json.golden",
            "signature",
        ),
        ("kev/known_exploited_vulnerabilities.json", "KEV"),
    ] {
        let path = corpus(file);
        let r = json_scan(&path, &[]);
        assert_error(&r, "trivy-scan", 2, &[needle]);
        assert_eq!(r.stderr.lines().count(), 1, "{file}: {r:#?}");
        assert!(r.stdout.is_empty(), "{file}: {r:#?}");
    }
}

#[test]
fn input_format_insists_on_one_family() {
    let file = corpus("grype/grype-0.66.0-keycloak.json");
    let r = json_scan(&file, &["--input-format", "trivy"]);
    assert_error(&r, "trivy-scan", 2, &["--input-format trivy", "Grype"]);
    let (_, c) = counts(&json_scan(&file, &["--input-format", "grype"]));
    assert_eq!(c, [0, 0, 0, 6, 0]);
    let r = json_scan(&file, &["--input-format", "snyk"]);
    assert_eq!(r.code, Some(2), "{r:#?}");
}

#[test]
fn incomplete_k8s_report_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let report = serde_json::json!({
        "ClusterName": "prod",
        "Resources": [
            {"Namespace": "a", "Kind": "Deployment", "Name": "web",
             "Results": [{"Target": "nginx", "Vulnerabilities": [{"VulnerabilityID": "CVE-1", "PkgName": "x", "InstalledVersion": "1", "Severity": "HIGH"}]}]},
            {"Namespace": "b", "Kind": "Deployment", "Name": "private", "Error": "unable to pull image"},
        ],
    });
    let path = test_support::cli::write(dir.path(), "k8s.json", report.to_string());
    let r = json_scan(&path, &[]);
    assert_error(&r, "trivy-scan", 2, &["1 of 2", "--allow-incomplete"]);

    let r = json_scan(&path, &["--allow-incomplete"]);
    let (v, c) = counts(&r);
    assert_eq!(c, [0, 1, 0, 0, 0]);
    assert_eq!(v["input"]["incomplete"]["failed"], 1, "{v:#}");
    assert!(
        r.stderr.contains("warning"),
        "the gap stays visible: {r:#?}"
    );
}

#[test]
fn max_db_age_reads_the_grype_db_build_time_and_refuses_formats_without_one() {
    let grype = corpus("grype/grype-0.66.0-keycloak.json");
    // Built 2023-09-01: far older than 7 days, well within 10 years.
    let old = json_scan(&grype, &["--max-db-age", "7d"]);
    assert_eq!(old.code, Some(3), "{old:#?}");
    assert!(
        old.stderr.contains("2023-09-01") && old.stderr.contains("--max-db-age"),
        "{}",
        old.stderr
    );
    assert!(
        old.stdout.is_empty(),
        "no verdict on a stale DB: {}",
        old.stdout
    );
    let fresh = json_scan(&grype, &["--max-db-age", "3650d"]);
    assert_eq!(fresh.code, Some(0), "{fresh:#?}");
    // SARIF records no DB date: refused, never passed unchecked.
    let sarif = json_scan(
        &corpus("trivy/trivy-head__alpine-310.sarif.golden"),
        &["--max-db-age", "3650d"],
    );
    assert_error(
        &sarif,
        "trivy-scan",
        2,
        &["records no vulnerability DB date"],
    );
}

//! The feed readers on the real files of the shared corpus (copied into
//! `tests/fixtures/corpus/`, see its ORIGIN.md): the CISA catalogue and the VEX examples of the
//! OpenVEX and CycloneDX specifications and of Trivy's own tests.

use feeds::{Kev, parse_vex};
use findings::{VexSet, VexStatus};
use serde_json::Value;
use test_support::fixtures::fixture;

fn corpus(rel: &str) -> std::path::PathBuf {
    fixture(&format!("corpus/{rel}"))
}

#[test]
fn the_real_kev_catalogue() {
    let path = corpus("kev/known_exploited_vulnerabilities.json");
    let now = "2025-09-01T00:00:00Z".parse().unwrap();
    let kev = Kev::load(&path, now).unwrap();
    // Independently, from the JSON itself.
    let raw: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let entries = raw["vulnerabilities"].as_array().unwrap();
    assert_eq!(kev.len(), entries.len());
    assert_eq!(kev.catalog_version, raw["catalogVersion"].as_str().unwrap());
    let ransomware = entries
        .iter()
        .filter(|e| e["knownRansomwareCampaignUse"] == "Known")
        .count();
    let counted = entries
        .iter()
        .filter(|e| kev.get(e["cveID"].as_str().unwrap()).unwrap().ransomware)
        .count();
    assert_eq!(counted, ransomware);
    let log4shell = kev.get("CVE-2021-44228").unwrap();
    assert_eq!(log4shell.date_added.to_string(), "2021-12-10");
    // A catalogue released after the evaluation time is refused.
    let before = "2025-08-25T00:00:00Z".parse().unwrap();
    let e = Kev::load(&path, before).unwrap_err().to_string();
    assert!(
        e.contains("line 4: dateReleased") && e.contains("future"),
        "{e}"
    );
}

fn load(rel: &str) -> VexSet {
    let text = std::fs::read_to_string(corpus(rel)).unwrap();
    let (doc, info) = parse_vex(&text, rel).unwrap();
    assert_eq!(info.entries as usize, doc.statements.len());
    VexSet {
        documents: vec![doc],
    }
}

#[test]
fn the_openvex_specification_examples() {
    let fixed = load("vex/openvex-spec__OPENVEX-SPEC.md.jsonblock1.json");
    assert_eq!(
        fixed.matching_statement(
            "CVE-2023-12345",
            Some("pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64")
        ),
        Some(0)
    );
    assert_eq!(
        fixed.matching_statement(
            "CVE-2023-12345",
            Some("pkg:apk/wolfi/git@2.39.0-r1?arch=aarch64")
        ),
        None
    );
    let triage = load("vex/openvex-spec__OPENVEX-SPEC.md.jsonblock6.json");
    let s = triage.statements().next().unwrap();
    assert_eq!(s.status, VexStatus::UnderInvestigation);
    assert_eq!(
        triage.matching_statement(
            "CVE-2023-12345",
            Some("pkg:apk/wolfi/git@2.39.0-r1?arch=armv7")
        ),
        None
    );
}

#[test]
fn the_cyclonedx_examples() {
    // The specification's BOM: the `affects` ref is a bom-ref, resolved to its component's purl.
    let spec = load("vex/cyclonedx-spec__valid-vulnerability-1.6.json");
    let s = spec.statements().next().unwrap();
    assert_eq!(s.status, VexStatus::NotAffected);
    assert_eq!(
        spec.matching_statement(
            "SNYK-JAVA-COMFASTERXMLJACKSONCORE-32111",
            Some("pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.4")
        ),
        Some(0)
    );
    // Trivy's own test VEX: BOM-Links to package URLs.
    let trivy = load("vex/trivy-head__pkg.vex.testdata.cyclonedx.json");
    assert_eq!(trivy.len(), 2);
    assert_eq!(
        trivy.matching_statement(
            "CVE-2022-27943",
            Some(
                "pkg:deb/ubuntu/libstdc%2B%2B6@12.3.0-1ubuntu1~22.04?arch=amd64&distro=ubuntu-22.04"
            )
        ),
        Some(1)
    );
    assert_eq!(
        trivy.matching_statement(
            "CVE-2021-44228",
            Some("pkg:maven/org.springframework.boot/spring-boot@2.6.0")
        ),
        Some(0)
    );
    assert_eq!(
        trivy.matching_statement(
            "CVE-2021-44228",
            Some("pkg:maven/org.springframework.boot/spring-boot@2.6.1")
        ),
        None
    );
}

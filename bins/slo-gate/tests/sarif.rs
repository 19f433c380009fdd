//! `--format sarif` and `--sarif FILE`: SARIF 2.1.0 of the report's findings, valid against
//! the official schema (Python's `jsonschema`) and GitHub's requirements, with the gate's
//! verdict; refused (exit 2) for sources without findings.
#![allow(missing_docs)]

use std::process::Output;
use std::time::Duration;

use serde_json::Value;
use test_support::fixtures::{fixture, report};
use test_support::sarif::assert_valid;

fn slo_gate(args: &[&std::ffi::OsStr]) -> Output {
    let mut c = assert_cmd::cargo::cargo_bin_cmd!("slo-gate");
    for v in test_support::cli::CALLER_ENV {
        c.env_remove(v);
    }
    c.args(args)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap()
}

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

/// slo-gate on `report` with a seed SLO file (`slo.yaml` or `slo-strict.yaml`), the seed's
/// sli.yaml, and `extra` flags.
fn on_report(slo: &str, report: &std::path::Path, extra: &[&std::ffi::OsStr]) -> Output {
    let (slo, sli) = (
        fixture("keptn-seed").join(slo),
        fixture("keptn-seed/sli.yaml"),
    );
    let mut args = vec![
        os("--slo"),
        slo.as_os_str(),
        os("--sli"),
        sli.as_os_str(),
        os("--report"),
        report.as_os_str(),
    ];
    args.extend_from_slice(extra);
    slo_gate(&args)
}

#[test]
fn format_sarif_carries_the_findings_and_the_failed_verdict() {
    let rep = report("generated-0.76-image-alpine-3.14.json");
    let out = on_report("slo-strict.yaml", &rep, &[os("--format"), os("sarif")]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = assert_valid(
        &String::from_utf8(out.stdout).unwrap(),
        "slo-gate --format sarif",
    );
    // Every counted finding (no --severity): 29.
    assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 29);
    let gate = &v["runs"][0]["properties"]["gate"];
    assert_eq!(gate["result"], "fail");
    assert_eq!(gate["score"], 0.0);
    assert_eq!(gate["objectives"][0]["status"], "fail");
}

#[test]
fn sarif_beside_text_has_the_same_verdict_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gate.sarif");
    let rep = fixture("corpus/grype/grype-0.65.1-ghsa-java.json");
    let run = |format: &'static str| {
        on_report(
            "slo.yaml",
            &rep,
            &[os("--format"), os(format), os("--sarif"), file.as_os_str()],
        )
    };
    let json = run("json");
    assert_eq!(json.status.code(), Some(0));
    let data: Value = serde_json::from_slice(&json.stdout).unwrap();
    let v = assert_valid(
        &std::fs::read_to_string(&file).unwrap(),
        "--sarif FILE (grype)",
    );
    let gate = &v["runs"][0]["properties"]["gate"];
    assert_eq!(gate["result"], data["result"]);
    assert_eq!(gate["score"].as_f64(), data["evaluation"]["score"].as_f64());
    assert_eq!(v["runs"][0]["tool"]["extensions"][0]["name"], "grype");
    insta::assert_json_snapshot!("grype_ghsa_java_gate", v, {
        ".runs[].tool.driver.version" => "[version]",
        ".runs[].tool.driver.semanticVersion" => "[version]",
    });
    // The text run writes the same file.
    std::fs::remove_file(&file).unwrap();
    let text = run("text");
    assert_eq!(text.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&text.stdout).contains("Result:"));
    assert_eq!(
        assert_valid(
            &std::fs::read_to_string(&file).unwrap(),
            "--sarif FILE (text)"
        ),
        v
    );
}

#[test]
fn sources_without_findings_refuse_sarif() {
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("values.json");
    std::fs::write(&values, r#"{"trivy_vulns": 3}"#).unwrap();
    let (slo, sli) = (
        fixture("keptn-seed/slo.yaml"),
        fixture("keptn-seed/sli.yaml"),
    );
    let sarif_file = dir.path().join("x.sarif");
    let cases: Vec<(Vec<&std::ffi::OsStr>, &str)> = vec![
        (
            vec![
                os("--sli-values"),
                values.as_os_str(),
                os("--format"),
                os("sarif"),
            ],
            "--format sarif",
        ),
        (
            vec![
                os("--sli-values"),
                values.as_os_str(),
                os("--sarif"),
                sarif_file.as_os_str(),
            ],
            "--sarif",
        ),
        (
            // Refused before any query: a closed port would otherwise be exit 3.
            vec![
                os("--provider"),
                os("prometheus"),
                os("--prometheus-url"),
                os("http://127.0.0.1:9"),
                os("--sli"),
                sli.as_os_str(),
                os("--format"),
                os("sarif"),
            ],
            "--provider",
        ),
    ];
    for (extra, needle) in cases {
        let mut args = vec![os("--slo"), slo.as_os_str()];
        args.extend(extra);
        let out = slo_gate(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{needle}: {err}");
        assert!(out.stdout.is_empty(), "{needle}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(needle) && err.contains("--report"), "{err}");
        assert!(!sarif_file.exists());
    }
}

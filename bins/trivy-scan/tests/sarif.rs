//! `--format sarif` and `--sarif FILE`: SARIF 2.1.0 of the counted findings, valid against the
//! official schema (Python's `jsonschema`) and GitHub's requirements, from a stored report and
//! from real trivy, with the inline gate's verdict in the run's properties.
#![allow(missing_docs)]

use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;
use test_support::fixtures::{fixture, report};
use test_support::sarif::assert_valid;
use test_support::trivy::{FIXTURE_COUNTS, TrivyCache, fixture_image_tar, trivy_bin};

fn trivy_scan() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("trivy-scan"));
    for var in test_support::cli::CALLER_ENV {
        cmd.env_remove(var);
    }
    cmd
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn results(v: &Value) -> usize {
    v["runs"][0]["results"].as_array().unwrap().len()
}

#[test]
fn format_sarif_on_a_report_is_the_only_thing_on_stdout() {
    let out = trivy_scan()
        .args([
            "--format",
            "sarif",
            "--severity",
            "CRITICAL,HIGH",
            "--report",
        ])
        .arg(report("generated-0.76-image-alpine-3.14.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = assert_valid(
        &String::from_utf8(out.stdout).unwrap(),
        "trivy-scan --format sarif",
    );
    // The selected severities only: 6 CRITICAL and 9 HIGH.
    assert_eq!(results(&v), 15);
    let props = &v["runs"][0]["properties"];
    assert_eq!(props["counts"]["CRITICAL"], 6);
    assert_eq!(props["counts"]["MEDIUM"], 0);
    assert_eq!(props["input"]["scanner"]["name"], "trivy");
    assert!(props.get("gate").is_none());
    assert_eq!(v["runs"][0]["tool"]["extensions"][0]["version"], "0.76.0");
}

#[test]
fn sarif_beside_json_has_the_same_findings_and_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.sarif");
    let out = trivy_scan()
        .args(["--format", "json", "--severity", "CRITICAL", "--report"])
        .arg(report("generated-0.76-image-alpine-3.14.json"))
        .arg("--slo")
        .arg(fixture("keptn-seed/slo-strict.yaml"))
        .arg("--sli")
        .arg(fixture("keptn-seed/sli.yaml"))
        .arg("--sarif")
        .arg(&file)
        .output()
        .unwrap();
    // 6 CRITICAL against `<5`: the gate fails.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let v = assert_valid(&std::fs::read_to_string(&file).unwrap(), "--sarif FILE");
    assert_eq!(results(&v) as u64, json["total"].as_u64().unwrap());
    let gate = &v["runs"][0]["properties"]["gate"];
    assert_eq!(gate["result"], json["gate"]["result"]);
    assert_eq!(gate["result"], "fail");
    assert_eq!(
        gate["score"].as_f64(),
        json["gate"]["evaluation"]["score"].as_f64()
    );
    assert_eq!(gate["objectives"][0]["value"], 6.0);
}

#[test]
fn sarif_of_a_grype_report() {
    let out = trivy_scan()
        .args(["--format", "sarif", "--report"])
        .arg(fixture("corpus/grype/grype-0.66.0-keycloak.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = assert_valid(&String::from_utf8(out.stdout).unwrap(), "grype report");
    assert_eq!(results(&v), 6);
    assert_eq!(v["runs"][0]["tool"]["extensions"][0]["name"], "grype");
}

#[test]
fn real_trivy_scan_to_sarif() {
    let cache = TrivyCache::new();
    let bin = trivy_bin().unwrap_or_else(|e| panic!("{e}"));
    let out = trivy_scan()
        .arg("--trivy-bin")
        .arg(bin)
        .arg("--offline")
        .arg("--cache-dir")
        .arg(cache.path())
        .args([
            "--format",
            "sarif",
            "fixture/alpine-vulnerable:3.14",
            "--input",
        ])
        .arg(fixture_image_tar())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = assert_valid(&String::from_utf8(out.stdout).unwrap(), "real trivy");
    assert_eq!(results(&v) as u64, FIXTURE_COUNTS.iter().sum::<u64>());
    let counts = &v["runs"][0]["properties"]["counts"];
    let got = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"].map(|s| counts[s].as_u64().unwrap());
    assert_eq!(got, FIXTURE_COUNTS);
    // The tar's path is this checkout's (with and without its leading `/` in the uri).
    let root = test_support::fixtures::workspace_root()
        .display()
        .to_string();
    let meta = |c: char| ".+*?()|[]{}^$\\".contains(c);
    let escaped: String = root
        .trim_start_matches('/')
        .chars()
        .flat_map(|c| meta(c).then_some('\\').into_iter().chain([c]))
        .collect();
    insta::with_settings!({ filters => vec![(format!("/?{escaped}").as_str(), "[root]")] }, {
        insta::assert_json_snapshot!("real_trivy_fixture_image", v, {
            ".runs[].tool.driver.version" => "[version]",
            ".runs[].tool.driver.semanticVersion" => "[version]",
            // Hashes of the checkout's path here; sarif-out's snapshots pin real ones.
            ".runs[].results[].partialFingerprints.primaryLocationLineHash" => "[fingerprint]",
        });
    });
}

#[test]
fn sarif_and_a_stdout_sink_cannot_share_stdout() {
    let out = trivy_scan()
        .args(["--format", "sarif", "--sink", "stdout", "--report"])
        .arg(report("alpine-3.10-image.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--sarif FILE"), "{err}");
}

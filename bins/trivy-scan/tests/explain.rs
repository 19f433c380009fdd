//! `trivy-scan --slo` names the findings behind each failing objective and a fix plan, on a
//! report and on a real trivy scan, the same as `slo-gate --report`.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use test_support::fixtures::report;
use test_support::trivy::{TrivyCache, fixture_rootfs, trivy_bin};

fn trivy_scan() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("trivy-scan"));
    for var in test_support::cli::CALLER_ENV {
        cmd.env_remove(var);
    }
    cmd
}

fn json_of(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON object ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

/// No criticals and at most 5 highs: the alpine 3.14 fixture has 6 and 9.
const SLO: &str = "spec_version: \"1.0\"\nobjectives:\n  - sli: vulnerabilities_critical\n    pass:\n      - criteria: [\"<=0\"]\n  - sli: vulnerabilities_high\n    pass:\n      - criteria: [\"<=5\"]\ntotal_score:\n  pass: \"90%\"\n";

fn slo(dir: &Path) -> PathBuf {
    let p = dir.join("slo.yaml");
    std::fs::write(&p, SLO).unwrap();
    p
}

fn assert_explained(v: &serde_json::Value) {
    let g = &v["gate"];
    assert_eq!(g["result"], "fail", "{v:#}");
    let o = g["explain"]["objectives"].as_array().unwrap();
    assert_eq!(o.len(), 2, "{v:#}");
    assert_eq!(o[0]["sli"], "vulnerabilities_critical");
    assert_eq!(o[0]["findings"].as_array().unwrap().len(), 6);
    assert_eq!(o[1]["findings"].as_array().unwrap().len(), 9);
    let plan = &g["explain"]["fix_plan"];
    assert_eq!(plan["passes_after"], true, "{plan:#}");
    assert_eq!(plan["score_after"].as_f64(), Some(100.0));
    assert_eq!(plan["upgrades"].as_array().unwrap().len(), 6, "{plan:#}");
}

#[test]
fn json_and_text_on_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let base = || {
        let mut c = trivy_scan();
        c.arg("--report")
            .arg(report("generated-0.76-image-alpine-3.14.json"))
            .arg("--slo")
            .arg(slo(dir.path()));
        c
    };
    let out = base().args(["--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_explained(&json_of(&out));
    let out = base().args(["--explain", "2"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let counted = text
        .find("Finished. Total Vulnerability Count: 29")
        .unwrap();
    let what = text.find("What to fix").unwrap();
    assert!(counted < what, "{text}");
    assert!(text.contains("and 4 more findings"), "{text}");
    assert!(text.contains("and 7 more findings"), "{text}");
    assert!(
        text.contains("After 6 upgrades: the gate passes (score 100, result pass)."),
        "{text}"
    );
}

#[test]
fn a_gate_on_a_passing_scan_says_nothing_about_fixes() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("slo.yaml");
    std::fs::write(&p, SLO.replace("<=0", "<=6").replace("<=5", "<=9")).unwrap();
    let out = trivy_scan()
        .arg("--report")
        .arg(report("generated-0.76-image-alpine-3.14.json"))
        .arg("--slo")
        .arg(&p)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v = json_of(&out);
    assert_eq!(v["gate"]["result"], "pass");
    assert!(v["gate"].get("explain").is_none(), "{v:#}");
}

#[test]
fn real_trivy_scan_with_an_inline_gate() {
    let cache = TrivyCache::new();
    let dir = tempfile::tempdir().unwrap();
    let rootfs = fixture_rootfs();
    let out = trivy_scan()
        .arg("--trivy-bin")
        .arg(trivy_bin().unwrap_or_else(|e| panic!("{e}")))
        .arg("--offline")
        .arg("--cache-dir")
        .arg(cache.path())
        .args(["--format", "json", "--rootfs"])
        .arg(&rootfs)
        .arg("--slo")
        .arg(slo(dir.path()))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_explained(&json_of(&out));
}

//! End-to-end tests of the explanation and fix plan (`--explain`), with snapshots of every
//! format on real reports.
#![allow(missing_docs, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;
use test_support::fixtures::report;

fn gate_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/gates")
        .join(name)
}

fn corpus(rel: &str) -> PathBuf {
    test_support::fixtures::fixture(&format!("corpus/{rel}"))
}

fn gate() -> Command {
    let mut c = assert_cmd::cargo::cargo_bin_cmd!("slo-gate");
    for v in test_support::cli::CALLER_ENV {
        c.env_remove(v);
    }
    c.timeout(Duration::from_secs(60));
    c
}

/// Runs the gate; returns (exit code, stdout).
fn run(slo: &str, report: &Path, extra: &[&str]) -> (i32, String) {
    let out = gate()
        .arg("--slo")
        .arg(gate_file(slo))
        .arg("--report")
        .arg(report)
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap(), stdout)
}

fn json(slo: &str, report: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&run(slo, report, &args).1).unwrap()
}

#[test]
fn snapshots_in_every_format() {
    let alpine = report("generated-0.76-image-alpine-3.14.json");
    for format in ["text", "markdown", "json", "junit"] {
        let (code, out) = run("criticals-and-highs.yaml", &alpine, &["--format", format]);
        assert_eq!(code, 1);
        insta::assert_snapshot!(format!("alpine_3_14_{format}"), out);
    }
    // No upgrade reaches pass: highs without a fix (centos 7), --explain 4.
    let centos = report("centos-7-image-large-v0.20.json");
    for format in ["text", "json"] {
        let (code, out) = run(
            "criticals-and-highs.yaml",
            &centos,
            &["--format", format, "--explain", "4"],
        );
        assert_eq!(code, 1);
        insta::assert_snapshot!(format!("centos_7_{format}"), out);
    }
    // Another scanner's report (Grype), and an objective no upgrade can change.
    let grype = corpus("grype/grype-presenter-image.golden.json");
    let (_, out) = run(
        "criticals-and-latency.yaml",
        &grype,
        &["--format", "markdown"],
    );
    insta::assert_snapshot!("grype_markdown", out);
}

#[test]
fn json_shape_and_the_plan_verified() {
    let alpine = report("generated-0.76-image-alpine-3.14.json");
    let d = json("criticals-and-highs.yaml", &alpine, &[]);
    let ex = &d["explain"];
    let objectives = ex["objectives"].as_array().unwrap();
    assert_eq!(objectives.len(), 2);
    // All findings in JSON by default: 6 CRITICAL, 9 HIGH.
    assert_eq!(objectives[0]["sli"], "vulnerabilities_critical");
    assert_eq!(objectives[0]["findings"].as_array().unwrap().len(), 6);
    assert_eq!(objectives[0]["omitted"], 0);
    assert_eq!(objectives[1]["findings"].as_array().unwrap().len(), 9);
    for f in objectives[1]["findings"].as_array().unwrap() {
        assert_eq!(f["severity"], "HIGH");
        for k in ["id", "package", "installed", "fixed"] {
            assert!(f.get(k).is_some(), "{k} missing in {f}");
        }
    }
    let plan = &ex["fix_plan"];
    assert_eq!(plan["passes_after"], true);
    assert_eq!(plan["score_after"].as_f64(), Some(100.0));
    let upgrades = plan["upgrades"].as_array().unwrap();
    // Re-run the gate on a report with the upgraded packages' fixed findings removed: the
    // same evaluation says pass.
    let text = std::fs::read_to_string(&alpine).unwrap();
    let mut r: Value = serde_json::from_str(&text).unwrap();
    for result in r["Results"].as_array_mut().unwrap() {
        if let Some(v) = result["Vulnerabilities"].as_array_mut() {
            v.retain(|f| {
                !upgrades.iter().any(|u| {
                    u["package"] == f["PkgName"]
                        && u["from"] == f["InstalledVersion"]
                        && f["FixedVersion"].as_str().is_some_and(|s| !s.is_empty())
                })
            });
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let upgraded = dir.path().join("upgraded.json");
    std::fs::write(&upgraded, serde_json::to_string(&r).unwrap()).unwrap();
    let after = json("criticals-and-highs.yaml", &upgraded, &[]);
    assert_eq!(after["result"], "pass", "{after}");
    assert_eq!(after["evaluation"]["score"].as_f64(), Some(100.0));
    assert!(
        after.get("explain").is_none(),
        "nothing to explain on a pass"
    );
}

#[test]
fn explain_limits_and_counts_the_rest() {
    let operator = corpus("trivy/trivy-operator-ea1dc5f__workload.vulnerabilityReportList.json");
    let d = json("total-budget.yaml", &operator, &["--explain", "5"]);
    let o = &d["explain"]["objectives"][0];
    assert_eq!(o["findings"].as_array().unwrap().len(), 5);
    let total = d["evaluation"]["indicatorResults"][0]["value"]["value"]
        .as_f64()
        .unwrap();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let total = total as u64;
    assert_eq!(o["omitted"].as_u64(), Some(total - 5));
    let (_, text) = run("total-budget.yaml", &operator, &[]);
    assert!(
        text.contains(&format!("and {} more findings", total - 10)),
        "{text}"
    );
}

#[test]
fn new_findings_behind_a_baseline_gate() {
    let d = gate()
        .arg("--slo")
        .arg(gate_file("no-new-criticals.yaml"))
        .arg("--report")
        .arg(report("alpine-3.9-image-critical.json"))
        .arg("--baseline")
        .arg(report("alpine-3.10-image.json"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(d.status.code(), Some(1));
    let d: Value = serde_json::from_slice(&d.stdout).unwrap();
    let o = &d["explain"]["objectives"];
    assert_eq!(
        o.as_array().unwrap().len(),
        1,
        "fixed_* counts no current finding"
    );
    assert_eq!(o[0]["sli"], "new_vulnerabilities_critical");
    let pkgs: Vec<&str> = o[0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["package"].as_str().unwrap())
        .collect();
    assert_eq!(pkgs, ["musl", "musl-utils"]);
    assert_eq!(d["explain"]["fix_plan"]["passes_after"], true);
}

#[test]
fn sli_yaml_queries_are_explained_like_names() {
    let seed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed");
    let out = gate()
        .arg("--slo")
        .arg(gate_file("criticals-and-highs.yaml"))
        .arg("--report")
        .arg(report("generated-0.76-image-alpine-3.14.json"))
        .arg("--sli")
        .arg(seed.join("sli.yaml"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    // The seed's slo names `trivy_vulns` = trivy.vulnerabilities.CRITICAL; this gate's
    // names are built-in: both resolve the same way.
    assert_eq!(
        d["explain"]["objectives"][0]["findings"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    let out = gate()
        .arg("--slo")
        .arg(seed.join("slo.yaml"))
        .arg("--report")
        .arg(report("alpine-3.9-image-critical.json"))
        .arg("--sli")
        .arg(seed.join("sli.yaml"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["result"], "pass", "{d}");
    assert!(d.get("explain").is_none());
}

#[test]
fn values_files_have_no_explanation() {
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("values.json");
    std::fs::write(
        &values,
        r#"{"vulnerabilities_critical": 3, "vulnerabilities_high": 20}"#,
    )
    .unwrap();
    for format in ["text", "json", "markdown", "junit"] {
        let out = gate()
            .arg("--slo")
            .arg(gate_file("criticals-and-highs.yaml"))
            .arg("--sli-values")
            .arg(&values)
            .args(["--format", format, "--explain", "3"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let s = String::from_utf8(out.stdout).unwrap();
        for word in ["What to fix", "explain", "fix plan", "findings behind"] {
            assert!(!s.contains(word), "{format}: {word} in {s}");
        }
    }
}

/// A KEV objective is explained like a count of findings: the listed findings are exactly the
/// catalogued ones, and the plan's upgrade is verified by counting KEV again on what remains.
#[test]
fn known_exploited_findings_are_explained_and_planned() {
    let kev = test_support::fixtures::fixture("corpus/kev/known_exploited_vulnerabilities.json");
    let spring = report("jar-in-debian-image-spring4shell.json");
    let args = [
        "--kev",
        kev.to_str().unwrap(),
        "--now",
        "2025-09-01T00:00:00Z",
    ];
    let v = json("no-known-exploited.yaml", &spring, &args);
    assert_eq!(v["result"], "fail", "{v:#}");
    let ex = &v["explain"]["objectives"][0];
    assert_eq!(ex["sli"], "kev_vulnerabilities_total");
    let listed: Vec<(&str, &str, &str)> = ex["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap(),
                f["package"].as_str().unwrap(),
                f["installed"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [(
            "CVE-2022-22965",
            "org.springframework:spring-beans",
            "5.3.15"
        )]
    );
    let plan = &v["explain"]["fix_plan"];
    assert_eq!(plan["passes_after"], true, "{plan:#}");
    assert_eq!(plan["result_after"], "pass");
    assert_eq!(
        plan["upgrades"][0]["package"],
        "org.springframework:spring-beans"
    );
    assert_eq!(plan["upgrades"][0]["to"], "5.3.18");
    assert_eq!(plan["upgrades"].as_array().unwrap().len(), 1);
    // The text output says the same.
    let mut text_args = vec!["--format", "text"];
    text_args.extend_from_slice(&args);
    let (code, text) = run("no-known-exploited.yaml", &spring, &text_args);
    assert_eq!(code, 1);
    assert!(
        text.contains("kev_vulnerabilities_total (fail): 1 finding"),
        "{text}"
    );
    assert!(
        text.contains("org.springframework:spring-beans 5.3.15 -> 5.3.18"),
        "{text}"
    );
}

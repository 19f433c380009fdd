//! End-to-end tests of the `slo-gate` binary.
#![allow(missing_docs, clippy::print_stderr)]

use std::path::PathBuf;
use std::time::Duration;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use test_support::dynatrace_query::{Answer, DynatraceQueryFake};
use test_support::fixtures::report;
use test_support::prometheus::{Prometheus, Pushgateway};

fn fx(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// The binary with a clean environment (no backend settings leak in from the caller).
fn gate() -> Command {
    let mut c = assert_cmd::cargo::cargo_bin_cmd!("slo-gate");
    for v in test_support::cli::CALLER_ENV {
        c.env_remove(v);
    }
    c.timeout(Duration::from_secs(60));
    c
}

fn json_out(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn worked_example(format: &str) -> std::process::Output {
    gate()
        .args(["--slo"])
        .arg(fx("worked-example/slo.yaml"))
        .arg("--sli-values")
        .arg(fx("worked-example/values.json"))
        .arg("--history")
        .arg(fx("worked-example/history.json"))
        .args(["--format", format])
        .output()
        .unwrap()
}

#[test]
fn worked_example_end_to_end() {
    let out = worked_example("json");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d = json_out(&out);
    assert_eq!(d["status"], "succeeded");
    assert_eq!(d["result"], "fail");
    assert_eq!(
        d["message"],
        "Evaluation failed since the calculated score of 50 is below the warning value of 75"
    );
    let e = &d["evaluation"];
    assert_eq!(e["score"].as_f64(), Some(50.0));
    assert_eq!(e["result"], "fail");
    assert_eq!(
        e["comparedEvents"][0],
        "5d5a4f4c-6f3b-4d2a-9d8e-2b7c1c0e9a11"
    );
    let r = e["indicatorResults"].as_array().unwrap();
    let status: Vec<&str> = r.iter().map(|i| i["status"].as_str().unwrap()).collect();
    assert_eq!(status, ["pass", "warning", "fail"]);
    let score: Vec<f64> = r.iter().map(|i| i["score"].as_f64().unwrap()).collect();
    assert_eq!(score, [1.0, 0.5, 0.0]);
    assert_eq!(r[2]["passTargets"][0]["targetValue"].as_f64(), Some(13.2));
    assert_eq!(r[2]["value"]["comparedValue"].as_f64(), Some(12.0));
    assert_eq!(r[0]["keySli"], true);
}

/// The slo-eval helper's fixture of the same example: the binary must reproduce the
/// expected `evaluation.finished` data exactly (as JSON values), for both values shapes.
#[test]
fn worked_example_matches_the_shared_expected_evaluation() {
    let dir = test_support::fixtures::workspace_root()
        .join("crates/slo-eval/tests/fixtures/worked-example");
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("expected-evaluation.json")).unwrap(),
    )
    .unwrap();
    let run = |values: &str| {
        gate()
            .arg("--slo")
            .arg(dir.join("slo.yaml"))
            .arg("--sli-values")
            .arg(dir.join(values))
            .arg("--history")
            .arg(dir.join("history.json"))
            .args(["--format", "json"])
            .output()
            .unwrap()
    };
    let out = run("sli-values.json");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json_out(&out), expected);
    let out = run("sli-values-map.json");
    let mut expected_map = expected;
    expected_map["evaluation"]["timeStart"] = "".into();
    expected_map["evaluation"]["timeEnd"] = "".into();
    assert_eq!(json_out(&out), expected_map);
}

#[test]
fn golden_outputs_per_format() {
    for format in ["text", "json", "markdown", "junit"] {
        let out = worked_example(format);
        assert_eq!(out.status.code(), Some(1));
        let text = String::from_utf8(out.stdout).unwrap();
        insta::assert_snapshot!(format!("worked_example_{format}"), text);
    }
}

#[test]
fn seed_files_work_unchanged_on_a_report() {
    // 6 criticals < 10: pass.
    let out = gate()
        .arg("--slo")
        .arg(fx("seed/slo.yaml"))
        .arg("--sli")
        .arg(fx("seed/sli.yaml"))
        .arg("--report")
        .arg(report("generated-0.76-image-alpine-3.14.json"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d = json_out(&out);
    assert_eq!(d["result"], "pass");
    let v = &d["evaluation"]["indicatorResults"][0]["value"];
    assert_eq!(v["metric"], "trivy_vulns");
    assert_eq!(v["value"].as_f64(), Some(6.0));
    assert_eq!(v["success"], true);
}

#[test]
fn seed_sli_without_a_matching_query_fails_instead_of_reading_zero() {
    // Without --sli, `trivy_vulns` is no built-in name: the SLI fails and so does the gate.
    let out = gate()
        .arg("--slo")
        .arg(fx("seed/slo.yaml"))
        .arg("--report")
        .arg(report("generated-0.76-image-alpine-3.14.json"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v = &json_out(&out)["evaluation"]["indicatorResults"][0]["value"];
    assert_eq!(v["success"], false);
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("neither a built-in")
    );
}

#[test]
fn a_failing_budget_exits_1() {
    gate()
        .arg("--slo")
        .arg(fx("gates/total-budget.yaml"))
        .arg("--report")
        .arg(report("generated-0.76-image-alpine-3.14.json"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("vulnerabilities_total"))
        .stdout(predicate::str::contains("29"));
    // Counting only CRITICAL and HIGH: total 15, still over budget; only CRITICAL: 6 passes.
    gate()
        .arg("--slo")
        .arg(fx("gates/total-budget.yaml"))
        .arg("--report")
        .arg(report("generated-0.76-image-alpine-3.14.json"))
        .args(["--severity", "critical"])
        .assert()
        .code(0);
    // The seed's TRIVY_SECURITY selects the same way; the flag wins over it.
    let budget = || {
        let mut c = gate();
        c.arg("--slo")
            .arg(fx("gates/total-budget.yaml"))
            .arg("--report")
            .arg(report("generated-0.76-image-alpine-3.14.json"));
        c
    };
    budget().env("TRIVY_SECURITY", "CRITICAL").assert().code(0);
    budget()
        .env("TRIVY_SECURITY", "CRITICAL")
        .args(["--severity", "CRITICAL,HIGH"])
        .assert()
        .code(1);
    budget()
        .env("TRIVY_SECURITY", "SEVERE")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("TRIVY_SECURITY"));
}

#[test]
fn warning_passes_unless_fail_on_warning() {
    let base = || {
        let mut c = gate();
        c.arg("--slo")
            .arg(fx("gates/warn-first.yaml"))
            .arg("--report")
            .arg(report("generated-0.76-image-alpine-3.14.json"));
        c
    };
    base()
        .assert()
        .code(0)
        .stdout(predicate::str::contains("warning"));
    base().arg("--fail-on-warning").assert().code(1);
    // --unique: 8 distinct HIGH, still a warning.
    base()
        .arg("--unique")
        .args(["--format", "json"])
        .assert()
        .code(0);
}

#[test]
fn baseline_new_criticals() {
    // alpine 3.9 has two criticals (musl, musl-utils) that alpine 3.10 does not have.
    let out = gate()
        .arg("--slo")
        .arg(fx("gates/no-new-criticals.yaml"))
        .arg("--report")
        .arg(report("alpine-3.9-image-critical.json"))
        .arg("--baseline")
        .arg(report("alpine-3.10-image.json"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d = json_out(&out);
    assert_eq!(
        d["evaluation"]["indicatorResults"][0]["value"]["value"].as_f64(),
        Some(2.0)
    );
    assert!(d["message"].as_str().unwrap().contains("key_sli"), "{d}");
    // The other way round nothing is new and two criticals were fixed.
    let out = gate()
        .arg("--slo")
        .arg(fx("gates/no-new-criticals.yaml"))
        .arg("--report")
        .arg(report("alpine-3.10-image.json"))
        .arg("--baseline")
        .arg(report("alpine-3.9-image-critical.json"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let d = json_out(&out);
    let r = &d["evaluation"]["indicatorResults"];
    assert_eq!(r[0]["value"]["value"].as_f64(), Some(0.0));
    assert_eq!(r[1]["value"]["metric"], "fixed_vulnerabilities_critical");
    assert_eq!(r[1]["value"]["value"].as_f64(), Some(2.0));
    assert_eq!(r[1]["status"], "info");
}

#[test]
fn history_and_record() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("history.json");
    let run = |values: &str| {
        let v = dir.path().join("values.json");
        std::fs::write(&v, values).unwrap();
        gate()
            .arg("--slo")
            .arg(fx("worked-example/slo.yaml"))
            .arg("--sli-values")
            .arg(&v)
            .arg("--history")
            .arg(&file)
            .arg("--record")
            .arg(&file)
            .args(["--format", "json"])
            .output()
            .unwrap()
    };
    // First run: no history, the relative medium criterion is skipped (quirk 1): 2.5/3.
    let first = run(r#"{"vuln_critical": 0, "vuln_high": 7, "vuln_medium": 12}"#);
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(json_out(&first)["result"], "warning");
    let h: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(h.len(), 1);
    let first_id = h[0]["id"].as_str().unwrap().to_owned();
    // A warning is not `pass`, so include_result_with_score: pass finds nothing to compare.
    let second = run(r#"{"vuln_critical": 0, "vuln_high": 3, "vuln_medium": 14}"#);
    let d = json_out(&second);
    assert_eq!(d["result"], "pass", "{d}");
    assert!(d["evaluation"].get("comparedEvents").is_none(), "{d}");
    // Now the newest passing result (medium 14) is the baseline: 15.4 allowed, 16 fails.
    let third = run(r#"{"vuln_critical": 0, "vuln_high": 3, "vuln_medium": 16}"#);
    let d = json_out(&third);
    let h: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(h.len(), 3);
    assert_eq!(d["evaluation"]["comparedEvents"][0], h[1]["id"]);
    assert_ne!(h[1]["id"], first_id);
    let medium = &d["evaluation"]["indicatorResults"][2];
    assert_eq!(medium["value"]["comparedValue"].as_f64(), Some(14.0));
    assert_eq!(medium["status"], "fail");
    assert_eq!(third.status.code(), Some(1));
}

#[test]
fn missing_or_empty_slo_fails_closed() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.yaml");
    std::fs::write(&empty, "").unwrap();
    for slo in [dir.path().join("nope.yaml"), empty] {
        gate()
            .arg("--slo")
            .arg(&slo)
            .arg("--report")
            .arg(report("alpine-3.9-image-critical.json"))
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--allow-missing-slo"))
            .stderr(predicate::str::contains("panicked").not());
        let out = gate()
            .arg("--slo")
            .arg(&slo)
            .arg("--report")
            .arg(report("alpine-3.9-image-critical.json"))
            .arg("--allow-missing-slo")
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert!(
            json_out(&out)["message"]
                .as_str()
                .unwrap()
                .contains("no SLO file configured")
        );
    }
}

#[test]
fn comments_only_slo_is_evaluated_and_errors() {
    // Only a 0-byte file counts as "no SLO file" (lighthouse); comments evaluate to `errored`.
    let dir = tempfile::tempdir().unwrap();
    let slo = dir.path().join("slo.yaml");
    std::fs::write(&slo, "# only a comment\n\n").unwrap();
    gate()
        .arg("--slo")
        .arg(&slo)
        .arg("--report")
        .arg(report("alpine-3.10-image.json"))
        .arg("--allow-missing-slo")
        .assert()
        .code(2)
        .stdout(predicate::str::contains("no target score defined"))
        .stderr(predicate::str::contains("status errored"));
}

#[test]
fn malformed_inputs_exit_2_with_position() {
    gate()
        .arg("--slo")
        .arg(fx("gates/malformed.yaml"))
        .arg("--report")
        .arg(report("alpine-3.9-image-critical.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::is_match(r"line 4 column \d+").unwrap())
        .stderr(predicate::str::contains("malformed.yaml"));
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("values.json");
    std::fs::write(&bad, "{\n  \"vuln_critical\": 0,\n  \"vuln_high\": ,\n}").unwrap();
    gate()
        .arg("--slo")
        .arg(fx("worked-example/slo.yaml"))
        .arg("--sli-values")
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("line 3 column"));
    let bad_history = dir.path().join("history.json");
    std::fs::write(&bad_history, "{}").unwrap();
    gate()
        .arg("--slo")
        .arg(fx("worked-example/slo.yaml"))
        .arg("--sli-values")
        .arg(fx("worked-example/values.json"))
        .arg("--history")
        .arg(&bad_history)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("history"));
    gate()
        .arg("--slo")
        .arg(fx("worked-example/slo.yaml"))
        .arg("--report")
        .arg(fx("worked-example/slo.yaml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not JSON"));
}

#[test]
fn bad_flags_exit_2() {
    // No source, two sources, an unknown format, --provider without --sli.
    gate().args(["--slo", "x.yaml"]).assert().code(2);
    gate()
        .args([
            "--slo",
            "x.yaml",
            "--report",
            "r.json",
            "--sli-values",
            "v.json",
        ])
        .assert()
        .code(2);
    gate()
        .args(["--slo", "x.yaml", "--report", "r.json", "--format", "xml"])
        .assert()
        .code(2);
    gate()
        .args(["--slo", "x.yaml", "--provider", "prometheus"])
        .assert()
        .code(2);
    gate()
        .arg("--slo")
        .arg(fx("gates/backend.yaml"))
        .arg("--sli")
        .arg(fx("seed/sli.yaml"))
        .args([
            "--provider",
            "prometheus",
            "--prometheus-url",
            "http://127.0.0.1:1",
            "--from",
            "yesterday",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("RFC 3339"));
}

#[test]
fn sli_values_get_sli_finished_with_result_fail() {
    let dir = tempfile::tempdir().unwrap();
    let v = dir.path().join("finished.json");
    std::fs::write(
        &v,
        r#"{"project":"secgate","stage":"dev","service":"webapp","status":"succeeded","result":"fail","message":"1 of 3 SLIs failed",
            "get-sli":{"start":"2024-03-05T10:11:13.002Z","end":"2024-03-05T10:16:13.002Z","indicatorValues":[
              {"metric":"vuln_critical","value":0,"comparedValue":0,"success":true},
              {"metric":"vuln_high","value":1,"comparedValue":0,"success":true},
              {"metric":"vuln_medium","value":0,"comparedValue":0,"success":false,"message":"no data"}]}}"#,
    )
    .unwrap();
    let out = gate()
        .arg("--slo")
        .arg(fx("worked-example/slo.yaml"))
        .arg("--sli-values")
        .arg(&v)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let d = json_out(&out);
    assert_eq!(d["result"], "fail");
    assert_eq!(
        d["message"],
        "lighthouse failed because SLI failed with message 1 of 3 SLIs failed"
    );
    assert_eq!(d["project"], "secgate");
    assert_eq!(d["evaluation"]["timeStart"], "2024-03-05T10:11:13.002Z");
    // An errored SLI retrieval is a backend failure: exit 3.
    std::fs::write(
        &v,
        r#"{"status":"errored","result":"fail","message":"Prometheus unreachable","get-sli":{}}"#,
    )
    .unwrap();
    gate()
        .arg("--slo")
        .arg(fx("worked-example/slo.yaml"))
        .arg("--sli-values")
        .arg(&v)
        .assert()
        .code(3)
        .stderr(predicate::str::contains("Prometheus unreachable"));
}

const PUSHED: &str = "# TYPE trivy_image_vulnerabilities gauge
trivy_image_vulnerabilities{image_registry=\"index.docker.io\",image_repository=\"library/mysql\",image_tag=\"8.0.26\",severity=\"Critical\"} 6
trivy_image_vulnerabilities{image_registry=\"index.docker.io\",image_repository=\"library/mysql\",image_tag=\"8.0.26\",severity=\"High\"} 21
trivy_image_vulnerabilities{image_registry=\"index.docker.io\",image_repository=\"library/nginx\",image_tag=\"1.21.1\",severity=\"Critical\"} 14
";

#[test]
fn prometheus_for_real() {
    let pg = Pushgateway::start().expect("pushgateway");
    pg.push_text("/metrics/job/trivy/instance/scan", PUSHED)
        .expect("push");
    let prom = Prometheus::start_scraping(&pg).expect("prometheus");
    prom.wait_for_value(
        "max(trivy_image_vulnerabilities{image_repository=\"library/nginx\",severity=\"Critical\"})",
        Duration::from_secs(60),
    )
    .unwrap_or_else(|e| panic!("{e}\n{}", prom.log()));
    let dir = tempfile::tempdir().unwrap();
    let sli = dir.path().join("sli.yaml");
    let run = |indicators: &str| {
        std::fs::write(
            &sli,
            format!("spec_version: \"1.0\"\nindicators:\n{indicators}"),
        )
        .unwrap();
        gate()
            .arg("--slo")
            .arg(fx("gates/backend.yaml"))
            .arg("--sli")
            .arg(&sli)
            .args([
                "--provider",
                "prometheus",
                "--timeframe",
                "5m",
                "--format",
                "json",
            ])
            .args(["--label", "repo=library/mysql"])
            .env("PROMETHEUS_URL", prom.url())
            .output()
            .unwrap()
    };
    // mysql: 6 criticals < 10 passes; the placeholder $LABEL.repo picks the image.
    let out = run(
        "  critical: 'max(trivy_image_vulnerabilities{image_repository=\"$LABEL.repo\",severity=\"Critical\"})'\n  high: 'max(trivy_image_vulnerabilities{image_repository=\"$LABEL.repo\",severity=\"High\"})'\n",
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d = json_out(&out);
    assert_eq!(
        d["evaluation"]["indicatorResults"][0]["value"]["value"].as_f64(),
        Some(6.0)
    );
    assert_eq!(
        d["evaluation"]["indicatorResults"][1]["value"]["value"].as_f64(),
        Some(21.0)
    );
    assert!(d["evaluation"]["timeEnd"].as_str().unwrap().ends_with('Z'));
    // nginx: 14 criticals fail the budget.
    let out = run(
        "  critical: 'max(trivy_image_vulnerabilities{image_repository=\"library/nginx\",severity=\"Critical\"})'\n  high: 'max(trivy_image_vulnerabilities{image_repository=\"library/nginx\",severity=\"High\"})'\n",
    );
    assert_eq!(out.status.code(), Some(1));
    let d = json_out(&out);
    // nginx has no High series: that SLI failed ("no values"), so prometheus-service reports `warning`
    // and the informational objective shows the failure.
    let high = &d["evaluation"]["indicatorResults"][1]["value"];
    assert_eq!(high["success"], false);
    assert_eq!(high["message"], "query did not return any values");
    // Several series are a failed SLI, so the gate fails instead of picking one.
    let out = run(
        "  critical: 'trivy_image_vulnerabilities{severity=\"Critical\"}'\n  high: 'max(trivy_image_vulnerabilities)'\n",
    );
    assert_eq!(out.status.code(), Some(1));
    let d = json_out(&out);
    let crit = &d["evaluation"]["indicatorResults"][0];
    assert_eq!(crit["status"], "fail");
    assert!(
        crit["value"]["message"]
            .as_str()
            .unwrap()
            .contains("multiple values")
    );
}

#[test]
fn prometheus_unreachable_exits_3() {
    let addr = test_support::net::refused_addr();
    gate()
        .arg("--slo")
        .arg(fx("gates/backend.yaml"))
        .arg("--sli")
        .arg(fx("dynatrace-sli.yaml"))
        .args(["--provider", "prometheus", "--retries", "0"])
        .arg("--prometheus-url")
        .arg(format!("http://{addr}"))
        .assert()
        .code(3)
        .stderr(predicate::str::starts_with("slo-gate: error:"));
}

const TOKEN: &str = "dt0c01.SLOGATETEST.VERYSECRETPART";

fn dynatrace(fake: &DynatraceQueryFake, token: &str) -> std::process::Output {
    dynatrace_cmd(fake)
        .env("DT_API_TOKEN", token)
        .output()
        .unwrap()
}

/// slo-gate on the Dynatrace fake, without a token.
fn dynatrace_cmd(fake: &DynatraceQueryFake) -> Command {
    let mut c = gate();
    c.arg("--slo")
        .arg(fx("gates/backend.yaml"))
        .arg("--sli")
        .arg(fx("dynatrace-sli.yaml"))
        .args([
            "--provider",
            "dynatrace",
            "--format",
            "json",
            "--retries",
            "1",
        ])
        .args([
            "--from",
            "2026-11-22T07:00:00Z",
            "--to",
            "2026-11-22T07:05:00Z",
        ])
        .env("DT_TENANT", fake.url());
    c
}

#[test]
fn a_token_file_may_start_with_a_byte_order_mark() {
    let fake = DynatraceQueryFake::start(TOKEN);
    fake.answer("trivy.vulnerabilities.CRITICAL", Answer::Value(3.0));
    fake.answer("trivy.vulnerabilities.HIGH", Answer::Value(12.0));
    let dir = tempfile::tempdir().unwrap();
    let run = |text: &str| {
        let f = test_support::cli::write(dir.path(), "token", text);
        dynatrace_cmd(&fake)
            .arg("--dynatrace-token-file")
            .arg(f)
            .output()
            .unwrap()
    };
    let plain = run(&format!("{TOKEN}\n"));
    assert_eq!(plain.status.code(), Some(0), "{plain:?}");
    // The fake answers only the exact token: a mark left in it would be refused (exit 3).
    let marked = run(&format!("\u{feff}{TOKEN}\n"));
    assert_eq!(marked.status.code(), Some(0), "{marked:?}");
    assert_eq!(marked.stdout, plain.stdout);
}

#[test]
fn dynatrace_against_the_fake() {
    let fake = DynatraceQueryFake::start(TOKEN);
    fake.answer("trivy.vulnerabilities.CRITICAL", Answer::Value(3.0));
    fake.answer("trivy.vulnerabilities.HIGH", Answer::Value(12.0));
    let out = dynatrace(&fake, TOKEN);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d = json_out(&out);
    assert_eq!(
        d["evaluation"]["indicatorResults"][0]["value"]["value"].as_f64(),
        Some(3.0)
    );
    assert_eq!(d["evaluation"]["timeStart"], "2026-11-22T07:00:00.000Z");
    let req = &fake.requests()[0];
    assert_eq!(req.param("resolution"), Some("Inf"));
    assert_eq!(req.param("from"), Some("1795330800000"));

    // No data for the key SLI: a failed SLI, the gate fails (never a silent 0).
    fake.answer("trivy.vulnerabilities.CRITICAL", Answer::NoData);
    let out = dynatrace(&fake, TOKEN);
    assert_eq!(out.status.code(), Some(1));
    let d = json_out(&out);
    assert_eq!(
        d["evaluation"]["indicatorResults"][0]["value"]["success"],
        false
    );
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .starts_with("lighthouse failed because SLI failed"),
        "{d}"
    );

    // Two images scanned in the window: several series, a failed SLI.
    fake.answer(
        "trivy.vulnerabilities.CRITICAL",
        Answer::Series(vec![
            ([("image".to_owned(), "nginx".to_owned())].into(), 1.0),
            ([("image".to_owned(), "mysql".to_owned())].into(), 2.0),
        ]),
    );
    let out = dynatrace(&fake, TOKEN);
    assert_eq!(out.status.code(), Some(1));
    let d = json_out(&out);
    let msg = d["evaluation"]["indicatorResults"][0]["value"]["message"]
        .as_str()
        .unwrap();
    assert!(msg.contains("got multiple (2 series"), "{msg}");
}

#[test]
fn dynatrace_refused_token_exits_3_without_leaking_it() {
    let fake = DynatraceQueryFake::start(TOKEN);
    fake.answer("trivy.vulnerabilities.CRITICAL", Answer::Value(3.0));
    let out = dynatrace(&fake, "dt0c01.WRONG.ANOTHERSECRET");
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("401"), "{stderr}");
    assert!(!stderr.contains("ANOTHERSECRET"), "{stderr}");
    assert!(out.stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn dynatrace_token_needs_https_off_loopback() {
    gate()
        .arg("--slo")
        .arg(fx("gates/backend.yaml"))
        .arg("--sli")
        .arg(fx("dynatrace-sli.yaml"))
        .args([
            "--provider",
            "dynatrace",
            "--dynatrace-url",
            "http://tenant.example.invalid",
        ])
        .env("METRICS_API_TOKEN", TOKEN)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("plain http"))
        .stderr(predicate::str::contains("VERYSECRETPART").not());
}

#[test]
fn help_lists_every_flag() {
    let out = gate().arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--slo",
        "--report",
        "--sli-values",
        "--sli ",
        "--provider",
        "--severity",
        "--unique",
        "--fixable-only",
        "--ignore-file",
        "--baseline",
        "--prometheus-url",
        "--dynatrace-url",
        "--dynatrace-token",
        "--dynatrace-token-file",
        "--from",
        "--to",
        "--timeframe",
        "--allow-insecure-http",
        "--history",
        "--record",
        "--format",
        "--fail-on-warning",
        "--allow-missing-slo",
        "--verbose",
        "--quiet",
    ] {
        assert!(text.contains(flag), "{flag} missing from --help");
    }
    insta::assert_snapshot!("help", text);
}

#[test]
fn other_scanners_reports_gate_the_same_way() {
    let corpus = |rel: &str| test_support::fixtures::fixture(&format!("corpus/{rel}"));
    // Grype: 6 LOW, within the budget of 10.
    gate()
        .arg("--slo")
        .arg(fx("gates/total-budget.yaml"))
        .arg("--report")
        .arg(corpus("grype/grype-0.66.0-keycloak.json"))
        .assert()
        .code(0);
    // Trivy Operator List: 398 findings, over it.
    gate()
        .arg("--slo")
        .arg(fx("gates/total-budget.yaml"))
        .arg("--report")
        .arg(corpus(
            "trivy/trivy-operator-ea1dc5f__workload.vulnerabilityReportList.json",
        ))
        .assert()
        .code(1);
    // SARIF has no fix data: a fixable-only gate is refused, never passed on zero.
    gate()
        .arg("--slo")
        .arg(fx("gates/total-budget.yaml"))
        .arg("--report")
        .arg(corpus("trivy/trivy-head__alpine-310.sarif.golden"))
        .arg("--fixable-only")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("fix data"));
    // An SBOM is not a report.
    gate()
        .arg("--slo")
        .arg(fx("gates/total-budget.yaml"))
        .arg("--report")
        .arg(corpus("trivy/trivy-head__conda-spdx.json.golden"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("SPDX"));
}

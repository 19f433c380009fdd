//! Secrets through the `slo-gate` binary (issue 12, item 4): Dynatrace and Prometheus on
//! 127.0.0.1 that echo every credential they receive in body and headers; the token given as
//! flag, env vars, file, with a leading `-`, and in the Prometheus URL's userinfo, at `-vvv`.
//! The marker must appear nowhere in stdout or stderr.

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use test_support::cli::{Run, write};
use test_support::echo::EchoServer;

/// In every secret below; must never be printed.
const MARK: &str = "SEKRIT9q7";
const TOKEN: &str = "dt0c01.READ.SEKRIT9q7";
const SLO: &str = "objectives:\n  - sli: critical\n    pass:\n      - criteria: [\"<=0\"]\ntotal_score:\n  pass: \"90%\"\n";

fn slo_gate(dir: &Path, sli: &str) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin!("slo-gate"));
    for v in test_support::cli::CALLER_ENV {
        c.env_remove(v);
    }
    c.timeout(Duration::from_secs(120));
    let slo: PathBuf = write(dir, "slo.yaml", SLO);
    let sli: PathBuf = write(
        dir,
        "sli.yaml",
        format!("indicators:\n  critical: \"{sli}\"\n"),
    );
    c.args(["-vvv", "--retries", "0", "--timeframe", "5m", "--slo"])
        .arg(slo)
        .arg("--sli")
        .arg(sli);
    c
}

fn run(c: &mut Command) -> Run {
    Run::capture(|| c.output())
}

fn assert_redacted(r: &Run, server: &EchoServer) {
    assert!(!r.stdout.contains(MARK), "marker on stdout: {r:#?}");
    assert!(!r.stderr.contains(MARK), "marker on stderr: {r:#?}");
    assert!(server.hits() > 0, "the server was never asked: {r:#?}");
    assert!(
        r.stderr.contains("[REDACTED]") || r.stdout.contains("[REDACTED]"),
        "the echo did not reach the output: {r:#?}"
    );
}

#[test]
fn dynatrace_token_in_every_form_echoed_in_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "token", format!("{TOKEN}\n"));
    let echo = EchoServer::start(
        400,
        "application/json",
        r#"{"error":{"code":400,"message":"bad selector {ECHO}"}}"#,
    );
    let dash = format!("-{TOKEN}");
    let base = || {
        let mut c = slo_gate(
            dir.path(),
            "metricSelector=trivy.vulnerabilities.CRITICAL:max",
        );
        c.args(["--provider", "dynatrace", "--dynatrace-url", &echo.url()]);
        c
    };
    for r in [
        run(base().args(["--dynatrace-token", TOKEN])),
        run(base().env("DT_API_TOKEN", TOKEN)),
        run(base().env("METRICS_API_TOKEN", TOKEN)),
        run(base().arg("--dynatrace-token-file").arg(&file)),
        run(base().args(["--dynatrace-token", &dash])),
    ] {
        // A failed SLI query fails the gate (lighthouse); its message holds the echo.
        assert_eq!(r.code, Some(1), "{r:#?}");
        assert_redacted(&r, &echo);
    }
}

#[test]
fn prometheus_userinfo_echoed_in_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let echo = EchoServer::start(
        400,
        "application/json",
        r#"{"status":"error","errorType":"bad_data","error":"{ECHO}"}"#,
    );
    let url = echo.url_with_userinfo("reader", "prom-SEKRIT9q7");
    let record = dir.path().join("history.json");
    let r = run(slo_gate(dir.path(), "sum(up)")
        .args([
            "--provider",
            "prometheus",
            "--prometheus-url",
            &url,
            "--format",
            "json",
        ])
        .arg("--record")
        .arg(&record));
    // A failed SLI query fails the gate (lighthouse); its message holds the echo.
    assert_eq!(r.code, Some(1), "{r:#?}");
    assert_redacted(&r, &echo);
    let basic = EchoServer::basic_credentials("reader", "prom-SEKRIT9q7");
    assert!(
        !r.stdout.contains(&basic) && !r.stderr.contains(&basic),
        "{r:#?}"
    );
    // The recorded evaluation is output too.
    let recorded = std::fs::read_to_string(&record).unwrap();
    assert!(recorded.contains("[REDACTED]"), "{recorded}");
    assert!(
        !recorded.contains(MARK) && !recorded.contains(&basic),
        "{recorded}"
    );
}

#[test]
fn userinfo_over_plain_http_to_another_host_is_refused_before_connecting() {
    // 192.0.2.1 is TEST-NET-1: exit 2 (not 3 after a failed connection) shows no
    // connection was tried; Prometheus takes no token, the userinfo alone counts.
    let dir = tempfile::tempdir().unwrap();
    let r = run(slo_gate(dir.path(), "sum(up)").args([
        "--provider",
        "prometheus",
        "--prometheus-url",
        "http://reader:prom-SEKRIT9q7@192.0.2.1:9090",
    ]));
    assert_eq!(r.code, Some(2), "{r:#?}");
    assert!(r.stderr.contains("--allow-insecure-http"), "{r:#?}");
    assert!(
        !r.stderr.contains(MARK) && !r.stdout.contains(MARK),
        "{r:#?}"
    );
}

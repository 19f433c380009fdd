//! Secrets through the `trivy-scan` binary (issue 12, item 4): a server on 127.0.0.1 that
//! echoes every credential it receives (body, header, per-line error, partial-success
//! message); the token given as flag, env var, file, OTLP header list and URL userinfo, at
//! `-vvv`. The marker must appear nowhere in stdout or stderr.

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use test_support::cli::{Run, write};
use test_support::echo::EchoServer;
use test_support::fixtures::report;

/// In every secret below; must never be printed.
const MARK: &str = "SEKRIT9q7";
const TOKEN: &str = "dt0c01.TOKEN.SEKRIT9q7";
const DT_ERROR: &str = r#"{"error":{"code":400,"message":"bad request {ECHO}"}}"#;

fn trivy_scan() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("trivy-scan"));
    for var in test_support::cli::CALLER_ENV {
        cmd.env_remove(var);
    }
    cmd.timeout(Duration::from_secs(120));
    cmd.args(["-vvv", "--retries", "0", "--metrics-connect-timeout", "2s"]);
    cmd.arg("--report")
        .arg(report("generated-0.76-image-alpine-3.14.json"));
    cmd
}

fn run(cmd: &mut Command) -> Run {
    Run::capture(|| cmd.output())
}

/// No trace of the marker, and the echo reached the output redacted (so the test is not
/// passing because nothing was echoed).
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
fn dynatrace_token_as_flag_env_file_and_leading_dash() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "token", format!("{TOKEN}\nsecond line\n"));
    let echo = EchoServer::start(400, "application/json", DT_ERROR);
    let base = || {
        let mut c = trivy_scan();
        c.args(["--sink", "dynatrace", "--metrics-required"])
            .args(["--dynatrace-url", &echo.url()]);
        c
    };
    let dash = format!("-{TOKEN}");
    let runs = [
        run(base().args(["--dynatrace-token", TOKEN])),
        run(base().env("METRICS_API_TOKEN", TOKEN)),
        run(base().arg("--dynatrace-token-file").arg(&file)),
        run(base().args(["--dynatrace-token", &dash])),
        // Every log line of every crate, hyper and reqwest included.
        run(base()
            .args(["--dynatrace-token", TOKEN])
            .env("VULNGATE_LOG", "trace")),
    ];
    for r in &runs {
        assert_eq!(r.code, Some(3), "{r:#?}");
        assert_redacted(r, &echo);
    }
}

#[test]
fn dynatrace_per_line_errors_warnings_and_json_output() {
    // Partial acceptance (HTTP 400 with linesOk > 0): per-line errors echo the token.
    let partial = EchoServer::start(
        400,
        "application/json",
        r#"{"linesOk":1,"linesInvalid":1,"error":{"code":400,"message":"{ECHO}","invalidLines":[{"line":1,"error":"line {ECHO}"}]}}"#,
    );
    // Accepted with a warning that echoes the token (printed as a note).
    let warning = EchoServer::start(
        202,
        "application/json",
        r#"{"linesOk":6,"linesInvalid":0,"error":null,"warnings":{"message":"{ECHO}"}}"#,
    );
    for (server, code) in [(&partial, 3), (&warning, 0)] {
        for format in ["text", "json"] {
            let r = run(trivy_scan()
                .args([
                    "--format",
                    format,
                    "--sink",
                    "dynatrace",
                    "--metrics-required",
                ])
                .args(["--dynatrace-url", &server.url(), "--dynatrace-token", TOKEN]));
            assert_eq!(r.code, Some(code), "{r:#?}");
            assert_redacted(&r, server);
        }
    }
}

#[test]
fn otlp_header_list_error_and_partial_success() {
    let headers = "authorization=Bearer%20otlp.SEKRIT9q7,x-api-key=key-SEKRIT9q7";
    for (status, body) in [
        (400, r#"{"code":3,"message":"{ECHO}"}"#),
        (
            200,
            r#"{"partialSuccess":{"rejectedDataPoints":"1","errorMessage":"{ECHO}"}}"#,
        ),
    ] {
        let echo = EchoServer::start(status, "application/json", body);
        let r = run(trivy_scan()
            .args([
                "--sink",
                "otlp",
                "--otlp-protocol",
                "http/json",
                "--metrics-required",
            ])
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", echo.url())
            .env("OTEL_EXPORTER_OTLP_HEADERS", headers));
        assert_eq!(r.code, Some(3), "{r:#?}");
        assert_redacted(&r, &echo);
    }
}

#[test]
fn pushgateway_userinfo() {
    let echo = EchoServer::start(400, "text/plain", "bad push {ECHO}");
    let url = echo.url_with_userinfo("pusher", "pw-SEKRIT9q7");
    for r in [
        run(trivy_scan()
            .args(["--sink", "pushgateway", "--metrics-required"])
            .args(["--pushgateway-url", &url])),
        run(trivy_scan()
            .args(["--sink", "pushgateway", "--metrics-required"])
            .env("PUSHGATEWAY_URL", &url)),
    ] {
        assert_eq!(r.code, Some(3), "{r:#?}");
        assert_redacted(&r, &echo);
        let basic = EchoServer::basic_credentials("pusher", "pw-SEKRIT9q7");
        assert!(
            !r.stdout.contains(&basic) && !r.stderr.contains(&basic),
            "{r:#?}"
        );
    }
}

/// A fake trivy that prints its arguments to stderr and fails: its stderr tail and the
/// `-vvv` log of the argument list both hold the server URL.
fn echoing_trivy(dir: &Path) -> std::path::PathBuf {
    let bin = write(
        dir,
        "trivy",
        "#!/bin/sh\necho \"FATAL cannot reach the server: $*\" >&2\necho \"registry password ${TRIVY_PASSWORD:-} refused\" >&2\nexit 1\n",
    );
    let mut perms = std::fs::metadata(&bin).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&bin, perms).unwrap();
    bin
}

#[test]
fn trivy_server_userinfo_in_args_log_and_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let bin = echoing_trivy(dir.path());
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("trivy-scan"));
    for var in test_support::cli::CALLER_ENV {
        cmd.env_remove(var);
    }
    let r = run(cmd
        .timeout(Duration::from_secs(60))
        .args(["-vvv", "alpine:3.14", "--trivy-bin"])
        .arg(&bin)
        .args(["--server", "http://scanner:srv-SEKRIT9q7@127.0.0.1:4954"])
        .env("TRIVY_PASSWORD", "reg-SEKRIT9q7"));
    assert_eq!(r.code, Some(3), "{r:#?}");
    assert!(r.stderr.contains("registry password [REDACTED]"), "{r:#?}");
    assert!(
        !r.stdout.contains(MARK) && !r.stderr.contains(MARK),
        "{r:#?}"
    );
    assert!(r.stderr.contains("cannot reach the server"), "{r:#?}");
    assert!(
        r.stderr.contains("running trivy"),
        "no -vvv args line: {r:#?}"
    );
}

#[test]
fn userinfo_over_plain_http_to_another_host_is_refused_before_connecting() {
    // 192.0.2.1 is TEST-NET-1: nothing answers there. Exit 2 (not 3 after a failed connect,
    // not 0 with a warning) shows the URL was refused before any connection.
    let dir = tempfile::tempdir().unwrap();
    let bin = echoing_trivy(dir.path());
    let url = "http://pusher:pw-SEKRIT9q7@192.0.2.1:9091";
    let cases: Vec<Vec<String>> = vec![
        vec![
            "--sink".into(),
            "pushgateway".into(),
            "--pushgateway-url".into(),
            url.into(),
        ],
        // Token-less Dynatrace (the OneAgent path) with credentials in the URL.
        vec![
            "--sink".into(),
            "dynatrace".into(),
            "--dynatrace-url".into(),
            format!("{url}/metrics/ingest"),
        ],
    ];
    for args in cases {
        let r = run(trivy_scan().arg("--metrics-required").args(&args));
        assert_eq!(r.code, Some(2), "{args:?}: {r:#?}");
        assert!(r.stderr.contains("--allow-insecure-http"), "{r:#?}");
        assert!(!r.stderr.contains(MARK), "{r:#?}");
    }
    let r = run(trivy_scan()
        .args(["--sink", "otlp", "--metrics-required"])
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", url));
    assert_eq!(r.code, Some(2), "otlp: {r:#?}");
    assert!(!r.stderr.contains(MARK), "{r:#?}");
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("trivy-scan"));
    for var in test_support::cli::CALLER_ENV {
        cmd.env_remove(var);
    }
    let r = run(cmd
        .timeout(Duration::from_secs(60))
        .args(["-vvv", "alpine:3.14", "--trivy-bin"])
        .arg(&bin)
        .args(["--server", url]));
    assert_eq!(r.code, Some(2), "--server: {r:#?}");
    assert!(!r.stderr.contains("cannot reach"), "trivy ran: {r:#?}");
    assert!(!r.stderr.contains(MARK), "{r:#?}");
}

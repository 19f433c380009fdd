//! trivy-scan end to end with metrics backends: the strict fake Dynatrace, the in-process OTLP
//! receiver, and the real Pushgateway. The report fixture has 29 findings (6/9/10/2/2).

use std::process::Output;

use assert_cmd::Command;
use test_support::dynatrace::{FakeDynatrace, Reply, TOKEN};
use test_support::fixtures::report;
use test_support::otlp::{FakeOtlp, points, resource_attributes};
use test_support::prometheus::Pushgateway;

const REPORT: &str = "generated-0.76-image-alpine-3.14.json";
const IMAGE: &str = "alpine-vulnerable:3.14";

/// The binary on the fixture report, with no metrics variables inherited from the shell.
fn trivy_scan() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("trivy-scan"));
    for var in test_support::cli::CALLER_ENV {
        cmd.env_remove(var);
    }
    cmd.arg("--report").arg(report(REPORT)).arg(IMAGE);
    cmd
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn all_output(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), stderr(o))
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn seed_lines() -> Vec<String> {
    sorted(
        [
            ("total", 29),
            ("CRITICAL", 6),
            ("HIGH", 9),
            ("MEDIUM", 10),
            ("LOW", 2),
            ("UNKNOWN", 2),
        ]
        .iter()
        .map(|(k, n)| {
            format!("trivy.vulnerabilities.{k},image=\"alpine-vulnerable\",tag=\"3.14\" {n}")
        })
        .collect(),
    )
}

#[test]
fn seed_variables_enable_dynatrace_without_a_sink_flag() {
    let dt = FakeDynatrace::start();
    let out = trivy_scan()
        .env("METRICS_ENDPOINT", dt.url())
        .env("METRICS_API_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert_eq!(sorted(dt.lines()), seed_lines());
    let reqs = dt.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].content_type.as_deref(),
        Some("text/plain; charset=utf-8")
    );
    assert!(
        stderr(&out).contains("metrics: dynatrace accepted 6 metrics"),
        "{}",
        stderr(&out)
    );
    assert!(
        !all_output(&out).contains("FAKESECRETPART"),
        "the token leaked"
    );
}

#[test]
fn dimensional_mode_and_token_file() {
    let dt = FakeDynatrace::start();
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let out = trivy_scan()
        .args([
            "--sink",
            "dynatrace",
            "--dynatrace-dimensional",
            "--severity",
            "CRITICAL,HIGH",
        ])
        .arg("--dynatrace-url")
        .arg(dt.url())
        .arg("--dynatrace-token-file")
        .arg(&token_file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert_eq!(
        sorted(dt.lines()),
        [
            "trivy.image.vulnerabilities,severity=\"CRITICAL\",image=\"alpine-vulnerable\",tag=\"3.14\" 6",
            "trivy.image.vulnerabilities,severity=\"HIGH\",image=\"alpine-vulnerable\",tag=\"3.14\" 9",
        ]
    );
}

#[test]
fn dynatrace_down_warns_and_keeps_the_verdict_unless_metrics_are_required() {
    let dt = FakeDynatrace::start();
    dt.set_fallback(Reply::Status(503));
    let run = |required: bool| {
        let mut cmd = trivy_scan();
        cmd.args(["--sink", "dynatrace", "--retries", "1", "--dynatrace-url"])
            .arg(dt.url())
            .env("METRICS_API_TOKEN", TOKEN);
        if required {
            cmd.arg("--metrics-required");
        }
        cmd.output().unwrap()
    };
    let out = run(false);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let err = stderr(&out);
    assert!(
        err.contains("warning: metrics push to dynatrace failed"),
        "{err}"
    );
    assert!(err.contains("503"), "{err}");
    assert!(
        err.contains("not sent: ") && err.contains("trivy.vulnerabilities.CRITICAL"),
        "{err}"
    );
    assert_eq!(dt.request_count(), 2, "one try plus --retries 1");

    let out = run(true);
    assert_eq!(out.status.code(), Some(3), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("trivy.vulnerabilities.total"),
        "{}",
        stderr(&out)
    );
    assert!(!all_output(&out).contains("FAKESECRETPART"));
}

#[test]
fn a_wrong_token_fails_once_with_a_clear_message() {
    let dt = FakeDynatrace::start();
    let out = trivy_scan()
        .args([
            "--sink",
            "dynatrace",
            "--metrics-required",
            "--dynatrace-token",
            "dt0c01.WRONG.MARKERSECRET",
        ])
        .arg("--dynatrace-url")
        .arg(dt.url())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", all_output(&out));
    assert!(stderr(&out).contains("check the token"), "{}", stderr(&out));
    assert_eq!(dt.request_count(), 1);
    assert!(!all_output(&out).contains("MARKERSECRET"));
}

#[test]
fn usage_errors_exit_2() {
    let out = trivy_scan()
        .args(["--sink", "pushgateway"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("--pushgateway-url"),
        "{}",
        stderr(&out)
    );

    let out = trivy_scan()
        .args([
            "--sink",
            "dynatrace",
            "--dynatrace-url",
            "http://tenant.example.com",
        ])
        .env("METRICS_API_TOKEN", "dt0c01.X.MARKERSECRET")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("--allow-insecure-http"),
        "{}",
        stderr(&out)
    );
    assert!(!all_output(&out).contains("MARKERSECRET"));

    let out = trivy_scan()
        .args(["--metrics-timeout", "soon"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
}

#[test]
fn pushgateway_group_is_replaced_on_rescan() {
    let pg = Pushgateway::start().unwrap();
    let push = |severity: &str| {
        let out = trivy_scan()
            .args(["--sink", "pushgateway", "--severity", severity])
            .env("PUSHGATEWAY_URL", pg.url())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
        assert!(
            stderr(&out).contains("metrics: pushgateway accepted"),
            "{}",
            stderr(&out)
        );
    };
    push("CRITICAL,HIGH,MEDIUM,LOW,UNKNOWN");
    let series = pg.series("trivy_image_vulnerabilities").unwrap();
    assert_eq!(series.len(), 5, "{series:?}");
    let critical = series
        .iter()
        .find(|l| l.contains("severity=\"Critical\""))
        .unwrap();
    for label in [
        "image_registry=\"index.docker.io\"",
        "image_repository=\"library/alpine-vulnerable\"",
        "image_tag=\"3.14\"",
        "job=\"vulngate\"",
    ] {
        assert!(critical.contains(label), "{critical}");
    }
    assert!(critical.ends_with(" 6"), "{critical}");
    push("HIGH");
    let series = pg.series("trivy_image_vulnerabilities").unwrap();
    assert_eq!(series.len(), 1, "stale series left: {series:?}");
    assert!(
        series[0].contains("severity=\"High\"") && series[0].ends_with(" 9"),
        "{series:?}"
    );
}

#[test]
fn otlp_from_flags_and_from_the_standard_environment() {
    let otlp = FakeOtlp::start();
    let out = trivy_scan()
        .args([
            "--sink",
            "otlp",
            "--otlp-protocol",
            "http/json",
            "--otlp-endpoint",
        ])
        .arg(otlp.metrics_url())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let out = trivy_scan()
        .args(["--sink", "otlp"])
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.base_url())
        .env("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20abc")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let got = otlp.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].encoding, test_support::otlp::Encoding::Json);
    assert_eq!(got[1].encoding, test_support::otlp::Encoding::Protobuf);
    assert!(
        got[1]
            .headers
            .contains(&("authorization".to_owned(), "Bearer abc".to_owned()))
    );
    for r in &got {
        let pts = points(&r.request);
        let crit = pts
            .iter()
            .find(|p| {
                p.attributes
                    .contains(&("vulnerability.severity".to_owned(), "CRITICAL".to_owned()))
            })
            .unwrap();
        assert_eq!(crit.as_int, Some(6));
        assert_eq!(pts.len(), 5);
        let res = resource_attributes(&r.request);
        assert!(res.contains(&(
            "container.image.name".to_owned(),
            "alpine-vulnerable".to_owned()
        )));
        assert!(res.contains(&("container.image.tags".to_owned(), "[3.14]".to_owned())));
    }
}

#[test]
fn fan_out_reports_every_sink_and_one_failure_does_not_stop_the_others() {
    let dt = FakeDynatrace::start();
    dt.set_fallback(Reply::Status(503));
    let otlp = FakeOtlp::start();
    let pg = Pushgateway::start().unwrap();
    let out = trivy_scan()
        .args([
            "--sink",
            "dynatrace",
            "--sink",
            "pushgateway",
            "--sink",
            "otlp",
            "--retries",
            "0",
        ])
        .arg("--dynatrace-url")
        .arg(dt.url())
        .arg("--pushgateway-url")
        .arg(pg.url())
        .arg("--otlp-endpoint")
        .arg(otlp.metrics_url())
        .env("METRICS_API_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let err = stderr(&out);
    assert!(
        err.contains("warning: metrics push to dynatrace failed"),
        "{err}"
    );
    assert!(
        err.contains("metrics: pushgateway accepted 5 metrics"),
        "{err}"
    );
    assert!(err.contains("metrics: otlp accepted 5 metrics"), "{err}");
    assert_eq!(otlp.received().len(), 1);
    assert_eq!(pg.series("trivy_image_vulnerabilities").unwrap().len(), 5);
}

#[test]
fn slow_and_unreachable_backends_are_bounded_by_the_timeouts() {
    let dt = FakeDynatrace::start();
    dt.set_fallback(Reply::Delay(std::time::Duration::from_secs(10)));
    let start = std::time::Instant::now();
    let out = trivy_scan()
        .args([
            "--sink",
            "dynatrace",
            "--metrics-required",
            "--metrics-timeout",
            "500ms",
            "--retries",
            "0",
        ])
        .arg("--dynatrace-url")
        .arg(dt.url())
        .env("METRICS_API_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", all_output(&out));
    assert!(stderr(&out).contains("timed out"), "{}", stderr(&out));
    assert!(
        start.elapsed() < std::time::Duration::from_secs(8),
        "took {:?}",
        start.elapsed()
    );

    let refused = test_support::net::refused_addr();
    let out = trivy_scan()
        .args([
            "--sink",
            "pushgateway",
            "--metrics-required",
            "--retries",
            "0",
        ])
        .arg("--pushgateway-url")
        .arg(format!("http://{refused}"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", all_output(&out));
    let err = stderr(&out);
    assert!(
        err.contains("could not connect") && err.contains("not sent: trivy_image_vulnerabilities"),
        "{err}"
    );
}

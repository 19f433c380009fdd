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

// ---- the inline gate on a metrics backend (--slo --provider) -------------------------------

/// Criticals below 10 pass; highs informational (slo-gate's backend fixture).
const BACKEND_SLO: &str = "spec_version: \"1.0\"\nobjectives:\n  - sli: critical\n    pass:\n      - criteria: [\"<10\"]\n  - sli: vulnerabilities_high\ntotal_score:\n  pass: \"90%\"\n";

fn gate_files(dir: &std::path::Path, sli: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let slo_path = dir.join("slo.yaml");
    let sli_path = dir.join("sli.yaml");
    std::fs::write(&slo_path, BACKEND_SLO).unwrap();
    std::fs::write(
        &sli_path,
        format!("spec_version: \"1.0\"\nindicators:\n{sli}"),
    )
    .unwrap();
    (slo_path, sli_path)
}

fn gate_json(o: &Output) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}); stderr: {}", stderr(o)));
    v["gate"].clone()
}

#[test]
fn inline_gate_on_a_real_prometheus() {
    use std::time::Duration;
    use test_support::prometheus::Prometheus;

    let pg = Pushgateway::start().expect("pushgateway");
    // Not the report's counts (6 criticals): the gate must read these.
    pg.push_text(
        "/metrics/job/trivy/instance/scan",
        "# TYPE trivy_image_vulnerabilities gauge\n\
         trivy_image_vulnerabilities{image_repository=\"library/app\",severity=\"Critical\"} 7\n\
         trivy_image_vulnerabilities{image_repository=\"library/old\",severity=\"Critical\"} 14\n",
    )
    .expect("push");
    let prom = Prometheus::start_scraping(&pg).expect("prometheus");
    prom.wait_for_value(
        "max(trivy_image_vulnerabilities{image_repository=\"library/old\"})",
        Duration::from_secs(60),
    )
    .unwrap_or_else(|e| panic!("{e}\n{}", prom.log()));
    let dir = tempfile::tempdir().unwrap();
    let run = |repo: &str, url: &str| {
        let (slo, sli) = gate_files(
            dir.path(),
            &format!(
                "  critical: 'max(trivy_image_vulnerabilities{{image_repository=\"{repo}\",severity=\"Critical\"}})'\n"
            ),
        );
        trivy_scan()
            .args(["--format", "json", "--slo"])
            .arg(slo)
            .arg("--sli")
            .arg(sli)
            .args(["--provider", "prometheus", "--prometheus-url", url])
            .args(["--timeframe", "5m", "--retries", "0"])
            .output()
            .unwrap()
    };

    let out = run("library/app", &prom.url());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let g = gate_json(&out);
    let results = &g["evaluation"]["indicatorResults"];
    assert_eq!(results[0]["value"]["value"].as_f64(), Some(7.0), "{g:#}");
    // Prometheus needs a query for every SLI: a built-in report name is not answered from the
    // scan behind the provider's back.
    assert_eq!(results[1]["value"]["success"], false, "{g:#}");
    assert_eq!(
        results[1]["value"]["message"],
        "no query for SLI `vulnerabilities_high` in the sli.yaml"
    );
    assert!(g["evaluation"]["timeEnd"].as_str().unwrap().ends_with('Z'));

    // 14 criticals fail the budget: exit 1.
    let out = run("library/old", &prom.url());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        gate_json(&out)["evaluation"]["indicatorResults"][0]["value"]["value"].as_f64(),
        Some(14.0)
    );

    // A Prometheus that cannot be asked is a backend failure: exit 3, one line.
    let refused = format!("http://{}", test_support::net::refused_addr());
    let out = run("library/app", &refused);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("trivy-scan: error: the metrics backend failed:"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn inline_gate_provider_is_checked_before_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let (slo, sli) = gate_files(dir.path(), "  critical: 'up'\n");
    let out = trivy_scan()
        .arg("--slo")
        .arg(&slo)
        .arg("--sli")
        .arg(&sli)
        .args(["--provider", "prometheus"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--provider prometheus needs --prometheus-url (or PROMETHEUS_URL)"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty(), "nothing counted or printed");
    // --provider needs an sli.yaml, as in slo-gate.
    let out = trivy_scan()
        .arg("--slo")
        .arg(&slo)
        .args(["--provider", "dynatrace"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--sli"), "{}", stderr(&out));
    // A bad window is refused up front too.
    let out = trivy_scan()
        .arg("--slo")
        .arg(&slo)
        .args(["--to", "yesterday"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--to `yesterday`"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn inline_gate_on_the_scan_records_a_given_window() {
    let dir = tempfile::tempdir().unwrap();
    let (slo, _) = gate_files(dir.path(), "");
    let out = trivy_scan()
        .args(["--format", "json", "--slo"])
        .arg(&slo)
        .args(["--to", "2026-11-22T07:05:00Z", "--timeframe", "10m"])
        .output()
        .unwrap();
    // Without --provider the scan answers: `critical` is not a report SLI (a failed
    // objective), `vulnerabilities_high` is 9.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let g = gate_json(&out);
    assert_eq!(g["evaluation"]["timeStart"], "2026-11-22T06:55:00.000Z");
    assert_eq!(
        g["evaluation"]["indicatorResults"][1]["value"]["value"].as_f64(),
        Some(9.0)
    );
}

#[test]
fn inline_gate_on_the_dynatrace_query_fake() {
    use test_support::dynatrace_query::{Answer, DynatraceQueryFake};
    const DT_TOKEN: &str = "dt0c01.TRIVYSCANGATE.VERYSECRETPART";

    let fake = DynatraceQueryFake::start(DT_TOKEN);
    // Not the report's counts (6 criticals, 9 highs): the gate must read these.
    fake.answer("trivy.vulnerabilities.CRITICAL", Answer::Value(3.0));
    fake.answer("trivy.vulnerabilities.HIGH", Answer::Value(12.0));
    let dir = tempfile::tempdir().unwrap();
    let (slo, sli) = gate_files(
        dir.path(),
        "  critical: \"metricSelector=trivy.vulnerabilities.CRITICAL:splitBy():max\"\n  vulnerabilities_high: \"metricSelector=trivy.vulnerabilities.HIGH\"\n",
    );
    let run = |token: &str| {
        trivy_scan()
            .args(["--format", "json", "--slo"])
            .arg(&slo)
            .arg("--sli")
            .arg(&sli)
            .args(["--provider", "dynatrace", "--retries", "0"])
            .args([
                "--from",
                "2026-11-22T07:00:00Z",
                "--to",
                "2026-11-22T07:05:00Z",
            ])
            // The environment the metrics flags name, with their token (seed variables).
            .env("METRICS_ENDPOINT", fake.url())
            .env("METRICS_API_TOKEN", token)
            .output()
            .unwrap()
    };
    let out = run(DT_TOKEN);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let g = gate_json(&out);
    let results = &g["evaluation"]["indicatorResults"];
    assert_eq!(results[0]["value"]["value"].as_f64(), Some(3.0), "{g:#}");
    assert_eq!(results[1]["value"]["value"].as_f64(), Some(12.0), "{g:#}");
    assert_eq!(g["evaluation"]["timeStart"], "2026-11-22T07:00:00.000Z");
    let req = &fake.requests()[0];
    assert_eq!(
        req.authorization.as_deref(),
        Some(format!("Api-Token {DT_TOKEN}").as_str())
    );
    assert_eq!(req.param("from"), Some("1795330800000"));
    assert_eq!(req.param("resolution"), Some("Inf"));
    assert!(!all_output(&out).contains("VERYSECRETPART"));

    // A refused token: exit 3, one error line, the token nowhere.
    let out = run("dt0c01.WRONG.ANOTHERSECRET");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("401"), "{err}");
    assert!(err.contains("check the API token"), "{err}");
    assert!(!all_output(&out).contains("ANOTHERSECRET"), "{err}");

    // No data for the key SLI: a failed SLI fails the gate (dynatrace-service's `fail`
    // result), never a silent 0.
    fake.answer("trivy.vulnerabilities.CRITICAL", Answer::NoData);
    let out = run(DT_TOKEN);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let g = gate_json(&out);
    assert_eq!(
        g["evaluation"]["indicatorResults"][0]["value"]["success"], false,
        "{g:#}"
    );
}

use std::time::{Duration, Instant};

use metrics_sink::{
    DynatraceConfig, DynatraceMode, DynatraceSink, MetricsSink, SinkErrorKind, Url,
};
use secrecy::SecretString;
use test_support::dynatrace::{FakeDynatrace, Reply, TOKEN};

use crate::{ALPINE, ALPINE_IMAGE, assert_accounted, fast_retry, snapshot, strings};

fn config(fake: &FakeDynatrace) -> DynatraceConfig {
    let mut c = DynatraceConfig::new(
        Url::parse(&fake.url()).unwrap(),
        Some(SecretString::from(TOKEN)),
    );
    c.retry = fast_retry(3);
    c
}

fn seed_keys() -> Vec<String> {
    strings(&[
        "trivy.vulnerabilities.total",
        "trivy.vulnerabilities.CRITICAL",
        "trivy.vulnerabilities.HIGH",
        "trivy.vulnerabilities.MEDIUM",
        "trivy.vulnerabilities.LOW",
        "trivy.vulnerabilities.UNKNOWN",
    ])
}

#[tokio::test]
async fn accepted_202_with_exact_lines_and_headers() {
    let fake = FakeDynatrace::start();
    let sink = DynatraceSink::new(config(&fake)).unwrap();
    let result = sink.push(&snapshot(ALPINE_IMAGE, &ALPINE)).await;
    assert_accounted(&seed_keys(), &result);
    let report = result.unwrap();
    assert_eq!(report.accepted, seed_keys());
    assert!(report.rejected.is_empty());
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].path, "/api/v2/metrics/ingest");
    assert_eq!(reqs[0].status, 202);
    assert_eq!(
        reqs[0].authorization.as_deref(),
        Some(format!("Api-Token {TOKEN}").as_str())
    );
    assert_eq!(
        reqs[0].content_type.as_deref(),
        Some("text/plain; charset=utf-8")
    );
    insta::assert_snapshot!("dynatrace_alpine_fixture_received", reqs[0].body);
    assert_eq!(fake.lines().len(), 6);
    let critical = fake
        .stored()
        .into_iter()
        .find(|d| d.key == "trivy.vulnerabilities.CRITICAL")
        .unwrap();
    assert_eq!(critical.value, 6.0);
    assert_eq!(
        critical.dimensions["image"],
        "127.0.0.1:5000/fixture/alpine-vulnerable"
    );
    assert_eq!(critical.dimensions["tag"], "3.14");
}

#[tokio::test]
async fn dimensional_mode_and_hostile_names_pass_the_strict_validator() {
    let fake = FakeDynatrace::start();
    let mut c = config(&fake);
    c.mode = DynatraceMode::Dimensional;
    let sink = DynatraceSink::new(c).unwrap();
    let snap = snapshot(
        "ghcr.io/we\"ird\\name, x=y:1.0 beta",
        &[("CRITICAL", 2), ("LOW", 1)],
    );
    let report = sink.push(&snap).await.unwrap();
    assert_eq!(report.accepted.len(), 2, "{report:?}");
    assert!(report.rejected.is_empty());
    let stored = fake.stored();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].key, "trivy.image.vulnerabilities");
    assert_eq!(stored[0].dimensions["severity"], "CRITICAL");
    assert_eq!(stored[0].dimensions["image"], "ghcr.io/we\"ird\\name, x=y");
    assert_eq!(stored[0].dimensions["tag"], "1.0 beta");
}

#[tokio::test]
async fn oneagent_endpoint_without_token() {
    let fake = FakeDynatrace::start();
    let mut c = DynatraceConfig::new(Url::parse(&fake.oneagent_url()).unwrap(), None);
    c.retry = fast_retry(1);
    let sink = DynatraceSink::new(c).unwrap();
    assert_eq!(sink.url().path(), "/metrics/ingest");
    let result = sink
        .push(&snapshot("nginx:1.21.1", &[("CRITICAL", 8)]))
        .await;
    assert_accounted(
        &strings(&[
            "trivy.vulnerabilities.total",
            "trivy.vulnerabilities.CRITICAL",
        ]),
        &result,
    );
    assert!(result.unwrap().rejected.is_empty());
    let reqs = fake.requests();
    assert_eq!(reqs[0].authorization, None);
    assert_eq!(reqs[0].path, "/metrics/ingest");
}

#[tokio::test]
async fn partial_acceptance_is_reported_per_line_and_not_retried() {
    let fake = FakeDynatrace::start();
    fake.reject_key(
        "trivy.vulnerabilities.HIGH",
        "metric key trivy.vulnerabilities.HIGH is already registered with payload type count",
    );
    let sink = DynatraceSink::new(config(&fake)).unwrap();
    let result = sink.push(&snapshot(ALPINE_IMAGE, &ALPINE)).await;
    assert_accounted(&seed_keys(), &result);
    let report = result.unwrap();
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].metric, "trivy.vulnerabilities.HIGH");
    assert!(report.rejected[0].reason.contains("payload type count"));
    assert_eq!(report.accepted.len(), 5);
    assert_eq!(fake.request_count(), 1, "a 400 must not be retried");
    assert_eq!(fake.requests()[0].status, 400);
    assert_eq!(fake.lines().len(), 5);
}

#[tokio::test]
async fn a_400_with_no_line_accepted_is_a_failure() {
    let fake = FakeDynatrace::start();
    for k in seed_keys() {
        fake.reject_key(&k, "rejected by policy");
    }
    let sink = DynatraceSink::new(config(&fake)).unwrap();
    let result = sink.push(&snapshot(ALPINE_IMAGE, &ALPINE)).await;
    assert_accounted(&seed_keys(), &result);
    let err = result.unwrap_err();
    assert_eq!(err.kind, SinkErrorKind::Rejected);
    assert!(err.message.contains("rejected by policy"), "{err}");
    assert_eq!(fake.request_count(), 1);
}

#[tokio::test]
async fn unauthorized_fails_at_once_without_retry() {
    let fake = FakeDynatrace::start();
    let mut c = config(&fake);
    c.token = Some(SecretString::from("dt0c01.WRONGTOKENMARKER"));
    let sink = DynatraceSink::new(c).unwrap();
    let result = sink.push(&snapshot(ALPINE_IMAGE, &ALPINE)).await;
    assert_accounted(&seed_keys(), &result);
    let err = result.unwrap_err();
    assert_eq!(err.kind, SinkErrorKind::Auth);
    assert!(err.message.contains("check the token"), "{err}");
    assert!(!format!("{err} {err:?}").contains("WRONGTOKENMARKER"));
    assert_eq!(fake.request_count(), 1, "401 must not be retried");
}

#[tokio::test]
async fn forbidden_and_not_found_explain_themselves() {
    let fake = FakeDynatrace::start();
    fake.script([Reply::Status(403)]);
    let sink = DynatraceSink::new(config(&fake)).unwrap();
    let err = sink
        .push(&snapshot("a:1", &[("LOW", 1)]))
        .await
        .unwrap_err();
    assert_eq!(err.kind, SinkErrorKind::Auth);
    assert!(err.message.contains("metrics.ingest scope"), "{err}");

    let mut c = config(&fake);
    c.url = Url::parse(&format!("{}/wrong/prefix", fake.url())).unwrap();
    let sink = DynatraceSink::new(c).unwrap();
    let err = sink
        .push(&snapshot("a:1", &[("LOW", 1)]))
        .await
        .unwrap_err();
    assert!(
        err.message.contains("HTTP 404") && err.message.contains("wrong URL"),
        "{err}"
    );
    assert_eq!(err.unsent.len(), 2);
    assert_eq!(
        fake.request_count(),
        1,
        "the 404 never reached the ingest route"
    );
}

#[tokio::test]
async fn payload_too_large_splits_the_batch() {
    let fake = FakeDynatrace::start();
    fake.set_max_body_bytes(300);
    let sink = DynatraceSink::new(config(&fake)).unwrap();
    let result = sink.push(&snapshot(ALPINE_IMAGE, &ALPINE)).await;
    assert_accounted(&seed_keys(), &result);
    assert_eq!(result.unwrap().accepted.len(), 6);
    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [413, 202, 202]);
    assert_eq!(fake.lines().len(), 6);
}

#[tokio::test]
async fn a_single_line_over_the_limit_fails_clearly() {
    let fake = FakeDynatrace::start();
    fake.set_max_body_bytes(20);
    let sink = DynatraceSink::new(config(&fake)).unwrap();
    let result = sink.push(&snapshot("nginx:1", &[("LOW", 1)])).await;
    assert_accounted(
        &strings(&["trivy.vulnerabilities.total", "trivy.vulnerabilities.LOW"]),
        &result,
    );
    let err = result.unwrap_err();
    assert!(err.message.contains("413"), "{err}");
    assert_eq!(
        fake.request_count(),
        2,
        "one 413 for the pair, one for its first half"
    );
}

#[tokio::test]
async fn throttled_then_accepted_honours_retry_after() {
    let fake = FakeDynatrace::start();
    fake.script([Reply::StatusRetryAfter(429, 1)]);
    let sink = DynatraceSink::new(config(&fake)).unwrap();
    let start = Instant::now();
    let result = sink.push(&snapshot(ALPINE_IMAGE, &ALPINE)).await;
    assert_accounted(&seed_keys(), &result);
    assert!(result.is_ok(), "{result:?}");
    assert!(
        start.elapsed() >= Duration::from_millis(950),
        "Retry-After: 1 was not honoured"
    );
    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 202]);
}

#[tokio::test]
async fn unavailable_forever_fails_after_the_retries() {
    let fake = FakeDynatrace::start();
    fake.set_fallback(Reply::Status(503));
    let sink = DynatraceSink::new(config(&fake)).unwrap();
    let result = sink.push(&snapshot(ALPINE_IMAGE, &ALPINE)).await;
    assert_accounted(&seed_keys(), &result);
    let err = result.unwrap_err();
    assert_eq!(err.kind, SinkErrorKind::Unavailable);
    assert!(
        err.message.contains("503") && err.message.contains("3 attempts"),
        "{err}"
    );
    assert_eq!(fake.request_count(), 3);
    assert!(fake.lines().is_empty());
}

#[tokio::test]
async fn connection_refused_is_unavailable() {
    let addr = test_support::net::refused_addr();
    let mut c = DynatraceConfig::new(
        Url::parse(&format!("http://{addr}")).unwrap(),
        Some(SecretString::from(TOKEN)),
    );
    c.retry = fast_retry(2);
    let sink = DynatraceSink::new(c).unwrap();
    let result = sink.push(&snapshot(ALPINE_IMAGE, &ALPINE)).await;
    assert_accounted(&seed_keys(), &result);
    let err = result.unwrap_err();
    assert_eq!(err.kind, SinkErrorKind::Unavailable);
    assert!(err.message.contains("could not connect"), "{err}");
}

#[tokio::test]
async fn a_slow_server_hits_the_timeout() {
    let fake = FakeDynatrace::start();
    fake.set_fallback(Reply::Delay(Duration::from_secs(5)));
    let mut c = config(&fake);
    c.http.timeout = Duration::from_millis(400);
    c.retry = fast_retry(2);
    let sink = DynatraceSink::new(c).unwrap();
    let start = Instant::now();
    let result = sink.push(&snapshot(ALPINE_IMAGE, &ALPINE)).await;
    assert_accounted(&seed_keys(), &result);
    let err = result.unwrap_err();
    assert!(err.message.contains("timed out"), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "took {:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn the_query_endpoint_reads_back_what_was_ingested() {
    let fake = FakeDynatrace::start();
    let sink = DynatraceSink::new(config(&fake)).unwrap();
    sink.push(&snapshot(ALPINE_IMAGE, &ALPINE)).await.unwrap();
    let client = http_policy::client_builder().build().unwrap();
    let resp = client
        .get(format!("{}/api/v2/metrics/query", fake.url()))
        .query(&[("metricSelector", "trivy.vulnerabilities.CRITICAL")])
        .header("Authorization", format!("Api-Token {TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["result"][0]["data"][0]["values"][0], 6.0);
    assert_eq!(v["result"][0]["data"][0]["dimensionMap"]["tag"], "3.14");
}

#[tokio::test]
async fn the_fake_answers_bad_lines_like_the_api() {
    let fake = FakeDynatrace::start();
    let client = http_policy::client_builder().build().unwrap();
    let post = |body: &'static str, ct: &'static str| {
        client
            .post(format!("{}/api/v2/metrics/ingest", fake.url()))
            .header("Authorization", format!("Api-Token {TOKEN}"))
            .header("Content-Type", ct)
            .body(body)
            .send()
    };
    let resp = post(
        "trivy.vulnerabilities.HIGH,image=\"a\" 1\n1bad.key 2\na.b.c,Upper=\"x\" 3\n",
        "text/plain; charset=utf-8",
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 400);
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["linesOk"], 1);
    assert_eq!(v["linesInvalid"], 2);
    assert_eq!(v["warnings"], serde_json::Value::Null);
    assert_eq!(v["error"]["code"], 400);
    assert_eq!(v["error"]["message"], "2 invalid lines");
    assert_eq!(v["error"]["invalidLines"][0]["line"], 2);
    assert_eq!(v["error"]["invalidLines"][1]["line"], 3);
    assert!(
        v["error"]["invalidLines"][1]["error"]
            .as_str()
            .unwrap()
            .contains("Upper")
    );
    let resp = post("a.b.c 1\n", "application/json").await.unwrap();
    assert_eq!(resp.status(), 415);
    let resp = client
        .post(format!("{}/api/v2/metrics/ingest", fake.url()))
        .header("Content-Type", "text/plain; charset=utf-8")
        .body("a.b.c 1\n")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(fake.lines(), ["trivy.vulnerabilities.HIGH,image=\"a\" 1"]);
}

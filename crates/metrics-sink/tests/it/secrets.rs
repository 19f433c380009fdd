//! Tokens never show in `Debug`, errors or messages.

use metrics_sink::{
    DynatraceConfig, DynatraceSink, MetricsSink, OtlpConfig, OtlpSink, PushgatewayConfig,
    PushgatewaySink, Url,
};
use secrecy::SecretString;
use test_support::dynatrace::{FakeDynatrace, Reply};
use test_support::otlp::FakeOtlp;

use crate::{fast_retry, snapshot};

const MARKER: &str = "dt0c01.MARKERPUBLIC.MARKERSECRETVALUE42";

#[tokio::test]
async fn configs_sinks_and_errors_never_show_the_token() {
    let dt = FakeDynatrace::start_with_token(Some("another-token"));
    dt.set_fallback(Reply::Normal);
    let mut dc = DynatraceConfig::new(
        Url::parse(&dt.url()).unwrap(),
        Some(SecretString::from(MARKER)),
    );
    dc.retry = fast_retry(1);
    let otlp = FakeOtlp::start();
    otlp.script([401]);
    let mut oc = OtlpConfig::new(Url::parse(&otlp.metrics_url()).unwrap());
    oc.headers = vec![(
        "Authorization".into(),
        SecretString::from(format!("Api-Token {MARKER}")),
    )];
    oc.retry = fast_retry(1);
    let mut pc = PushgatewayConfig::new(
        Url::parse(&format!(
            "http://user:{}@{}/",
            "MARKERSECRETVALUE42",
            test_support::net::refused_addr()
        ))
        .unwrap(),
    );
    pc.retry = fast_retry(1);

    let mut text = format!("{dc:?} {oc:?} {pc:?}");
    let d = DynatraceSink::new(dc).unwrap();
    let o = OtlpSink::new(oc).unwrap();
    let p = PushgatewaySink::new(pc).unwrap();
    text.push_str(&format!("{d:?} {o:?} {p:?}"));
    let snap = snapshot("nginx:1", &[("CRITICAL", 1)]);
    for result in [
        d.push(&snap).await,
        o.push(&snap).await,
        p.push(&snap).await,
    ] {
        let err = result.expect_err("each push fails (wrong token, 401, refused)");
        text.push_str(&format!("{err} {err:?}"));
    }
    assert!(text.contains("[REDACTED]"), "{text}");
    assert!(
        !text.contains("MARKERSECRETVALUE42"),
        "a secret leaked: {text}"
    );
    // ... while the token did reach the servers.
    assert!(
        dt.requests()[0]
            .authorization
            .as_deref()
            .unwrap()
            .contains(MARKER)
    );
}

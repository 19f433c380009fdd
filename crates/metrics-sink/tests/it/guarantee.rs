//! The guarantee, scenario by scenario and through a fan-out: every metric a sink sends is
//! acknowledged, or named as rejected, or named as unsent. Nothing is dropped silently.

use std::time::Duration;

use metrics_sink::{
    DynatraceConfig, DynatraceSink, FanOut, MetricsSink, OtlpConfig, OtlpProtocol, OtlpSink,
    PushgatewayConfig, PushgatewaySink, Url,
};
use secrecy::SecretString;
use test_support::dynatrace::{FakeDynatrace, Reply, TOKEN};
use test_support::otlp::FakeOtlp;

use crate::{ALPINE, ALPINE_IMAGE, assert_accounted, fast_retry, snapshot};

fn dynatrace_names() -> Vec<String> {
    let mut v = vec!["trivy.vulnerabilities.total".to_owned()];
    v.extend(
        ALPINE
            .iter()
            .map(|(s, _)| format!("trivy.vulnerabilities.{s}")),
    );
    v
}

#[tokio::test]
async fn every_dynatrace_scenario_accounts_for_every_metric() {
    type Setup = fn(&FakeDynatrace);
    let scenarios: [(&str, Setup); 8] = [
        ("202", |_| {}),
        ("400 partial", |f| {
            f.reject_key("trivy.vulnerabilities.LOW", "invalid")
        }),
        ("400 all", |f| {
            for k in dynatrace_names() {
                f.reject_key(&k, "invalid");
            }
        }),
        ("401", |f| f.script([Reply::Status(401)])),
        ("413 split", |f| f.set_max_body_bytes(250)),
        ("429 then 202", |f| {
            f.script([Reply::StatusRetryAfter(429, 0)])
        }),
        ("503 forever", |f| f.set_fallback(Reply::Status(503))),
        ("slow", |f| {
            f.set_fallback(Reply::Delay(Duration::from_secs(3)))
        }),
    ];
    for (name, setup) in scenarios {
        let fake = FakeDynatrace::start();
        setup(&fake);
        let mut c = DynatraceConfig::new(
            Url::parse(&fake.url()).unwrap(),
            Some(SecretString::from(TOKEN)),
        );
        c.retry = fast_retry(2);
        c.http.timeout = Duration::from_millis(500);
        let result = DynatraceSink::new(c)
            .unwrap()
            .push(&snapshot(ALPINE_IMAGE, &ALPINE))
            .await;
        assert_accounted(&dynatrace_names(), &result);
        // What the fake stored is exactly what was acknowledged.
        if let Ok(r) = &result {
            assert_eq!(fake.lines().len(), r.accepted.len(), "{name}");
        }
    }
}

#[tokio::test]
async fn a_fan_out_accounts_for_every_metric_of_every_sink() {
    let dt = FakeDynatrace::start();
    dt.set_fallback(Reply::Status(503));
    let otlp = FakeOtlp::start();
    otlp.set_partial_success(1, "one point dropped");
    let refused = test_support::net::refused_addr();

    let mut dc = DynatraceConfig::new(
        Url::parse(&dt.url()).unwrap(),
        Some(SecretString::from(TOKEN)),
    );
    dc.retry = fast_retry(2);
    let mut oc = OtlpConfig::new(Url::parse(&otlp.metrics_url()).unwrap());
    oc.protocol = OtlpProtocol::Json;
    let mut pc = PushgatewayConfig::new(Url::parse(&format!("http://{refused}")).unwrap());
    pc.retry = fast_retry(1);

    let mut f = FanOut::new();
    f.add(Box::new(DynatraceSink::new(dc).unwrap()));
    f.add(Box::new(OtlpSink::new(oc).unwrap()));
    f.add(Box::new(PushgatewaySink::new(pc).unwrap()));
    let out = f.push_all(&snapshot(ALPINE_IMAGE, &ALPINE)).await;
    assert_eq!(out.len(), 3);
    assert!(out.iter().all(metrics_sink::SinkOutcome::is_failure));
    assert_accounted(&dynatrace_names(), &out[0].result);
    let otlp_names: Vec<String> = ALPINE
        .iter()
        .map(|(s, _)| format!("trivy.image.vulnerabilities{{vulnerability.severity=\"{s}\"}}"))
        .collect();
    assert_accounted(&otlp_names, &out[1].result);
    let pg_names: Vec<String> = ["Critical", "High", "Medium", "Low", "Unknown"]
        .iter()
        .map(|s| format!("trivy_image_vulnerabilities{{severity=\"{s}\"}}"))
        .collect();
    assert_accounted(&pg_names, &out[2].result);
    // The sinks are independent: the OTLP receiver got its data despite the other failures.
    assert_eq!(otlp.received().len(), 1);
    assert_eq!(f.names(), ["dynatrace", "otlp", "pushgateway"]);
    // MetricsSink is object safe and named.
    let s: &dyn MetricsSink =
        &OtlpSink::new(OtlpConfig::new(Url::parse(&otlp.metrics_url()).unwrap())).unwrap();
    assert_eq!(s.name(), "otlp");
}

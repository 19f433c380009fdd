//! Response bodies are bounded (issue 12 item 1): a backend that answers with an endless body
//! or a huge `Content-Length` is refused at `METRICS_RESPONSE_LIMIT` (4 MiB), with every metric
//! named as unsent, never read whole.

use metrics_sink::{
    DynatraceConfig, DynatraceSink, MetricsSink, OtlpConfig, OtlpSink, PushgatewayConfig,
    PushgatewaySink, SinkErrorKind, Url,
};
use secrecy::SecretString;
use test_support::raw_http::{Act, RawServer};

use crate::{ALPINE, ALPINE_IMAGE, fast_retry, snapshot};

fn faults() -> [(&'static str, Act); 3] {
    [
        ("endless 200", Act::Endless(200, "application/json")),
        (
            "huge Content-Length",
            Act::DeclaredLength(202, "application/json", 1 << 40),
        ),
        ("endless 400", Act::Endless(400, "application/json")),
    ]
}

fn sinks(url: &str) -> Vec<Box<dyn MetricsSink>> {
    let url = Url::parse(url).unwrap();
    let mut dc = DynatraceConfig::new(
        url.join("/api/v2/metrics/ingest").unwrap(),
        Some(SecretString::from("dt0c01.BOUNDED.BODYTEST")),
    );
    dc.retry = fast_retry(1);
    let mut oc = OtlpConfig::new(url.join("/v1/metrics").unwrap());
    oc.retry = fast_retry(1);
    let mut pc = PushgatewayConfig::new(url);
    pc.retry = fast_retry(1);
    vec![
        Box::new(DynatraceSink::new(dc).unwrap()),
        Box::new(OtlpSink::new(oc).unwrap()),
        Box::new(PushgatewaySink::new(pc).unwrap()),
    ]
}

#[tokio::test]
async fn every_sink_refuses_an_endless_or_oversized_answer() {
    for (fault, act) in faults() {
        let server = RawServer::always(act);
        for sink in sinks(&server.url()) {
            let err = sink
                .push(&snapshot(ALPINE_IMAGE, &ALPINE))
                .await
                .expect_err(fault);
            assert_eq!(err.kind, SinkErrorKind::Unavailable, "{fault}: {err:?}");
            assert!(
                err.message.contains("larger than 4 MiB"),
                "{}: {fault}: {err:?}",
                sink.name()
            );
            assert!(!err.unsent.is_empty(), "{fault}: {err:?}");
        }
    }
}

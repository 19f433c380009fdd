//! `push_batch`: many images' series in few requests, one result per image, nothing lost.

use metrics_sink::{
    DynatraceConfig, DynatraceSink, FanOut, MetricsSink, OtlpConfig, OtlpSink, SharedBuffer,
    SinkErrorKind, Snapshot, StdoutFormat, StdoutSink, Url,
};
use secrecy::SecretString;
use test_support::dynatrace::{FakeDynatrace, Reply, TOKEN};
use test_support::otlp::{FakeOtlp, resource_attributes};

use crate::{ALPINE, assert_accounted, fast_retry, snapshot};

fn fleet(n: usize) -> Vec<Snapshot> {
    (0..n)
        .map(|i| snapshot(&format!("reg.example/team-{i}/app:{i}"), &ALPINE))
        .collect()
}

fn dynatrace(fake: &FakeDynatrace, attempts: u32) -> DynatraceSink {
    let mut c = DynatraceConfig::new(
        Url::parse(&fake.url()).unwrap(),
        Some(SecretString::from(TOKEN)),
    );
    c.retry = fast_retry(attempts);
    DynatraceSink::new(c).unwrap()
}

fn seed_keys() -> Vec<String> {
    ["total", "CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"]
        .iter()
        .map(|k| format!("trivy.vulnerabilities.{k}"))
        .collect()
}

#[tokio::test]
async fn dynatrace_fills_requests_up_to_1000_lines() {
    let fake = FakeDynatrace::start();
    let sink = dynatrace(&fake, 1);
    let snapshots = fleet(200);
    let results = sink.push_batch(&snapshots).await;
    assert_eq!(results.len(), 200);
    for r in &results {
        assert_accounted(&seed_keys(), r);
    }
    // 1,200 lines: two requests, the first full.
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].body.lines().count(), 1000);
    assert_eq!(fake.lines().len(), 1200);
    assert!(
        fake.lines()
            .iter()
            .any(|l| l.contains("image=\"reg.example/team-199/app\""))
    );
}

#[tokio::test]
async fn dynatrace_failure_after_a_first_request_names_the_images_not_stored() {
    let fake = FakeDynatrace::start();
    fake.script([Reply::Normal, Reply::Status(500)]);
    fake.set_fallback(Reply::Status(500));
    let sink = dynatrace(&fake, 1);
    let snapshots = fleet(200);
    let results = sink.push_batch(&snapshots).await;
    for (i, r) in results.iter().enumerate() {
        if i != 166 {
            assert_accounted(&seed_keys(), r);
        }
    }
    // The first 1,000 lines (images 0..166, and 4 lines of image 166) were stored.
    let ok = results.iter().take_while(|r| r.is_ok()).count();
    assert_eq!(ok, 166);
    assert!(results[166..].iter().all(Result::is_err));
    let e = results[199].as_ref().unwrap_err();
    assert_eq!(e.kind, SinkErrorKind::Unavailable);
    assert!(e.message.contains("500"), "{}", e.message);
    // Image 166 lost only the lines that were in the second request.
    let split = results[166].as_ref().unwrap_err();
    assert_eq!(
        split.unsent,
        ["trivy.vulnerabilities.LOW", "trivy.vulnerabilities.UNKNOWN"],
        "{split:?}"
    );
    assert_eq!(fake.lines().len(), 1000);
}

#[tokio::test]
async fn otlp_sends_one_resource_per_image_in_one_request() {
    let fake = FakeOtlp::start();
    let mut c = OtlpConfig::new(Url::parse(&fake.metrics_url()).unwrap());
    c.retry = fast_retry(1);
    let sink = OtlpSink::new(c).unwrap();
    let snapshots = fleet(3);
    let results = sink.push_batch(&snapshots).await;
    let expected: Vec<String> = ALPINE
        .iter()
        .map(|(s, _)| format!("trivy.image.vulnerabilities{{vulnerability.severity=\"{s}\"}}"))
        .collect();
    for r in &results {
        assert_accounted(&expected, r);
    }
    let got = fake.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].request.resource_metrics.len(), 3);
    let names: Vec<String> = got[0]
        .request
        .resource_metrics
        .iter()
        .map(|rm| {
            let one =
                opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest {
                    resource_metrics: vec![rm.clone()],
                };
            resource_attributes(&one)
                .into_iter()
                .find(|(k, _)| k == "container.image.name")
                .map(|(_, v)| v)
                .unwrap()
        })
        .collect();
    assert_eq!(
        names,
        [
            "reg.example/team-0/app",
            "reg.example/team-1/app",
            "reg.example/team-2/app"
        ]
    );
    // The receiver refusing the request: every image is named with every point unsent.
    fake.script([401]);
    let results = sink.push_batch(&snapshots).await;
    for r in &results {
        assert_accounted(&expected, r);
        assert_eq!(r.as_ref().unwrap_err().kind, SinkErrorKind::Auth);
    }
}

#[tokio::test]
async fn fan_out_gives_each_sink_a_result_per_image() {
    let buf = SharedBuffer::default();
    let fake = FakeDynatrace::start();
    let mut fanout = FanOut::new();
    fanout.add(Box::new(StdoutSink::to_writer(
        StdoutFormat::Text,
        buf.clone(),
    )));
    fanout.add(Box::new(dynatrace(&fake, 1)));
    let snapshots = fleet(4);
    let outcomes = fanout.push_batch(&snapshots).await;
    assert_eq!(outcomes.len(), 2);
    for o in &outcomes {
        assert_eq!(o.results.len(), 4, "{}", o.sink);
        assert!(
            o.results.iter().all(Result::is_ok),
            "{}: {:?}",
            o.sink,
            o.results
        );
    }
    // The stdout sink (the trait's default: one push per snapshot) wrote every image.
    let text = buf.take();
    assert_eq!(text.matches("reg.example/team-3/app").count(), 6, "{text}");
    assert!(buf.contents().is_empty());
}

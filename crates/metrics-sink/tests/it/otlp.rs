use std::collections::HashMap;

use metrics_sink::{MetricsSink, OtlpConfig, OtlpProtocol, OtlpSink, SinkErrorKind, Url};
use secrecy::SecretString;
use test_support::otlp::{Encoding, FakeOtlp, points, resource_attributes};

use crate::{ALPINE, ALPINE_IMAGE, assert_accounted, fast_retry, snapshot};

fn expected() -> Vec<String> {
    ALPINE
        .iter()
        .map(|(s, _)| format!("trivy.image.vulnerabilities{{vulnerability.severity=\"{s}\"}}"))
        .collect()
}

fn config(fake: &FakeOtlp, protocol: OtlpProtocol) -> OtlpConfig {
    let mut c = OtlpConfig::new(Url::parse(&fake.metrics_url()).unwrap());
    c.protocol = protocol;
    c.headers = vec![(
        "Authorization".into(),
        SecretString::from("Api-Token dt0c01.OTLPTOKEN"),
    )];
    c.retry = fast_retry(3);
    c
}

async fn export_and_check(protocol: OtlpProtocol, encoding: Encoding) {
    let fake = FakeOtlp::start();
    let sink = OtlpSink::new(config(&fake, protocol)).unwrap();
    let result = sink.push(&snapshot(ALPINE_IMAGE, &ALPINE)).await;
    assert_accounted(&expected(), &result);
    assert!(result.unwrap().rejected.is_empty());
    let got = fake.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].encoding, encoding);
    let headers: HashMap<_, _> = got[0].headers.iter().cloned().collect();
    assert_eq!(headers["authorization"], "Api-Token dt0c01.OTLPTOKEN");
    let res: HashMap<_, _> = resource_attributes(&got[0].request).into_iter().collect();
    assert_eq!(res["service.name"], "vulngate");
    assert_eq!(
        res["container.image.name"],
        "127.0.0.1:5000/fixture/alpine-vulnerable"
    );
    assert_eq!(res["container.image.tags"], "[3.14]");
    let pts = points(&got[0].request);
    assert_eq!(pts.len(), 5);
    for (p, (sev, n)) in pts.iter().zip(ALPINE) {
        assert_eq!(p.metric, "trivy.image.vulnerabilities");
        assert_eq!(p.kind, "gauge");
        assert_eq!(p.unit, "{vulnerability}");
        assert_eq!(
            p.attributes,
            [("vulnerability.severity".to_owned(), sev.to_owned())]
        );
        assert_eq!(p.as_int, Some(i64::try_from(n).unwrap()));
        assert!(p.time_unix_nano > 1_700_000_000_000_000_000);
    }
}

#[tokio::test]
async fn protobuf_export_decodes_with_the_proto_types() {
    export_and_check(OtlpProtocol::Protobuf, Encoding::Protobuf).await;
}

#[tokio::test]
async fn json_export_follows_the_otlp_json_rules() {
    export_and_check(OtlpProtocol::Json, Encoding::Json).await;
    let fake = FakeOtlp::start();
    let sink = OtlpSink::new(config(&fake, OtlpProtocol::Json)).unwrap();
    sink.push(&snapshot("nginx:1.21.1", &[("CRITICAL", 8)]))
        .await
        .unwrap();
    let raw = String::from_utf8(fake.received()[0].raw.clone()).unwrap();
    assert!(
        raw.contains(r#""resourceMetrics""#) && raw.contains(r#""dataPoints""#),
        "{raw}"
    );
    assert!(
        raw.contains(r#""asInt":"8""#),
        "int64 must be a string: {raw}"
    );
    assert!(
        !raw.contains("data_points") && !raw.contains("time_unix_nano"),
        "{raw}"
    );
}

#[tokio::test]
async fn partial_success_is_reported_as_rejected_in_both_encodings() {
    for protocol in [OtlpProtocol::Protobuf, OtlpProtocol::Json] {
        let fake = FakeOtlp::start();
        fake.set_partial_success(2, "2 data points had invalid attributes");
        let sink = OtlpSink::new(config(&fake, protocol)).unwrap();
        let result = sink.push(&snapshot(ALPINE_IMAGE, &ALPINE)).await;
        assert_accounted(&expected(), &result);
        let report = result.unwrap();
        assert_eq!(
            report.rejected.len(),
            5,
            "{protocol:?}: OTLP does not say which points"
        );
        assert!(report.rejected[0].reason.contains("2 of 5"), "{report:?}");
        assert!(
            report.rejected[0].reason.contains("invalid attributes"),
            "{report:?}"
        );
        assert_eq!(fake.hits(), 1, "a partial success must not be retried");
    }
    // rejectedDataPoints = 0 with a message is a warning, not a rejection.
    let fake = FakeOtlp::start();
    fake.set_partial_success(0, "deprecated attribute");
    let sink = OtlpSink::new(config(&fake, OtlpProtocol::Json)).unwrap();
    let report = sink.push(&snapshot(ALPINE_IMAGE, &ALPINE)).await.unwrap();
    assert!(report.rejected.is_empty());
    assert_eq!(report.accepted.len(), 5);
    assert!(report.notes[0].contains("deprecated attribute"));
}

#[tokio::test]
async fn bad_request_is_not_retried_and_unavailable_is() {
    let fake = FakeOtlp::start();
    fake.script([400]);
    let sink = OtlpSink::new(config(&fake, OtlpProtocol::Protobuf)).unwrap();
    let result = sink.push(&snapshot(ALPINE_IMAGE, &ALPINE)).await;
    assert_accounted(&expected(), &result);
    let err = result.unwrap_err();
    assert_eq!(err.kind, SinkErrorKind::Rejected);
    assert!(
        err.message.contains("400") && err.message.contains("scripted failure"),
        "{err}"
    );
    assert_eq!(fake.hits(), 1);

    let fake = FakeOtlp::start();
    fake.script([503, 503]);
    let sink = OtlpSink::new(config(&fake, OtlpProtocol::Json)).unwrap();
    let result = sink.push(&snapshot(ALPINE_IMAGE, &ALPINE)).await;
    assert_accounted(&expected(), &result);
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(fake.hits(), 3);

    let fake = FakeOtlp::start();
    fake.script([503, 503, 503]);
    let sink = OtlpSink::new(config(&fake, OtlpProtocol::Json)).unwrap();
    let result = sink.push(&snapshot(ALPINE_IMAGE, &ALPINE)).await;
    assert_accounted(&expected(), &result);
    assert_eq!(result.unwrap_err().kind, SinkErrorKind::Unavailable);
}

#[tokio::test]
async fn configured_from_the_standard_environment() {
    let fake = FakeOtlp::start();
    let base = fake.base_url();
    let env = move |k: &str| match k {
        "OTEL_EXPORTER_OTLP_ENDPOINT" => Some(base.clone()),
        "OTEL_EXPORTER_OTLP_PROTOCOL" => Some("http/json".to_owned()),
        "OTEL_EXPORTER_OTLP_HEADERS" => Some("x-api-key=abc%3D".to_owned()),
        "OTEL_RESOURCE_ATTRIBUTES" => Some("deployment.environment=ci".to_owned()),
        _ => None,
    };
    let mut c = OtlpConfig::from_env(None, None, false, env).unwrap();
    c.retry = fast_retry(1);
    let sink = OtlpSink::new(c).unwrap();
    sink.push(&snapshot("nginx:1", &[("HIGH", 3)]))
        .await
        .unwrap();
    let got = fake.received();
    assert_eq!(got[0].encoding, Encoding::Json);
    assert!(
        got[0]
            .headers
            .contains(&("x-api-key".to_owned(), "abc=".to_owned()))
    );
    let res: HashMap<_, _> = resource_attributes(&got[0].request).into_iter().collect();
    assert_eq!(res["deployment.environment"], "ci");
}

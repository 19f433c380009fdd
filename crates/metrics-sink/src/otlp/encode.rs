//! The pure half of the OTLP sink: a snapshot as an `ExportMetricsServiceRequest`, encoded as
//! protobuf or as OTLP/JSON.

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, InstrumentationScope, KeyValue, any_value,
};
use opentelemetry_proto::tonic::metrics::v1::{
    Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, metric, number_data_point,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message as _;

use super::OtlpProtocol;
use crate::{Snapshot, names};

/// Unit of the gauge (a UCUM annotation: a count of vulnerabilities).
pub const UNIT: &str = "{vulnerability}";
/// Description of the gauge.
pub const DESCRIPTION: &str = "Vulnerabilities reported by Trivy for the scanned image";
/// `service.name` when the user set none.
pub const DEFAULT_SERVICE_NAME: &str = "vulngate";

fn string_kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.to_owned())),
        }),
        ..KeyValue::default()
    }
}

fn array_kv(key: &str, values: &[String]) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::ArrayValue(ArrayValue {
                values: values
                    .iter()
                    .map(|v| AnyValue {
                        value: Some(any_value::Value::StringValue(v.clone())),
                    })
                    .collect(),
            })),
        }),
        ..KeyValue::default()
    }
}

/// Description of the `vulngate.sli` gauge.
pub const SLI_DESCRIPTION: &str =
    "An exploitability or hygiene SLI of the image (see the sli attribute)";

/// The name messages use for one data point.
#[must_use]
pub fn point_name(severity: &str) -> String {
    format!(
        "{}{{{}=\"{severity}\"}}",
        names::VULNERABILITIES,
        names::SEVERITY
    )
}

/// Builds the request: one resource (`service.name`, the user's resource attributes,
/// `container.image.name`, `container.image.tags`, and `container.image.repo_digests` when the
/// digest is known), one scope, one gauge `trivy.image.vulnerabilities` with an integer data
/// point per severity carrying `vulnerability.severity`. No total (aggregate instead).
/// Returns the request and the data points' names.
#[must_use]
pub fn build_request(
    snapshot: &Snapshot,
    resource_attributes: &[(String, String)],
) -> (ExportMetricsServiceRequest, Vec<String>) {
    let image = &snapshot.image;
    let ours = [
        "vulnerability.scanner.name",
        "container.image.name",
        "container.image.tags",
        "container.image.repo_digests",
    ];
    let service = resource_attributes
        .iter()
        .rev()
        .find(|(k, _)| k == "service.name")
        .map_or(DEFAULT_SERVICE_NAME, |(_, v)| v.as_str());
    let mut attrs = vec![string_kv("service.name", service)];
    for (k, v) in resource_attributes {
        if k != "service.name" && !ours.contains(&k.as_str()) && !attrs.iter().any(|a| &a.key == k)
        {
            attrs.push(string_kv(k, v));
        }
    }
    attrs.push(string_kv("container.image.name", &image.name));
    // No semantic convention names the scanner; `vulnerability.scanner.name` keeps it beside
    // the `vulnerability.severity` point attribute.
    attrs.push(string_kv("vulnerability.scanner.name", &snapshot.scanner));
    if let Some(tag) = &image.tag {
        attrs.push(array_kv("container.image.tags", std::slice::from_ref(tag)));
    }
    if let Some(d) = &image.digest {
        attrs.push(array_kv(
            "container.image.repo_digests",
            &[format!("{}@{d}", image.name)],
        ));
    }
    let time = u64::try_from(snapshot.observed_at.as_nanosecond()).unwrap_or(0);
    let mut points = Vec::new();
    let mut point_names = Vec::new();
    for (severity, m) in snapshot.by_severity() {
        #[allow(clippy::cast_possible_truncation)] // counts: integral, far below i64::MAX
        let value = if m.value.fract() == 0.0 && m.value.is_finite() {
            number_data_point::Value::AsInt(m.value as i64)
        } else {
            number_data_point::Value::AsDouble(m.value)
        };
        points.push(NumberDataPoint {
            attributes: vec![string_kv(names::SEVERITY, severity)],
            time_unix_nano: time,
            value: Some(value),
            ..NumberDataPoint::default()
        });
        point_names.push(point_name(severity));
    }
    let mut sli_points = Vec::new();
    for (sli, m) in snapshot.slis() {
        sli_points.push(NumberDataPoint {
            attributes: vec![string_kv(names::SLI_NAME, sli)],
            time_unix_nano: time,
            value: Some(number_data_point::Value::AsDouble(m.value)),
            ..NumberDataPoint::default()
        });
        point_names.push(format!("{}{{{}=\"{sli}\"}}", names::SLI, names::SLI_NAME));
    }
    let mut metrics = vec![Metric {
        name: names::VULNERABILITIES.to_owned(),
        description: DESCRIPTION.to_owned(),
        unit: UNIT.to_owned(),
        data: Some(metric::Data::Gauge(Gauge {
            data_points: points,
        })),
        ..Metric::default()
    }];
    if !sli_points.is_empty() {
        metrics.push(Metric {
            name: names::SLI.to_owned(),
            description: SLI_DESCRIPTION.to_owned(),
            unit: "1".to_owned(),
            data: Some(metric::Data::Gauge(Gauge {
                data_points: sli_points,
            })),
            ..Metric::default()
        });
    }
    let request = ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(Resource {
                attributes: attrs,
                ..Resource::default()
            }),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: "vulngate".to_owned(),
                    version: env!("CARGO_PKG_VERSION").to_owned(),
                    ..InstrumentationScope::default()
                }),
                metrics,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    };
    (request, point_names)
}

/// The request body in the chosen encoding. JSON follows the OTLP rules (camelCase keys,
/// 64-bit integers as strings, enums as numbers) through `opentelemetry-proto`'s serde support.
///
/// # Errors
/// Only if JSON serialization fails, which the proto types do not do in practice.
pub fn encode(
    request: &ExportMetricsServiceRequest,
    protocol: OtlpProtocol,
) -> Result<Vec<u8>, String> {
    match protocol {
        OtlpProtocol::Protobuf => Ok(request.encode_to_vec()),
        OtlpProtocol::Json => serde_json::to_vec(request).map_err(|e| e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ImageRef;

    fn snap() -> Snapshot {
        Snapshot::vulnerability_counts(
            ImageRef::parse("127.0.0.1:5000/fixture/alpine-vulnerable:3.14"),
            jiff::Timestamp::from_second(1_726_910_000).unwrap(),
            [
                ("CRITICAL", 6),
                ("HIGH", 9),
                ("MEDIUM", 10),
                ("LOW", 2),
                ("UNKNOWN", 2),
            ],
        )
    }

    #[test]
    fn hygiene_slis_are_a_second_gauge() {
        let s = snap().with_slis([
            ("kev_vulnerabilities_total".to_owned(), 1.0),
            ("epss_max".to_owned(), 0.45),
            ("os_eol".to_owned(), 1.0),
        ]);
        let (req, names) = build_request(&s, &[]);
        assert_eq!(names.len(), 8);
        assert_eq!(names[5], "vulngate.sli{sli=\"kev_vulnerabilities_total\"}");
        let body = encode(&req, OtlpProtocol::Json).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        insta::assert_json_snapshot!(
            "hygiene_slis_otlp_json",
            v["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][1]
        );
    }

    #[test]
    fn json_body_snapshot() {
        let (req, names) =
            build_request(&snap(), &[("deployment.environment".into(), "ci".into())]);
        assert_eq!(names.len(), 5);
        let body = encode(&req, OtlpProtocol::Json).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        insta::assert_json_snapshot!("alpine_fixture_otlp_json", v, {
            ".resourceMetrics[].scopeMetrics[].scope.version" => "[version]"
        });
        // OTLP/JSON rules: camelCase, int64 as strings.
        let dp =
            &v["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]["gauge"]["dataPoints"][0];
        assert_eq!(dp["asInt"], "6");
        assert_eq!(dp["timeUnixNano"], "1726910000000000000");
    }

    #[test]
    fn protobuf_roundtrips() {
        let (req, _) = build_request(&snap(), &[("service.name".into(), "gate".into())]);
        let body = encode(&req, OtlpProtocol::Protobuf).unwrap();
        let back = ExportMetricsServiceRequest::decode(body.as_slice()).unwrap();
        assert_eq!(back, req);
        let attrs = &back.resource_metrics[0]
            .resource
            .as_ref()
            .unwrap()
            .attributes;
        assert_eq!(attrs[0], string_kv("service.name", "gate"));
        assert_eq!(attrs.iter().filter(|a| a.key == "service.name").count(), 1);
    }
}

//! An in-process OTLP/HTTP metrics receiver (`POST /v1/metrics`) that decodes both encodings
//! with the `opentelemetry-proto` types (protobuf via prost, OTLP/JSON via the crate's serde
//! support), records every request, and answers like a collector: 200 with an
//! `ExportMetricsServiceResponse` in the request's encoding (optionally a partial success),
//! 400 with a `google.rpc.Status` for undecodable bodies, 415 for other content types, or a
//! scripted status.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsPartialSuccess, ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point};
use prost::Message as _;

use crate::dynatrace::ServerThread;

/// Body encoding of a received request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `application/x-protobuf`.
    Protobuf,
    /// `application/json`.
    Json,
}

/// One decoded export request.
#[derive(Debug, Clone)]
pub struct Received {
    /// How it was encoded.
    pub encoding: Encoding,
    /// All request headers, lower-case names.
    pub headers: Vec<(String, String)>,
    /// The decoded request.
    pub request: ExportMetricsServiceRequest,
    /// The raw body (for JSON: check camelCase and string int64s).
    pub raw: Vec<u8>,
}

/// The receiver's state.
#[derive(Debug, Default)]
pub struct OtlpState {
    /// Statuses for the next requests (answered with a `Status` body, nothing recorded).
    pub script: VecDeque<u16>,
    /// When set, successful answers carry `partialSuccess` with these values.
    pub partial_success: Option<(i64, String)>,
    /// Every decoded request.
    pub received: Vec<Received>,
    /// Number of requests of any kind.
    pub hits: usize,
}

/// The fake receiver.
#[derive(Debug)]
pub struct FakeOtlp {
    state: Arc<Mutex<OtlpState>>,
    server: ServerThread,
}

type Shared = Arc<Mutex<OtlpState>>;

fn lock(s: &Shared) -> MutexGuard<'_, OtlpState> {
    s.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl FakeOtlp {
    /// Starts the receiver on a free loopback port.
    #[must_use]
    pub fn start() -> Self {
        let state: Shared = Arc::default();
        let router = axum::Router::new()
            .route("/v1/metrics", axum::routing::post(export))
            .with_state(state.clone());
        Self {
            state,
            server: ServerThread::serve(router),
        }
    }

    /// `http://127.0.0.1:<port>` (the `OTEL_EXPORTER_OTLP_ENDPOINT` form).
    #[must_use]
    pub fn base_url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// `http://127.0.0.1:<port>/v1/metrics` (the signal URL).
    #[must_use]
    pub fn metrics_url(&self) -> String {
        format!("{}/v1/metrics", self.base_url())
    }

    /// Answers the following successes with a partial success.
    pub fn set_partial_success(&self, rejected: i64, message: &str) {
        lock(&self.state).partial_success = Some((rejected, message.to_owned()));
    }

    /// Queues statuses for the next requests.
    pub fn script(&self, statuses: impl IntoIterator<Item = u16>) {
        lock(&self.state).script.extend(statuses);
    }

    /// Every decoded request.
    #[must_use]
    pub fn received(&self) -> Vec<Received> {
        lock(&self.state).received.clone()
    }

    /// Requests of any kind so far.
    #[must_use]
    pub fn hits(&self) -> usize {
        lock(&self.state).hits
    }

    /// The shared state.
    #[must_use]
    pub fn state(&self) -> Arc<Mutex<OtlpState>> {
        self.state.clone()
    }
}

fn status_body(code: u16, message: &str, json: bool) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if json {
        let body = serde_json::json!({"code": 3, "message": message}).to_string();
        (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
    } else {
        // google.rpc.Status: field 1 code (int32), field 2 message (string).
        let mut buf = Vec::new();
        prost::encoding::int32::encode(1, &3, &mut buf);
        prost::encoding::string::encode(2, &message.to_owned(), &mut buf);
        (
            status,
            [(header::CONTENT_TYPE, "application/x-protobuf")],
            buf,
        )
            .into_response()
    }
}

async fn export(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let encoding = if ct.starts_with("application/x-protobuf") {
        Encoding::Protobuf
    } else if ct.starts_with("application/json") {
        Encoding::Json
    } else {
        lock(&state).hits += 1;
        return status_body(415, &format!("unsupported content type `{ct}`"), false);
    };
    let json = encoding == Encoding::Json;
    let mut s = lock(&state);
    s.hits += 1;
    if let Some(code) = s.script.pop_front() {
        return status_body(code, "scripted failure", json);
    }
    let decoded = match encoding {
        Encoding::Protobuf => {
            ExportMetricsServiceRequest::decode(body.as_ref()).map_err(|e| e.to_string())
        }
        Encoding::Json => {
            serde_json::from_slice::<ExportMetricsServiceRequest>(&body).map_err(|e| e.to_string())
        }
    };
    let request = match decoded {
        Ok(r) => r,
        Err(e) => return status_body(400, &format!("could not decode the request: {e}"), json),
    };
    s.received.push(Received {
        encoding,
        headers: headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    v.to_str().unwrap_or_default().to_owned(),
                )
            })
            .collect(),
        request,
        raw: body.to_vec(),
    });
    let partial = s.partial_success.clone();
    drop(s);
    if json {
        let body = match partial {
            Some((n, m)) => {
                serde_json::json!({"partialSuccess": {"rejectedDataPoints": n.to_string(), "errorMessage": m}})
            }
            None => serde_json::json!({}),
        };
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response()
    } else {
        let resp = ExportMetricsServiceResponse {
            partial_success: partial.map(|(n, m)| ExportMetricsPartialSuccess {
                rejected_data_points: n,
                error_message: m,
            }),
        };
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/x-protobuf")],
            resp.encode_to_vec(),
        )
            .into_response()
    }
}

/// A flat view of one gauge/sum data point, for assertions.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Metric name.
    pub metric: String,
    /// Metric type: `gauge`, `sum`, or `other`.
    pub kind: &'static str,
    /// Unit.
    pub unit: String,
    /// Data point attributes as strings.
    pub attributes: Vec<(String, String)>,
    /// Integer value, if `asInt`.
    pub as_int: Option<i64>,
    /// `timeUnixNano`.
    pub time_unix_nano: u64,
}

/// Renders an `AnyValue` as a string (arrays as `[a,b]`).
#[must_use]
pub fn value_string(v: Option<&AnyValue>) -> String {
    match v.and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        Some(any_value::Value::ArrayValue(a)) => format!(
            "[{}]",
            a.values
                .iter()
                .map(|v| value_string(Some(v)))
                .collect::<Vec<_>>()
                .join(",")
        ),
        _ => String::new(),
    }
}

fn kvs(attrs: &[KeyValue]) -> Vec<(String, String)> {
    attrs
        .iter()
        .map(|kv| (kv.key.clone(), value_string(kv.value.as_ref())))
        .collect()
}

/// The resource attributes of every resource in the request, flattened.
#[must_use]
pub fn resource_attributes(req: &ExportMetricsServiceRequest) -> Vec<(String, String)> {
    req.resource_metrics
        .iter()
        .filter_map(|rm| rm.resource.as_ref())
        .flat_map(|r| kvs(&r.attributes))
        .collect()
}

/// Every number data point in the request.
#[must_use]
pub fn points(req: &ExportMetricsServiceRequest) -> Vec<Point> {
    let mut out = Vec::new();
    for rm in &req.resource_metrics {
        for sm in &rm.scope_metrics {
            for m in &sm.metrics {
                let (kind, dps) = match &m.data {
                    Some(metric::Data::Gauge(g)) => ("gauge", g.data_points.as_slice()),
                    Some(metric::Data::Sum(s)) => ("sum", s.data_points.as_slice()),
                    _ => ("other", &[][..]),
                };
                for dp in dps {
                    out.push(Point {
                        metric: m.name.clone(),
                        kind,
                        unit: m.unit.clone(),
                        attributes: kvs(&dp.attributes),
                        as_int: match dp.value {
                            Some(number_data_point::Value::AsInt(i)) => Some(i),
                            _ => None,
                        },
                        time_unix_nano: dp.time_unix_nano,
                    });
                }
            }
        }
    }
    out
}

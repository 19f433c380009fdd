//! The OTLP/HTTP sink: the gauge `trivy.image.vulnerabilities` as protobuf (default) or
//! OTLP/JSON to any collector or vendor, configured like every OpenTelemetry exporter
//! (`OTEL_EXPORTER_OTLP_*`).

pub mod encode;

use async_trait::async_trait;
use env_vars as vars;
use http_policy::{EndpointRules, HttpConfig, RetryPolicy};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceResponse;
use prost::Message as _;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::transport::{
    body_bytes, content_type, failure, html_answer, is_html, percent_decode, unavailable,
};
use crate::{MetricsSink, PushReport, Rejected, SinkError, SinkErrorKind, Snapshot};

const NAME: &str = "otlp";

/// Body encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OtlpProtocol {
    /// `http/protobuf`: binary protobuf, `application/x-protobuf` (accepted everywhere).
    #[default]
    Protobuf,
    /// `http/json`: OTLP/JSON, `application/json` (not accepted by Dynatrace's OTLP endpoint).
    Json,
}

impl OtlpProtocol {
    /// Parses `http/protobuf` or `http/json` (the `OTEL_EXPORTER_OTLP_PROTOCOL` values).
    ///
    /// # Errors
    /// For `grpc` and anything else.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "http/protobuf" => Ok(Self::Protobuf),
            "http/json" => Ok(Self::Json),
            "grpc" => Err(
                "the OTLP protocol `grpc` is not supported; use http/protobuf or http/json"
                    .to_owned(),
            ),
            other => Err(format!(
                "unknown OTLP protocol `{other}`; expected http/protobuf or http/json"
            )),
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Protobuf => "application/x-protobuf",
            Self::Json => "application/json",
        }
    }
}

/// Where and how to export. Header values (tokens) never show in `Debug`.
#[derive(Clone)]
pub struct OtlpConfig {
    /// The metrics signal URL, `…/v1/metrics`.
    pub endpoint: Url,
    /// Body encoding.
    pub protocol: OtlpProtocol,
    /// Extra request headers (`Authorization: Api-Token …`), all treated as secrets.
    pub headers: Vec<(String, SecretString)>,
    /// Extra resource attributes (`OTEL_RESOURCE_ATTRIBUTES`); `service.name` defaults to
    /// `vulngate`.
    pub resource_attributes: Vec<(String, String)>,
    /// Timeouts and user agent.
    pub http: HttpConfig,
    /// Retries for 429, 5xx and transport failures.
    pub retry: RetryPolicy,
}

impl std::fmt::Debug for OtlpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, _)| (k.as_str(), "[REDACTED]"))
            .collect();
        f.debug_struct("OtlpConfig")
            .field("endpoint", &http_policy::redact_url(&self.endpoint))
            .field("protocol", &self.protocol)
            .field("headers", &headers)
            .field("resource_attributes", &self.resource_attributes)
            .field("http", &self.http)
            .field("retry", &self.retry)
            .finish()
    }
}

/// Parses `k1=v1,k2=v2` (W3C-baggage-like, values percent-decoded). Malformed entries are
/// skipped with a warning that names their position only (values may be secrets).
fn parse_pairs(var: &str, raw: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, item) in raw.split(',').enumerate() {
        if item.trim().is_empty() {
            continue;
        }
        match item.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                out.push((percent_decode(k.trim()), percent_decode(v.trim())));
            }
            _ => tracing::warn!(var, entry = i + 1, "ignoring a malformed key=value entry"),
        }
    }
    out
}

fn merge(into: &mut Vec<(String, String)>, more: Vec<(String, String)>) {
    for (k, v) in more {
        match into
            .iter_mut()
            .find(|(key, _)| key.eq_ignore_ascii_case(&k))
        {
            Some(slot) => slot.1 = v,
            None => into.push((k, v)),
        }
    }
}

impl OtlpConfig {
    /// A config with default protocol, timeouts and retries, no headers.
    #[must_use]
    pub fn new(endpoint: Url) -> Self {
        Self {
            endpoint,
            protocol: OtlpProtocol::default(),
            headers: Vec::new(),
            resource_attributes: Vec::new(),
            http: HttpConfig::default(),
            retry: RetryPolicy::default(),
        }
    }

    /// Builds the config the way OpenTelemetry exporters do, explicit values first:
    /// - endpoint: `endpoint` (a URL without a path gets `/v1/metrics`), else
    ///   `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` as is, else `OTEL_EXPORTER_OTLP_ENDPOINT` +
    ///   `/v1/metrics`; a bare host gets `https://`;
    /// - protocol: `protocol`, else `OTEL_EXPORTER_OTLP_METRICS_PROTOCOL`, else
    ///   `OTEL_EXPORTER_OTLP_PROTOCOL`, else `http/protobuf`;
    /// - headers: `OTEL_EXPORTER_OTLP_HEADERS`, overridden per key by
    ///   `OTEL_EXPORTER_OTLP_METRICS_HEADERS`;
    /// - resource: `OTEL_RESOURCE_ATTRIBUTES`, and `OTEL_SERVICE_NAME` for `service.name`.
    ///
    /// `env` looks variables up (pass `|k| std::env::var(k).ok()`; tests pass a map).
    /// With headers (which usually carry a token), plain http is allowed only to loopback
    /// unless `allow_insecure_http`.
    ///
    /// # Errors
    /// One sentence (never containing a header value): no endpoint, a bad URL, an unsupported
    /// protocol.
    pub fn from_env(
        endpoint: Option<&str>,
        protocol: Option<OtlpProtocol>,
        allow_insecure_http: bool,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, String> {
        let non_empty = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        let mut headers = non_empty(vars::OTEL_EXPORTER_OTLP_HEADERS)
            .map(|v| parse_pairs(vars::OTEL_EXPORTER_OTLP_HEADERS, &v))
            .unwrap_or_default();
        if let Some(v) = non_empty(vars::OTEL_EXPORTER_OTLP_METRICS_HEADERS) {
            merge(
                &mut headers,
                parse_pairs(vars::OTEL_EXPORTER_OTLP_METRICS_HEADERS, &v),
            );
        }
        let rules = EndpointRules {
            carries_token: !headers.is_empty(),
            allow_insecure_http,
        };
        let parse = |raw: &str, what: &str| {
            http_policy::parse_endpoint(raw, rules).map_err(|e| format!("{what}: {e}"))
        };
        let endpoint = if let Some(raw) = endpoint.filter(|e| !e.trim().is_empty()) {
            let mut url = parse(raw, "--otlp-endpoint")?;
            if url.path() == "/" || url.path().is_empty() {
                url.set_path("/v1/metrics");
            }
            url
        } else if let Some(raw) = non_empty(vars::OTEL_EXPORTER_OTLP_METRICS_ENDPOINT) {
            parse(&raw, vars::OTEL_EXPORTER_OTLP_METRICS_ENDPOINT)?
        } else if let Some(raw) = non_empty(vars::OTEL_EXPORTER_OTLP_ENDPOINT) {
            let mut url = parse(&raw, vars::OTEL_EXPORTER_OTLP_ENDPOINT)?;
            if let Ok(mut segs) = url.path_segments_mut() {
                segs.pop_if_empty().extend(["v1", "metrics"]);
            }
            url
        } else {
            return Err(
                "no OTLP endpoint: pass --otlp-endpoint or set OTEL_EXPORTER_OTLP_ENDPOINT"
                    .to_owned(),
            );
        };
        let protocol = match protocol {
            Some(p) => p,
            None => match non_empty(vars::OTEL_EXPORTER_OTLP_METRICS_PROTOCOL)
                .or_else(|| non_empty(vars::OTEL_EXPORTER_OTLP_PROTOCOL))
            {
                Some(p) => OtlpProtocol::parse(&p)?,
                None => OtlpProtocol::Protobuf,
            },
        };
        let mut resource_attributes = non_empty(vars::OTEL_RESOURCE_ATTRIBUTES)
            .map(|v| parse_pairs(vars::OTEL_RESOURCE_ATTRIBUTES, &v))
            .unwrap_or_default();
        if let Some(name) = non_empty(vars::OTEL_SERVICE_NAME) {
            merge(
                &mut resource_attributes,
                vec![("service.name".to_owned(), name)],
            );
        }
        Ok(Self {
            endpoint,
            protocol,
            headers: headers
                .into_iter()
                .map(|(k, v)| (k, SecretString::from(v)))
                .collect(),
            resource_attributes,
            http: HttpConfig::default(),
            retry: RetryPolicy::default(),
        })
    }
}

/// Exports snapshots over OTLP/HTTP.
#[derive(Debug)]
pub struct OtlpSink {
    config: OtlpConfig,
    headers: reqwest::header::HeaderMap,
    redacted: String,
    client: reqwest::Client,
}

impl OtlpSink {
    /// Checks the config and builds the HTTP client.
    ///
    /// # Errors
    /// A [`SinkErrorKind::Config`] error for a non-http(s) URL, a header that cannot be sent,
    /// or a client that cannot be built.
    pub fn new(config: OtlpConfig) -> Result<Self, SinkError> {
        let redacted = http_policy::redact_url(&config.endpoint);
        let config_err =
            |message: String| failure(NAME, SinkErrorKind::Config, message, Vec::new());
        if !matches!(config.endpoint.scheme(), "http" | "https")
            || config.endpoint.host_str().is_none()
        {
            return Err(config_err(format!("`{redacted}` is not an http(s) URL")));
        }
        let mut headers = reqwest::header::HeaderMap::new();
        for (k, v) in &config.headers {
            let name = reqwest::header::HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| config_err(format!("`{k}` is not a valid HTTP header name")))?;
            let value = http_policy::secret_header("", v.expose_secret()).map_err(|_| {
                config_err(format!(
                    "the value of header `{k}` contains characters not allowed in HTTP headers"
                ))
            })?;
            headers.insert(name, value);
        }
        let client = config
            .http
            .client()
            .map_err(|e| unavailable(NAME, &e, Vec::new()))?;
        Ok(Self {
            config,
            headers,
            redacted,
            client,
        })
    }
}

/// `partialSuccess` of an `ExportMetricsServiceResponse`: rejected count and message.
fn partial_success(body: &[u8], json: bool) -> Option<(i64, String)> {
    if body.is_empty() {
        return None;
    }
    if json {
        let v: serde_json::Value = serde_json::from_slice(body).ok()?;
        let p = v.get("partialSuccess")?;
        let n = p.get("rejectedDataPoints").and_then(|n| {
            n.as_i64()
                .or_else(|| n.as_str().and_then(|s| s.parse().ok()))
        });
        let msg = p
            .get("errorMessage")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default();
        Some((n.unwrap_or(0), msg.to_owned()))
    } else {
        let r = ExportMetricsServiceResponse::decode(body).ok()?;
        r.partial_success
            .map(|p| (p.rejected_data_points, p.error_message))
    }
}

/// `google.rpc.Status`, the error body of OTLP/HTTP (only the fields we show).
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

fn status_message(body: &[u8], json: bool) -> String {
    if !json
        && let Ok(s) = RpcStatus::decode(body)
        && !s.message.is_empty()
    {
        return http_policy::excerpt(&s.message);
    }
    crate::transport::error_message(body)
}

#[async_trait]
impl MetricsSink for OtlpSink {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn push(&self, snapshot: &Snapshot) -> Result<PushReport, SinkError> {
        let (request, names) = encode::build_request(snapshot, &self.config.resource_attributes);
        self.send(&request, names).await
    }

    /// Many images in few requests: one resource per image (its `container.image.*`
    /// attributes), up to [`BATCH_IMAGES`] resources per export request.
    async fn push_batch(&self, snapshots: &[Snapshot]) -> Vec<Result<PushReport, SinkError>> {
        let mut out = Vec::with_capacity(snapshots.len());
        for chunk in snapshots.chunks(BATCH_IMAGES) {
            let mut request = opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest::default();
            let mut names = Vec::new();
            let mut sent = Vec::with_capacity(chunk.len());
            for s in chunk {
                let (one, points) = encode::build_request(s, &self.config.resource_attributes);
                request.resource_metrics.extend(one.resource_metrics);
                names.extend(points.iter().map(|p| crate::batch::tagged(s, p)));
                sent.push(points);
            }
            let result = self.send(&request, names).await;
            out.extend(crate::batch::split_by_image(chunk, &sent, result));
        }
        out
    }
}

/// Images per OTLP export request in a batch: some 100 KB of protobuf, far below the
/// collector's default 4 MiB request limit.
const BATCH_IMAGES: usize = 100;

impl OtlpSink {
    /// Exports one request whose data points are `names`, and reads the answer.
    async fn send(
        &self,
        request: &opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest,
        names: Vec<String>,
    ) -> Result<PushReport, SinkError> {
        let body = encode::encode(request, self.config.protocol)
            .map_err(|e| failure(NAME, SinkErrorKind::Config, e, names.clone()))?;
        let protocol = self.config.protocol;
        tracing::debug!(url = %self.redacted, points = names.len(), ?protocol, "exporting over OTLP");
        let resp = http_policy::send_with_retry(&self.config.retry, &self.redacted, || {
            self.client
                .post(self.config.endpoint.clone())
                .headers(self.headers.clone())
                .header(reqwest::header::CONTENT_TYPE, protocol.content_type())
                .body(body.clone())
        })
        .await
        .map_err(|e| unavailable(NAME, &e, names.clone()))?;
        let status = resp.status().as_u16();
        let json = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map_or(protocol == OtlpProtocol::Json, |ct| ct.contains("json"));
        let ct = content_type(&resp);
        let bytes = body_bytes(NAME, &self.redacted, resp, || names.clone()).await?;
        let redacted = &self.redacted;
        match status {
            200..=299 if is_html(ct.as_deref(), &bytes) => {
                Err(html_answer(NAME, redacted, status, &bytes, names))
            }
            200..=299 => {
                let mut report = PushReport::default();
                match partial_success(&bytes, json) {
                    Some((n, msg)) if n > 0 => {
                        // OTLP says how many, not which: none of the points counts as
                        // acknowledged, each is named with the receiver's reason.
                        let total = names.len();
                        tracing::warn!(rejected = n, message = %msg, "OTLP partial success");
                        report.rejected = names
                            .into_iter()
                            .map(|metric| Rejected {
                                metric,
                                reason: format!(
                                    "the receiver rejected {n} of {total} data points: {msg}"
                                ),
                            })
                            .collect();
                    }
                    Some((_, msg)) if !msg.is_empty() => {
                        report.notes.push(format!("receiver warning: {msg}"));
                        report.accepted = names;
                    }
                    _ => report.accepted = names,
                }
                Ok(report)
            }
            401 | 403 => Err(failure(
                NAME,
                SinkErrorKind::Auth,
                format!(
                    "{redacted} answered HTTP {status}: check the token in OTEL_EXPORTER_OTLP_HEADERS ({})",
                    status_message(&bytes, json)
                ),
                names,
            )),
            404 => Err(failure(
                NAME,
                SinkErrorKind::Config,
                format!(
                    "{redacted} answered HTTP 404: the endpoint should be the metrics signal URL ending in /v1/metrics ({})",
                    status_message(&bytes, json)
                ),
                names,
            )),
            _ => Err(failure(
                NAME,
                SinkErrorKind::Rejected,
                format!(
                    "{redacted} answered HTTP {status}: {}",
                    status_message(&bytes, json)
                ),
                names,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn endpoints_follow_the_exporter_spec() {
        let c = OtlpConfig::from_env(
            None,
            None,
            false,
            env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")]),
        )
        .unwrap();
        assert_eq!(c.endpoint.as_str(), "http://127.0.0.1:4318/v1/metrics");
        let c = OtlpConfig::from_env(
            None,
            None,
            false,
            env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "https://c.example/otlp/")]),
        )
        .unwrap();
        assert_eq!(c.endpoint.as_str(), "https://c.example/otlp/v1/metrics");
        let c = OtlpConfig::from_env(
            None,
            None,
            false,
            env(&[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://a.example"),
                (
                    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
                    "https://b.example/custom",
                ),
            ]),
        )
        .unwrap();
        assert_eq!(c.endpoint.as_str(), "https://b.example/custom");
        let c = OtlpConfig::from_env(
            Some("collector.example:4318"),
            None,
            false,
            env(&[(
                "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
                "https://b.example/custom",
            )]),
        )
        .unwrap();
        assert_eq!(
            c.endpoint.as_str(),
            "https://collector.example:4318/v1/metrics"
        );
        assert!(
            OtlpConfig::from_env(None, None, false, env(&[]))
                .unwrap_err()
                .contains("no OTLP endpoint")
        );
    }

    #[test]
    fn protocol_headers_and_resource() {
        let e = env(&[
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "https://dt.example/api/v2/otlp",
            ),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
            (
                "OTEL_EXPORTER_OTLP_HEADERS",
                "Authorization=Api-Token%20dt0c01.SECRETMARK,x-a=1,broken",
            ),
            ("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "x-a=2"),
            (
                "OTEL_RESOURCE_ATTRIBUTES",
                "deployment.environment=ci,service.name=x",
            ),
            ("OTEL_SERVICE_NAME", "gate"),
        ]);
        let c = OtlpConfig::from_env(None, None, false, &e).unwrap();
        assert_eq!(c.protocol, OtlpProtocol::Json);
        assert_eq!(c.headers[0].0, "Authorization");
        assert_eq!(
            c.headers[0].1.expose_secret(),
            "Api-Token dt0c01.SECRETMARK"
        );
        assert_eq!(c.headers[1].1.expose_secret(), "2");
        assert_eq!(c.headers.len(), 2);
        assert_eq!(
            c.resource_attributes,
            [
                ("deployment.environment".to_owned(), "ci".to_owned()),
                ("service.name".to_owned(), "gate".to_owned())
            ]
        );
        assert!(!format!("{c:?}").contains("SECRETMARK"));
        let c = OtlpConfig::from_env(None, Some(OtlpProtocol::Protobuf), false, &e).unwrap();
        assert_eq!(c.protocol, OtlpProtocol::Protobuf);
        let g = env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ]);
        assert!(
            OtlpConfig::from_env(None, None, false, g)
                .unwrap_err()
                .contains("grpc")
        );
        // A token in the headers never travels over plain http to another host.
        let h = env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c.example:4318"),
            (
                "OTEL_EXPORTER_OTLP_HEADERS",
                "Authorization=Bearer%20SECRETMARK",
            ),
        ]);
        let err = OtlpConfig::from_env(None, None, false, &h).unwrap_err();
        assert!(
            err.contains("plain http") && !err.contains("SECRETMARK"),
            "{err}"
        );
        assert!(OtlpConfig::from_env(None, None, true, &h).is_ok());
    }

    #[test]
    fn partial_success_bodies() {
        assert_eq!(
            partial_success(
                br#"{"partialSuccess":{"rejectedDataPoints":"2","errorMessage":"bad"}}"#,
                true
            ),
            Some((2, "bad".to_owned()))
        );
        assert_eq!(
            partial_success(br#"{"partialSuccess":{"rejectedDataPoints":3}}"#, true),
            Some((3, String::new()))
        );
        assert_eq!(partial_success(b"{}", true), None);
        assert_eq!(partial_success(b"", false), None);
    }
}

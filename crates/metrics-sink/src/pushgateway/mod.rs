//! The Prometheus Pushgateway sink: `PUT /metrics/job/<job>/<image labels>` with Trivy
//! Operator's `trivy_image_vulnerabilities` gauge in text format 0.0.4. PUT replaces the whole
//! group, so re-scanning an image leaves no stale severity series behind.

pub mod encode;

use async_trait::async_trait;
use base64::Engine as _;
use http_policy::{HttpConfig, RetryPolicy};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::transport::{
    body_bytes, content_type, error_message, failure, html_answer, is_html, percent_decode,
    unavailable,
};
use crate::{ImageRef, MetricsSink, PushReport, SinkError, SinkErrorKind, Snapshot};

const NAME: &str = "pushgateway";

/// Where and how to push. The password never shows in `Debug`.
#[derive(Clone)]
pub struct PushgatewayConfig {
    /// Base URL of the gateway (`http://pushgateway:9091`, a path prefix is kept). Credentials in
    /// the URL (`https://user:pass@host`) are moved to `basic_auth`.
    pub url: Url,
    /// The `job` grouping label; `vulngate` by default.
    pub job: String,
    /// Optional HTTP basic auth (user, password).
    pub basic_auth: Option<(String, SecretString)>,
    /// Timeouts and user agent.
    pub http: HttpConfig,
    /// Retries for 429, 5xx and transport failures.
    pub retry: RetryPolicy,
}

impl std::fmt::Debug for PushgatewayConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushgatewayConfig")
            .field("url", &http_policy::redact_url(&self.url))
            .field("job", &self.job)
            .field(
                "basic_auth",
                &self.basic_auth.as_ref().map(|(u, _)| (u, "[REDACTED]")),
            )
            .field("http", &self.http)
            .field("retry", &self.retry)
            .finish()
    }
}

impl PushgatewayConfig {
    /// Default job `vulngate`, default timeouts and retries; URL credentials become basic auth.
    #[must_use]
    pub fn new(mut url: Url) -> Self {
        let mut basic_auth = None;
        if !url.username().is_empty() {
            let user = percent_decode(url.username());
            let pass = percent_decode(url.password().unwrap_or_default());
            basic_auth = Some((user, SecretString::from(pass)));
            let _ = url.set_username("");
            let _ = url.set_password(None);
        }
        Self {
            url,
            job: "vulngate".to_owned(),
            basic_auth,
            http: HttpConfig::default(),
            retry: RetryPolicy::default(),
        }
    }

    /// The PUT URL of this image's group.
    #[must_use]
    pub fn group_url(&self, image: &ImageRef) -> Url {
        let mut url = self.url.clone();
        url.set_query(None);
        if let Ok(mut segs) = url.path_segments_mut() {
            segs.pop_if_empty().push("metrics");
            segs.extend(encode::grouping_segments(&self.job, image));
        }
        url
    }
}

/// Pushes snapshots to a Pushgateway.
#[derive(Debug)]
pub struct PushgatewaySink {
    config: PushgatewayConfig,
    client: reqwest::Client,
}

impl PushgatewaySink {
    /// Checks the config and builds the HTTP client.
    ///
    /// # Errors
    /// A [`SinkErrorKind::Config`] error for a non-http(s) URL, an empty job, or a client that
    /// cannot be built.
    pub fn new(config: PushgatewayConfig) -> Result<Self, SinkError> {
        if !matches!(config.url.scheme(), "http" | "https") || config.url.host_str().is_none() {
            return Err(failure(
                NAME,
                SinkErrorKind::Config,
                format!(
                    "`{}` is not an http(s) URL",
                    http_policy::redact_url(&config.url)
                ),
                Vec::new(),
            ));
        }
        if config.job.is_empty() {
            return Err(failure(
                NAME,
                SinkErrorKind::Config,
                "the job name is empty".to_owned(),
                Vec::new(),
            ));
        }
        let client = config
            .http
            .client()
            .map_err(|e| unavailable(NAME, &e, Vec::new()))?;
        Ok(Self { config, client })
    }
}

#[async_trait]
impl MetricsSink for PushgatewaySink {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn push(&self, snapshot: &Snapshot) -> Result<PushReport, SinkError> {
        let (body, series) = encode::encode(snapshot);
        let names: Vec<String> = series.iter().map(|s| s.metric.clone()).collect();
        let url = self.config.group_url(&snapshot.image);
        let redacted = http_policy::redact_url(&url);
        let auth = match &self.config.basic_auth {
            Some((user, pass)) => {
                let raw = base64::engine::general_purpose::STANDARD
                    .encode(format!("{user}:{}", pass.expose_secret()));
                Some(
                    http_policy::secret_header("Basic ", &raw)
                        .map_err(|e| unavailable(NAME, &e, names.clone()))?,
                )
            }
            None => None,
        };
        tracing::debug!(url = %redacted, series = series.len(), "pushing to the Pushgateway");
        let resp = http_policy::send_with_retry(&self.config.retry, &redacted, || {
            let mut req = self
                .client
                .put(url.clone())
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "text/plain; version=0.0.4; charset=utf-8",
                )
                .body(body.clone());
            if let Some(a) = &auth {
                req = req.header(reqwest::header::AUTHORIZATION, a.clone());
            }
            req
        })
        .await
        .map_err(|e| unavailable(NAME, &e, names.clone()))?;
        let status = resp.status().as_u16();
        let ct = content_type(&resp);
        let bytes = body_bytes(NAME, &redacted, resp, || names.clone()).await?;
        match status {
            200..=299 if is_html(ct.as_deref(), &bytes) => {
                Err(html_answer(NAME, &redacted, status, &bytes, names))
            }
            200..=299 => Ok(PushReport {
                accepted: names,
                ..PushReport::default()
            }),
            401 | 403 => Err(failure(
                NAME,
                SinkErrorKind::Auth,
                format!(
                    "{redacted} answered HTTP {status}: check the Pushgateway credentials ({})",
                    error_message(&bytes)
                ),
                names,
            )),
            404 => Err(failure(
                NAME,
                SinkErrorKind::Config,
                format!(
                    "{redacted} answered HTTP 404: is this a Pushgateway base URL? ({})",
                    error_message(&bytes)
                ),
                names,
            )),
            _ => Err(failure(
                NAME,
                SinkErrorKind::Rejected,
                format!(
                    "{redacted} answered HTTP {status}: {}",
                    error_message(&bytes)
                ),
                names,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_urls_and_credentials() {
        let c = PushgatewayConfig::new(
            Url::parse("https://bob:s%3Acret@pg.example:9091/prefix/").unwrap(),
        );
        assert_eq!(c.basic_auth.as_ref().unwrap().0, "bob");
        assert_eq!(c.basic_auth.as_ref().unwrap().1.expose_secret(), "s:cret");
        assert!(!format!("{c:?}").contains("cret"));
        assert_eq!(
            c.group_url(&ImageRef::parse("nginx:1.21.1")).as_str(),
            "https://pg.example:9091/prefix/metrics/job/vulngate/image_registry/index.docker.io/image_repository@base64/bGlicmFyeS9uZ2lueA==/image_tag/1.21.1"
        );
        let c = PushgatewayConfig::new(Url::parse("http://127.0.0.1:9091").unwrap());
        assert_eq!(
            c.group_url(&ImageRef::parse("app:1 2")).as_str(),
            "http://127.0.0.1:9091/metrics/job/vulngate/image_registry/index.docker.io/image_repository@base64/bGlicmFyeS9hcHA=/image_tag/1%202"
        );
    }
}

//! The Dynatrace sink: Metrics API v2 line protocol, to a tenant (with an API token) or to the
//! token-less local OneAgent endpoint.
//!
//! Encoding lives in [`encode`] (pure, snapshot-tested); this module does the transport and
//! reads the answers as the API documents them: 202 ok, 400 partial acceptance (never retried,
//! the valid lines were stored), 413 split and resend, 429/5xx retried, 401/403/404 fail at once.

pub mod encode;

use std::collections::VecDeque;

use async_trait::async_trait;
use http_policy::{HttpConfig, RetryPolicy};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::transport::{
    body_bytes, content_type, error_message, failure, html_answer, is_html, unavailable,
};
use crate::{MetricsSink, PushReport, Rejected, SinkError, SinkErrorKind, Snapshot};
use encode::Line;

const NAME: &str = "dynatrace";

/// How metrics are keyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DynatraceMode {
    /// Seed-compatible: `trivy.vulnerabilities.<SEVERITY>` plus `trivy.vulnerabilities.total`,
    /// dimensions `image` and `tag`. Existing `sli.yaml` selectors keep working.
    #[default]
    PerSeverityKeys,
    /// One key, `trivy.image.vulnerabilities`, with a `severity` dimension; no total.
    Dimensional,
}

/// Where and how to push. The token never shows in `Debug`.
#[derive(Clone)]
pub struct DynatraceConfig {
    /// Ingest URL. A tenant base URL (`https://abc123.live.dynatrace.com`, or a Managed/ActiveGate
    /// `…/e/<env-id>`) gets `/api/v2/metrics/ingest` appended; a URL already ending in
    /// `/metrics/ingest` (the local OneAgent `http://localhost:14499/metrics/ingest`) is used as is.
    pub url: Url,
    /// API token with the `metrics.ingest` scope; `None` for the local OneAgent endpoint.
    pub token: Option<SecretString>,
    /// Key layout.
    pub mode: DynatraceMode,
    /// Timeouts and user agent.
    pub http: HttpConfig,
    /// Retries for 429, 5xx and transport failures.
    pub retry: RetryPolicy,
}

impl std::fmt::Debug for DynatraceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynatraceConfig")
            .field("url", &http_policy::redact_url(&self.url))
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .field("mode", &self.mode)
            .field("http", &self.http)
            .field("retry", &self.retry)
            .finish()
    }
}

impl DynatraceConfig {
    /// A config with the default mode, timeouts and retries.
    #[must_use]
    pub fn new(url: Url, token: Option<SecretString>) -> Self {
        Self {
            url,
            token,
            mode: DynatraceMode::default(),
            http: HttpConfig::default(),
            retry: RetryPolicy::default(),
        }
    }

    /// The URL requests go to (see [`DynatraceConfig::url`]).
    #[must_use]
    pub fn ingest_url(&self) -> Url {
        let mut url = self.url.clone();
        if url
            .path()
            .trim_end_matches('/')
            .ends_with("/metrics/ingest")
        {
            return url;
        }
        if let Ok(mut segs) = url.path_segments_mut() {
            segs.pop_if_empty()
                .extend(["api", "v2", "metrics", "ingest"]);
        }
        url
    }
}

/// Pushes snapshots to Dynatrace.
#[derive(Debug)]
pub struct DynatraceSink {
    config: DynatraceConfig,
    url: Url,
    redacted: String,
    client: reqwest::Client,
    max_batch_bytes: usize,
}

impl DynatraceSink {
    /// Checks the config and builds the HTTP client.
    ///
    /// # Errors
    /// A [`SinkErrorKind::Config`] error for a non-http(s) URL, a token that cannot go into a
    /// header, or a client that cannot be built.
    pub fn new(config: DynatraceConfig) -> Result<Self, SinkError> {
        let url = config.ingest_url();
        let redacted = http_policy::redact_url(&url);
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(failure(
                NAME,
                SinkErrorKind::Config,
                format!("`{redacted}` is not an http(s) URL"),
                Vec::new(),
            ));
        }
        if let Some(t) = &config.token {
            http_policy::secret_header("Api-Token ", t.expose_secret())
                .map_err(|e| unavailable(NAME, &e, Vec::new()))?;
        }
        let client = config
            .http
            .client()
            .map_err(|e| unavailable(NAME, &e, Vec::new()))?;
        Ok(Self {
            config,
            url,
            redacted,
            client,
            max_batch_bytes: encode::MAX_BATCH_BYTES,
        })
    }

    /// The URL lines are posted to.
    #[must_use]
    pub fn url(&self) -> &Url {
        &self.url
    }

    fn request(&self, body: String) -> reqwest::RequestBuilder {
        let mut req = self
            .client
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body);
        if let Some(t) = &self.config.token {
            // Validated in `new`; a failure here cannot happen, but never panic.
            if let Ok(h) = http_policy::secret_header("Api-Token ", t.expose_secret()) {
                req = req.header(reqwest::header::AUTHORIZATION, h);
            }
        }
        req
    }
}

/// The ingest API's `ValidationResponse`, read leniently: field names in any case, and the
/// local OneAgent API's `linesValid` in place of `linesOk`.
#[derive(Debug, Default)]
struct Validation {
    lines_ok: Option<u64>,
    lines_invalid: Option<u64>,
    message: Option<String>,
    invalid_lines: Vec<(u64, String)>,
    warnings: Vec<String>,
}

fn parse_validation(body: &[u8]) -> Validation {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body)
    else {
        return Validation::default();
    };
    let get = |m: &serde_json::Map<String, serde_json::Value>, names: &[&str]| {
        m.iter()
            .find(|(k, _)| names.iter().any(|n| k.eq_ignore_ascii_case(n)))
            .map(|(_, v)| v.clone())
    };
    let num = |v: Option<serde_json::Value>| {
        v.and_then(|v| {
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
    };
    let mut out = Validation {
        lines_ok: num(get(&map, &["linesOk", "linesValid"])),
        lines_invalid: num(get(&map, &["linesInvalid"])),
        ..Validation::default()
    };
    if let Some(serde_json::Value::Object(err)) = get(&map, &["error"]) {
        out.message = get(&err, &["message"]).and_then(|v| v.as_str().map(str::to_owned));
        if let Some(serde_json::Value::Array(lines)) = get(&err, &["invalidLines"]) {
            for l in lines {
                if let serde_json::Value::Object(l) = l {
                    let n = num(get(&l, &["line"])).unwrap_or(0);
                    let e = get(&l, &["error"])
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default();
                    out.invalid_lines.push((n, e));
                }
            }
        }
    }
    if let Some(serde_json::Value::Object(w)) = get(&map, &["warnings"]) {
        if let Some(m) = get(&w, &["message"]).and_then(|v| v.as_str().map(str::to_owned)) {
            out.warnings.push(m);
        }
        if let Some(serde_json::Value::Array(ch)) = get(&w, &["changedMetricKeys"]) {
            for c in ch {
                if let Some(s) = c.get("warning").and_then(serde_json::Value::as_str) {
                    out.warnings.push(s.to_owned());
                }
            }
        }
    }
    out
}

/// Maps the API's `invalidLines[].line` numbers onto the batch. Dynatrace numbers lines from 1
/// in its messages; the old OpenTelemetry exporter assumed 0. A 0 anywhere means 0-based.
fn invalid_indices(batch_len: usize, invalid: &[(u64, String)]) -> Vec<(usize, String)> {
    let zero_based = invalid.iter().any(|(n, _)| *n == 0);
    invalid
        .iter()
        .filter_map(|(n, e)| {
            let n = usize::try_from(*n).ok()?;
            let idx = if zero_based { n } else { n.checked_sub(1)? };
            (idx < batch_len).then(|| (idx, e.clone()))
        })
        .collect()
}

fn names(lines: &[Line]) -> Vec<String> {
    lines.iter().map(|l| l.metric.clone()).collect()
}

#[async_trait]
impl MetricsSink for DynatraceSink {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn push(&self, snapshot: &Snapshot) -> Result<PushReport, SinkError> {
        let (lines, bad) = encode::encode_lines(snapshot, self.config.mode);
        self.push_lines(lines, bad).await
    }

    /// Many images in few requests: every image's lines go into shared bodies of at most
    /// 1,000 lines and 1 MB ([`encode::batches`]). Each line is named `IMAGE METRIC` while in
    /// flight, so the answer (accepted, rejected, not sent) maps back to its image.
    async fn push_batch(&self, snapshots: &[Snapshot]) -> Vec<Result<PushReport, SinkError>> {
        let mut all = Vec::new();
        let mut bad = Vec::new();
        let mut sent: Vec<Vec<String>> = Vec::with_capacity(snapshots.len());
        for s in snapshots {
            let (lines, unencodable) = encode::encode_lines(s, self.config.mode);
            sent.push(lines.iter().map(|l| l.metric.clone()).collect());
            all.extend(lines.into_iter().map(|l| Line {
                metric: crate::batch::tagged(s, &l.metric),
                text: l.text,
            }));
            bad.extend(unencodable.into_iter().map(|b| encode::Unencodable {
                metric: crate::batch::tagged(s, &b.metric),
                reason: b.reason,
            }));
        }
        let result = self.push_lines(all, bad).await;
        crate::batch::split_by_image(snapshots, &sent, result)
    }
}

impl DynatraceSink {
    /// Sends encoded lines in batches within the API's limits and reads every answer.
    async fn push_lines(
        &self,
        lines: Vec<Line>,
        bad: Vec<encode::Unencodable>,
    ) -> Result<PushReport, SinkError> {
        let mut report = PushReport {
            rejected: bad
                .into_iter()
                .map(|b| Rejected {
                    metric: b.metric,
                    reason: b.reason,
                })
                .collect(),
            ..PushReport::default()
        };
        let mut queue: VecDeque<Vec<Line>> =
            encode::batches(lines, encode::MAX_BATCH_LINES, self.max_batch_bytes).into();
        // Everything not yet acknowledged, for the error if we stop early.
        let unsent_from = |queue: &VecDeque<Vec<Line>>, current: &[Line], report: &PushReport| {
            let mut v = names(current);
            v.extend(queue.iter().flat_map(|b| names(b)));
            v.extend(report.rejected.iter().map(|r| r.metric.clone()));
            v
        };
        while let Some(batch) = queue.pop_front() {
            let body = encode::body(&batch);
            tracing::debug!(url = %self.redacted, lines = batch.len(), bytes = body.len(), "pushing to Dynatrace");
            let resp =
                match http_policy::send_with_retry(&self.config.retry, &self.redacted, || {
                    self.request(body.clone())
                })
                .await
                {
                    Ok(r) => r,
                    Err(e) => {
                        return Err(unavailable(NAME, &e, unsent_from(&queue, &batch, &report)));
                    }
                };
            let status = resp.status().as_u16();
            let ct = content_type(&resp);
            let bytes = body_bytes(NAME, &self.redacted, resp, || {
                unsent_from(&queue, &batch, &report)
            })
            .await?;
            match status {
                200..=299 if is_html(ct.as_deref(), &bytes) => {
                    return Err(html_answer(
                        NAME,
                        &self.redacted,
                        status,
                        &bytes,
                        unsent_from(&queue, &batch, &report),
                    ));
                }
                200..=299 => {
                    let v = parse_validation(&bytes);
                    tracing::debug!(lines_ok = ?v.lines_ok, "Dynatrace accepted the batch");
                    report.notes.extend(v.warnings);
                    report.accepted.extend(names(&batch));
                }
                400 => {
                    let v = parse_validation(&bytes);
                    let msg = v.message.clone().unwrap_or_else(|| error_message(&bytes));
                    report.notes.extend(v.warnings.iter().cloned());
                    let invalid = invalid_indices(batch.len(), &v.invalid_lines);
                    if v.lines_ok.unwrap_or(0) == 0 {
                        // Nothing stored: the batch failed as a whole.
                        let detail: Vec<String> = invalid
                            .iter()
                            .map(|(i, e)| format!("{}: {e}", batch[*i].metric))
                            .collect();
                        let mut message =
                            format!("Dynatrace rejected every line (HTTP 400): {msg}");
                        if !detail.is_empty() {
                            message.push_str(&format!(" [{}]", detail.join("; ")));
                        }
                        return Err(failure(
                            NAME,
                            SinkErrorKind::Rejected,
                            message,
                            unsent_from(&queue, &batch, &report),
                        ));
                    }
                    // Partial acceptance: not retried, the valid lines are stored already.
                    let mut rejected_idx = vec![false; batch.len()];
                    for (i, e) in &invalid {
                        rejected_idx[*i] = true;
                        tracing::warn!(line = %batch[*i].text, error = %e, "Dynatrace rejected a line");
                        report.rejected.push(Rejected {
                            metric: batch[*i].metric.clone(),
                            reason: e.clone(),
                        });
                    }
                    let expected_invalid = v.lines_invalid.and_then(|n| usize::try_from(n).ok());
                    if expected_invalid.is_some_and(|n| n > invalid.len()) {
                        // The API said more lines were invalid than it listed: we cannot tell
                        // which, so none of the unlisted ones count as acknowledged.
                        for (i, l) in batch.iter().enumerate() {
                            if !rejected_idx[i] {
                                report.rejected.push(Rejected {
                                    metric: l.metric.clone(),
                                    reason: format!("unconfirmed: Dynatrace reported {msg}"),
                                });
                            }
                        }
                    } else {
                        for (i, l) in batch.iter().enumerate() {
                            if !rejected_idx[i] {
                                report.accepted.push(l.metric.clone());
                            }
                        }
                    }
                }
                401 | 403 | 404 => {
                    let hint = match status {
                        401 => "check the token",
                        403 => "the token lacks the metrics.ingest scope",
                        _ => "wrong URL or ingest disabled",
                    };
                    let kind = if status == 404 {
                        SinkErrorKind::Config
                    } else {
                        SinkErrorKind::Auth
                    };
                    return Err(failure(
                        NAME,
                        kind,
                        format!(
                            "{} answered HTTP {status}: {hint} ({})",
                            self.redacted,
                            error_message(&bytes)
                        ),
                        unsent_from(&queue, &batch, &report),
                    ));
                }
                413 if batch.len() > 1 => {
                    tracing::warn!(lines = batch.len(), "HTTP 413: splitting the batch");
                    let mut first = batch;
                    let second = first.split_off(first.len() / 2);
                    queue.push_front(second);
                    queue.push_front(first);
                }
                _ => {
                    let message = format!(
                        "{} answered HTTP {status}: {}",
                        self.redacted,
                        error_message(&bytes)
                    );
                    return Err(failure(
                        NAME,
                        SinkErrorKind::Rejected,
                        message,
                        unsent_from(&queue, &batch, &report),
                    ));
                }
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ingest_url_forms() {
        let c = |u: &str| {
            DynatraceConfig::new(Url::parse(u).unwrap(), None)
                .ingest_url()
                .to_string()
        };
        assert_eq!(
            c("https://abc123.live.dynatrace.com"),
            "https://abc123.live.dynatrace.com/api/v2/metrics/ingest"
        );
        assert_eq!(
            c("https://abc123.live.dynatrace.com/"),
            "https://abc123.live.dynatrace.com/api/v2/metrics/ingest"
        );
        assert_eq!(
            c("https://ag:9999/e/env1/"),
            "https://ag:9999/e/env1/api/v2/metrics/ingest"
        );
        assert_eq!(
            c("http://localhost:14499/metrics/ingest"),
            "http://localhost:14499/metrics/ingest"
        );
        assert_eq!(
            c("https://x.live.dynatrace.com/api/v2/metrics/ingest"),
            "https://x.live.dynatrace.com/api/v2/metrics/ingest"
        );
    }

    #[test]
    fn validation_bodies_are_read_leniently() {
        let v = parse_validation(br#"{"linesOK":3,"linesInvalid":0,"error":null}"#);
        assert_eq!(v.lines_ok, Some(3));
        let v = parse_validation(br#"{"error":null,"linesValid":1,"linesInvalid":0}"#);
        assert_eq!(v.lines_ok, Some(1));
        let v = parse_validation(
            br#"{"linesOk":1,"linesInvalid":1,"error":{"code":400,"message":"1 invalid lines","invalidLines":[{"line":2,"error":"bad"}]},"warnings":{"message":"w","changedMetricKeys":[{"line":1,"warning":"changed"}]}}"#,
        );
        assert_eq!(v.invalid_lines, [(2, "bad".to_owned())]);
        assert_eq!(v.warnings, ["w", "changed"]);
        assert_eq!(
            invalid_indices(3, &v.invalid_lines),
            [(1, "bad".to_owned())]
        );
        assert_eq!(
            invalid_indices(3, &[(0, "x".into())]),
            [(0, "x".to_owned())]
        );
        assert!(invalid_indices(3, &[(9, "x".into())]).is_empty());
        let v = parse_validation(b"not json");
        assert_eq!(v.lines_ok, None);
    }
}

//! Pieces shared by the HTTP sinks: turning transport failures into [`SinkError`]s that name
//! every unsent metric, and reading small response bodies.

use http_policy::HttpError;

use crate::{SinkError, SinkErrorKind};

/// A transport-level failure (no usable response after the retries) as a [`SinkError`].
pub(crate) fn unavailable(sink: &'static str, err: &HttpError, unsent: Vec<String>) -> SinkError {
    let kind = match err {
        HttpError::Client(_) | HttpError::InvalidToken => SinkErrorKind::Config,
        HttpError::Transport { .. } | HttpError::RetriesExhausted { .. } => {
            SinkErrorKind::Unavailable
        }
    };
    SinkError {
        sink,
        kind,
        message: err.to_string(),
        unsent,
    }
}

/// A failure decided from a response or from the configuration.
// Owned `message`: every caller builds it with `format!`, and taking `&str` would only move
// the borrow to 20 call sites.
#[allow(clippy::needless_pass_by_value)]
pub(crate) fn failure(
    sink: &'static str,
    kind: SinkErrorKind,
    message: String,
    unsent: Vec<String>,
) -> SinkError {
    // Backends echo request parts (headers, tokens) in error bodies: the fan-out's
    // `Redaction` removes them from every outcome.
    SinkError {
        sink,
        kind,
        message,
        unsent,
    }
}

/// The `Content-Type` of a response, for [`is_html`].
pub(crate) fn content_type(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// True when a response is an HTML page: a proxy or single-sign-on login page answered with
/// a 2xx instead of the backend. None of the backends answers HTML, so such a "success" must
/// not count as an acknowledgement.
pub(crate) fn is_html(content_type: Option<&str>, body: &[u8]) -> bool {
    if content_type.is_some_and(|ct| ct.to_ascii_lowercase().contains("html")) {
        return true;
    }
    let start: Vec<u8> = body
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take(14)
        .map(u8::to_ascii_lowercase)
        .collect();
    start.starts_with(b"<!doctype html") || start.starts_with(b"<html")
}

/// The failure for an HTML "success" (see [`is_html`]).
pub(crate) fn html_answer(
    sink: &'static str,
    url: &str,
    status: u16,
    body: &[u8],
    unsent: Vec<String>,
) -> SinkError {
    failure(
        sink,
        SinkErrorKind::Unavailable,
        format!(
            "{url} answered HTTP {status} with an HTML page instead of the {sink} API (a proxy or login page?), so nothing was acknowledged: {}",
            http_policy::excerpt(&String::from_utf8_lossy(body))
        ),
        unsent,
    )
}

/// Reads a response body within [`http_policy::METRICS_RESPONSE_LIMIT`]. A body that cannot
/// be read is treated as empty (the status decides the outcome); one over the limit is
/// refused: nothing was acknowledged.
pub(crate) async fn body_bytes(
    sink: &'static str,
    url: &str,
    resp: reqwest::Response,
    unsent: impl FnOnce() -> Vec<String>,
) -> Result<Vec<u8>, SinkError> {
    match http_policy::read_body(resp, http_policy::METRICS_RESPONSE_LIMIT).await {
        Ok(b) => Ok(b),
        Err(e @ http_policy::BodyError::TooLarge { .. }) => Err(failure(
            sink,
            SinkErrorKind::Unavailable,
            format!("{url}: {e}"),
            unsent(),
        )),
        Err(e) => {
            tracing::debug!(error = %e, "could not read the response body");
            Ok(Vec::new())
        }
    }
}

/// The `message` of a JSON error body (`{"error":{"message":…}}` as Dynatrace's ErrorEnvelope,
/// or `{"message":…}` as google.rpc.Status), else an excerpt of the body.
pub(crate) fn error_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
        let msg = v
            .pointer("/error/message")
            .or_else(|| v.get("message"))
            .and_then(serde_json::Value::as_str);
        if let Some(m) = msg {
            return http_policy::excerpt(m);
        }
    }
    http_policy::excerpt(&text)
}

#[cfg(any(feature = "pushgateway", feature = "otlp"))]
/// Percent-decoding (`%41` → `A`); malformed escapes stay as they are, invalid UTF-8 is
/// replaced.
pub(crate) fn percent_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

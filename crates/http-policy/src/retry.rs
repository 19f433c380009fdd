//! Retries: a classification of outcomes plus one bounded loop (vector's `RetryLogic`,
//! reduced to what one-shot CLIs need).
//!
//! Bounded from both sides, whatever a policy asks for: at most [`MAX_RETRIES`] retries, and
//! never less than [`MIN_RETRY_DELAY`] between two attempts, so one retry loop sends at most
//! 10 requests per second to an API (a `Retry-After: 0` or a zero delay included).

use std::time::Duration;

use reqwest::{RequestBuilder, Response, StatusCode, header::HeaderMap};

/// An HTTP exchange that did not produce a usable response.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The client could not be built.
    #[error("could not set up the HTTP client: {0}")]
    Client(String),
    /// A token holds characters that cannot go into a header.
    #[error("the API token contains characters that are not allowed in an HTTP header")]
    InvalidToken,
    /// Connection refused, reset, DNS failure, TLS failure, or a timeout, after every attempt.
    #[error("{url}: {reason} (after {attempts} attempt{s})", s = if *attempts == 1 { "" } else { "s" })]
    Transport {
        /// Redacted URL.
        url: String,
        /// What went wrong, in one line.
        reason: String,
        /// Attempts made.
        attempts: u32,
        /// True when the last failure was a timeout.
        timed_out: bool,
    },
    /// The server kept answering with a retryable status (408, 429, 5xx).
    #[error("{url}: HTTP {status} after {attempts} attempt{s}: {body}", s = if *attempts == 1 { "" } else { "s" })]
    RetriesExhausted {
        /// Redacted URL.
        url: String,
        /// Last status.
        status: StatusCode,
        /// Excerpt of the last body.
        body: String,
        /// Attempts made.
        attempts: u32,
    },
}

/// The most retries any loop makes after the first attempt (`--retries` above it is refused).
pub const MAX_RETRIES: u32 = 10;

/// The least time between two attempts of one request: at most 10 requests per second.
pub const MIN_RETRY_DELAY: Duration = Duration::from_millis(100);

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts, the first included (1 = no retry).
    pub max_attempts: u32,
    /// Delay before the first retry; doubles each time (full jitter).
    pub base_delay: Duration,
    /// Upper bound of any single delay, `Retry-After` included.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// A policy with `retries` retries after the first attempt (at most [`MAX_RETRIES`]) and
    /// the default delays.
    #[must_use]
    pub fn with_retries(retries: u32) -> Self {
        if retries > MAX_RETRIES {
            tracing::warn!(
                retries,
                max = MAX_RETRIES,
                "--retries {retries} is more than {MAX_RETRIES}; using {MAX_RETRIES}"
            );
        }
        Self {
            max_attempts: retries.min(MAX_RETRIES).saturating_add(1),
            ..Self::default()
        }
    }

    /// Attempts the loop really makes: `max_attempts` within `1..=MAX_RETRIES + 1`.
    #[must_use]
    pub fn attempts(&self) -> u32 {
        self.max_attempts.clamp(1, MAX_RETRIES + 1)
    }

    /// Delay before retry number `retry` (1-based): `Retry-After` when the server sent one,
    /// else exponential backoff with full jitter; capped at `max_delay` and never below
    /// [`MIN_RETRY_DELAY`].
    #[must_use]
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        self.unbounded_delay(retry, retry_after)
            .max(MIN_RETRY_DELAY)
    }

    fn unbounded_delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(d) = retry_after {
            return d.min(self.max_delay);
        }
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)))
            .min(self.max_delay);
        // Full jitter between half and the whole delay; the clock's nanoseconds are random
        // enough to keep parallel CI jobs from retrying in lockstep.
        let nanos = u64::from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .subsec_nanos(),
        );
        let half = exp / 2;
        let spread = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX).max(1);
        half + Duration::from_nanos(nanos % spread)
    }
}

/// Statuses worth another try: 408, 429 and every 5xx (vector's default strategy).
#[must_use]
pub fn is_retryable_status(status: StatusCode) -> bool {
    status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
}

/// `Retry-After` as delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
#[must_use]
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let raw = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = raw.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = jiff::fmt::rfc2822::parse(raw).ok()?.timestamp();
    let now = jiff::Timestamp::now();
    let secs = when.as_second().saturating_sub(now.as_second());
    Some(Duration::from_secs(u64::try_from(secs).unwrap_or(0)))
}

/// A response body cut to one line of at most 1 KiB, for error messages. Secrets are not
/// removed here: use [`crate::Redaction::excerpt`], or redact the message it ends up in (the
/// binaries' redactor also removes a secret this cut in half, before the `…`).
#[must_use]
pub fn excerpt(body: &str) -> String {
    const MAX: usize = 1024;
    let one_line: String = body
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = one_line.trim();
    if trimmed.len() <= MAX {
        return trimmed.to_owned();
    }
    let mut end = MAX;
    while !trimmed.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &trimmed[..end])
}

/// Sends the request built by `build` until it gets a response that is not retryable, or the
/// policy runs out. Non-retryable responses (2xx, and 4xx other than 408/429) are returned as
/// they are, for the caller to interpret.
///
/// `url` is the redacted URL used in messages.
///
/// # Errors
/// [`HttpError::Transport`] when no response came back, [`HttpError::RetriesExhausted`] when
/// every attempt got a retryable status.
pub async fn send_with_retry(
    policy: &RetryPolicy,
    url: &str,
    build: impl Fn() -> RequestBuilder,
) -> Result<Response, HttpError> {
    let max = policy.attempts();
    let mut attempt = 0;
    loop {
        attempt += 1;
        match build().send().await {
            Ok(resp) if is_retryable_status(resp.status()) => {
                let status = resp.status();
                let wait = retry_after(resp.headers());
                if attempt >= max {
                    let body = crate::read_text(resp, crate::ERROR_RESPONSE_LIMIT)
                        .await
                        .unwrap_or_else(|e| format!("[{e}]"));
                    return Err(HttpError::RetriesExhausted {
                        url: url.to_owned(),
                        status,
                        body: excerpt(&body),
                        attempts: attempt,
                    });
                }
                let delay = policy.delay(attempt, wait);
                tracing::warn!(%status, attempt, ?delay, url, "retryable response, retrying");
                tokio::time::sleep(delay).await;
            }
            Ok(resp) => return Ok(resp),
            Err(err) => {
                let timed_out = err.is_timeout();
                if attempt >= max {
                    return Err(HttpError::Transport {
                        url: url.to_owned(),
                        reason: describe(&err),
                        attempts: attempt,
                        timed_out,
                    });
                }
                let delay = policy.delay(attempt, None);
                tracing::warn!(error = %describe(&err), attempt, ?delay, url, "request failed, retrying");
                tokio::time::sleep(delay).await;
            }
        }
    }
}

/// One line naming the innermost cause (reqwest's own Display hides it), without the URL,
/// which reqwest would print unredacted.
pub(crate) fn describe(err: &reqwest::Error) -> String {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else if err.is_body() || err.is_decode() {
        "the response body could not be read"
    } else {
        "request failed"
    };
    let mut cause: Option<&dyn std::error::Error> = std::error::Error::source(err);
    let mut last = None;
    while let Some(c) = cause {
        last = Some(c.to_string());
        cause = c.source();
    }
    match last {
        Some(root) if !root.is_empty() => format!("{kind}: {root}"),
        _ => kind.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    };

    fn fast(attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts: attempts,
            base_delay: Duration::ZERO,
            max_delay: Duration::from_millis(5),
        }
    }

    async fn serve(router: axum::Router) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        format!("http://{addr}/")
    }

    #[tokio::test]
    async fn retries_503_then_succeeds_and_never_retries_401() {
        let hits = Arc::new(AtomicU32::new(0));
        let h = hits.clone();
        let router = axum::Router::new()
            .route(
                "/flaky",
                axum::routing::get(move || {
                    let h = h.clone();
                    async move {
                        if h.fetch_add(1, Ordering::SeqCst) == 0 {
                            (StatusCode::SERVICE_UNAVAILABLE, "busy")
                        } else {
                            (StatusCode::OK, "ok")
                        }
                    }
                }),
            )
            .route(
                "/denied",
                axum::routing::get(|| async { (StatusCode::UNAUTHORIZED, "no") }),
            );
        let base = serve(router).await;
        let client = crate::HttpConfig::default().client().unwrap();
        let url = format!("{base}flaky");
        let resp = send_with_retry(&fast(3), &url, || client.get(&url))
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(hits.load(Ordering::SeqCst), 2);

        let url = format!("{base}denied");
        let resp = send_with_retry(&fast(3), &url, || client.get(&url))
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn gives_up_after_the_policy_and_says_so() {
        let router = axum::Router::new().route(
            "/down",
            axum::routing::get(|| async { (StatusCode::BAD_GATEWAY, "upstream down") }),
        );
        let base = serve(router).await;
        let client = crate::HttpConfig::default().client().unwrap();
        let url = format!("{base}down");
        let err = send_with_retry(&fast(3), &url, || client.get(&url))
            .await
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("502") && msg.contains("3 attempts") && msg.contains("upstream down"),
            "{msg}"
        );
    }

    #[tokio::test]
    async fn connection_refused_is_a_transport_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let client = crate::HttpConfig::default().client().unwrap();
        let url = format!("http://{addr}/");
        let err = send_with_retry(&fast(2), &url, || client.get(&url))
            .await
            .unwrap_err();
        assert!(
            matches!(err, HttpError::Transport { attempts: 2, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("could not connect"), "{err}");
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(reqwest::header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            reqwest::header::RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        let p = RetryPolicy::default();
        assert_eq!(p.delay(1, Some(Duration::from_secs(600))), p.max_delay);
        assert!(p.delay(3, None) <= p.max_delay);
    }

    #[tokio::test]
    async fn zero_delays_and_absurd_attempts_are_bounded() {
        let hits = Arc::new(AtomicU32::new(0));
        let h = hits.clone();
        let router = axum::Router::new().route(
            "/busy",
            axum::routing::get(move || {
                h.fetch_add(1, Ordering::SeqCst);
                async {
                    (
                        StatusCode::TOO_MANY_REQUESTS,
                        [("retry-after", "0")],
                        "slow down",
                    )
                }
            }),
        );
        let base = serve(router).await;
        let client = crate::HttpConfig::default().client().unwrap();
        let url = format!("{base}busy");
        let policy = RetryPolicy {
            max_attempts: u32::MAX,
            base_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
        };
        let err = send_with_retry(&policy, &url, || client.get(&url))
            .await
            .unwrap_err();
        let sent = hits.load(Ordering::SeqCst);
        assert_eq!(sent, MAX_RETRIES + 1, "{err}");
    }

    #[test]
    fn delays_have_a_floor_and_retries_a_ceiling() {
        let zero = RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
        };
        assert_eq!(zero.delay(1, None), MIN_RETRY_DELAY);
        assert_eq!(zero.delay(1, Some(Duration::ZERO)), MIN_RETRY_DELAY);
        assert_eq!(
            RetryPolicy::with_retries(u32::MAX).attempts(),
            MAX_RETRIES + 1
        );
        assert_eq!(RetryPolicy::with_retries(0).attempts(), 1);
    }

    #[test]
    fn a_redaction_excerpt_removes_secrets_before_cutting() {
        let r = crate::Redaction::new(|t| t.replace("dt0c01.ECHOED-SECRET", "[REDACTED]"));
        let e = r.excerpt("{\"error\": \"token dt0c01.ECHOED-SECRET is invalid\"}");
        assert!(!e.contains("ECHOED-SECRET"), "{e}");
        assert!(e.contains("[REDACTED]"), "{e}");
        // The secret straddles the 1 KiB cut: redacting first leaves none of it.
        let body = format!("{}dt0c01.ECHOED-SECRET", "x".repeat(1010));
        assert!(!r.excerpt(&body).contains("dt0c01"));
    }

    #[test]
    fn excerpt_is_one_bounded_line() {
        assert_eq!(excerpt("a\nb\r\n"), "a b");
        let long = "x".repeat(5000);
        assert!(excerpt(&long).len() <= 1024 + '…'.len_utf8());
    }
}

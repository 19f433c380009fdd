#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod body;
mod endpoint;
mod retry;

pub use body::{
    BodyError, ERROR_RESPONSE_LIMIT, KEPTN_RESPONSE_LIMIT, METRICS_RESPONSE_LIMIT,
    QUERY_RESPONSE_LIMIT, read_body, read_text,
};
pub use endpoint::{EndpointError, EndpointRules, is_loopback, parse_endpoint, redact_url};
pub use retry::{
    HttpError, RetryPolicy, excerpt, is_retryable_status, retry_after, send_with_retry,
};
pub use retry::{MAX_RETRIES, MIN_RETRY_DELAY};

use std::time::Duration;

/// Timeouts and identity shared by every HTTP client vulngate builds.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Time allowed to open a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Time allowed for one whole request, response body included.
    pub timeout: Duration,
    /// `User-Agent` header, `name/version`.
    pub user_agent: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
            user_agent: concat!("vulngate/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

impl HttpConfig {
    /// Builds the one `reqwest::Client` configuration used everywhere: bounded timeouts,
    /// rustls, no redirects to other hosts (a token must not follow a redirect).
    ///
    /// # Errors
    /// When the TLS backend cannot be initialised.
    pub fn client(&self) -> Result<reqwest::Client, HttpError> {
        reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .user_agent(self.user_agent.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| HttpError::Client(e.to_string()))
    }
}

/// Secrets this process sends. A server may echo a token back (in an error body, a
/// "token `x` is invalid" message); every server-supplied text goes through [`excerpt`],
/// which removes them, so an echoed token never reaches the user's terminal or CI log.
static SECRETS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Remembers `secret` so that [`excerpt`] and [`scrub`] remove it. [`secret_header`] calls
/// this itself; call it for secrets sent in other ways (a query parameter, a body).
pub fn register_secret(secret: &str) {
    // Very short values would redact ordinary words; tokens are long.
    if secret.len() < 4 {
        return;
    }
    if let Ok(mut s) = SECRETS.lock()
        && !s.iter().any(|k| k == secret)
    {
        s.push(secret.to_owned());
    }
}

/// `text` with every registered secret replaced by `[REDACTED]`.
#[must_use]
pub fn scrub(text: &str) -> String {
    let mut out = text.to_owned();
    if let Ok(s) = SECRETS.lock() {
        for secret in s.iter() {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), "[REDACTED]");
            }
        }
    }
    out
}

/// Builds a header value that holds a secret: marked sensitive so that reqwest and
/// hyper never print it, even in their own `Debug` output.
///
/// # Errors
/// When the secret holds characters not allowed in a header (newlines, control characters).
pub fn secret_header(
    prefix: &str,
    secret: &str,
) -> Result<reqwest::header::HeaderValue, HttpError> {
    register_secret(secret);
    let mut value = reqwest::header::HeaderValue::from_str(&format!("{prefix}{secret}"))
        .map_err(|_| HttpError::InvalidToken)?;
    value.set_sensitive(true);
    Ok(value)
}

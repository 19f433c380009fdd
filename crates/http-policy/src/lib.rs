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
    /// Applied to every server-supplied text the client returns.
    pub redaction: Redaction,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
            user_agent: concat!("vulngate/", env!("CARGO_PKG_VERSION")).to_owned(),
            redaction: Redaction::default(),
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
        client_builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .user_agent(self.user_agent.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| HttpError::Client(e.to_string()))
    }
}

/// The start of every `reqwest::Client` in the workspace, tests included.
///
/// reqwest is built without a crypto provider (`rustls-no-provider`, so that aws-lc and its C
/// build stay out); it panics when a client is built before one is installed. Installing ring
/// here, once, before handing out the builder makes that panic impossible by construction.
pub fn client_builder() -> reqwest::ClientBuilder {
    static PROVIDER: std::sync::Once = std::sync::Once::new();
    PROVIDER.call_once(|| {
        // `Err` means another provider was installed first (an embedding application); keep it.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    #[allow(clippy::disallowed_methods)] // the one place allowed to (clippy.toml)
    reqwest::Client::builder()
}

/// How a client removes secrets from the text it hands back (server bodies, per-line errors,
/// messages). The binary builds it from its `cli_support::Redactor`; the default removes
/// nothing. Kept as a function so this crate needs no knowledge of where secrets come from.
#[derive(Clone)]
pub struct Redaction(std::sync::Arc<dyn Fn(&str) -> String + Send + Sync>);

impl Redaction {
    /// A redaction that applies `redact` to every text.
    pub fn new(redact: impl Fn(&str) -> String + Send + Sync + 'static) -> Self {
        Self(std::sync::Arc::new(redact))
    }

    /// `text` without secrets.
    #[must_use]
    pub fn apply(&self, text: &str) -> String {
        (self.0)(text)
    }

    /// An [`excerpt`] of a server body with the secrets removed first, so that cutting the body
    /// cannot leave half a secret behind.
    #[must_use]
    pub fn excerpt(&self, body: &str) -> String {
        excerpt(&self.apply(body))
    }
}

impl Default for Redaction {
    fn default() -> Self {
        Self::new(str::to_owned)
    }
}

impl std::fmt::Debug for Redaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Redaction")
    }
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
    let mut value = reqwest::header::HeaderValue::from_str(&format!("{prefix}{secret}"))
        .map_err(|_| HttpError::InvalidToken)?;
    value.set_sensitive(true);
    Ok(value)
}

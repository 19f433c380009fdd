//! The SLI provider flags `slo-gate` and `trivy-scan --slo` share, defined once, and the one
//! place a `--provider` choice becomes an [`AnyProvider`] (feature `cli`; ADR 006).
//!
//! Only what both binaries mean the same way is here: `--provider`, `--prometheus-url` and the
//! window (`--from`, `--to`, `--timeframe`). The Dynatrace URL and token, the request timeout
//! and the retries come from each binary's own flags (slo-gate reads `DT_TENANT` /
//! `DT_API_TOKEN`; trivy-scan shares them with its Dynatrace metrics sink), resolved into a
//! [`Backend`].

use cli_support::Failure;
use http_policy::{EndpointRules, HttpConfig, RetryPolicy, parse_endpoint};
use jiff::{SignedDuration, Timestamp};
use secrecy::SecretString;
use sli_provider::dynatrace::DynatraceProvider;
use sli_provider::prometheus::PrometheusProvider;
use sli_provider::{AnyProvider, ProviderError, Window};

pub use crate::feed_args::{FeedArgs, LoadedFeeds, feed_record};

/// Where SLI values come from when `--provider` is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Provider {
    /// Prometheus HTTP API: instant query of each sli.yaml PromQL at the end of the window.
    Prometheus,
    /// Dynatrace Metrics API v2: each sli.yaml `metricSelector=...` over the window.
    Dynatrace,
}

/// `--provider`.
#[derive(Debug, Clone, clap::Args)]
#[group(skip)]
pub struct ProviderArg {
    /// Query a metrics backend for each objective's SLI (needs --sli).
    #[arg(long, value_enum, requires = "sli")]
    pub provider: Option<Provider>,
}

/// `--explain N`.
#[derive(Debug, Clone, clap::Args)]
#[group(skip)]
pub struct ExplainArgs {
    /// For each objective that is not pass and counts findings, list at most N of the
    /// findings behind it, grouped by package, with a fix plan (default 10 in text, markdown
    /// and junit; all in json). Only with SLI values from a report.
    #[arg(long, value_name = "N")]
    pub explain: Option<usize>,
}

/// `--prometheus-url`.
#[derive(Debug, Clone, clap::Args)]
#[group(skip)]
pub struct PrometheusArgs {
    /// Prometheus base URL.
    #[arg(long, env = cli_support::env::PROMETHEUS_URL, value_name = "URL")]
    pub prometheus_url: Option<String>,
}

/// The evaluation window: `--from`, `--to`, `--timeframe`.
#[derive(Debug, Clone, clap::Args)]
#[group(skip)]
pub struct WindowArgs {
    /// Start of the evaluation window (RFC 3339).
    #[arg(long, value_name = "TIME", conflicts_with = "timeframe")]
    pub from: Option<String>,

    /// End of the evaluation window (RFC 3339; default now).
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,

    /// Length of the window ending at --to (or now), e.g. 5m (default 5m).
    #[arg(long, value_name = "DURATION")]
    pub timeframe: Option<String>,
}

impl WindowArgs {
    /// True when any window flag was given.
    #[must_use]
    pub const fn given(&self) -> bool {
        self.from.is_some() || self.to.is_some() || self.timeframe.is_some()
    }

    /// The evaluation window the flags describe (default: the 5 minutes ending now).
    ///
    /// # Errors
    /// A usage [`Failure`]: a time that is not RFC 3339, a bad duration, an empty window.
    pub fn window(&self) -> Result<Window, Failure> {
        let end = match &self.to {
            Some(t) => parse_time(t, "--to")?,
            None => Timestamp::now(),
        };
        let start = match (&self.from, &self.timeframe) {
            (Some(f), _) => parse_time(f, "--from")?,
            (None, tf) => {
                let d = cli_support::parse_duration(tf.as_deref().unwrap_or("5m"))
                    .map_err(|e| Failure::usage(format!("--timeframe: {e}")))?;
                let d = SignedDuration::try_from(d)
                    .map_err(|_| Failure::usage("--timeframe is too long"))?;
                end.checked_sub(d)
                    .map_err(|_| Failure::usage("--timeframe reaches before the year -9999"))?
            }
        };
        if start >= end {
            return Err(Failure::usage(format!(
                "the evaluation window is empty: start {start} is not before end {end}"
            )));
        }
        Ok(Window { start, end })
    }
}

fn parse_time(raw: &str, flag: &str) -> Result<Timestamp, Failure> {
    raw.trim().parse::<Timestamp>().map_err(|e| {
        Failure::usage(format!(
            "{flag} `{raw}` is not an RFC 3339 time such as 2026-11-22T07:00:00Z: {e}"
        ))
    })
}

/// Everything a backend provider is built from, resolved by the binary from its flags.
#[derive(Debug)]
pub struct Backend<'a> {
    /// `--prometheus-url` (or `PROMETHEUS_URL`).
    pub prometheus_url: Option<&'a str>,
    /// The Dynatrace environment URL, after the binary's env fallbacks.
    pub dynatrace_url: Option<String>,
    /// The Dynatrace API token (`metrics.read`), loaded once by the binary.
    pub dynatrace_token: Option<SecretString>,
    /// Where the binary takes the Dynatrace URL from, for the message when it is missing
    /// (`--dynatrace-url (or DT_TENANT / METRICS_ENDPOINT)`).
    pub dynatrace_url_source: &'static str,
    /// Where the binary takes the token from, likewise.
    pub dynatrace_token_source: &'static str,
    /// `--allow-insecure-http`.
    pub allow_insecure_http: bool,
    /// Timeouts, user agent and redaction of the queries.
    pub http: HttpConfig,
    /// Retries of one query.
    pub retry: RetryPolicy,
}

impl Provider {
    /// Builds the chosen provider: checks its URL (a token needs https off loopback) and
    /// token, and gives it the client, retries and redaction.
    ///
    /// # Errors
    /// A usage [`Failure`] (exit 2) for a missing or unsafe URL or a missing token; an
    /// external one (exit 3) when the HTTP client cannot be built.
    pub fn build(self, b: Backend<'_>) -> Result<AnyProvider, Failure> {
        let redaction = b.http.redaction.clone();
        let client = b
            .http
            .client()
            .map_err(|e| Failure::external(e.to_string()))?;
        match self {
            Self::Prometheus => {
                let raw = b.prometheus_url.ok_or_else(|| {
                    Failure::usage(
                        "--provider prometheus needs --prometheus-url (or PROMETHEUS_URL)",
                    )
                })?;
                // Credentials in the URL's userinfo count as a token (parse_endpoint).
                let url = parse_endpoint(
                    raw,
                    EndpointRules {
                        carries_token: false,
                        allow_insecure_http: b.allow_insecure_http,
                    },
                )
                .map_err(|e| Failure::usage(format!("--prometheus-url: {e}")))?;
                let mut p = PrometheusProvider::new(url, client);
                p.retry = b.retry;
                p.redaction = redaction;
                Ok(AnyProvider::Prometheus(p))
            }
            Self::Dynatrace => {
                let raw = b.dynatrace_url.ok_or_else(|| {
                    Failure::usage(format!(
                        "--provider dynatrace needs {}",
                        b.dynatrace_url_source
                    ))
                })?;
                let url = parse_endpoint(
                    &raw,
                    EndpointRules {
                        carries_token: true,
                        allow_insecure_http: b.allow_insecure_http,
                    },
                )
                .map_err(|e| Failure::usage(format!("--dynatrace-url: {e}")))?;
                let token = b.dynatrace_token.ok_or_else(|| {
                    Failure::usage(format!(
                        "--provider dynatrace needs {}",
                        b.dynatrace_token_source
                    ))
                })?;
                let mut p = DynatraceProvider::new(url, token, client);
                p.retry = b.retry;
                p.redaction = redaction;
                Ok(AnyProvider::Dynatrace(p))
            }
        }
    }
}

/// The one line for a backend that could not be asked (exit 3), with a hint for a refused
/// token.
#[must_use]
pub fn backend_failure(e: &ProviderError) -> Failure {
    let hint = if e.is_auth() {
        " (check the API token and its scopes)"
    } else {
        ""
    };
    Failure::external(format!("the metrics backend failed: {e}{hint}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(from: Option<&str>, to: Option<&str>, timeframe: Option<&str>) -> WindowArgs {
        WindowArgs {
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
            timeframe: timeframe.map(str::to_owned),
        }
    }

    #[test]
    fn windows() {
        let w = args(None, Some("2026-11-22T07:05:00Z"), Some("10m"))
            .window()
            .unwrap();
        assert_eq!(w.start.to_string(), "2026-11-22T06:55:00Z");
        let e = args(
            Some("2026-11-22T07:05:00Z"),
            Some("2026-11-22T07:00:00Z"),
            None,
        )
        .window()
        .unwrap_err();
        assert!(e.message.contains("empty"), "{}", e.message);
        let e = args(None, Some("yesterday"), None).window().unwrap_err();
        assert!(e.message.starts_with("--to `yesterday`"), "{}", e.message);
        assert!(!args(None, None, None).given());
    }

    fn backend() -> Backend<'static> {
        Backend {
            prometheus_url: None,
            dynatrace_url: None,
            dynatrace_token: None,
            dynatrace_url_source: "--dynatrace-url (or X)",
            dynatrace_token_source: "--dynatrace-token (or Y)",
            allow_insecure_http: false,
            http: HttpConfig::default(),
            retry: RetryPolicy::with_retries(0),
        }
    }

    #[test]
    fn building_checks_url_and_token() {
        let e = Provider::Prometheus.build(backend()).unwrap_err();
        assert_eq!(
            e.message,
            "--provider prometheus needs --prometheus-url (or PROMETHEUS_URL)"
        );
        let p = Provider::Prometheus
            .build(Backend {
                prometheus_url: Some("http://127.0.0.1:9090"),
                ..backend()
            })
            .unwrap();
        assert!(matches!(p, AnyProvider::Prometheus(_)));
        let e = Provider::Dynatrace.build(backend()).unwrap_err();
        assert_eq!(
            e.message,
            "--provider dynatrace needs --dynatrace-url (or X)"
        );
        let e = Provider::Dynatrace
            .build(Backend {
                dynatrace_url: Some("https://abc.live.dynatrace.com".to_owned()),
                ..backend()
            })
            .unwrap_err();
        assert_eq!(
            e.message,
            "--provider dynatrace needs --dynatrace-token (or Y)"
        );
        let e = Provider::Dynatrace
            .build(Backend {
                dynatrace_url: Some("http://tenant.example.invalid".to_owned()),
                dynatrace_token: Some(SecretString::from("dt0c01.X")),
                ..backend()
            })
            .unwrap_err();
        assert!(e.message.contains("plain http"), "{}", e.message);
    }
}

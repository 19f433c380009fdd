#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod provider;
pub mod query;
pub mod report;
pub mod values;

#[cfg(feature = "dynatrace")]
pub mod dynatrace;
#[cfg(feature = "prometheus")]
pub mod prometheus;

pub use provider::{
    AnyProvider, Keys, Outcome, Reading, ResultConvention, SliProvider, SliQuery, fetch,
};
pub use query::QueryContext;

use jiff::{SignedDuration, Timestamp};

/// The evaluation window `[start, end]` an SLI provider queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Start of the window.
    pub start: Timestamp,
    /// End of the window; instant queries are evaluated here.
    pub end: Timestamp,
}

impl Window {
    /// The window of length `length` that ends at `end` (Keptn's `timeframe`).
    #[must_use]
    pub fn ending_at(end: Timestamp, length: SignedDuration) -> Self {
        Self {
            start: end - length,
            end,
        }
    }

    /// `end - start` in whole seconds, rounded up (prometheus-service's `getDurationInSeconds`).
    #[must_use]
    pub fn duration_seconds_ceil(&self) -> i64 {
        let d = self.end.duration_since(self.start);
        let secs = d.as_secs();
        if d.subsec_nanos() > 0 { secs + 1 } else { secs }
    }

    /// A timestamp the way Keptn writes `get-sli.start` / `end`: `2006-01-02T15:04:05.000Z`.
    #[must_use]
    pub fn keptn_time(ts: Timestamp) -> String {
        ts.strftime("%Y-%m-%dT%H:%M:%S.%3fZ").to_string()
    }
}

/// One SLI as a provider answered it: a value, or the reason there is none.
///
/// A failed SLI is never turned into 0: the evaluation sees `success: false` and the objective
/// fails (lighthouse semantics).
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    /// SLI name (the objective's `sli`).
    pub name: String,
    /// The value, or the message of the failure.
    pub outcome: Result<f64, String>,
}

impl Indicator {
    /// A successful SLI.
    #[must_use]
    pub fn value(name: impl Into<String>, value: f64) -> Self {
        Self {
            name: name.into(),
            outcome: Ok(value),
        }
    }

    /// A failed SLI with its reason.
    #[must_use]
    pub fn failed(name: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            outcome: Err(message.into()),
        }
    }
}

/// A metrics backend could not be asked at all (transport, authentication, server errors).
///
/// This is different from a failed SLI (no data, several series, a bad query), which is
/// reported per indicator and evaluated as lighthouse does.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The request failed after retries (connection, timeout, retryable statuses).
    #[cfg(feature = "_http")]
    #[error(transparent)]
    Http(#[from] http_policy::HttpError),
    /// The backend answered with a status that is not an answer to the query
    /// (401, 403, 404 on the API path, other 4xx that are not a query problem).
    #[error("{url}: HTTP {status}: {body}")]
    Status {
        /// Redacted URL.
        url: String,
        /// HTTP status code.
        status: u16,
        /// Excerpt of the response body.
        body: String,
    },
    /// The backend answered 2xx but not in the documented shape.
    #[error("{url}: unexpected response: {reason}")]
    Protocol {
        /// Redacted URL.
        url: String,
        /// What did not match.
        reason: String,
    },
}

impl ProviderError {
    /// True when the backend refused the credentials (401/403).
    #[must_use]
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            Self::Status {
                status: 401 | 403,
                ..
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keptn_time_format() {
        let ts: Timestamp = "2026-11-22T07:05:45.5Z".parse().unwrap();
        assert_eq!(Window::keptn_time(ts), "2026-11-22T07:05:45.500Z");
    }

    #[test]
    fn window_length() {
        let end: Timestamp = "2026-11-22T07:05:45Z".parse().unwrap();
        let w = Window::ending_at(end, SignedDuration::from_mins(5));
        assert_eq!(w.duration_seconds_ceil(), 300);
        assert_eq!(Window::keptn_time(w.start), "2026-11-22T07:00:45.000Z");
    }
}

#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

#[cfg(feature = "_http")]
mod batch;
mod fanout;
mod model;
mod stdout;
#[cfg(feature = "_http")]
mod transport;

#[cfg(feature = "dynatrace")]
pub mod dynatrace;
#[cfg(feature = "otlp")]
pub mod otlp;
#[cfg(feature = "pushgateway")]
pub mod pushgateway;

#[cfg(feature = "dynatrace")]
pub use dynatrace::{DynatraceConfig, DynatraceMode, DynatraceSink};
/// Re-exported so callers can build configs without depending on these crates themselves.
#[cfg(feature = "_http")]
pub use http_policy::{HttpConfig, RetryPolicy};
#[cfg(feature = "otlp")]
pub use otlp::{OtlpConfig, OtlpProtocol, OtlpSink};
#[cfg(feature = "pushgateway")]
pub use pushgateway::{PushgatewayConfig, PushgatewaySink};
/// Re-exported so callers can build configs without depending on `url` themselves.
#[cfg(feature = "_http")]
pub use url::Url;

pub use fanout::{BatchOutcome, FanOut, SinkOutcome};
pub use model::{ImageRef, Metric, Snapshot, names};
pub use stdout::{SharedBuffer, StdoutFormat, StdoutSink};

use async_trait::async_trait;

/// A place scan metrics are published to.
///
/// Contract (as OpenTelemetry documents its exporters):
/// - `push` / `push_batch` are never called concurrently on one sink; each snapshot is
///   passed once, alone (`push`) or with other images' (`push_batch`, a fleet run);
/// - the sink owns its retries and must give up within its configured timeouts, never hang;
/// - every metric of the snapshot that the sink sends ends up either acknowledged (counted in
///   [`PushReport::accepted`]) or named in [`PushReport::rejected`] / [`SinkError::unsent`]:
///   nothing is dropped silently;
/// - secrets never appear in `Debug`, errors or logs.
#[async_trait]
pub trait MetricsSink: Send + Sync + std::fmt::Debug {
    /// Short backend name for messages: `stdout`, `dynatrace`, `pushgateway`, `otlp`.
    fn name(&self) -> &'static str;

    /// Publishes one snapshot.
    ///
    /// # Errors
    /// A [`SinkError`] when the backend could not be reached or refused the batch.
    async fn push(&self, snapshot: &Snapshot) -> Result<PushReport, SinkError>;

    /// Publishes several snapshots (one per image, a fleet run) in as few requests as the
    /// protocol allows, and returns one result per snapshot, in the same order, so the caller
    /// can name the images whose series were not accepted.
    ///
    /// The default pushes each snapshot in turn; a failing snapshot never stops the others.
    /// Backends whose protocol takes several images in one request (Dynatrace: up to its line
    /// and size limits) override it.
    async fn push_batch(&self, snapshots: &[Snapshot]) -> Vec<Result<PushReport, SinkError>> {
        let mut out = Vec::with_capacity(snapshots.len());
        for s in snapshots {
            out.push(self.push(s).await);
        }
        out
    }
}

/// What a backend acknowledged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushReport {
    /// Backend-specific metric identities that were acknowledged (for example Dynatrace lines'
    /// keys, or `trivy_image_vulnerabilities{severity="Critical"}`).
    pub accepted: Vec<String>,
    /// Metrics the backend refused while accepting the rest, each with the backend's reason.
    pub rejected: Vec<Rejected>,
    /// Anything else worth telling the user (warnings, changed keys).
    pub notes: Vec<String>,
}

/// One metric a backend refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Backend-specific metric identity (the line, or the series name).
    pub metric: String,
    /// Why, as the backend said it.
    pub reason: String,
}

/// Why a push failed as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{sink}: {message}")]
pub struct SinkError {
    /// The sink's [`MetricsSink::name`].
    pub sink: &'static str,
    /// What kind of failure, so callers can choose an exit code or a hint.
    pub kind: SinkErrorKind,
    /// One sentence for the user, with the backend's own message where there is one.
    pub message: String,
    /// Metrics that were not acknowledged: the user must know which numbers are missing.
    pub unsent: Vec<String>,
}

/// Classes of push failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkErrorKind {
    /// Bad configuration detected before sending (URL, token format).
    Config,
    /// The backend refused our credentials (401/403).
    Auth,
    /// The backend refused the data (4xx other than auth).
    Rejected,
    /// No usable answer: connection refused, timeouts, 5xx or 429 until retries ran out.
    Unavailable,
    /// Writing to a local stream failed.
    Io,
}

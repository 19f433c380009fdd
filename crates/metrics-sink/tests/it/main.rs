//! Integration tests of the HTTP sinks against a strict fake Dynatrace, an in-process OTLP
//! receiver, and the real Pushgateway and Prometheus. One binary (link time on two cores).

mod batch;
mod bounded_body;
mod dynatrace;
mod guarantee;
mod otlp;
mod pushgateway;
mod secrets;

use std::collections::BTreeSet;
use std::time::Duration;

use metrics_sink::{ImageRef, PushReport, RetryPolicy, SinkError, Snapshot};

/// The counts of `tests/fixtures/trivy-reports/generated-0.76-image-alpine-3.14.json`
/// (README: 29 = 6/9/10/2/2).
pub(crate) const ALPINE: [(&str, u64); 5] = [
    ("CRITICAL", 6),
    ("HIGH", 9),
    ("MEDIUM", 10),
    ("LOW", 2),
    ("UNKNOWN", 2),
];
pub(crate) const ALPINE_IMAGE: &str = "127.0.0.1:5000/fixture/alpine-vulnerable:3.14";

pub(crate) fn snapshot(image: &str, counts: &[(&str, u64)]) -> Snapshot {
    Snapshot::vulnerability_counts(
        ImageRef::parse(image),
        jiff::Timestamp::now(),
        counts.iter().copied(),
    )
}

/// Retries without waiting (429/5xx tests stay fast), `attempts` in total.
pub(crate) fn fast_retry(attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts: attempts,
        base_delay: Duration::ZERO,
        max_delay: Duration::from_secs(3),
    }
}

/// The guarantee: every metric the sink was expected to send is acknowledged, or named as
/// rejected, or named as unsent. Nothing disappears.
pub(crate) fn assert_accounted(expected: &[String], result: &Result<PushReport, SinkError>) {
    let want: BTreeSet<&str> = expected.iter().map(String::as_str).collect();
    let got: BTreeSet<&str> = match result {
        Ok(r) => r
            .accepted
            .iter()
            .map(String::as_str)
            .chain(r.rejected.iter().map(|x| x.metric.as_str()))
            .collect(),
        Err(e) => e.unsent.iter().map(String::as_str).collect(),
    };
    assert_eq!(got, want, "not every metric is accounted for: {result:?}");
    if let Ok(r) = result {
        let acc: BTreeSet<&str> = r.accepted.iter().map(String::as_str).collect();
        assert!(
            r.rejected.iter().all(|x| !acc.contains(x.metric.as_str())),
            "a metric is both accepted and rejected: {r:?}"
        );
    }
}

pub(crate) fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

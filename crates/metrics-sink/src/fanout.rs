//! Publishing one snapshot to several sinks.

use http_policy::Redaction;

use crate::{MetricsSink, PushReport, SinkError, Snapshot};

/// Several sinks behind one call. A failing sink never stops the others; every outcome is
/// returned, in the order the sinks were added, with the secrets removed from every
/// server-supplied text (error messages, rejection reasons, notes).
#[derive(Debug, Default)]
pub struct FanOut {
    sinks: Vec<Box<dyn MetricsSink>>,
    redaction: Redaction,
}

/// The outcome of one sink in a [`FanOut`].
#[derive(Debug)]
pub struct SinkOutcome {
    /// The sink's name.
    pub sink: &'static str,
    /// What happened.
    pub result: Result<PushReport, SinkError>,
}

/// The outcome of one sink in a [`FanOut::push_batch`]: one result per snapshot, in the
/// order of the snapshots.
#[derive(Debug)]
pub struct BatchOutcome {
    /// The sink's name.
    pub sink: &'static str,
    /// What happened to each snapshot's series.
    pub results: Vec<Result<PushReport, SinkError>>,
}

impl SinkOutcome {
    /// True when the push failed or a metric was rejected.
    #[must_use]
    pub fn is_failure(&self) -> bool {
        self.result
            .as_ref()
            .map_or(true, |r| !r.rejected.is_empty())
    }
}

impl FanOut {
    /// An empty fan-out.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty fan-out whose outcomes pass through `redaction`.
    #[must_use]
    pub fn with_redaction(redaction: Redaction) -> Self {
        Self {
            sinks: Vec::new(),
            redaction,
        }
    }

    /// Adds a sink.
    pub fn add(&mut self, sink: Box<dyn MetricsSink>) {
        self.sinks.push(sink);
    }

    /// True when no sink was configured.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.sinks.is_empty()
    }

    /// The names of the configured sinks.
    #[must_use]
    pub fn names(&self) -> Vec<&'static str> {
        self.sinks.iter().map(|s| s.name()).collect()
    }

    /// Pushes to every sink concurrently and returns each outcome.
    pub async fn push_all(&self, snapshot: &Snapshot) -> Vec<SinkOutcome> {
        let futures = self.sinks.iter().map(|s| async move {
            SinkOutcome {
                sink: s.name(),
                result: self.redact(s.push(snapshot).await),
            }
        });
        join_all(futures).await
    }

    /// Pushes several snapshots (a fleet run's images) to every sink concurrently, each sink
    /// batching as its protocol allows ([`MetricsSink::push_batch`]), and returns each sink's
    /// result per snapshot.
    pub async fn push_batch(&self, snapshots: &[Snapshot]) -> Vec<BatchOutcome> {
        let futures = self.sinks.iter().map(|s| async move {
            let mut results = s.push_batch(snapshots).await;
            // A sink must answer for every snapshot; one that does not loses nothing silently.
            results.truncate(snapshots.len());
            while results.len() < snapshots.len() {
                let missing = &snapshots[results.len()];
                results.push(Err(SinkError {
                    sink: s.name(),
                    kind: crate::SinkErrorKind::Io,
                    message: format!("the sink gave no result for {}", missing.image),
                    unsent: missing
                        .metrics
                        .iter()
                        .map(crate::Metric::identity)
                        .collect(),
                }));
            }
            BatchOutcome {
                sink: s.name(),
                results: results.into_iter().map(|r| self.redact(r)).collect(),
            }
        });
        join_all(futures).await
    }

    fn redact(&self, result: Result<PushReport, SinkError>) -> Result<PushReport, SinkError> {
        let r = &self.redaction;
        match result {
            Ok(mut report) => {
                for rejected in &mut report.rejected {
                    rejected.reason = r.apply(&rejected.reason);
                }
                for note in &mut report.notes {
                    *note = r.apply(note);
                }
                Ok(report)
            }
            Err(mut e) => {
                e.message = r.apply(&e.message);
                Err(e)
            }
        }
    }
}

/// Minimal `join_all` (keeps the `futures` crate out of the tree): polls every future in turn.
async fn join_all<F: std::future::Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    use std::pin::Pin;
    use std::task::Poll;
    let mut pending: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut all_done = true;
        for (i, fut) in pending.iter_mut().enumerate() {
            if out[i].is_none() {
                match fut.as_mut().poll(cx) {
                    Poll::Ready(v) => out[i] = Some(v),
                    Poll::Pending => all_done = false,
                }
            }
        }
        if all_done {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    out.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ImageRef, SinkErrorKind};
    use async_trait::async_trait;

    #[derive(Debug)]
    struct Failing;
    #[async_trait]
    impl MetricsSink for Failing {
        fn name(&self) -> &'static str {
            "failing"
        }
        async fn push(&self, s: &Snapshot) -> Result<PushReport, SinkError> {
            Err(SinkError {
                sink: "failing",
                kind: SinkErrorKind::Unavailable,
                message: "down: token FANOUTSECRET echoed".into(),
                unsent: s.metrics.iter().map(|m| m.name.to_owned()).collect(),
            })
        }
    }

    #[tokio::test]
    async fn one_failure_does_not_stop_the_others() {
        let buf = crate::stdout::SharedBuffer::default();
        let mut f = FanOut::new();
        f.add(Box::new(Failing));
        f.add(Box::new(crate::StdoutSink::to_writer(
            crate::StdoutFormat::Text,
            buf.clone(),
        )));
        let snap = Snapshot::vulnerability_counts(
            ImageRef::parse("a:1"),
            jiff::Timestamp::UNIX_EPOCH,
            [("CRITICAL", 1)],
        );
        let out = f.push_all(&snap).await;
        assert_eq!(out.len(), 2);
        assert!(out[0].is_failure());
        assert!(!out[1].is_failure());
        assert!(buf.contents().contains("CRITICAL"));
    }

    #[tokio::test]
    async fn outcomes_pass_through_the_redaction() {
        let mut f = FanOut::with_redaction(Redaction::new(|t| t.replace("FANOUTSECRET", "[X]")));
        f.add(Box::new(Failing));
        let snap = Snapshot::vulnerability_counts(
            ImageRef::parse("a:1"),
            jiff::Timestamp::UNIX_EPOCH,
            [("CRITICAL", 1)],
        );
        let out = f.push_all(&snap).await;
        let msg = &out[0].result.as_ref().unwrap_err().message;
        assert_eq!(msg, "down: token [X] echoed");
    }
}

//! Several images in one request: while in flight, every metric is named `IMAGE METRIC`
//! ([`tagged`]), so the backend's answer (accepted, rejected, not sent) maps back onto the
//! images ([`split_by_image`]). Image references hold no whitespace.

use crate::{PushReport, Rejected, SinkError, Snapshot};

/// `IMAGE METRIC`: a metric's name while several images share a request.
pub(crate) fn tagged(snapshot: &Snapshot, metric: &str) -> String {
    format!("{} {metric}", snapshot.image)
}

/// Maps the result of one multi-image push back onto its images (see
/// `push_batch` of Dynatrace and OTLP): each image gets the metrics acknowledged, rejected or not
/// sent under its name, with the `IMAGE ` prefix removed. After a failure, an image none of
/// whose lines is named unsent or rejected was acknowledged before the failure.
pub(crate) fn split_by_image(
    snapshots: &[Snapshot],
    sent: &[Vec<String>],
    result: Result<PushReport, SinkError>,
) -> Vec<Result<PushReport, SinkError>> {
    use std::collections::HashMap;
    let images: Vec<String> = snapshots.iter().map(|s| s.image.to_string()).collect();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, image) in images.iter().enumerate() {
        index.entry(image.as_str()).or_insert(i);
    }
    // `IMAGE METRIC` -> (owner, METRIC); image references hold no whitespace.
    let owner = |tagged: &str| -> Option<(usize, String)> {
        let (image, metric) = tagged.split_once(' ')?;
        index.get(image).map(|i| (*i, metric.to_owned()))
    };
    let mut reports: Vec<PushReport> = vec![PushReport::default(); snapshots.len()];
    match result {
        Ok(report) => {
            for a in report.accepted {
                if let Some((i, m)) = owner(&a) {
                    reports[i].accepted.push(m);
                }
            }
            for r in report.rejected {
                if let Some((i, m)) = owner(&r.metric) {
                    reports[i].rejected.push(Rejected {
                        metric: m,
                        reason: r.reason,
                    });
                }
            }
            if let Some(first) = reports.first_mut() {
                first.notes = report.notes;
            }
            reports.into_iter().map(Ok).collect()
        }
        Err(e) => {
            let mut unsent: Vec<Vec<String>> = vec![Vec::new(); snapshots.len()];
            for u in &e.unsent {
                if let Some((i, m)) = owner(u) {
                    unsent[i].push(m);
                }
            }
            unsent
                .into_iter()
                .enumerate()
                .map(|(i, names)| {
                    if names.is_empty() {
                        Ok(PushReport {
                            accepted: sent[i].clone(),
                            ..PushReport::default()
                        })
                    } else {
                        Err(SinkError {
                            sink: e.sink,
                            kind: e.kind,
                            message: e.message.clone(),
                            unsent: names,
                        })
                    }
                })
                .collect()
        }
    }
}

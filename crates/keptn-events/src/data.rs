//! The common `data` fields every Keptn event carries (spec §3).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::wire::string_enum;

string_enum!(
    /// `data.status`: did the executor manage to do its job (the infrastructure view).
    Status {
        /// The task ran.
        Succeeded = "succeeded",
        /// The task could not run.
        Errored = "errored",
        /// The executor does not know.
        Unknown = "unknown",
        /// The sequence was aborted (go-utils, internal).
        Aborted = "aborted",
    }
);

string_enum!(
    /// `data.result`: the outcome when the status is `succeeded` (the quality view).
    EventResult {
        /// Passed.
        Pass = "pass",
        /// Passed with a warning.
        Warning = "warning",
        /// Failed.
        Fail = "fail",
    }
);

impl EventResult {
    /// Whether a gate lets this result through (`pass` or `warning`, as the
    /// shipyard-controller does; anything else counts as a failure).
    #[must_use]
    pub fn passes(&self) -> bool {
        matches!(self, Self::Pass | Self::Warning)
    }
}

/// The common members of every event's `data`, with every other member kept in
/// [`CommonData::extra`] (task payloads such as `scan` or `evaluation`).
///
/// All members are optional because Go writes them omit-if-empty; an empty string that was
/// sent is kept as an empty string (`Other("")` for `status` and `result`, unlike the typed
/// task payloads, see [`crate::WireStr`]), so a round trip of any event never changes the JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CommonData {
    /// Keptn project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Stage (must equal the type's stage for sequence events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Free key/values copied through the whole sequence. Go writes maps with sorted keys,
    /// so a sorted map loses nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// Infrastructure status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Quality result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<EventResult>,
    /// Human-readable detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Every other member (task payloads), in their original order.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl CommonData {
    /// Data naming project, stage and service, nothing else.
    #[must_use]
    pub fn new(
        project: impl Into<String>,
        stage: impl Into<String>,
        service: impl Into<String>,
    ) -> Self {
        Self {
            project: Some(project.into()),
            stage: Some(stage.into()),
            service: Some(service.into()),
            ..Self::default()
        }
    }

    /// Adds a label.
    #[must_use]
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels
            .get_or_insert_with(BTreeMap::new)
            .insert(key.into(), value.into());
        self
    }

    /// Puts a task payload (or any other member) under `key`.
    #[must_use]
    pub fn with(mut self, key: impl Into<String>, value: Value) -> Self {
        self.extra.insert(key.into(), value);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_values_and_members_survive() {
        let raw = json!({
            "project": "p", "stage": "", "status": "weird", "result": "failed",
            "message": "", "scan": {"level": "CRITICAL"}, "evaluation": {"timeframe": "5m"}
        });
        let d: CommonData = serde_json::from_value(raw.clone()).unwrap();
        assert_eq!(d.status, Some(Status::Other("weird".into())));
        assert_eq!(d.result, Some(EventResult::Other("failed".into())));
        assert_eq!(d.stage.as_deref(), Some(""));
        assert_eq!(serde_json::to_value(&d).unwrap(), raw);
    }

    #[test]
    fn results_that_pass() {
        assert!(EventResult::Pass.passes());
        assert!(EventResult::Warning.passes());
        assert!(!EventResult::Fail.passes());
        assert!(!EventResult::from("").passes());
        assert_eq!(Status::from("succeeded"), Status::Succeeded);
    }
}

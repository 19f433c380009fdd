//! `sh.keptn.event.get-sli.*` payloads (go-utils `v0_2_0/getsli.go`, keptn-events.md §6).
//!
//! The task object sits under the JSON key `"get-sli"`. Unknown members are kept in
//! `extra` so events round-trip; `status` and `result` are typed, with `""` read as `None`
//! (see [`crate::WireStr`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::wire::go_zero;
use crate::{EventResult, Status};

pub use crate::evaluation::SliResult;

/// `data` of `sh.keptn.event.get-sli.triggered` (emitted by lighthouse).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GetSliTriggeredData {
    /// Keptn project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// The request.
    #[serde(rename = "get-sli", default)]
    pub get_sli: GetSliRequest,
    /// First deployment name of the evaluation trigger, else `""`.
    #[serde(default)]
    pub deployment: String,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `data["get-sli"]` of get-sli.triggered.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GetSliRequest {
    /// Provider name (`dynatrace`, `prometheus`, ...).
    #[serde(rename = "sliProvider", default)]
    pub sli_provider: String,
    /// Window start, `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    #[serde(default)]
    pub start: String,
    /// Window end.
    #[serde(default)]
    pub end: String,
    /// SLI names of the objectives in slo.yaml order (duplicates kept); omitted if empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indicators: Vec<String>,
    /// The slo.yaml `filter` map as key/value pairs; omitted if empty.
    #[serde(
        rename = "customFilters",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub custom_filters: Vec<SliFilter>,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One `customFilters` entry.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SliFilter {
    /// Filter key (usable as `$<key>` in SLI queries).
    #[serde(default)]
    pub key: String,
    /// Filter value.
    #[serde(default)]
    pub value: String,
}

/// `data` of `sh.keptn.event.get-sli.finished` (emitted by the SLI provider).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GetSliFinishedData {
    /// Keptn project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Labels (become the evaluation's labels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// `succeeded`, `errored`, `aborted`.
    #[serde(default, with = "go_zero", skip_serializing_if = "go_zero::is_zero")]
    pub status: Option<Status>,
    /// `pass`, `warning` (prometheus: some queries failed) or `fail`.
    #[serde(default, with = "go_zero", skip_serializing_if = "go_zero::is_zero")]
    pub result: Option<EventResult>,
    /// Error detail.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// The values.
    #[serde(rename = "get-sli", default)]
    pub get_sli: GetSliValues,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `data["get-sli"]` of get-sli.finished.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GetSliValues {
    /// Window start, echoed; becomes `evaluation.timeStart`.
    #[serde(default)]
    pub start: String,
    /// Window end, echoed; becomes `evaluation.timeEnd`.
    #[serde(default)]
    pub end: String,
    /// The values in provider order; omitted if empty. A `null` entry is a decode error.
    #[serde(
        rename = "indicatorValues",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub indicator_values: Vec<SliResult>,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finished_round_trips() {
        let raw = r#"{"project":"secgate","stage":"dev","service":"webapp","labels":{"buildId":"412"},"status":"succeeded","result":"pass","get-sli":{"start":"2024-03-05T10:11:13.002Z","end":"2024-03-05T10:16:13.002Z","indicatorValues":[{"metric":"vuln_critical","value":0,"comparedValue":0,"success":true},{"metric":"x","value":1.5,"comparedValue":0,"success":false,"message":"boom"}]}}"#;
        let d: GetSliFinishedData = serde_json::from_str(raw).unwrap();
        assert_eq!(d.get_sli.indicator_values.len(), 2);
        assert_eq!(d.get_sli.indicator_values[1].message, "boom");
        assert_eq!(serde_json::to_string(&d).unwrap(), raw);
    }

    #[test]
    fn null_value_entry_is_an_error() {
        let raw = r#"{"get-sli":{"indicatorValues":[null]}}"#;
        assert!(serde_json::from_str::<GetSliFinishedData>(raw).is_err());
    }

    #[test]
    fn triggered_round_trips() {
        let raw = r#"{"project":"p","get-sli":{"sliProvider":"dynatrace","start":"a","end":"b","indicators":["x","x"],"customFilters":[{"key":"k","value":"v"}]},"deployment":""}"#;
        let d: GetSliTriggeredData = serde_json::from_str(raw).unwrap();
        assert_eq!(d.get_sli.indicators, ["x", "x"]);
        assert_eq!(serde_json::to_string(&d).unwrap(), raw);
    }
}

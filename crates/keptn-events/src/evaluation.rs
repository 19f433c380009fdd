//! `sh.keptn.event.evaluation.*` payloads (go-utils `v0_2_0/evaluation.go`).
//!
//! Field names follow Keptn's JSON exactly (camelCase). Fields Go marks `omitempty` are
//! optional here and skipped when empty; `status` and `result` are typed, with `""` read as
//! `None` (see [`crate::WireStr`]); fields Go always writes (`score`, `passTargets`,
//! `indicatorResults`, ...) are always written, `null` included, so a round trip through
//! these types keeps the shape lighthouse produces. Unknown members are kept in `extra`.
//!
//! Numbers: Go's JSON encoder writes integral floats without a fraction (`100`, `0`);
//! the `f64` fields here are serialized the same way so output matches lighthouse byte
//! for byte in the common cases.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::wire::{go_zero, string_enum};
use crate::{EventResult, Status, WireStr as _};

string_enum!(
    /// An objective's `status` in `indicatorResults` (lighthouse writes `info` for an
    /// objective without pass criteria, which keptn/spec does not list).
    IndicatorStatus {
        /// The pass criteria hold: score `weight`.
        Pass = "pass",
        /// Only the warning criteria hold: score `weight / 2`.
        Warning = "warning",
        /// Neither holds, or there is no value: score 0.
        Fail = "fail",
        /// Informational (no pass criteria): not scored.
        Info = "info",
    }
);

/// Serializes an `f64` as Go's `encoding/json` would for the values that occur here:
/// integral values without a fraction, everything else as the shortest round-trip form.
pub(crate) mod go_f64 {
    use serde::Serializer;

    /// Largest magnitude written as an integer (exactly representable range).
    const EXACT: f64 = 9_007_199_254_740_992.0;

    // serde's `serialize_with` hands us a reference; the signature is fixed.
    #[allow(clippy::trivially_copy_pass_by_ref)]
    pub(crate) fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        let v = *v;
        if v.is_finite()
            && v.fract() == 0.0
            && v.abs() <= EXACT
            && !(v == 0.0 && v.is_sign_negative())
        {
            // In range and integral, so the cast is exact.
            #[allow(clippy::cast_possible_truncation)]
            s.serialize_i64(v as i64)
        } else {
            s.serialize_f64(v)
        }
    }
}

/// `data` of `sh.keptn.event.evaluation.triggered` (keptn-events.md §5.1).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EvaluationTriggeredData {
    /// Keptn project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Free key/values copied through the sequence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// `status` of the previous task (set by the shipyard controller).
    #[serde(default, with = "go_zero", skip_serializing_if = "go_zero::is_zero")]
    pub status: Option<Status>,
    /// `result` of the previous task.
    #[serde(default, with = "go_zero", skip_serializing_if = "go_zero::is_zero")]
    pub result: Option<EventResult>,
    /// Message (normally blank on `.triggered`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// Test window written by a test task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<TestWindow>,
    /// Evaluation window request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluation: Option<EvaluationWindow>,
    /// Deployment information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<DeploymentInfo>,
    /// Every other member of `data` (e.g. a custom `scan` object), kept as is.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `data.test` of an evaluation trigger.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TestWindow {
    /// Start of the test (Keptn timestamp string).
    #[serde(default)]
    pub start: String,
    /// End of the test.
    #[serde(default)]
    pub end: String,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `data.evaluation` of an evaluation trigger.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EvaluationWindow {
    /// Window start.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub start: String,
    /// Window end.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub end: String,
    /// Go duration string such as `5m`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub timeframe: String,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `data.deployment` of an evaluation trigger.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeploymentInfo {
    /// Names of the deployments.
    #[serde(rename = "deploymentNames", default)]
    pub deployment_names: Vec<String>,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `data` of `sh.keptn.event.evaluation.finished` (keptn-events.md §5.3): the gate verdict.
///
/// Decide on [`result`](Self::result) and treat a `status` other than `succeeded` as an
/// infrastructure failure; `evaluation.result` alone can say `pass` on a failed run.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EvaluationFinishedData {
    /// Keptn project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Labels copied from the get-sli.finished event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// `succeeded`, `errored` or `aborted`.
    #[serde(default, with = "go_zero", skip_serializing_if = "go_zero::is_zero")]
    pub status: Option<Status>,
    /// `pass`, `warning` or `fail`.
    #[serde(default, with = "go_zero", skip_serializing_if = "go_zero::is_zero")]
    pub result: Option<EventResult>,
    /// Human readable detail (lighthouse's exact texts).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// The evaluation details.
    #[serde(default)]
    pub evaluation: EvaluationDetails,
    /// Every other member of `data`, kept as is.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl EvaluationFinishedData {
    /// `true` when `status` is `succeeded` (or not set, Go's zero value).
    #[must_use]
    pub fn succeeded(&self) -> bool {
        self.status.wire_str().is_empty() || self.status == Some(Status::Succeeded)
    }
}

/// `data.evaluation` of `evaluation.finished`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EvaluationDetails {
    /// get-sli window start.
    #[serde(rename = "timeStart", default)]
    pub time_start: String,
    /// get-sli window end.
    #[serde(rename = "timeEnd", default)]
    pub time_end: String,
    /// Computed verdict (`pass`, `warning`, `fail`); Go always writes it, `""` when not set.
    #[serde(default, with = "go_zero")]
    pub result: Option<EventResult>,
    /// 0..100, never rounded.
    #[serde(default, serialize_with = "go_f64::serialize")]
    pub score: f64,
    /// Standard base64 (padded) of the raw slo.yaml bytes; `""` if none.
    #[serde(rename = "sloFileContent", default)]
    pub slo_file_content: String,
    /// One record per objective, `null` when no evaluation took place.
    #[serde(rename = "indicatorResults", default)]
    pub indicator_results: Option<Vec<IndicatorResult>>,
    /// Ids of the previous `evaluation.finished` events compared with; omitted if empty.
    #[serde(
        rename = "comparedEvents",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub compared_events: Vec<String>,
    /// Listed by keptn/spec, removed from go-utils: accepted, never required.
    #[serde(rename = "gitCommit", default, skip_serializing_if = "Option::is_none")]
    pub git_commit: Option<String>,
    /// Unknown members (e.g. `comparedIndicatorResults` of newer Keptn versions).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One per-objective record (`SLIEvaluationResult`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct IndicatorResult {
    /// `weight`, `weight/2` or `0`.
    #[serde(default, serialize_with = "go_f64::serialize")]
    pub score: f64,
    /// The SLI value evaluated, `null` for an informational objective without value.
    #[serde(default)]
    pub value: Option<SliResult>,
    /// The objective's `displayName` (may be empty).
    #[serde(rename = "displayName", default)]
    pub display_name: String,
    /// Targets of the pass criteria, `null` when none were produced.
    #[serde(rename = "passTargets", default)]
    pub pass_targets: Option<Vec<SloTarget>>,
    /// Targets of the warning criteria, `null` when none were produced.
    #[serde(rename = "warningTargets", default)]
    pub warning_targets: Option<Vec<SloTarget>>,
    /// Whether the objective is a key SLI (lighthouse writes `false` for failed-SLI and
    /// informational objectives).
    #[serde(rename = "keySli", default)]
    pub key_sli: bool,
    /// `pass`, `warning`, `fail` or `info`; Go always writes it, `""` when not set.
    #[serde(default, with = "go_zero")]
    pub status: Option<IndicatorStatus>,
}

impl IndicatorResult {
    /// The metric name of the value, or `""` when there is none.
    #[must_use]
    pub fn metric(&self) -> &str {
        self.value.as_ref().map_or("", |v| v.metric.as_str())
    }

    /// The display name if set, else the metric name (how lighthouse names objectives).
    #[must_use]
    pub fn name(&self) -> &str {
        if self.display_name.is_empty() {
            self.metric()
        } else {
            &self.display_name
        }
    }
}

/// One evaluated criterion (`SLITarget`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SloTarget {
    /// The criterion string as written in slo.yaml.
    #[serde(default)]
    pub criteria: String,
    /// The threshold the value was compared with.
    #[serde(rename = "targetValue", default, serialize_with = "go_f64::serialize")]
    pub target_value: f64,
    /// `true` when the criterion was not satisfied.
    #[serde(default)]
    pub violated: bool,
}

/// One SLI value (`SLIResult`), as sent by SLI providers in get-sli.finished.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SliResult {
    /// SLI name.
    #[serde(default)]
    pub metric: String,
    /// Measured value.
    #[serde(default, serialize_with = "go_f64::serialize")]
    pub value: f64,
    /// Aggregated previous value (written by the evaluation).
    #[serde(
        rename = "comparedValue",
        default,
        serialize_with = "go_f64::serialize"
    )]
    pub compared_value: f64,
    /// `false` when the provider could not get a value.
    #[serde(default)]
    pub success: bool,
    /// Error detail; omitted if empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

impl SliResult {
    /// A successful value.
    #[must_use]
    pub fn ok(metric: impl Into<String>, value: f64) -> Self {
        Self {
            metric: metric.into(),
            value,
            compared_value: 0.0,
            success: true,
            message: String::new(),
        }
    }

    /// A failed SLI query with its error message.
    #[must_use]
    pub fn failed(metric: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            metric: metric.into(),
            value: 0.0,
            compared_value: 0.0,
            success: false,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FINISHED: &str = r#"{
    "project": "secgate", "stage": "dev", "service": "webapp",
    "labels": {"buildId": "412", "commit": "9f3c2e1"},
    "status": "succeeded", "result": "pass",
    "evaluation": {
      "timeStart": "2024-03-05T10:11:13.002Z",
      "timeEnd": "2024-03-05T10:16:13.002Z",
      "result": "pass",
      "score": 100,
      "sloFileContent": "c3BlY192ZXJzaW9uOiAiMS4wIgo=",
      "indicatorResults": [
        {"score": 1, "value": {"metric": "vuln_critical", "value": 0, "comparedValue": 0, "success": true},
         "displayName": "Critical CVEs",
         "passTargets": [{"criteria": "=0", "targetValue": 0, "violated": false}],
         "warningTargets": null, "keySli": true, "status": "pass"},
        {"score": 1, "value": {"metric": "vuln_medium", "value": 12, "comparedValue": 12, "success": true},
         "displayName": "",
         "passTargets": [{"criteria": "<=+10%", "targetValue": 13.2, "violated": false}],
         "warningTargets": [], "keySli": false, "status": "pass"}
      ],
      "comparedEvents": ["1f2e3d4c-5b6a-4978-8a6b-5c4d3e2f1a0b"],
      "comparedIndicatorResults": {"x": 1}
    },
    "scan": {"tool": "trivy"}
}"#;

    #[test]
    fn finished_round_trips_byte_for_byte_modulo_whitespace() {
        let parsed: EvaluationFinishedData = serde_json::from_str(FINISHED).unwrap();
        assert_eq!(
            parsed.evaluation.indicator_results.as_ref().unwrap().len(),
            2
        );
        assert_eq!(
            parsed.evaluation.indicator_results.as_ref().unwrap()[0].warning_targets,
            None
        );
        assert_eq!(
            parsed.evaluation.indicator_results.as_ref().unwrap()[1].warning_targets,
            Some(vec![])
        );
        assert!(parsed.extra.contains_key("scan"));
        assert!(
            parsed
                .evaluation
                .extra
                .contains_key("comparedIndicatorResults")
        );
        let back = serde_json::to_string(&parsed).unwrap();
        let compact: Value = serde_json::from_str(FINISHED).unwrap();
        assert_eq!(back, serde_json::to_string(&compact).unwrap());
        let again: EvaluationFinishedData = serde_json::from_str(&back).unwrap();
        assert_eq!(again, parsed);
    }

    #[test]
    fn null_indicator_results_stay_null_and_empty_message_is_omitted() {
        let d = EvaluationFinishedData {
            status: Some(Status::Errored),
            result: Some(EventResult::Fail),
            evaluation: EvaluationDetails {
                result: Some(EventResult::Fail),
                ..Default::default()
            },
            ..Default::default()
        };
        let s = serde_json::to_string(&d).unwrap();
        assert_eq!(
            s,
            r#"{"status":"errored","result":"fail","evaluation":{"timeStart":"","timeEnd":"","result":"fail","score":0,"sloFileContent":"","indicatorResults":null}}"#
        );
    }

    #[test]
    fn floats_are_written_like_go() {
        let r = SliResult {
            metric: "m".into(),
            value: 66.666_666_666_666_66,
            compared_value: -0.0,
            success: true,
            message: String::new(),
        };
        let s = serde_json::to_string(&r).unwrap();
        assert_eq!(
            s,
            r#"{"metric":"m","value":66.66666666666666,"comparedValue":-0.0,"success":true}"#
        );
        let big = SliResult::ok("b", 1e300);
        let s = serde_json::to_string(&big).unwrap();
        let back: SliResult = serde_json::from_str(&s).unwrap();
        assert_eq!(back, big);
    }

    #[test]
    fn triggered_round_trips() {
        let raw = r#"{"project":"p","stage":"s","service":"v","evaluation":{"timeframe":"5m"},"deployment":{"deploymentNames":["a"]},"scan":{"critical":0}}"#;
        let d: EvaluationTriggeredData = serde_json::from_str(raw).unwrap();
        assert_eq!(d.evaluation.as_ref().unwrap().timeframe, "5m");
        assert_eq!(serde_json::to_string(&d).unwrap(), raw);
    }

    #[test]
    fn name_falls_back_to_metric() {
        let r = IndicatorResult {
            value: Some(SliResult::ok("m", 1.0)),
            ..Default::default()
        };
        assert_eq!(r.name(), "m");
        let r = IndicatorResult {
            display_name: "D".into(),
            ..r
        };
        assert_eq!(r.name(), "D");
        assert_eq!(IndicatorResult::default().name(), "");
    }
}

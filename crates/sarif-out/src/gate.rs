//! The gate's facts a SARIF run carries in its `properties`.

use keptn_events::WireStr as _;
use keptn_events::evaluation::EvaluationFinishedData;
use serde_json::{Value, json};

/// What the quality gate decided, as the SARIF run records it (`properties.gate`).
#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    /// `pass`, `warning`, `fail` (lighthouse's result).
    pub result: String,
    /// The total score, 0 to 100.
    pub score: f64,
    /// Each objective's verdict, in SLO order.
    pub objectives: Vec<Objective>,
}

/// One objective's verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Objective {
    /// The SLI it evaluates (`vulnerabilities_high`).
    pub sli: String,
    /// Its display name, or the SLI name when it has none.
    pub name: String,
    /// `pass`, `warning`, `fail` or `info`.
    pub status: String,
    /// The SLI's value, when there was one.
    pub value: Option<f64>,
    /// Why there is no value (the provider's message), when there is none.
    pub message: Option<String>,
    /// Its score.
    pub score: f64,
    /// A failing key SLI fails the gate whatever the score.
    pub key_sli: bool,
}

impl Gate {
    /// The facts of an `evaluation.finished` event's data.
    #[must_use]
    pub fn from_evaluation(data: &EvaluationFinishedData) -> Self {
        let result = match data.result.wire_str() {
            "" => data.evaluation.result.wire_str(),
            r => r,
        };
        let objectives = data
            .evaluation
            .indicator_results
            .iter()
            .flatten()
            .map(|i| {
                let ok = i.value.as_ref().filter(|v| v.success);
                Objective {
                    sli: i.metric().to_owned(),
                    name: i.name().to_owned(),
                    status: i.status.wire_str().to_owned(),
                    value: ok.map(|v| v.value),
                    message: match (&i.value, ok) {
                        (Some(v), None) if !v.message.is_empty() => Some(v.message.clone()),
                        _ => None,
                    },
                    score: i.score,
                    key_sli: i.key_sli,
                }
            })
            .collect();
        Self {
            result: result.to_owned(),
            score: data.evaluation.score,
            objectives,
        }
    }

    /// The JSON of `properties.gate`.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let objectives: Vec<Value> = self
            .objectives
            .iter()
            .map(|o| {
                let mut v = json!({
                    "sli": o.sli,
                    "name": o.name,
                    "status": o.status,
                    "value": o.value,
                    "score": o.score,
                    "keySli": o.key_sli,
                });
                if let Some(m) = &o.message {
                    v["message"] = json!(m);
                }
                v
            })
            .collect();
        json!({
            "result": self.result,
            "score": self.score,
            "objectives": objectives,
        })
    }
}

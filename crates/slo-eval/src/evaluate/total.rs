//! Step 2, the total score (spec §9.1–§9.4): the pass and warning thresholds, the score out
//! of the objectives' records and the verdict with its message.

use keptn_events::EventResult;
use keptn_events::evaluation::IndicatorResult;

use super::score::KeySliFailure;
use crate::gofmt::{go_float_v, parse_go_float};
use crate::slo::Slo;

/// The parsed `total_score` thresholds, in percent.
#[derive(Debug, Clone, Copy)]
pub(super) struct Thresholds {
    pass: f64,
    warning: Option<f64>,
}

/// Reads `total_score`; the error is lighthouse's message for an `errored` evaluation.
pub(super) fn thresholds(slo: &Slo) -> Result<Thresholds, &'static str> {
    let Some(total_score) = slo.total_score.as_ref().filter(|t| !t.pass.is_empty()) else {
        return Err("no target score defined");
    };
    let pass = percentage(&total_score.pass).ok_or("could not parse pass target percentage")?;
    let warning = if total_score.warning.is_empty() {
        None
    } else {
        Some(percentage(&total_score.warning).ok_or("could not parse warning target percentage")?)
    };
    Ok(Thresholds { pass, warning })
}

/// One trailing `%` removed, the rest read as Go's `ParseFloat` would (no trimming: `90 %`
/// fails).
fn percentage(text: &str) -> Option<f64> {
    parse_go_float(text.strip_suffix('%').unwrap_or(text))
}

/// The score and verdict of an evaluation.
#[derive(Debug)]
pub(super) struct Total {
    /// 0..100, never rounded.
    pub(super) score: f64,
    /// The computed `evaluation.result`.
    pub(super) result: EventResult,
    /// The message replacing the one so far, `None` to keep it.
    pub(super) message: Option<String>,
}

/// Scores `records` against `max_score` and decides the verdict.
pub(super) fn total(
    records: Option<&[IndicatorResult]>,
    max_score: f64,
    key_sli_failure: Option<&KeySliFailure>,
    t: Thresholds,
) -> Total {
    if max_score == 0.0 {
        // Only informational objectives: a pass, even with a key SLI failure (§9.2).
        return Total {
            score: 100.0,
            result: EventResult::Pass,
            message: None,
        };
    }
    // Records with no pass targets (informational, or `pass: [{criteria: []}]`) add nothing,
    // although the latter counted in `max_score` (§12.8).
    let mut achieved = 0.0;
    for r in records.into_iter().flatten() {
        if r.pass_targets.as_ref().is_some_and(|t| !t.is_empty()) {
            achieved += r.score;
        }
    }
    // Exactly this order of operations, in binary64, to match lighthouse's last digit.
    let score = 100.0 * (achieved / max_score);
    let (result, message) = verdict(score, key_sli_failure, t);
    Total {
        score,
        result,
        message,
    }
}

/// §9.4: a key SLI failure fails the evaluation whatever the score, and then the warning
/// threshold is not looked at.
fn verdict(
    score: f64,
    key_sli_failure: Option<&KeySliFailure>,
    t: Thresholds,
) -> (EventResult, Option<String>) {
    match (key_sli_failure, t.warning) {
        (None, _) if score >= t.pass => (EventResult::Pass, None),
        (None, Some(w)) if score >= w => (
            EventResult::Warning,
            Some(format!(
                "Evaluation returned a warning: the calculated score of {} is close to the warning target value of {}",
                go_float_v(score),
                go_float_v(w)
            )),
        ),
        (None, Some(w)) => (
            EventResult::Fail,
            Some(format!(
                "Evaluation failed since the calculated score of {} is below the warning value of {}",
                go_float_v(score),
                go_float_v(w)
            )),
        ),
        (Some(f), _) => (
            EventResult::Fail,
            Some(format!(
                "Evaluation failed due to key_sli objective '{}': {}",
                f.name, f.message
            )),
        ),
        (None, None) => (
            EventResult::Fail,
            Some(format!(
                "Evaluation failed since the calculated score of {} is below the target value of {}",
                go_float_v(score),
                go_float_v(t.pass)
            )),
        ),
    }
}

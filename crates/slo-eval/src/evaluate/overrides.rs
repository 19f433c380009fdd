//! Step 3, final overrides: what lighthouse decides after the score (spec §9.5), and the
//! fail-closed rule a gate adds on top ([`fail_on_missing_key_slis`]).

use keptn_events::evaluation::{EvaluationFinishedData, IndicatorStatus};
use keptn_events::{EventResult, Status};

use super::EvalOptions;
use crate::slo::Slo;

/// §9.5. Only the event-level `result` and the message change: `evaluation.result` and the
/// score keep what the total score computed, so lighthouse can say `result: fail` next to
/// `evaluation.result: pass` (§12.7, §12.10).
pub(super) fn apply(out: &mut EvaluationFinishedData, slo: &Slo, options: &EvalOptions) {
    if slo.objectives.is_empty() {
        out.result = Some(EventResult::Fail);
        out.message = "lighthouse failed because no SLO objective was provided".to_owned();
    } else if options.sli_result == Some(EventResult::Fail) {
        // A get-sli `warning` has no such effect.
        out.result = Some(EventResult::Fail);
        out.message = format!(
            "lighthouse failed because SLI failed with message {}",
            options.sli_message
        );
    }
}

/// The fail-closed rule a gate adds on top of lighthouse (slo-gate, `trivy-scan --slo`): a
/// key SLI without a value fails the evaluation whatever its criteria kind. Lighthouse
/// already fails a key SLI with pass criteria and no value; it ignores an informational one
/// (no pass criteria), which would let a gate open on data it never received.
///
/// Applies to a `succeeded` evaluation whose result is not already `fail`: sets `result` and
/// `evaluation.result` to `fail`, marks the objective's record `fail` and names it in the
/// message. Returns the names of the key SLIs that had no value (empty: nothing changed).
pub fn fail_on_missing_key_slis(slo: &Slo, data: &mut EvaluationFinishedData) -> Vec<String> {
    if data.status != Some(Status::Succeeded) {
        return Vec::new();
    }
    let Some(records) = data.evaluation.indicator_results.as_mut() else {
        return Vec::new();
    };
    let mut missing = Vec::new();
    let mut reasons = Vec::new();
    // One record per objective, in objective order (see `evaluate`).
    for (o, r) in slo.objectives.iter().zip(records.iter_mut()) {
        if !o.key_sli {
            continue;
        }
        let reason = match &r.value {
            Some(v) if v.success => continue,
            Some(v) if !v.message.is_empty() => v.message.clone(),
            _ => "no value received from SLI provider".to_owned(),
        };
        r.status = Some(IndicatorStatus::Fail);
        r.score = 0.0;
        missing.push(o.name().to_owned());
        reasons.push(format!("'{}': {reason}", o.name()));
    }
    if missing.is_empty() || data.result == Some(EventResult::Fail) {
        return missing;
    }
    data.result = Some(EventResult::Fail);
    data.evaluation.result = Some(EventResult::Fail);
    data.message = format!(
        "Evaluation failed since key SLI objective {} has no value; a key SLI without a value fails the gate",
        reasons.join(", ")
    );
    missing
}

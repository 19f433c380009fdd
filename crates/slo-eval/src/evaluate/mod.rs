//! Lighthouse's evaluation (spec §3–§10) in three steps: [`score`] rates each objective,
//! [`total`] turns the ratings into the score and the verdict, [`overrides`] applies what
//! lighthouse decides after the score. [`history`] selects the previous results relative
//! criteria compare with.

use std::collections::BTreeMap;

use base64::Engine as _;
use keptn_events::evaluation::{EvaluationDetails, EvaluationFinishedData, SliResult};
use keptn_events::get_sli::GetSliFinishedData;
use keptn_events::{EventResult, Status};

use crate::slo::Slo;

mod history;
mod overrides;
mod score;
mod total;

pub use history::{
    HISTORY_ID_KEY, UNDECODABLE_KEY, comparison_limit, comparison_value, parse_history, percentile,
    select_comparison,
};
pub use overrides::fail_on_missing_key_slis;

/// Everything of the `get-sli.finished` event besides the values, plus the scope.
/// The defaults describe a successful SLI retrieval with no window and no scope.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EvalOptions {
    /// `project` copied to the result.
    pub project: Option<String>,
    /// `stage` copied to the result.
    pub stage: Option<String>,
    /// `service` copied to the result.
    pub service: Option<String>,
    /// `labels` copied to the result.
    pub labels: Option<BTreeMap<String, String>>,
    /// get-sli.finished `status`: `aborted` and `errored` short-cut the evaluation;
    /// anything else (including none) evaluates.
    pub sli_status: Option<Status>,
    /// get-sli.finished `result`: `fail` forces the final `result` to fail.
    pub sli_result: Option<EventResult>,
    /// get-sli.finished `message` (used in the texts of the two cases above).
    pub sli_message: String,
    /// get-sli `start` → `evaluation.timeStart`.
    pub time_start: String,
    /// get-sli `end` → `evaluation.timeEnd`.
    pub time_end: String,
}

impl EvalOptions {
    /// Options taken from a `get-sli.finished` data object (its values are separate:
    /// `finished.get_sli.indicator_values`).
    #[must_use]
    pub fn from_get_sli(finished: &GetSliFinishedData) -> Self {
        Self {
            project: finished.project.clone(),
            stage: finished.stage.clone(),
            service: finished.service.clone(),
            labels: finished.labels.clone(),
            sli_status: finished.status.clone(),
            sli_result: finished.result.clone(),
            sli_message: finished.message.clone(),
            time_start: finished.get_sli.start.clone(),
            time_end: finished.get_sli.end.clone(),
        }
    }
}

/// Evaluates a whole `get-sli.finished` data object (values and options from it).
#[must_use]
pub fn evaluate_get_sli(
    slo: &Slo,
    finished: &GetSliFinishedData,
    history: &[EvaluationFinishedData],
) -> EvaluationFinishedData {
    evaluate(
        slo,
        &finished.get_sli.indicator_values,
        history,
        &EvalOptions::from_get_sli(finished),
    )
}

/// What lighthouse answers when the service has no (or a 0-byte) slo.yaml: `succeeded`,
/// `pass`, no evaluation. A gate should only use this with an explicit opt-in
/// (slo-gate `--allow-missing-slo`), since a misconfigured gate then opens.
#[must_use]
pub fn missing_slo_result(options: &EvalOptions) -> EvaluationFinishedData {
    let mut out = skeleton(options);
    out.status = Some(Status::Succeeded);
    out.result = Some(EventResult::Pass);
    out.evaluation.result = Some(EventResult::Pass);
    out.message = format!(
        "no evaluation performed by lighthouse because no SLO file configured for project {}",
        options.project.as_deref().unwrap_or("")
    );
    out
}

/// What lighthouse answers when slo.yaml does not parse: `errored`, `fail`, message
/// `Could not parse SLO file for service <svc> in stage <stage> in project <project>`.
/// For tools that must answer like lighthouse (a local gate should rather report the
/// [`crate::ParseError`] and exit with an input error).
#[must_use]
pub fn unparseable_slo_result(options: &EvalOptions) -> EvaluationFinishedData {
    let msg = format!(
        "Could not parse SLO file for service {} in stage {} in project {}",
        options.service.as_deref().unwrap_or(""),
        options.stage.as_deref().unwrap_or(""),
        options.project.as_deref().unwrap_or("")
    );
    errored(skeleton(options), &msg, EventResult::Fail)
}

fn skeleton(options: &EvalOptions) -> EvaluationFinishedData {
    EvaluationFinishedData {
        project: options.project.clone(),
        stage: options.stage.clone(),
        service: options.service.clone(),
        labels: options.labels.clone(),
        evaluation: EvaluationDetails {
            time_start: options.time_start.clone(),
            time_end: options.time_end.clone(),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn errored(
    mut out: EvaluationFinishedData,
    message: &str,
    evaluation_result: EventResult,
) -> EvaluationFinishedData {
    out.status = Some(Status::Errored);
    out.result = Some(EventResult::Fail);
    out.evaluation.result = Some(evaluation_result);
    out.evaluation.score = 0.0;
    out.evaluation.indicator_results = None;
    out.evaluation.compared_events.clear();
    message.clone_into(&mut out.message);
    out
}

/// Evaluates `slo` against the SLI `values` (the get-sli `indicatorValues`, in provider
/// order) and the previous results `history` (newest first, unfiltered; selection per
/// [`select_comparison`]). Returns the `data` of `sh.keptn.event.evaluation.finished`
/// exactly as lighthouse would: statuses, scores, targets, messages, quirks included.
///
/// Decide on `result`, and treat a `status` other than `succeeded` as an infrastructure error.
#[must_use]
pub fn evaluate(
    slo: &Slo,
    values: &[SliResult],
    history: &[EvaluationFinishedData],
    options: &EvalOptions,
) -> EvaluationFinishedData {
    let mut out = skeleton(options);
    // Lighthouse does not evaluate after a failed SLI retrieval, and leaves
    // `evaluation.result` at its untouched default `pass` (§9, short-cuts).
    match options.sli_status {
        Some(Status::Aborted) => {
            return errored(
                out,
                "evaluation performed by lighthouse was aborted",
                EventResult::Pass,
            );
        }
        Some(Status::Errored) => {
            let msg = format!(
                "evaluation performed by lighthouse received an unexpected error: {}",
                options.sli_message
            );
            return errored(out, &msg, EventResult::Pass);
        }
        _ => {}
    }
    out.evaluation.slo_file_content =
        base64::engine::general_purpose::STANDARD.encode(slo.raw.as_bytes());
    let selected = select_comparison(slo, history);
    out.evaluation.compared_events = history::compared_event_ids(&selected);

    let scored = match score::score_objectives(slo, values, &selected) {
        Ok(scored) => scored,
        Err(e) => {
            // Unlike the other errors this one reports `succeeded` and keeps
            // `comparedEvents` (§8.7).
            out.status = Some(Status::Succeeded);
            out.result = Some(EventResult::Fail);
            out.evaluation.result = Some(EventResult::Fail);
            out.evaluation.score = 0.0;
            out.evaluation.indicator_results = None;
            out.message = e.to_string();
            return out;
        }
    };
    out.evaluation.indicator_results = scored.records;
    out.message = scored.message;

    let thresholds = match total::thresholds(slo) {
        Ok(t) => t,
        Err(msg) => return errored(out, msg, EventResult::Fail),
    };
    out.status = Some(Status::Succeeded);
    let total = total::total(
        out.evaluation.indicator_results.as_deref(),
        scored.max_score,
        scored.key_sli_failure.as_ref(),
        thresholds,
    );
    out.evaluation.score = total.score;
    out.evaluation.result = Some(total.result.clone());
    out.result = Some(total.result);
    if let Some(message) = total.message {
        out.message = message;
    }

    overrides::apply(&mut out, slo, options);
    out
}

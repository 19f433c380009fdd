//! Lighthouse's evaluation (spec §3–§10).

use std::collections::BTreeMap;

use base64::Engine as _;
use keptn_events::evaluation::{
    EvaluationDetails, EvaluationFinishedData, IndicatorResult, RESULT_FAIL, RESULT_PASS,
    RESULT_WARNING, STATUS_ERRORED, STATUS_SUCCEEDED, SliResult, SloTarget,
};
use keptn_events::get_sli::GetSliFinishedData;
use serde_json::Value;

use crate::criteria::{CriteriaError, parse_criterion};
use crate::gofmt::{go_float_f, go_float_v, parse_go_float};
use crate::slo::{CriteriaSet, Slo};

/// Key under which a history entry may carry its event id (kept in
/// [`EvaluationFinishedData::extra`]); the ids of the selected entries become
/// `evaluation.comparedEvents`. [`parse_history`] fills it from CloudEvent-wrapped entries.
pub const HISTORY_ID_KEY: &str = "id";

/// Marker [`parse_history`] sets in `extra` on entries it could not decode: they still
/// count towards the comparison limit (as in lighthouse) but contribute no values.
pub const UNDECODABLE_KEY: &str = "x-vulngate-undecodable";

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
    /// anything else (including empty) evaluates.
    pub sli_status: String,
    /// get-sli.finished `result`: `fail` forces the final `result` to fail.
    pub sli_result: String,
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
    out.status = STATUS_SUCCEEDED.to_owned();
    out.result = RESULT_PASS.to_owned();
    out.evaluation.result = RESULT_PASS.to_owned();
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
    errored(skeleton(options), &msg, RESULT_FAIL)
}

/// Parses a history file: a JSON array, newest first, of `evaluation.finished` `data`
/// objects or of whole CloudEvents carrying them (their `id` is kept under
/// [`HISTORY_ID_KEY`]). Elements that do not decode are kept as placeholders (marked with
/// [`UNDECODABLE_KEY`], `result` copied when readable) so they count towards the limit
/// without contributing values, as in lighthouse.
///
/// # Errors
/// The text is not JSON or not an array.
pub fn parse_history(json: &str) -> Result<Vec<EvaluationFinishedData>, serde_json::Error> {
    let items: Vec<Value> = serde_json::from_str(json)?;
    Ok(items.into_iter().map(history_entry).collect())
}

fn history_entry(item: Value) -> EvaluationFinishedData {
    let is_event = item
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.starts_with("sh.keptn.event."))
        && item.get("data").is_some_and(Value::is_object);
    let (id, data) = if is_event {
        let id = item.get("id").and_then(Value::as_str).map(str::to_owned);
        (id, item.get("data").cloned().unwrap_or(Value::Null))
    } else {
        (None, item)
    };
    let result = data
        .get("result")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let mut entry = match serde_json::from_value::<EvaluationFinishedData>(data) {
        Ok(e) => e,
        Err(err) => {
            let mut e = EvaluationFinishedData {
                result,
                ..Default::default()
            };
            e.extra
                .insert(UNDECODABLE_KEY.to_owned(), Value::String(err.to_string()));
            e
        }
    };
    if let Some(id) = id {
        entry
            .extra
            .insert(HISTORY_ID_KEY.to_owned(), Value::String(id));
    }
    entry
}

/// The number of previous results lighthouse asks for (§4): 1 for `single_result`,
/// `number_of_comparison_results` for `several_results` (negative: no limit), else 3.
#[must_use]
pub fn comparison_limit(slo: &Slo) -> Option<usize> {
    match slo.comparison.compare_with.as_str() {
        "single_result" => Some(1),
        "several_results" => usize::try_from(slo.comparison.number_of_comparison_results).ok(),
        _ => Some(3),
    }
}

/// Applies lighthouse's previous-result selection (§4) to `history` (newest first, all
/// results of this service): filter on the event-level `result` by
/// `include_result_with_score` (lower-cased: `pass`, `pass_or_warn`, anything else = all),
/// then keep at most [`comparison_limit`] entries. The caller supplies the history of the
/// same project, stage and service; no filtering on those happens here.
#[must_use]
pub fn select_comparison<'h>(
    slo: &Slo,
    history: &'h [EvaluationFinishedData],
) -> Vec<&'h EvaluationFinishedData> {
    let include = slo.comparison.include_result_with_score.to_lowercase();
    let limit = comparison_limit(slo).unwrap_or(usize::MAX);
    history
        .iter()
        .filter(|h| match include.as_str() {
            "pass" => h.result == RESULT_PASS,
            "pass_or_warn" => h.result == RESULT_PASS || h.result == RESULT_WARNING,
            _ => true,
        })
        .take(limit)
        .collect()
}

/// The comparison value `B` of one SLI (§6) and whether relative criteria are skipped.
#[must_use]
pub fn comparison_value(
    aggregate_function: &str,
    selected: &[&EvaluationFinishedData],
    sli: &str,
) -> (f64, bool) {
    let mut found = false;
    let mut values = Vec::new();
    for e in selected {
        for r in e.evaluation.indicator_results.iter().flatten() {
            if let Some(v) = r.value.as_ref().filter(|v| v.metric == sli) {
                found = true;
                if v.success {
                    values.push(v.value);
                }
            }
        }
    }
    if !found || values.is_empty() {
        return (0.0, true);
    }
    let b = match aggregate_function {
        "avg" => {
            let mut sum = 0.0;
            for v in &values {
                sum += v;
            }
            #[allow(clippy::cast_precision_loss)]
            let n = values.len() as f64;
            sum / n
        }
        "p50" => percentile(&mut values, 0.5),
        "p90" => percentile(&mut values, 0.9),
        "p95" => percentile(&mut values, 0.95),
        _ => 0.0,
    };
    (b, false)
}

/// Lighthouse's `calculatePercentile`: sort ascending (NaN first, as Go's
/// `sort.Float64Slice`), `pos = p·(n+1)`; below 1 → first, at or past `n` → last, else
/// linear interpolation between the neighbours.
///
/// ```
/// assert_eq!(slo_eval::percentile(&mut vec![1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
/// assert_eq!(slo_eval::percentile(&mut vec![5.0, 1.0], 0.9), 5.0);
/// ```
#[must_use]
pub fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(|a, b| match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        _ => a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal),
    });
    let n = values.len();
    #[allow(clippy::cast_precision_loss)]
    let pos = p * (n + 1) as f64;
    #[allow(clippy::cast_precision_loss)]
    if pos < 1.0 {
        values[0]
    } else if pos >= n as f64 {
        values[n - 1]
    } else {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let i = pos as usize;
        let lo = values[i - 1];
        let hi = values[i];
        lo + (pos - pos.floor()) * (hi - lo)
    }
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

/// "Unevaluated targets" (§8.6): every parseable criterion, violated, with the absolute
/// value or the raw comparison value `b` for relative ones.
fn unevaluated(sets: &[CriteriaSet], b: f64) -> Vec<SloTarget> {
    let mut out = Vec::new();
    for set in sets {
        for c in &set.criteria {
            if let Ok(p) = parse_criterion(c) {
                out.push(SloTarget {
                    criteria: c.clone(),
                    target_value: if p.relative { b } else { p.value },
                    violated: true,
                });
            }
        }
    }
    out
}

/// §7: OR over sets, AND within a set, no short-circuit; writes `b` into the value's
/// `comparedValue` for every evaluated criterion.
fn evaluate_list(
    sets: &[CriteriaSet],
    value: &mut SliResult,
    b: f64,
    skip: bool,
) -> Result<(bool, Option<Vec<SloTarget>>), CriteriaError> {
    let mut any = false;
    let mut targets = Vec::new();
    for set in sets {
        let mut all = true;
        for c in &set.criteria {
            let parsed = parse_criterion(c)?;
            value.compared_value = b;
            let (satisfied, target_value) = if !parsed.relative {
                (
                    parsed.operator.compare(value.value, parsed.value)?,
                    parsed.value,
                )
            } else if skip {
                (true, 0.0)
            } else {
                let t = parsed.target(b);
                (parsed.operator.compare(value.value, t)?, t)
            };
            all &= satisfied;
            targets.push(SloTarget {
                criteria: c.clone(),
                target_value,
                violated: !satisfied,
            });
        }
        any |= all;
    }
    Ok((
        any,
        if targets.is_empty() {
            None
        } else {
            Some(targets)
        },
    ))
}

fn errored(
    mut out: EvaluationFinishedData,
    message: &str,
    evaluation_result: &str,
) -> EvaluationFinishedData {
    out.status = STATUS_ERRORED.to_owned();
    out.result = RESULT_FAIL.to_owned();
    evaluation_result.clone_into(&mut out.evaluation.result);
    out.evaluation.score = 0.0;
    out.evaluation.indicator_results = None;
    out.evaluation.compared_events.clear();
    message.clone_into(&mut out.message);
    out
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
    if data.status != STATUS_SUCCEEDED {
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
        r.status = RESULT_FAIL.to_owned();
        r.score = 0.0;
        missing.push(o.name().to_owned());
        reasons.push(format!("'{}': {reason}", o.name()));
    }
    if missing.is_empty() || data.result == RESULT_FAIL {
        return missing;
    }
    RESULT_FAIL.clone_into(&mut data.result);
    RESULT_FAIL.clone_into(&mut data.evaluation.result);
    data.message = format!(
        "Evaluation failed since key SLI objective {} has no value; a key SLI without a value fails the gate",
        reasons.join(", ")
    );
    missing
}

/// Evaluates `slo` against the SLI `values` (the get-sli `indicatorValues`, in provider
/// order) and the previous results `history` (newest first, unfiltered; selection per
/// [`select_comparison`]). Returns the `data` of `sh.keptn.event.evaluation.finished`
/// exactly as lighthouse would: statuses, scores, targets, messages, quirks included.
///
/// Decide on `result`, and treat `status != "succeeded"` as an infrastructure error.
#[must_use]
#[allow(clippy::too_many_lines)] // one pass over §8–§9, kept in spec order
pub fn evaluate(
    slo: &Slo,
    values: &[SliResult],
    history: &[EvaluationFinishedData],
    options: &EvalOptions,
) -> EvaluationFinishedData {
    let mut out = skeleton(options);
    match options.sli_status.as_str() {
        "aborted" => {
            return errored(
                out,
                "evaluation performed by lighthouse was aborted",
                RESULT_PASS,
            );
        }
        "errored" => {
            let msg = format!(
                "evaluation performed by lighthouse received an unexpected error: {}",
                options.sli_message
            );
            return errored(out, &msg, RESULT_PASS);
        }
        _ => {}
    }
    out.evaluation.slo_file_content =
        base64::engine::general_purpose::STANDARD.encode(slo.raw.as_bytes());
    let selected = select_comparison(slo, history);
    out.evaluation.compared_events = selected
        .iter()
        .filter(|e| !e.extra.contains_key(UNDECODABLE_KEY))
        .filter_map(|e| {
            e.extra
                .get(HISTORY_ID_KEY)
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect();

    let no_objectives = slo.objectives.is_empty();
    let mut max_score = 0.0_f64;
    let mut key_sli_failure: Option<(String, String)> = None;
    let mut message = String::new();
    if no_objectives {
        max_score = 100.0;
        out.evaluation.indicator_results = None;
    } else {
        let mut remaining: Vec<SliResult> = values.to_vec();
        let mut records = Vec::with_capacity(slo.objectives.len());
        for o in &slo.objectives {
            #[allow(clippy::cast_precision_loss)]
            let weight = o.weight as f64;
            if !o.pass.is_empty() {
                max_score += weight;
            }
            let (b, skip) = comparison_value(&slo.comparison.aggregate_function, &selected, &o.sli);
            let taken = remaining
                .iter()
                .position(|v| v.metric == o.sli)
                .map(|i| remaining.swap_remove(i));
            let mut record = IndicatorResult {
                score: 0.0,
                value: None,
                display_name: o.display_name.clone(),
                pass_targets: None,
                warning_targets: None,
                key_sli: false,
                status: String::new(),
            };
            if o.pass.is_empty() {
                record.status = "info".to_owned();
                record.value = taken;
                record.pass_targets = Some(Vec::new());
                record.warning_targets = Some(unevaluated(&o.warning, b));
                records.push(record);
                continue;
            }
            let mut value = match taken {
                Some(v) if v.success => v,
                other => {
                    let v = other.unwrap_or_else(|| SliResult {
                        metric: o.sli.clone(),
                        value: 0.0,
                        compared_value: 0.0,
                        success: false,
                        message: "no value received from SLI provider".to_owned(),
                    });
                    if o.key_sli {
                        key_sli_failure = Some((o.display_name.clone(), v.message.clone()));
                    }
                    record.status = RESULT_FAIL.to_owned();
                    record.value = Some(v);
                    record.pass_targets = Some(unevaluated(&o.pass, b));
                    record.warning_targets = Some(unevaluated(&o.warning, b));
                    records.push(record);
                    continue;
                }
            };
            let (passed, pass_targets) = match evaluate_list(&o.pass, &mut value, b, skip) {
                Ok(r) => r,
                Err(e) => {
                    out.status = STATUS_SUCCEEDED.to_owned();
                    out.result = RESULT_FAIL.to_owned();
                    out.evaluation.result = RESULT_FAIL.to_owned();
                    out.evaluation.score = 0.0;
                    out.evaluation.indicator_results = None;
                    out.message = format!("error with {}: {e}", o.name());
                    return out;
                }
            };
            record.pass_targets = pass_targets;
            if passed {
                record.score = weight;
                record.status = RESULT_PASS.to_owned();
            }
            let mut warned = false;
            if !o.warning.is_empty() {
                match evaluate_list(&o.warning, &mut value, b, skip) {
                    Ok((w, targets)) => {
                        warned = w;
                        record.warning_targets = targets;
                    }
                    Err(_) => record.warning_targets = Some(Vec::new()),
                }
                if !passed && warned {
                    record.score = 0.5 * weight;
                    record.status = RESULT_WARNING.to_owned();
                }
            }
            record.key_sli = o.key_sli;
            if !passed && !warned {
                record.status = RESULT_FAIL.to_owned();
                record.score = 0.0;
                if o.key_sli {
                    key_sli_failure = Some((
                        o.display_name.clone(),
                        format!("failed evaluation with score {}", go_float_f(record.score)),
                    ));
                }
            }
            record.value = Some(value);
            records.push(record);
        }
        if !remaining.is_empty() {
            let names: Vec<&str> = remaining.iter().map(|v| v.metric.as_str()).collect();
            message = format!(
                "Lighthouse received additional SLIs, which are not specified as SLO: {} . Please consider using them as an SLO.",
                names.join(", ")
            );
        }
        out.evaluation.indicator_results = Some(records);
    }
    out.message = message;

    // §9.1 thresholds
    let Some(total_score) = slo.total_score.as_ref().filter(|t| !t.pass.is_empty()) else {
        return errored(out, "no target score defined", RESULT_FAIL);
    };
    let Some(pass_target) = parse_go_float(
        total_score
            .pass
            .strip_suffix('%')
            .unwrap_or(&total_score.pass),
    ) else {
        return errored(out, "could not parse pass target percentage", RESULT_FAIL);
    };
    let warning_target = if total_score.warning.is_empty() {
        None
    } else {
        match parse_go_float(
            total_score
                .warning
                .strip_suffix('%')
                .unwrap_or(&total_score.warning),
        ) {
            Some(w) => Some(w),
            None => {
                return errored(
                    out,
                    "could not parse warning target percentage",
                    RESULT_FAIL,
                );
            }
        }
    };
    out.status = STATUS_SUCCEEDED.to_owned();

    if max_score == 0.0 {
        // §9.2: only informational objectives
        out.evaluation.score = 100.0;
        RESULT_PASS.clone_into(&mut out.evaluation.result);
    } else {
        let mut total = 0.0;
        for r in out.evaluation.indicator_results.iter().flatten() {
            if r.pass_targets.as_ref().is_some_and(|t| !t.is_empty()) {
                total += r.score;
            }
        }
        let score = 100.0 * (total / max_score);
        out.evaluation.score = score;
        let verdict = if score >= pass_target && key_sli_failure.is_none() {
            RESULT_PASS
        } else if let (Some(w), None) = (warning_target, &key_sli_failure) {
            if score >= w {
                out.message = format!(
                    "Evaluation returned a warning: the calculated score of {} is close to the warning target value of {}",
                    go_float_v(score),
                    go_float_v(w)
                );
                RESULT_WARNING
            } else {
                out.message = format!(
                    "Evaluation failed since the calculated score of {} is below the warning value of {}",
                    go_float_v(score),
                    go_float_v(w)
                );
                RESULT_FAIL
            }
        } else if let Some((name, msg)) = &key_sli_failure {
            out.message = format!("Evaluation failed due to key_sli objective '{name}': {msg}");
            RESULT_FAIL
        } else {
            out.message = format!(
                "Evaluation failed since the calculated score of {} is below the target value of {}",
                go_float_v(score),
                go_float_v(pass_target)
            );
            RESULT_FAIL
        };
        verdict.clone_into(&mut out.evaluation.result);
    }
    out.result.clone_from(&out.evaluation.result);

    // §9.5 final overrides
    if no_objectives {
        RESULT_FAIL.clone_into(&mut out.result);
        out.message = "lighthouse failed because no SLO objective was provided".to_owned();
    } else if options.sli_result == RESULT_FAIL {
        RESULT_FAIL.clone_into(&mut out.result);
        out.message = format!(
            "lighthouse failed because SLI failed with message {}",
            options.sli_message
        );
    }
    out
}

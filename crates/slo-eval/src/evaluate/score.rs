//! Step 1, objective scoring (spec §7–§8): each objective against its criteria and the
//! comparison value, giving its record (status, score, targets) in objective order.

use std::fmt;

use keptn_events::evaluation::{
    EvaluationFinishedData, IndicatorResult, IndicatorStatus, SliResult, SloTarget,
};

use super::history::comparison_value;
use crate::criteria::{CriteriaError, parse_criterion};
use crate::gofmt::go_float_f;
use crate::slo::{CriteriaSet, Objective, Slo};

/// The last key objective that failed; it decides the verdict in [`super::total`].
#[derive(Debug)]
pub(super) struct KeySliFailure {
    /// The objective's `displayName` as written (possibly empty, as lighthouse prints it).
    pub(super) name: String,
    /// Why it failed.
    pub(super) message: String,
}

/// Every objective rated.
#[derive(Debug)]
pub(super) struct Scored {
    /// One record per objective; `None` when the SLO has no objectives.
    pub(super) records: Option<Vec<IndicatorResult>>,
    /// The sum of the weights of the objectives with pass criteria.
    pub(super) max_score: f64,
    /// The last failing key objective, if any.
    pub(super) key_sli_failure: Option<KeySliFailure>,
    /// The message so far: the SLIs no objective asked for, or empty.
    pub(super) message: String,
}

/// A pass criterion that does not parse: lighthouse stops the whole evaluation.
#[derive(Debug)]
pub(super) struct PassCriteriaError {
    objective: String,
    error: CriteriaError,
}

impl fmt::Display for PassCriteriaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error with {}: {}", self.objective, self.error)
    }
}

/// Rates every objective of `slo` against `values` (provider order) and the `selected`
/// previous results.
pub(super) fn score_objectives(
    slo: &Slo,
    values: &[SliResult],
    selected: &[&EvaluationFinishedData],
) -> Result<Scored, PassCriteriaError> {
    if slo.objectives.is_empty() {
        // Lighthouse still scores an SLO without objectives, against a maximum of 100 (§8).
        return Ok(Scored {
            records: None,
            max_score: 100.0,
            key_sli_failure: None,
            message: String::new(),
        });
    }
    let mut remaining = values.to_vec();
    let mut records = Vec::with_capacity(slo.objectives.len());
    let mut max_score = 0.0_f64;
    let mut key_sli_failure = None;
    for o in &slo.objectives {
        // Counted before the value is looked at: a failed SLI still weighs (§8.1).
        if !o.pass.is_empty() {
            max_score += weight(o);
        }
        let (b, skip) = comparison_value(&slo.comparison.aggregate_function, selected, &o.sli);
        let taken = take_value(&mut remaining, &o.sli);
        let (record, failure) = score_objective(o, taken, b, skip)?;
        if failure.is_some() {
            key_sli_failure = failure;
        }
        records.push(record);
    }
    Ok(Scored {
        records: Some(records),
        max_score,
        key_sli_failure,
        message: additional_slis_message(&remaining),
    })
}

#[allow(clippy::cast_precision_loss)]
fn weight(o: &Objective) -> f64 {
    o.weight as f64
}

/// Takes the first value of `sli` out of `remaining` the way lighthouse does: the last entry
/// moves into its slot, so the order of the rest changes, and a second objective on the same
/// SLI finds nothing (§8.3).
fn take_value(remaining: &mut Vec<SliResult>, sli: &str) -> Option<SliResult> {
    remaining
        .iter()
        .position(|v| v.metric == sli)
        .map(|i| remaining.swap_remove(i))
}

/// Lighthouse names the values no objective used, in their post-removal order and with its
/// space before the dot.
fn additional_slis_message(remaining: &[SliResult]) -> String {
    if remaining.is_empty() {
        return String::new();
    }
    let names: Vec<&str> = remaining.iter().map(|v| v.metric.as_str()).collect();
    format!(
        "Lighthouse received additional SLIs, which are not specified as SLO: {} . Please consider using them as an SLO.",
        names.join(", ")
    )
}

/// One objective's record and, for a failed key objective, why it failed.
fn score_objective(
    o: &Objective,
    taken: Option<SliResult>,
    b: f64,
    skip: bool,
) -> Result<(IndicatorResult, Option<KeySliFailure>), PassCriteriaError> {
    if o.pass.is_empty() {
        return Ok((informational(o, taken, b), None));
    }
    match taken {
        Some(value) if value.success => scored(o, value, b, skip),
        other => Ok(without_value(o, other, b)),
    }
}

fn record(o: &Objective, status: IndicatorStatus) -> IndicatorResult {
    IndicatorResult {
        score: 0.0,
        value: None,
        display_name: o.display_name.clone(),
        pass_targets: None,
        warning_targets: None,
        // Lighthouse reports `keySli: false` unless the objective was evaluated (§12.5).
        key_sli: false,
        status: Some(status),
    }
}

/// No pass criteria: not scored; the value is reported as received, `comparedValue` untouched.
fn informational(o: &Objective, taken: Option<SliResult>, b: f64) -> IndicatorResult {
    IndicatorResult {
        value: taken,
        pass_targets: Some(Vec::new()),
        warning_targets: Some(unevaluated(&o.warning, b)),
        ..record(o, IndicatorStatus::Info)
    }
}

/// No value, or the provider failed: `fail` with every target reported violated.
fn without_value(
    o: &Objective,
    taken: Option<SliResult>,
    b: f64,
) -> (IndicatorResult, Option<KeySliFailure>) {
    let value = taken.unwrap_or_else(|| SliResult {
        metric: o.sli.clone(),
        value: 0.0,
        compared_value: 0.0,
        success: false,
        message: "no value received from SLI provider".to_owned(),
    });
    let failure = o.key_sli.then(|| KeySliFailure {
        name: o.display_name.clone(),
        message: value.message.clone(),
    });
    let r = IndicatorResult {
        value: Some(value),
        pass_targets: Some(unevaluated(&o.pass, b)),
        warning_targets: Some(unevaluated(&o.warning, b)),
        ..record(o, IndicatorStatus::Fail)
    };
    (r, failure)
}

/// A value to compare: pass criteria decide, warning criteria soften a miss to half the weight.
fn scored(
    o: &Objective,
    mut value: SliResult,
    b: f64,
    skip: bool,
) -> Result<(IndicatorResult, Option<KeySliFailure>), PassCriteriaError> {
    let (passed, pass_targets) =
        evaluate_list(&o.pass, &mut value, b, skip).map_err(|error| PassCriteriaError {
            objective: o.name().to_owned(),
            error,
        })?;
    // Evaluated even when the objective passed (the targets are reported); lighthouse
    // swallows an error here where it stops on one in the pass criteria.
    let (warned, warning_targets) = if o.warning.is_empty() {
        (false, None)
    } else {
        evaluate_list(&o.warning, &mut value, b, skip).unwrap_or((false, Some(Vec::new())))
    };
    let (status, score) = if passed {
        (IndicatorStatus::Pass, weight(o))
    } else if warned {
        (IndicatorStatus::Warning, 0.5 * weight(o))
    } else {
        (IndicatorStatus::Fail, 0.0)
    };
    // Lighthouse prints the score with `%f` at this point, where it is always 0.
    let failure = (status == IndicatorStatus::Fail && o.key_sli).then(|| KeySliFailure {
        name: o.display_name.clone(),
        message: format!("failed evaluation with score {}", go_float_f(score)),
    });
    let r = IndicatorResult {
        score,
        value: Some(value),
        pass_targets,
        warning_targets,
        key_sli: o.key_sli,
        ..record(o, status)
    };
    Ok((r, failure))
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
                // No usable history: lighthouse counts a relative criterion as met (§12.1).
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
    Ok((any, (!targets.is_empty()).then_some(targets)))
}

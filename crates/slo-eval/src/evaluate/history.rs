//! The previous results relative criteria compare with (spec §4, §6).

use keptn_events::EventResult;
use keptn_events::evaluation::EvaluationFinishedData;
use serde_json::Value;

use crate::slo::Slo;

/// Key under which a history entry may carry its event id (kept in
/// [`EvaluationFinishedData::extra`]); the ids of the selected entries become
/// `evaluation.comparedEvents`. [`parse_history`] fills it from CloudEvent-wrapped entries.
pub const HISTORY_ID_KEY: &str = "id";

/// Marker [`parse_history`] sets in `extra` on entries it could not decode: they still
/// count towards the comparison limit (as in lighthouse) but contribute no values.
pub const UNDECODABLE_KEY: &str = "x-vulngate-undecodable";

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
        .and_then(EventResult::from_wire);
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
            "pass" => h.result == Some(EventResult::Pass),
            "pass_or_warn" => matches!(h.result, Some(EventResult::Pass | EventResult::Warning)),
            _ => true,
        })
        .take(limit)
        .collect()
}

/// `evaluation.comparedEvents`: the ids of the selected entries that decoded.
pub(super) fn compared_event_ids(selected: &[&EvaluationFinishedData]) -> Vec<String> {
    selected
        .iter()
        .filter(|e| !e.extra.contains_key(UNDECODABLE_KEY))
        .filter_map(|e| {
            e.extra
                .get(HISTORY_ID_KEY)
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
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

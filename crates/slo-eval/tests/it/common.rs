use std::path::PathBuf;

use slo_eval::{
    EvalOptions, EvaluationFinishedData, EventResult, IndicatorStatus, SliResult, Slo, Status,
    evaluate, parse_slo,
};

pub(crate) fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub(crate) fn read(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub(crate) fn slo(yaml: &str) -> Slo {
    parse_slo(yaml).unwrap_or_else(|e| panic!("slo.yaml: {e}"))
}

pub(crate) fn ok(metric: &str, value: f64) -> SliResult {
    SliResult::ok(metric, value)
}

pub(crate) fn eval(slo: &Slo, values: &[SliResult]) -> EvaluationFinishedData {
    evaluate(slo, values, &[], &EvalOptions::default())
}

/// A previous evaluation whose only indicators are `values` (status pass, success true).
pub(crate) fn previous(result: &str, values: &[(&str, f64)]) -> EvaluationFinishedData {
    let mut e = EvaluationFinishedData {
        status: Some(Status::Succeeded),
        result: EventResult::from_wire(result),
        ..Default::default()
    };
    e.evaluation.result = EventResult::from_wire(result);
    e.evaluation.indicator_results = Some(
        values
            .iter()
            .map(|(m, v)| slo_eval::IndicatorResult {
                score: 1.0,
                value: Some(ok(m, *v)),
                status: Some(IndicatorStatus::Pass),
                ..Default::default()
            })
            .collect(),
    );
    e
}

pub(crate) fn results(d: &EvaluationFinishedData) -> &[slo_eval::IndicatorResult] {
    d.evaluation
        .indicator_results
        .as_deref()
        .expect("indicator results")
}

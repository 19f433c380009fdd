#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod criteria;
mod error;
mod evaluate;
mod gofmt;
pub mod render;
mod slo;
mod yaml;

pub use criteria::{CriteriaError, Criterion, Operator, parse_criterion};
pub use error::{ParseError, ParseErrorKind, Problem};
pub use evaluate::{
    EvalOptions, HISTORY_ID_KEY, UNDECODABLE_KEY, comparison_limit, comparison_value, evaluate,
    evaluate_get_sli, fail_on_missing_key_slis, missing_slo_result, parse_history, percentile,
    select_comparison, unparseable_slo_result,
};
pub use gofmt::{go_float_v, parse_go_float};
pub use slo::{
    Comparison, CriteriaSet, Objective, SliFile, Slo, TotalScore, parse_sli, parse_slo,
    parse_slo_strict,
};

/// The Keptn payload types used in this API, re-exported for convenience.
pub use keptn_events::evaluation::{
    EvaluationFinishedData, IndicatorResult, IndicatorStatus, SliResult, SloTarget,
};
/// The typed `status` and `result` of those payloads (`""` on the wire is `None`).
pub use keptn_events::{EventResult, Status, WireStr};

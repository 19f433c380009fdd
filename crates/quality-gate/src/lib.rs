#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod error;
mod evaluate;
mod files;
mod render;
mod verdict;

/// The output formats, the binaries' one `--format` enum.
pub use cli_support::Format;
pub use error::GateError;
pub use evaluate::{
    GateOptions, GateOutcome, ResultConvention, context_with_filters, evaluate_and_render,
    finished_from_indicators, gate_on_loaded, gate_on_summary, indicator_names, load_history,
    load_sli, load_slo,
};
pub use files::{GateFiles, gate_report_files, read_history, read_optional, record, record_to};
pub use render::render;
pub use verdict::{Decision, Verdict};

#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod error;
mod evaluate;
mod feed_notes;
mod files;
mod render;
mod verdict;

#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "cli")]
mod feed_args;

/// The output formats, the binaries' one `--format` enum.
pub use cli_support::Format;
pub use error::GateError;
pub use evaluate::{
    DEFAULT_EXPLAIN, GateOptions, GateOutcome, context_with_filters, evaluate_and_render,
    finished_from_indicators, gate_on_loaded, gate_on_provider, gate_on_summary, indicator_names,
    load_history, load_sli, load_slo,
};
/// The explanation a gate outcome carries.
pub use explain::Explanation;
pub use files::{GateFiles, LoadedGate, read_history, read_optional, record, record_to};
pub use render::{json_value, render, render_explained};
/// How a source reports partial failure; declared by each provider ([`sli_provider::Reading`]).
pub use sli_provider::ResultConvention;
pub use verdict::{Decision, Verdict};

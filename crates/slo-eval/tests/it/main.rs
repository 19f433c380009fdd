//! slo-eval integration tests: one binary, one module per area.

mod common;
mod messages;
mod parse;
mod props;
mod quirks;
mod render;
mod selection;
mod worked_example;

#![doc = include_str!("../README.md")]
#![allow(missing_docs, clippy::print_stderr)]

pub mod cli;
pub mod docker;
pub mod dynatrace;
pub mod dynatrace_query;
pub mod echo;
pub mod fixtures;
pub mod keptn;
pub mod net;
pub mod otlp;
pub mod process;
pub mod prometheus;
pub mod raw_http;
pub mod sarif;
pub mod trivy;

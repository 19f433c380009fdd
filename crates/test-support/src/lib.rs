//! Dev-only test support for vulngate: real servers started on loopback free ports and
//! stopped on drop, strict fakes for the APIs that cannot run here, and fixture paths.
//!
//! Every server binds 127.0.0.1 only, and every wait loop is bounded in time.
#![allow(missing_docs, clippy::print_stderr)]

pub mod dynatrace;
pub mod dynatrace_query;
pub mod fixtures;
pub mod keptn;
pub mod net;
pub mod otlp;
pub mod process;
pub mod prometheus;
pub mod trivy;

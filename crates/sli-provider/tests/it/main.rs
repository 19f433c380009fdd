//! Integration tests: the Prometheus provider against the real Pushgateway + Prometheus, and
//! the Dynatrace provider against the strict query fake.
#![allow(missing_docs, clippy::print_stderr)]

// Until test-support exports it (`pub mod dynatrace_query;`), include the fake directly.
#[cfg(feature = "dynatrace")]
#[cfg(feature = "dynatrace")]
mod dynatrace;
#[cfg(feature = "prometheus")]
mod prometheus;

//! Integration tests for trivy-report (one test binary, one module per area).

mod errors;
mod fixtures;
mod ignore;
mod props;
#[cfg(feature = "runner")]
mod runner;

use std::path::PathBuf;

pub(crate) fn workspace_fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

pub(crate) fn report_path(name: &str) -> PathBuf {
    workspace_fixture("trivy-reports").join(name)
}

pub(crate) fn report_bytes(name: &str) -> Vec<u8> {
    std::fs::read(report_path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

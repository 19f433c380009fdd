//! Integration tests for report-formats (one test binary, one module per area).

mod compact;
mod compat;
mod corpus;
mod cross_format;
mod cyclonedx;
mod grype;
mod ignore;
mod sarif;
mod trivy_errors;
mod trivy_fixtures;
mod trivy_operator;
mod trivy_props;
mod vex_image;

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

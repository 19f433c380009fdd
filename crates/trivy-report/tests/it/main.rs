//! Integration tests for trivy-report's runner (real trivy).

#[cfg(feature = "runner")]
mod runner;

#[cfg(feature = "runner")]
pub(crate) fn workspace_fixture(rel: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

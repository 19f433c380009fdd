//! Paths to the shared test fixtures in `tests/fixtures/` at the workspace root.

use std::path::PathBuf;

/// The workspace root (two levels above this crate).
#[must_use]
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root exists")
}

/// `tests/fixtures/<rel>` at the workspace root.
#[must_use]
pub fn fixture(rel: &str) -> PathBuf {
    workspace_root().join("tests/fixtures").join(rel)
}

/// A Trivy report fixture by file name, from `tests/fixtures/trivy-reports/`.
#[must_use]
pub fn report(name: &str) -> PathBuf {
    fixture("trivy-reports").join(name)
}

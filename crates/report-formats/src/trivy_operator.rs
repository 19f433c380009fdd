//! Trivy Operator `VulnerabilityReport`s, `specs/scanner-formats.md` §5: one object, a `List`
//! with `items`, or a bare array of reports. Each report is small and read whole.

use findings::{InputInfo, Tally};
use serde_json::{Map, Value};

use crate::ReportError;
use crate::top::TopFacts;

/// Top-level keys of one report or a `List`, for case-variant checks.
pub(crate) const TOP_KEYS: &[&str] = &["apiVersion", "kind", "metadata", "report", "items"];

/// Reports read so far.
#[derive(Debug, Default)]
pub(crate) struct Operator {}

impl Operator {
    /// One Trivy Operator object (`apiVersion`, `kind`, `metadata`, `report`).
    pub(crate) fn item(
        &mut self,
        _obj: &Map<String, Value>,
        _tally: &mut Tally<'_>,
    ) -> Result<(), ReportError> {
        Err(ReportError::refused(
            "a Trivy Operator report",
            "not read yet",
        ))
    }

    /// Artifact and scanner from the first counted report; refuses a file without any
    /// vulnerability report.
    pub(crate) fn finish(self) -> Result<InputInfo, ReportError> {
        Err(ReportError::refused(
            "a Trivy Operator report",
            "not read yet",
        ))
    }
}

/// A single report object or a `List` (top-level values captured in `facts`).
pub(crate) fn read_object(
    _facts: &TopFacts,
    _tally: &mut Tally<'_>,
) -> Result<InputInfo, ReportError> {
    Err(ReportError::refused(
        "a Trivy Operator report",
        "not read yet",
    ))
}

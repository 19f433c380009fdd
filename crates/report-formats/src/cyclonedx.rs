//! CycloneDX 1.4 – 1.7 JSON with `vulnerabilities`, `specs/scanner-formats.md` §8. Read from
//! the captured top-level values (a BOM's `vulnerabilities` refer to `components` that may come
//! later in the file).

use findings::{InputInfo, Tally};

use crate::ReportError;
use crate::top::TopFacts;

/// Top-level keys of a CycloneDX BOM, for case-variant checks.
pub(crate) const TOP_KEYS: &[&str] = &[
    "bomFormat",
    "specVersion",
    "serialNumber",
    "metadata",
    "components",
    "vulnerabilities",
];

/// Counts the BOM's vulnerabilities into the tally.
pub(crate) fn read(_facts: &TopFacts, _tally: &mut Tally<'_>) -> Result<InputInfo, ReportError> {
    Err(ReportError::refused("a CycloneDX BOM", "not read yet"))
}

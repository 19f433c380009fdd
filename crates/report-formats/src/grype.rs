//! Grype JSON (`grype -o json`), `specs/scanner-formats.md` §6. Streams `matches[]`.

use std::io::Read;

use findings::{InputInfo, Tally};
use json_stream::Reader;

use crate::ReportError;
use crate::top::TopFacts;

/// Top-level keys of a Grype report, for case-variant checks.
pub(crate) const TOP_KEYS: &[&str] = &[
    "matches",
    "ignoredMatches",
    "source",
    "distro",
    "descriptor",
    "alertsByPackage",
];

/// What the walk over `matches` saw besides findings.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    /// LOW findings that grype rated Negligible.
    pub(crate) negligible: u64,
}

/// Walks the `matches` array into the tally.
pub(crate) fn matches<R: Read>(
    r: &mut Reader<R>,
    _tally: &mut Tally<'_>,
    _stats: &mut Stats,
) -> Result<(), json_stream::Error> {
    // PLACEHOLDER (being written): validates only.
    r.skip_value()
}

/// Scanner, DB and artifact from `descriptor` and `source` (captured in `facts`).
pub(crate) fn finish(_facts: &TopFacts, _stats: Stats) -> Result<InputInfo, ReportError> {
    Err(ReportError::refused("a Grype JSON report", "not read yet"))
}

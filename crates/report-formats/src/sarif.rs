//! SARIF 2.1.0, `specs/scanner-formats.md` §7. Streams `runs[].results[]`.

use std::io::Read;

use findings::{InputInfo, Tally};
use json_stream::Reader;

use crate::ReportError;
use crate::top::TopFacts;

/// Top-level keys of a SARIF log, for case-variant checks.
pub(crate) const TOP_KEYS: &[&str] = &["version", "$schema", "runs"];

/// What the walk over `runs` saw besides findings.
#[derive(Debug, Default)]
pub(crate) struct Stats {}

/// Walks the `runs` array into the tally.
pub(crate) fn runs<R: Read>(
    r: &mut Reader<R>,
    _tally: &mut Tally<'_>,
    _stats: &mut Stats,
) -> Result<(), json_stream::Error> {
    // PLACEHOLDER (being written): validates only.
    r.skip_value()
}

/// Version check, run checks, scanner and artifact.
pub(crate) fn finish(_facts: &TopFacts, _stats: Stats) -> Result<InputInfo, ReportError> {
    Err(ReportError::refused("a SARIF log", "not read yet"))
}

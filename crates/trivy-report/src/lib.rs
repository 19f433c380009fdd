#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod error;
mod ignore;
mod keys;
mod lexer;
mod parse;
#[cfg(feature = "runner")]
pub mod runner;
mod severity;

use std::io::Read;

pub use error::ReportError;
pub use ignore::{IgnoreError, IgnoreRule, IgnoreRules, parse_trivyignore, parse_trivyignore_yaml};
pub use keys::FindingKeys;
pub use severity::{Severity, SeverityCounts, SeverityParseError, parse_severity_list};

use parse::Walk;

/// How findings are counted. The default counts every entry of
/// `Results[].Vulnerabilities[]`, as the seed script and Trivy Operator do.
#[derive(Debug, Clone, Default)]
pub struct CountOptions {
    /// Count distinct `(VulnerabilityID, PkgName, InstalledVersion)` only.
    pub unique: bool,
    /// Count only entries with a non-empty `FixedVersion`.
    pub fixable_only: bool,
    /// Suppress findings matched by these rules (applied after `fixable_only`, before `unique`).
    pub ignore: Option<IgnoreRules>,
}

/// How many findings one ignore rule suppressed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RuleUse {
    /// Human description, e.g. `CVE-2021-3711 (.trivyignore line 3)`.
    pub rule: String,
    /// Findings it suppressed (0 = the rule is unused).
    pub count: u64,
}

/// The result of counting one report.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// The report's `ArtifactName`, when present (SchemaVersion 2 reports).
    pub artifact_name: Option<String>,
    /// The version of trivy that wrote the report (`Trivy.Version`, written by recent trivy
    /// releases), so a caller need not run `trivy version` for it.
    pub trivy_version: Option<String>,
    /// Counted findings per severity, all five.
    pub counts: SeverityCounts,
    /// Number of counted findings (sum of `counts`).
    pub findings: u64,
    /// Every applying ignore rule in file order with the findings it suppressed, unused ones
    /// included.
    pub suppressed: Vec<RuleUse>,
    /// Rules that did not apply because they expired.
    pub expired_rules: Vec<String>,
}

/// One vulnerability finding, as handed to [`for_each_finding`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Finding {
    /// The result's `Target` (`alpine:3.14 (alpine 3.14.0)`, `app/package-lock.json`).
    pub target: String,
    /// `VulnerabilityID`.
    pub vulnerability_id: String,
    /// `PkgName`.
    pub pkg_name: String,
    /// `InstalledVersion`.
    pub installed_version: String,
    /// `FixedVersion`, `None` when absent or empty.
    pub fixed_version: Option<String>,
    /// `Severity` (unrecognised or missing = `Unknown`).
    pub severity: Severity,
    /// `PkgPath` (language packages inside images).
    pub pkg_path: Option<String>,
    /// `PkgIdentifier.PURL`.
    pub purl: Option<String>,
}

/// Counts the findings of a report read from `reader`, streaming (the report never sits in
/// memory whole).
///
/// # Errors
/// [`ReportError`] for unreadable, malformed, truncated, empty or wrongly shaped input.
pub fn summarize<R: Read>(reader: R, opts: &CountOptions) -> Result<Summary, ReportError> {
    let mut w = Walk::new(opts, false, None);
    w.run(reader)?;
    Ok(w.into_summary())
}

/// [`summarize`] over bytes already in memory.
///
/// # Errors
/// As [`summarize`].
pub fn summarize_slice(bytes: &[u8], opts: &CountOptions) -> Result<Summary, ReportError> {
    let mut w = Walk::new(opts, false, None);
    w.run(bytes)?;
    Ok(w.into_summary())
}

/// The same count as [`summarize`], done by serde_json visitors (`DeserializeSeed` over
/// `Results` and `Vulnerabilities`, `IgnoredAny` for the rest) instead of the hand-written
/// streaming reader. Slower over a reader (see docs/performance.md); kept as an independent
/// reference for differential tests and the benchmark. With `from_slice = true` it parses
/// `bytes` with serde_json's slice reader.
///
/// # Errors
/// As [`summarize`]; messages are serde_json's.
pub fn summarize_with_serde(
    bytes: &[u8],
    from_slice: bool,
    opts: &CountOptions,
) -> Result<Summary, ReportError> {
    let mut w = Walk::new(opts, false, None);
    if from_slice {
        w.run_slice(bytes)?;
    } else {
        w.run_serde_reader(bytes)?;
    }
    Ok(w.into_summary())
}

/// Calls `f` for every finding that counts under `opts` (after `fixable_only`, the ignore
/// rules and `unique`), and returns the same summary as [`summarize`].
///
/// # Errors
/// As [`summarize`]; `f` may have been called for findings before the error.
pub fn for_each_finding<R: Read>(
    reader: R,
    opts: &CountOptions,
    mut f: impl FnMut(&Finding),
) -> Result<Summary, ReportError> {
    let mut w = Walk::new(opts, false, Some(&mut f));
    w.run(reader)?;
    Ok(w.into_summary())
}

/// The set of `(VulnerabilityID, PkgName)` keys that count under `opts`, for a baseline diff.
///
/// # Errors
/// As [`summarize`].
pub fn finding_keys<R: Read>(reader: R, opts: &CountOptions) -> Result<FindingKeys, ReportError> {
    let mut w = Walk::new(opts, true, None);
    w.run(reader)?;
    let keys = w.keys.take().unwrap_or_default();
    Ok(FindingKeys::from_parts(keys, w.into_summary()))
}

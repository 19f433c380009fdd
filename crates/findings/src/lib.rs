#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod ignore;
mod keys;
mod records;
mod severity;
mod tally;
mod vex;

pub use ignore::{
    IgnoreError, IgnoreRule, IgnoreRules, MAX_IGNORE_FILE, MAX_PATTERN_ALTERNATIVES,
    MAX_PATTERN_BYTES, parse_trivyignore, parse_trivyignore_yaml,
};
pub use keys::FindingKeys;
pub use records::{Record, Records};
pub use severity::{
    Severity, SeverityCounts, SeverityParseError, not_selected, parse_severity_list,
};
pub use tally::{Tally, Want};
pub use vex::{ImageIdentity, VexDocument, VexProduct, VexRule, VexSet, VexStatement, VexStatus};

use serde::Serialize;

/// How findings are counted, the same for every input format.
#[derive(Debug, Clone, Default)]
pub struct CountOptions {
    /// Count a finding only if no earlier finding had an equal unique key (the first one
    /// decides the bucket).
    pub unique: bool,
    /// Count only fixable findings (refused by the caller for formats without fix data).
    pub fixable_only: bool,
    /// Suppress findings matched by these rules (applied after `fixable_only`, before
    /// `unique`).
    pub ignore: Option<IgnoreRules>,
    /// Suppress findings that a VEX statement says do not affect the product (applied after
    /// the ignore rules, before `unique`, as Trivy applies `--vex` after its ignore file).
    pub vex: Option<VexSet>,
}

/// One vulnerability finding, whatever scanner reported it.
///
/// Adapters fill what their format carries; on the plain counting path (see
/// [`Tally::needs_strings`] and [`Tally::needs_details`]) only `severity` and `fixable` are
/// read, so that counting stays at the speed of validating the JSON.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Finding {
    /// Vulnerability id (`CVE-2021-3711`, `GHSA-…`; the rule id for SARIF).
    pub id: String,
    /// The bucket.
    pub severity: Severity,
    /// The scanner's own severity word or score, as written (`Negligible`, `HIGH`, `7.5`).
    pub severity_word: String,
    /// Package name (`PkgName`, grype's `artifact.name`, Trivy Operator's `resource`).
    pub package: String,
    /// Installed version.
    pub installed: String,
    /// Package URL, when present.
    pub purl: Option<String>,
    /// Path of the package inside the artifact (language packages in images).
    pub pkg_path: Option<String>,
    /// The version that fixes it, when the scanner names one.
    pub fixed_version: Option<String>,
    /// The scanner says a fix exists (Trivy: a `FixedVersion`; grype: `fix.state` "fixed").
    pub fixable: bool,
    /// Where it was found (Trivy's `Target`, a SARIF uri, a Kubernetes resource).
    pub target: String,
    /// Publication date of the vulnerability, as written.
    pub published: Option<String>,
    /// A CVSS base score, when the format carries one.
    pub cvss: Option<f64>,
    /// The scanner marks it as known exploited (grype's `knownExploited`).
    pub known_exploited: Option<bool>,
    /// An EPSS probability the scanner attached (grype's `epss`).
    pub epss: Option<f64>,
    /// The format's unique key, when it is not `(id, package, installed)` (SARIF: rule and
    /// uri; CycloneDX: id and component). Parts are joined with `\0`.
    pub unique_key: Option<String>,
}

/// The scanner that wrote a report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Scanner {
    /// `trivy`, `grype`, or a SARIF / CycloneDX tool name.
    pub name: String,
    /// Its version, when the report says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// What a report says about itself: format, scanner, vulnerability DB, artifact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InputInfo {
    /// The detected format (`trivy-json`, `grype-json`, `sarif`, …).
    pub format: String,
    /// The scanner, when the report names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scanner: Option<Scanner>,
    /// When the scanner's vulnerability DB was built, where the format records it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub db: Option<DbInfo>,
    /// The scanned artifact's name (image reference, directory, cluster).
    #[serde(skip)]
    pub artifact: Option<String>,
    /// Resources that could not be scanned (a `trivy k8s` report with `Error`s), read only
    /// with `--allow-incomplete`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incomplete: Option<Incomplete>,
    /// The analysis's category, where the format records one (SARIF
    /// `runs[].automationDetails.id`, which GitHub code scanning uses to tell analyses apart).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Whether the scanned OS is past its end of service life, where the format says
    /// (Trivy's `Metadata.OS.EOSL`): `None` when the format cannot say, or the report names
    /// no OS. Not serialised (the `os_eol` SLI carries it).
    #[serde(skip)]
    pub os_eol: Option<bool>,
    /// How many LOW findings were rated `Negligible` by the scanner (grype).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub negligible: Option<u64>,
}

/// The scanner's vulnerability DB.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DbInfo {
    /// Build (or last update) time.
    pub built: jiff::Timestamp,
    /// Schema version, as the report writes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
}

/// Parts of the artifact the scanner could not scan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Incomplete {
    /// Resources with an error.
    pub failed: u64,
    /// Resources in the report.
    pub total: u64,
    /// The first few failed resources with their errors.
    pub examples: Vec<String>,
}

/// How many findings one ignore rule suppressed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleUse {
    /// Human description, e.g. `CVE-2021-3711 (.trivyignore line 3)`.
    pub rule: String,
    /// Findings it suppressed (0 = the rule is unused).
    pub count: u64,
}

/// How many findings one VEX statement suppressed, and which.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VexUse {
    /// The statement's description (`CVE-2021-44228 not_affected (vex.json statement 2)`).
    pub statement: String,
    /// Findings it suppressed (0 = it matched nothing in this report).
    pub count: u64,
    /// The suppressed findings as `ID package@version`, in report order, at most
    /// [`VexUse::LISTED`] of them.
    pub findings: Vec<String>,
}

impl VexUse {
    /// How many suppressed findings a use lists by name.
    pub const LISTED: usize = 100;
}

/// The result of counting one report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// What the report says about itself.
    pub input: InputInfo,
    /// Counted findings per severity, all five.
    pub counts: SeverityCounts,
    /// Number of counted findings (sum of `counts`).
    pub findings: u64,
    /// Every applying ignore rule in file order with the findings it suppressed, unused ones
    /// included.
    pub suppressed: Vec<RuleUse>,
    /// Rules that did not apply because they expired.
    pub expired_rules: Vec<String>,
    /// Every VEX statement in document order with the findings it suppressed (empty without
    /// `--vex`).
    pub vex_suppressed: Vec<VexUse>,
    /// `(id, package)` keys of the counted findings, when asked for ([`Want::keys`]).
    pub keys: Option<FindingKeys>,
    /// The counted findings with every detail, when asked for ([`Want::findings`]).
    pub kept: Vec<Finding>,
    /// The counted findings as compact records, when asked for ([`Want::fixes`] or
    /// [`Want::findings`]).
    pub records: Records,
}

impl Summary {
    /// The artifact's name, when the report names one.
    #[must_use]
    pub fn artifact_name(&self) -> Option<&str> {
        self.input.artifact.as_deref()
    }

    /// The scanner's version, when the report names it.
    #[must_use]
    pub fn scanner_version(&self) -> Option<&str> {
        self.input.scanner.as_ref()?.version.as_deref()
    }
}

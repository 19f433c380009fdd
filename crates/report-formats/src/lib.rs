#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod captured;
mod cyclonedx;
mod detect;
mod grype;
mod sarif;
mod text;
mod top;
mod trivy;
mod trivy_operator;

use std::fmt;
use std::io::Read;

use findings::{CountOptions, Summary, Want};

pub use top::{TopFacts, TopValue};

/// The formats vulngate reads, named as in `specs/scanner-formats.md` (`input.format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Trivy JSON, SchemaVersion 2 (and the 2021 pre-release object).
    TrivyJson,
    /// Trivy JSON before 0.20: a bare array of results, or `null`.
    TrivyJsonLegacy,
    /// `trivy k8s --format json`.
    TrivyK8s,
    /// Trivy Operator `VulnerabilityReport` (one object, a `List`, or a bare array).
    TrivyOperator,
    /// `grype -o json`.
    GrypeJson,
    /// SARIF 2.1.0.
    Sarif,
    /// CycloneDX 1.4 – 1.7 JSON with `vulnerabilities`.
    CycloneDx,
}

impl Format {
    /// The name used in outputs (`trivy-json`, `grype-json`, …).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::TrivyJson => "trivy-json",
            Self::TrivyJsonLegacy => "trivy-json-legacy",
            Self::TrivyK8s => "trivy-k8s",
            Self::TrivyOperator => "trivy-operator",
            Self::GrypeJson => "grype-json",
            Self::Sarif => "sarif",
            Self::CycloneDx => "cyclonedx",
        }
    }

    /// How a person calls it in a message ("a Grype JSON report").
    #[must_use]
    pub const fn described(self) -> &'static str {
        match self {
            Self::TrivyJson => "a Trivy JSON report",
            Self::TrivyJsonLegacy => "a Trivy JSON report (trivy < 0.20)",
            Self::TrivyK8s => "a trivy k8s report",
            Self::TrivyOperator => "a Trivy Operator VulnerabilityReport",
            Self::GrypeJson => "a Grype JSON report",
            Self::Sarif => "a SARIF report",
            Self::CycloneDx => "a CycloneDX report",
        }
    }

    /// Whether the format says which findings have a fix (`--fixable-only` needs it).
    #[must_use]
    pub const fn has_fix_data(self) -> bool {
        !matches!(self, Self::Sarif | Self::CycloneDx)
    }

    /// The `--input-format` family this format belongs to.
    #[must_use]
    pub const fn family(self) -> InputFormat {
        match self {
            Self::TrivyJson | Self::TrivyJsonLegacy => InputFormat::Trivy,
            Self::TrivyK8s => InputFormat::TrivyK8s,
            Self::TrivyOperator => InputFormat::TrivyOperator,
            Self::GrypeJson => InputFormat::Grype,
            Self::Sarif => InputFormat::Sarif,
            Self::CycloneDx => InputFormat::CycloneDx,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `--input-format`: detect, or insist on one family.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum InputFormat {
    /// Detect from the content (the default).
    #[default]
    Auto,
    /// Trivy JSON (both shapes).
    Trivy,
    /// `trivy k8s` JSON.
    TrivyK8s,
    /// Trivy Operator reports.
    TrivyOperator,
    /// Grype JSON.
    Grype,
    /// SARIF 2.1.0.
    Sarif,
    /// CycloneDX JSON.
    CycloneDx,
}

impl InputFormat {
    /// Every value with its flag spelling.
    pub const ALL: [(Self, &'static str); 7] = [
        (Self::Auto, "auto"),
        (Self::Trivy, "trivy"),
        (Self::TrivyK8s, "trivy-k8s"),
        (Self::TrivyOperator, "trivy-operator"),
        (Self::Grype, "grype"),
        (Self::Sarif, "sarif"),
        (Self::CycloneDx, "cyclonedx"),
    ];

    /// The flag spelling.
    #[must_use]
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("auto", |(_, n)| n)
    }
}

impl std::str::FromStr for InputFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(s.trim()))
            .map(|(f, _)| *f)
            .ok_or_else(|| {
                format!(
                    "unknown input format `{s}`: expected one of {}",
                    Self::ALL.map(|(_, n)| n).join(", ")
                )
            })
    }
}

/// How a report is read.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// `--input-format`.
    pub format: InputFormat,
    /// `--allow-incomplete`: count a `trivy k8s` report some resources of which failed.
    pub allow_incomplete: bool,
    /// Largest part of a non-streaming format (CycloneDX, Trivy Operator) held in memory, in
    /// bytes of JSON text. Default [`DEFAULT_CAPTURE_LIMIT`].
    pub capture_limit: Option<usize>,
}

/// Default for [`ReadOptions::capture_limit`]: 64 MiB of JSON text.
pub const DEFAULT_CAPTURE_LIMIT: usize = 64 * 1024 * 1024;

/// Why a report was not counted. The caller adds the file name.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Not valid JSON, or valid JSON of the wrong shape inside a recognised format.
    #[error("{0}")]
    Json(#[from] json_stream::Error),
    /// A recognised format whose content breaks its rules.
    #[error("malformed {format} report: {message}")]
    Malformed {
        /// The format.
        format: Format,
        /// What is wrong, and where.
        message: String,
    },
    /// Not a vulnerability report vulngate reads (an SBOM, a table, another tool's format).
    #[error("{what}: {reason}")]
    Refused {
        /// What was detected ("an SPDX JSON document").
        what: String,
        /// Why it is refused and what to do instead.
        reason: String,
    },
    /// `--fixable-only` on a format without fix data.
    #[error("--fixable-only needs fix data, and {} has none", .0.described())]
    NoFixData(Format),
    /// `--input-format` named another format than the file holds.
    #[error("--input-format {forced} was given, but this is {}", .found.described())]
    NotForcedFormat {
        /// The format asked for.
        forced: &'static str,
        /// The format found.
        found: Format,
    },
    /// A `trivy k8s` report with resources that could not be scanned.
    #[error(
        "the report is incomplete: {failed} of {total} resources could not be scanned ({examples}); pass --allow-incomplete to count the rest"
    )]
    Incomplete {
        /// Resources with an error.
        failed: u64,
        /// Resources in the report.
        total: u64,
        /// The first few, with their errors.
        examples: String,
    },
}

impl ReportError {
    pub(crate) fn refused(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Refused {
            what: what.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn malformed(format: Format, message: impl Into<String>) -> Self {
        Self::Malformed {
            format,
            message: message.into(),
        }
    }
}

/// A report that was read: its format and its summary.
#[derive(Debug, Clone)]
pub struct Report {
    /// The detected format.
    pub format: Format,
    /// Counts, rule use, keys and kept findings; `summary.input` names the format, scanner,
    /// DB and artifact.
    pub summary: Summary,
}

/// Reads a report of any supported format from `reader`, streaming where the format allows,
/// and counts its findings under `count`.
///
/// # Errors
/// [`ReportError`]: invalid JSON (with line and column), a refused format, a malformed
/// report, `--fixable-only` without fix data, an incomplete `trivy k8s` report.
pub fn read_report<R: Read>(
    reader: R,
    count: &CountOptions,
    want: Want,
    read: &ReadOptions,
) -> Result<Report, ReportError> {
    detect::read(reader, count, want, read)
}

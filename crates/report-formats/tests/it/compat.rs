//! The Trivy-reader tests of the first phase, kept as they were: this module gives them the
//! old entry points over `read_report`, and an independent reference reader (serde_json's
//! `Value`, walked by hand) for the differential tests.

use std::io::Read;

pub(crate) use findings::{
    CountOptions, FindingKeys, IgnoreError, IgnoreRules, RuleUse, Severity, SeverityCounts,
    Summary, parse_trivyignore, parse_trivyignore_yaml,
};
use findings::{Finding, Tally, Want};
use report_formats::{ReadOptions, read_report};
use serde_json::Value;

/// The first phase's error shape, for the assertions of these tests.
#[derive(Debug)]
pub(crate) enum ReportError {
    Empty,
    Truncated {
        line: usize,
        column: usize,
    },
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    Shape {
        message: String,
    },
    Io(String),
    Other(String),
}

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty => f.write_str("the file is empty"),
            Self::Truncated { line, column } => write!(
                f,
                "the file ends early (truncated?) at line {line}, column {column}"
            ),
            Self::Json {
                line,
                column,
                message,
            } => write!(f, "invalid JSON at line {line}, column {column}: {message}"),
            Self::Shape { message } | Self::Io(message) | Self::Other(message) => {
                f.write_str(message)
            }
        }
    }
}

impl ReportError {
    pub(crate) const fn location(&self) -> Option<(usize, usize)> {
        match self {
            Self::Json { line, column, .. } | Self::Truncated { line, column } => {
                Some((*line, *column))
            }
            _ => None,
        }
    }
}

fn convert(e: report_formats::ReportError) -> ReportError {
    use json_stream::Error as J;
    match e {
        report_formats::ReportError::Json(j) => match j {
            J::Empty => ReportError::Empty,
            J::Truncated { line, column } => ReportError::Truncated { line, column },
            J::Syntax {
                line,
                column,
                message,
            } => ReportError::Json {
                line,
                column,
                message,
            },
            J::Shape { message } => ReportError::Shape { message },
            J::Io(e) => ReportError::Io(e.to_string()),
            other => ReportError::Other(other.to_string()),
        },
        other => ReportError::Other(other.to_string()),
    }
}

fn read(r: impl Read, opts: &CountOptions, want: Want) -> Result<Summary, ReportError> {
    read_report(r, opts, want, &ReadOptions::default())
        .map(|r| r.summary)
        .map_err(convert)
}

pub(crate) fn summarize(r: impl Read, opts: &CountOptions) -> Result<Summary, ReportError> {
    read(r, opts, Want::default())
}

pub(crate) fn summarize_slice(bytes: &[u8], opts: &CountOptions) -> Result<Summary, ReportError> {
    read(bytes, opts, Want::default())
}

pub(crate) fn finding_keys(r: impl Read, opts: &CountOptions) -> Result<FindingKeys, ReportError> {
    let s = read(
        r,
        opts,
        Want {
            keys: true,
            ..Want::default()
        },
    )?;
    Ok(s.keys.unwrap_or_default())
}

pub(crate) fn for_each_finding(
    r: impl Read,
    opts: &CountOptions,
    mut f: impl FnMut(&Finding),
) -> Result<Summary, ReportError> {
    let mut s = read(
        r,
        opts,
        Want {
            findings: true,
            ..Want::default()
        },
    )?;
    for x in &s.kept {
        f(x);
    }
    s.kept.clear();
    Ok(s)
}

/// The reference reader: serde_json parses the whole document into a `Value`, then Trivy's
/// rules (`specs/scanner-formats.md` §1.3 rows 1–3 and 20–22, §2, §3) are applied by hand.
/// Shares nothing with the streaming reader but the tally (the counting options).
pub(crate) fn summarize_with_serde(
    bytes: &[u8],
    _from_slice: bool,
    opts: &CountOptions,
) -> Result<Summary, ReportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let v: Value = serde_json::from_slice(bytes).map_err(|e| {
        use serde_json::error::Category;
        let (line, column) = (e.line(), e.column());
        match e.classify() {
            Category::Eof if bytes.iter().all(u8::is_ascii_whitespace) => ReportError::Empty,
            Category::Eof => ReportError::Truncated { line, column },
            _ => ReportError::Json {
                line,
                column,
                message: e.to_string(),
            },
        }
    })?;
    let mut tally = Tally::new(opts, Want::default());
    let bad = |m: &str| ReportError::Other(m.to_owned());
    let results = match &v {
        Value::Null => return Ok(tally.finish()),
        Value::Array(a) if a.is_empty() => return Err(bad("empty array")),
        Value::Array(a) => {
            if !a.iter().all(|e| e.get("Target").is_some()) {
                return Err(bad("not all results"));
            }
            Some(&v)
        }
        Value::Object(o) => {
            if let Some(sv) = o.get("SchemaVersion")
                && *sv != 2
            {
                return Err(bad("SchemaVersion"));
            }
            if !o.contains_key("SchemaVersion") && !o.contains_key("Results") {
                return Err(bad("no signature"));
            }
            case_check(
                o,
                &[
                    "SchemaVersion",
                    "CreatedAt",
                    "ArtifactName",
                    "ArtifactType",
                    "Metadata",
                    "Results",
                    "Trivy",
                ],
            )?;
            o.get("Results")
        }
        _ => return Err(bad("scalar")),
    };
    let empty = Vec::new();
    let results = match results {
        None | Some(Value::Null) => &empty,
        Some(Value::Array(a)) => a,
        Some(_) => return Err(bad("Results")),
    };
    let need = tally.needs_strings();
    for r in results {
        let r = match r {
            Value::Null => continue,
            Value::Object(r) => r,
            _ => return Err(bad("result")),
        };
        case_check(r, &["Target", "Vulnerabilities"])?;
        let target = str_field(r, "Target")?;
        let vulns = match r.get("Vulnerabilities") {
            None | Some(Value::Null) => continue,
            Some(Value::Array(a)) => a,
            Some(_) => return Err(bad("Vulnerabilities")),
        };
        for v in vulns {
            let v = match v {
                Value::Null => continue,
                Value::Object(v) => v,
                _ => return Err(bad("vulnerability")),
            };
            case_check(
                v,
                &[
                    "VulnerabilityID",
                    "PkgName",
                    "InstalledVersion",
                    "FixedVersion",
                    "Severity",
                    "PkgPath",
                    "PkgIdentifier",
                    "PublishedDate",
                    "CVSS",
                ],
            )?;
            let fixed = str_field(v, "FixedVersion")?;
            let mut f = Finding {
                severity: Severity::from_word(str_field(v, "Severity")?.as_bytes()),
                fixable: !fixed.is_empty(),
                ..Finding::default()
            };
            let (id, pkg, installed) = (
                str_field(v, "VulnerabilityID")?,
                str_field(v, "PkgName")?,
                str_field(v, "InstalledVersion")?,
            );
            let path = str_field(v, "PkgPath")?;
            if need {
                f.id = id;
                f.package = pkg;
                f.installed = installed;
                f.target.clone_from(&target);
                f.fixed_version = (!fixed.is_empty()).then_some(fixed);
                f.pkg_path = (!path.is_empty()).then_some(path);
                f.purl = v
                    .get("PkgIdentifier")
                    .and_then(|p| p.get("PURL"))
                    .and_then(Value::as_str)
                    .map(str::to_owned);
            }
            tally.add(&f);
        }
    }
    Ok(tally.finish())
}

fn str_field(o: &serde_json::Map<String, Value>, k: &str) -> Result<String, ReportError> {
    match o.get(k) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(ReportError::Other(format!("{k} is not a string"))),
    }
}

fn case_check(o: &serde_json::Map<String, Value>, names: &[&str]) -> Result<(), ReportError> {
    match o
        .keys()
        .find_map(|k| json_stream::case_variant(k.as_bytes(), names))
    {
        Some(n) => Err(ReportError::Other(format!("case variant of {n}"))),
        None => Ok(()),
    }
}

//! Trivy Operator `VulnerabilityReport`s, `specs/scanner-formats.md` §5: one object, a `List`
//! with `items`, or a bare array of reports. Each report is small and read whole.

use std::borrow::Cow;

use findings::{Finding, InputInfo, Scanner, Severity, Tally};
use json_stream::Kind;
use serde_json::{Map, Value};

use crate::captured::{self, article};
use crate::top::{TopFacts, TopValue};
use crate::{Format, ReportError};

/// Top-level keys of one report or a `List`, for case-variant checks.
pub(crate) const TOP_KEYS: &[&str] = &["apiVersion", "kind", "metadata", "report", "items"];

/// Keys of one Trivy Operator object (a report, or an item of a `List`).
pub(crate) const ITEM_KEYS: &[&str] = &["apiVersion", "kind", "metadata", "report"];

/// The API group of every Trivy Operator resource.
const API_GROUP: &str = "aquasecurity.github.io/";

/// The kinds that count (§5); every other Trivy Operator kind is skipped.
const COUNTED_KINDS: &[&str] = &["VulnerabilityReport", "ClusterVulnerabilityReport"];

/// Keys read from `report`.
const REPORT_KEYS: &[&str] = &[
    "vulnerabilities",
    "summary",
    "artifact",
    "registry",
    "scanner",
];
/// Keys read from a vulnerability.
const VULN_KEYS: &[&str] = &[
    "vulnerabilityID",
    "resource",
    "installedVersion",
    "fixedVersion",
    "severity",
    "target",
    "publishedDate",
    "score",
    "packagePath",
    "packagePURL",
];
/// The severity counts of `report.summary` (`noneCount` is "packages without any
/// vulnerability", not a severity).
const SUMMARY_COUNTS: &[&str] = &[
    "criticalCount",
    "highCount",
    "mediumCount",
    "lowCount",
    "unknownCount",
];

fn malformed(message: String) -> ReportError {
    ReportError::malformed(Format::TrivyOperator, message)
}

/// Reports read so far.
#[derive(Debug, Default)]
pub(crate) struct Operator {
    /// Trivy Operator objects seen.
    objects: u64,
    /// Vulnerability reports counted.
    counted: u64,
    /// Kinds of the objects that were skipped, each once, in order.
    skipped_kinds: Vec<String>,
    /// Scanner and artifact of the first counted report.
    info: Option<InputInfo>,
    finding: Finding,
}

impl Operator {
    /// One Trivy Operator object (`apiVersion`, `kind`, `metadata`, `report`) of a bare array.
    pub(crate) fn item(
        &mut self,
        obj: &Map<String, Value>,
        tally: &mut Tally<'_>,
    ) -> Result<(), ReportError> {
        let n = self.objects + 1;
        let label = || {
            name_of(obj.get("metadata")).map_or_else(
                || format!("Trivy Operator object {n}"),
                |name| format!("`{name}`"),
            )
        };
        captured::refuse_case_variants(obj, ITEM_KEYS, &label).map_err(malformed)?;
        self.count(obj.get("kind"), obj.get("report"), tally, &label)
    }

    /// Counts one object if its kind is a vulnerability report; `at` names it in messages
    /// (`items[3]`; empty for a single object).
    fn count(
        &mut self,
        kind: Option<&Value>,
        report: Option<&Value>,
        tally: &mut Tally<'_>,
        at: &dyn Fn() -> String,
    ) -> Result<(), ReportError> {
        self.objects += 1;
        let kind_text = match kind {
            Some(Value::String(k)) => Cow::Borrowed(k.as_str()),
            None | Some(Value::Null) => Cow::Borrowed("object without a kind"),
            Some(other) => Cow::Owned(format!("object whose kind is {}", article(other))),
        };
        if !COUNTED_KINDS.contains(&kind_text.as_ref()) {
            if !self.skipped_kinds.iter().any(|k| *k == kind_text) {
                self.skipped_kinds.push(kind_text.into_owned());
            }
            return Ok(());
        }
        let report = match report {
            Some(Value::Object(r)) => r,
            None => {
                return Err(malformed(format!(
                    "{} has no `report` object",
                    place(&at(), kind_text.as_ref())
                )));
            }
            Some(other) => {
                return Err(malformed(format!(
                    "{} is {}, expected an object",
                    captured::join(&at(), "report"),
                    article(other)
                )));
            }
        };
        let at_report = || captured::join(&at(), "report");
        captured::refuse_case_variants(report, REPORT_KEYS, &at_report).map_err(malformed)?;
        let vulns = captured::array(report, "vulnerabilities", &at_report).map_err(malformed)?;
        if vulns.is_empty() {
            summary_guard(report, &at_report)?;
        }
        let record = if self.info.is_none() || tally.needs_details() {
            Some(record(report))
        } else {
            None
        };
        let artifact = record.as_ref().and_then(|i| i.artifact.as_deref());
        let strings = tally.needs_strings();
        let details = tally.needs_details();
        let fix_needed = tally.needs_compact();
        let f = &mut self.finding;
        for (j, v) in vulns.iter().enumerate() {
            let at = || format!("{}.vulnerabilities[{j}]", at_report());
            let v = captured::element(v, &at).map_err(malformed)?;
            captured::refuse_case_variants(v, VULN_KEYS, &at).map_err(malformed)?;
            let text = |key: &str| captured::string(v, key, &at).map_err(malformed);
            // Every named string is type-checked in every mode (§1.4).
            let (id, resource, installed) = (
                text("vulnerabilityID")?,
                text("resource")?,
                text("installedVersion")?,
            );
            let (fixed, word) = (text("fixedVersion")?, text("severity")?);
            f.severity = Severity::from_word(word.as_bytes());
            f.fixable = !fixed.is_empty();
            if strings {
                // The unique key (vulnerabilityID, resource, installedVersion) is the
                // default key with package = resource.
                f.unique_key = None;
                set(&mut f.id, id);
                set(&mut f.package, resource);
                set(&mut f.installed, installed);
            }
            if fix_needed {
                f.fixed_version = Some(fixed).filter(|s| !s.is_empty()).map(str::to_owned);
            }
            if details {
                set(&mut f.severity_word, word);
                let opt = |key: &str| {
                    v.get(key)
                        .and_then(Value::as_str)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                };
                f.published = opt("publishedDate");
                f.pkg_path = opt("packagePath");
                f.purl = opt("packagePURL");
                f.cvss = v.get("score").and_then(Value::as_f64);
                let target = v.get("target").and_then(Value::as_str).unwrap_or("");
                set(
                    &mut f.target,
                    if target.is_empty() {
                        artifact.unwrap_or("")
                    } else {
                        target
                    },
                );
            }
            tally.add(f);
        }
        self.counted += 1;
        if self.info.is_none() {
            self.info = record;
        }
        Ok(())
    }

    /// Artifact and scanner from the first counted report; refuses a file without any
    /// vulnerability report.
    pub(crate) fn finish(self) -> Result<InputInfo, ReportError> {
        match self.info {
            Some(info) if self.counted > 0 => Ok(info),
            _ => Err(ReportError::refused(
                format!("Trivy Operator {}", self.skipped_kinds.join(", ")),
                "not a vulnerability report (vulngate counts VulnerabilityReport and ClusterVulnerabilityReport)",
            )),
        }
    }
}

/// `items[3]`, or the kind for a single object (whose path is empty).
fn place(at: &str, kind: &str) -> String {
    if at.is_empty() {
        format!("the {kind}")
    } else {
        at.to_owned()
    }
}

fn set(s: &mut String, v: &str) {
    s.clear();
    s.push_str(v);
}

/// `namespace/name` (or `name`) from an object's `metadata`, for messages.
fn name_of(metadata: Option<&Value>) -> Option<String> {
    let m = metadata?;
    let name = m.get("name").and_then(Value::as_str)?;
    Some(match m.get("namespace").and_then(Value::as_str) {
        Some(ns) if !ns.is_empty() => format!("{ns}/{name}"),
        _ => name.to_owned(),
    })
}

/// §5 consistency guard: an empty list with a summary above 0 is refused (decision 9).
fn summary_guard(
    report: &Map<String, Value>,
    at_report: &dyn Fn() -> String,
) -> Result<(), ReportError> {
    let Some(Value::Object(summary)) = report.get("summary") else {
        return Ok(());
    };
    let at = || captured::join(&at_report(), "summary");
    captured::refuse_case_variants(summary, SUMMARY_COUNTS, &at).map_err(malformed)?;
    let total: i128 = SUMMARY_COUNTS
        .iter()
        .filter_map(|k| summary.get(*k))
        .filter_map(|v| {
            v.as_i64()
                .map(i128::from)
                .or_else(|| v.as_u64().map(i128::from))
        })
        .sum();
    if total > 0 {
        return Err(malformed(format!(
            "{}: its summary counts {total} vulnerabilities but lists none",
            at_report()
        )));
    }
    Ok(())
}

/// Artifact (`registry.server/artifact.repository:tag@digest`, each part and its separator
/// left out when empty) and scanner (`scanner.name`, `scanner.version`) of one report.
fn record(report: &Map<String, Value>) -> InputInfo {
    let text = |obj: &str, key: &str| {
        report
            .get(obj)
            .and_then(|o| o.get(key))
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    let (server, repository) = (text("registry", "server"), text("artifact", "repository"));
    let (tag, digest) = (text("artifact", "tag"), text("artifact", "digest"));
    let mut artifact = [server, repository]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("/");
    if !tag.is_empty() {
        artifact.push(':');
        artifact.push_str(tag);
    }
    if !digest.is_empty() {
        artifact.push('@');
        artifact.push_str(digest);
    }
    let (name, version) = (text("scanner", "name"), text("scanner", "version"));
    InputInfo {
        scanner: (!name.is_empty()).then(|| Scanner {
            name: name.to_owned(),
            version: (!version.is_empty()).then(|| version.to_owned()),
        }),
        artifact: (!artifact.is_empty()).then_some(artifact),
        ..InputInfo::default()
    }
}

/// A top-level value as JSON (scalars were kept as text).
fn top_value(v: &TopValue) -> Cow<'_, Value> {
    match v {
        TopValue::Captured(v) => Cow::Borrowed(v),
        TopValue::Scalar(Kind::String, s) => Cow::Owned(Value::String(s.clone())),
        TopValue::Scalar(Kind::Number, n) => Cow::Owned(
            serde_json::from_str(n).unwrap_or_else(|_| Value::Number(serde_json::Number::from(0))),
        ),
        TopValue::Scalar(Kind::Bool, b) => Cow::Owned(Value::Bool(b == "true")),
        TopValue::Scalar(_, _) => Cow::Owned(Value::Null),
        // A string too long to keep, or an object nobody captured.
        TopValue::Walked(Kind::String) => Cow::Owned(Value::String(String::new())),
        TopValue::Walked(Kind::Array) => Cow::Owned(Value::Array(Vec::new())),
        TopValue::Walked(_) => Cow::Owned(Value::Object(Map::new())),
    }
}

/// A single report object or a `List` (top-level values captured in `facts`).
pub(crate) fn read_object(
    facts: &TopFacts,
    tally: &mut Tally<'_>,
) -> Result<InputInfo, ReportError> {
    let mut op = Operator::default();
    let is_list = facts.str("kind").is_some_and(|k| k.ends_with("List")) && facts.has("items");
    if !is_list {
        // §1.3 row 12: one object with an aquasecurity apiVersion.
        let get = |k: &str| facts.get(k).map(top_value);
        let (kind, report) = (get("kind"), get("report"));
        op.count(kind.as_deref(), report.as_deref(), tally, &String::new)?;
        return op.finish();
    }
    let items: &[Value] = match facts.get("items") {
        Some(TopValue::Captured(Value::Array(a))) if !a.is_empty() => a,
        None | Some(TopValue::Scalar(Kind::Null, _) | TopValue::Captured(Value::Array(_))) => {
            return Err(ReportError::refused(
                "an empty Kubernetes List",
                "no report to count (an empty list cannot be told from a cluster that was never scanned)",
            ));
        }
        Some(other) => {
            return Err(ReportError::refused(
                format!(
                    "a Kubernetes List whose items is {}",
                    other.kind().article()
                ),
                "not a list of Trivy Operator reports",
            ));
        }
    };
    // Every item must be a Trivy Operator object before anything is counted.
    for (i, item) in items.iter().enumerate() {
        let at = || format!("items[{i}]");
        let obj = captured::element(item, &at).map_err(malformed)?;
        captured::refuse_case_variants(obj, ITEM_KEYS, &at).map_err(malformed)?;
        let api = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        if !api.starts_with(API_GROUP) {
            let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
            return Err(ReportError::refused(
                "a List that does not hold only Trivy Operator reports",
                format!(
                    "items[{i}] has apiVersion `{api}` and kind `{kind}` (vulngate reads Trivy Operator VulnerabilityReports, apiVersion {API_GROUP}…)"
                ),
            ));
        }
    }
    for (i, item) in items.iter().enumerate() {
        let Some(obj) = item.as_object() else {
            continue; // checked above
        };
        op.count(obj.get("kind"), obj.get("report"), tally, &|| {
            format!("items[{i}]")
        })?;
    }
    op.finish()
}

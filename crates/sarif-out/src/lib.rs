#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod gate;
mod location;

use std::collections::HashMap;
use std::fmt::Write as _;

use findings::{Finding, InputInfo, Severity};
use serde_json::{Value, json};

pub use gate::{Gate, Objective};

/// The `$schema` GitHub's documentation names for SARIF 2.1.0.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// `tool.driver.name`.
pub const TOOL_NAME: &str = "vulngate";

/// GitHub code scanning's documented limits on an uploaded SARIF file ("SARIF support for code
/// scanning" and "SARIF results exceed limits", docs.github.com). A file over a hard limit is
/// rejected whole.
pub mod limits {
    /// Results in one run (hard limit); [`crate::sarif`] keeps the most severe ones.
    pub const RESULTS_PER_RUN: usize = 25_000;
    /// Results GitHub stores and shows of one run, the most severe first (soft limit).
    pub const RESULTS_SHOWN: usize = 5_000;
    /// Rules in one run (hard limit); there is one rule per kept id, so never more than
    /// results.
    pub const RULES_PER_RUN: usize = 25_000;
    /// Tags of one rule (hard limit; 10 are shown). vulngate writes 3.
    pub const TAGS_PER_RULE: usize = 20;
    /// Tool extensions in one run (hard limit). vulngate writes at most 1 (the scanner).
    pub const EXTENSIONS_PER_RUN: usize = 100;
    /// Runs in one file (hard limit). vulngate writes 1.
    pub const RUNS_PER_FILE: usize = 20;
    /// Locations of one result GitHub reads (only the first is used). vulngate writes 1.
    pub const LOCATIONS_PER_RESULT: usize = 10;
    /// Characters of a rule's `shortDescription.text` and `fullDescription.text`.
    pub const DESCRIPTION_CHARS: usize = 1024;
    /// The gzip-compressed file, in bytes ("10 MB"; read as the smaller 10^7).
    pub const GZIP_BYTES: u64 = 10_000_000;
}

/// What to put into the SARIF log besides the findings.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'a> {
    /// The severities that count (the binaries' `--severity`); empty: all five.
    pub severities: &'a [Severity],
    /// The quality gate's verdict, when a gate ran (`properties.gate`).
    pub gate: Option<&'a Gate>,
}

/// A SARIF 2.1.0 log with one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Sarif {
    /// The log.
    pub log: Value,
    /// Findings left out because a run may hold at most [`limits::RESULTS_PER_RUN`] results
    /// (the least severe go first); also recorded in the run's `properties.omittedResults`.
    pub omitted: usize,
}

impl Sarif {
    /// The line to print on stderr when findings were left out (`None` when none were).
    #[must_use]
    pub fn omitted_warning(&self) -> Option<String> {
        (self.omitted > 0).then(|| {
            format!(
                "warning: {} findings are not in the SARIF output: GitHub code scanning rejects a run of more than {} results, so the most severe {} are kept",
                self.omitted,
                limits::RESULTS_PER_RUN,
                limits::RESULTS_PER_RUN
            )
        })
    }

    /// The log as pretty-printed JSON with a final newline.
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(&self.log)
            .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialise SARIF: {e}\"}}"));
        s.push('\n');
        s
    }
}

/// SARIF 2.1.0 as GitHub code scanning accepts it, from counted findings (one result per
/// finding, one rule per vulnerability id) and what the report says about itself.
#[must_use]
pub fn sarif(findings: &[Finding], input: &InputInfo, opts: &Options<'_>) -> Sarif {
    let (kept, omitted) = select(findings, opts.severities);
    let rules = Rules::collect(&kept);
    let results: Vec<Value> = kept.iter().map(|f| result(f, input, &rules)).collect();

    let driver = json!({
        "name": TOOL_NAME,
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "informationUri": env!("CARGO_PKG_REPOSITORY"),
        "rules": rules.to_json(),
    });
    let mut tool = json!({ "driver": driver });
    // The scanner that found them, as a tool extension (GitHub allows 100 per run).
    if let Some(s) = input.scanner.as_ref().filter(|s| !s.name.trim().is_empty()) {
        let mut ext = json!({ "name": s.name });
        if let Some(v) = s.version.as_ref().filter(|v| !v.is_empty()) {
            ext["version"] = json!(v);
        }
        tool["extensions"] = json!([ext]);
    }

    let mut counts = findings::SeverityCounts::new();
    for f in &kept {
        counts.add(f.severity);
    }
    let mut properties = json!({
        "input": input,
        "counts": counts,
        "results": kept.len(),
        "omittedResults": omitted,
    });
    if let Some(a) = input.artifact.as_ref() {
        properties["input"]["artifact"] = json!(a);
    }
    if let Some(g) = opts.gate {
        properties["gate"] = g.to_json();
    }
    let mut run = json!({
        "tool": tool,
        "results": results,
        "columnKind": "utf16CodeUnits",
        "properties": properties,
    });
    if let Some(c) = input.category.as_ref().filter(|c| !c.is_empty()) {
        run["automationDetails"] = json!({ "id": c });
    }
    Sarif {
        log: json!({
            "$schema": SCHEMA_URI,
            "version": "2.1.0",
            "runs": [run],
        }),
        omitted,
    }
}

/// The findings of the selected severities, in report order; beyond
/// [`limits::RESULTS_PER_RUN`] the most severe are kept (report order among equals).
fn select<'f>(findings: &'f [Finding], severities: &[Severity]) -> (Vec<&'f Finding>, usize) {
    let mut kept: Vec<(usize, &Finding)> = findings
        .iter()
        .filter(|f| severities.is_empty() || severities.contains(&f.severity))
        .enumerate()
        .collect();
    let mut omitted = 0;
    if kept.len() > limits::RESULTS_PER_RUN {
        omitted = kept.len() - limits::RESULTS_PER_RUN;
        kept.sort_by(|a, b| b.1.severity.cmp(&a.1.severity).then(a.0.cmp(&b.0)));
        kept.truncate(limits::RESULTS_PER_RUN);
        kept.sort_by_key(|(i, _)| *i);
    }
    (kept.into_iter().map(|(_, f)| f).collect(), omitted)
}

/// The rule id of a finding (a rule id may not be empty).
fn rule_id(f: &Finding) -> &str {
    let id = f.id.trim();
    if id.is_empty() { "UNIDENTIFIED" } else { id }
}

/// One rule per vulnerability id, in order of first appearance.
struct Rules<'f> {
    index: HashMap<&'f str, usize>,
    rules: Vec<Rule<'f>>,
}

struct Rule<'f> {
    id: &'f str,
    severity: Severity,
    cvss: Option<f64>,
    /// Distinct affected packages, in order of first appearance.
    packages: Vec<&'f Finding>,
}

impl<'f> Rules<'f> {
    fn collect(findings: &[&'f Finding]) -> Self {
        let mut index = HashMap::new();
        let mut rules: Vec<Rule<'f>> = Vec::new();
        for f in findings {
            let id = rule_id(f);
            let i = *index.entry(id).or_insert_with(|| {
                rules.push(Rule {
                    id,
                    severity: f.severity,
                    cvss: None,
                    packages: Vec::new(),
                });
                rules.len() - 1
            });
            let r = &mut rules[i];
            r.severity = r.severity.max(f.severity);
            if let Some(s) = f.cvss.filter(|s| *s > 0.0 && *s <= 10.0) {
                r.cvss = Some(r.cvss.map_or(s, |c| c.max(s)));
            }
            let same = |p: &&Finding| {
                p.package == f.package
                    && p.installed == f.installed
                    && p.fixed_version == f.fixed_version
                    && p.pkg_path == f.pkg_path
            };
            if !r.packages.iter().any(same) {
                r.packages.push(f);
            }
        }
        Self { index, rules }
    }

    fn index_of(&self, f: &Finding) -> usize {
        self.index[rule_id(f)]
    }

    fn to_json(&self) -> Vec<Value> {
        self.rules.iter().map(Rule::to_json).collect()
    }
}

/// Trivy's bands for a severity without a CVSS score (`pkg/report/sarif.go`).
fn band(sev: Severity) -> f64 {
    match sev {
        Severity::Critical => 9.5,
        Severity::High => 8.0,
        Severity::Medium => 5.5,
        Severity::Low => 2.0,
        Severity::Unknown => 0.0,
    }
}

/// The result level as Trivy writes it and GitHub filters on it.
fn level(sev: Severity) -> &'static str {
    match sev {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Unknown => "note",
    }
}

/// A link for well-known id schemes.
fn help_uri(id: &str) -> Option<String> {
    if id.starts_with("CVE-") {
        Some(format!("https://nvd.nist.gov/vuln/detail/{id}"))
    } else if id.starts_with("GHSA-") {
        Some(format!("https://github.com/advisories/{id}"))
    } else {
        None
    }
}

/// Cuts `s` to at most `max` characters, marking the cut with `…`.
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn or_unknown<'a>(s: &'a str, what: &'static str) -> &'a str {
    if s.trim().is_empty() { what } else { s }
}

/// "fixed in 1.2.3", "a fix exists (no version named)", "no fix".
fn fix_text(f: &Finding) -> String {
    match f.fixed_version.as_deref().filter(|v| !v.trim().is_empty()) {
        Some(v) => format!("fixed in {v}"),
        None if f.fixable => "a fix exists (no version named)".to_owned(),
        None => "no fix".to_owned(),
    }
}

fn package_version(f: &Finding) -> String {
    let name = or_unknown(&f.package, "unknown package");
    if f.installed.trim().is_empty() {
        name.to_owned()
    } else {
        format!("{name} {}", f.installed)
    }
}

/// Markdown table cells: no pipes or line breaks.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

impl Rule<'_> {
    fn security_severity(&self) -> f64 {
        self.cvss.unwrap_or_else(|| band(self.severity))
    }

    fn to_json(&self) -> Value {
        let sev = self.severity.as_str();
        let names: Vec<&str> = self
            .packages
            .iter()
            .map(|p| or_unknown(&p.package, "unknown package"))
            .fold(Vec::new(), |mut v, n| {
                if !v.contains(&n) {
                    v.push(n);
                }
                v
            });
        let short = format!("{} ({sev}) in {}", self.id, names.join(", "));
        let score = match self.cvss {
            Some(c) => format!(", CVSS {c:.1}"),
            None => String::new(),
        };
        let affected: Vec<String> = self
            .packages
            .iter()
            .map(|p| format!("{} ({})", package_version(p), fix_text(p)))
            .collect();
        let full = format!(
            "{} ({sev}{score}) affects {}: {}.",
            self.id,
            plural(self.packages.len(), "package"),
            affected.join("; ")
        );
        let mut text = format!("Vulnerability {}\nSeverity: {sev}\n", self.id);
        if let Some(c) = self.cvss {
            let _ = writeln!(text, "CVSS: {c:.1}");
        }
        let mut md = format!(
            "**Vulnerability {}**\n\nSeverity: {sev}{}\n\n| Package | Installed | Fixed | Path |\n| --- | --- | --- | --- |\n",
            self.id,
            self.cvss
                .map_or(String::new(), |c| format!(" (CVSS {c:.1})"))
        );
        for p in &self.packages {
            let _ = writeln!(
                text,
                "Package: {} ({}){}",
                package_version(p),
                fix_text(p),
                p.pkg_path
                    .as_deref()
                    .map_or(String::new(), |x| format!(" at {x}"))
            );
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                cell(or_unknown(&p.package, "unknown package")),
                cell(&p.installed),
                cell(&p.fixed_version.clone().unwrap_or_else(|| fix_text(p))),
                cell(p.pkg_path.as_deref().unwrap_or(""))
            );
        }
        let mut rule = json!({
            "id": self.id,
            "shortDescription": { "text": cut(&short, limits::DESCRIPTION_CHARS) },
            "fullDescription": { "text": cut(&full, limits::DESCRIPTION_CHARS) },
            "defaultConfiguration": { "level": level(self.severity) },
            "help": { "text": text, "markdown": md },
            "properties": {
                "security-severity": format!("{:.1}", self.security_severity()),
                "tags": ["vulnerability", "security", sev],
                "precision": "very-high",
            },
        });
        if let Some(u) = help_uri(self.id) {
            rule["helpUri"] = json!(u);
        }
        rule
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn result(f: &Finding, input: &InputInfo, rules: &Rules<'_>) -> Value {
    let id = rule_id(f);
    let uri = location::uri(f, input);
    let sev = f.severity.as_str();
    let mut message = format!(
        "{} is affected by {id} ({sev}); {}.",
        package_version(f),
        fix_text(f)
    );
    let target = f.target.trim();
    if !target.is_empty() {
        let _ = write!(message, "\nTarget: {target}");
    }
    if let Some(p) = f.pkg_path.as_deref().filter(|p| !p.is_empty()) {
        let _ = write!(message, "\nPath: {p}");
    }
    let mut props = json!({
        "severity": sev,
        "package": f.package,
        "installedVersion": f.installed,
        "fixedVersion": f.fixed_version,
    });
    if let Some(purl) = &f.purl {
        props["purl"] = json!(purl);
    }
    json!({
        "ruleId": id,
        "ruleIndex": rules.index_of(f),
        "level": level(f.severity),
        "message": { "text": message },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": uri },
                "region": { "startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1 },
            },
            "message": { "text": format!("{uri}: {}@{}", or_unknown(&f.package, "unknown package"), f.installed) },
        }],
        "partialFingerprints": {
            "primaryLocationLineHash": location::fingerprint(id, &f.package, &uri),
        },
        "properties": props,
    })
}

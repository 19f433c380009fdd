//! SARIF 2.1.0, `specs/scanner-formats.md` §7. Streams `runs[].results[]`.
//!
//! A result's bucket may come from its rule, and a run may write `results` before `tool`
//! (JSON allows it; Trivy and grype write the tool first). Results met before their run's
//! rules are kept in a compact form and counted, in order, when the run ends.

use std::io::Read;

use findings::{Finding, InputInfo, Scanner, Severity, Tally};
use json_stream::{Kind, Reader};

use crate::top::TopFacts;
use crate::{Format, ReportError};

type Res<T> = Result<T, json_stream::Error>;

/// Top-level keys of a SARIF log, for case-variant checks.
pub(crate) const TOP_KEYS: &[&str] = &["version", "$schema", "runs"];
/// Tags that mark a result as not a vulnerability (Trivy's rule tags).
const NOT_VULNERABILITY: &[&str] = &["misconfiguration", "secret", "license"];

/// What the walk over `runs` saw besides findings.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    /// Some run has a `results` array (the log is a scan, not a rules export).
    any_results: bool,
    /// Some run's invocation says `executionSuccessful: false`.
    failed_run: bool,
    /// `runs[0].tool.driver`'s name and version.
    scanner: Option<Scanner>,
    /// `runs[0].properties.imageName`.
    image: Option<String>,
    /// The first run's `automationDetails.id`.
    category: Option<String>,
    runs: usize,
}

/// One rule of `tool.driver.rules`, as far as counting needs it.
#[derive(Debug, Default)]
struct Rule {
    id: Option<String>,
    score: Option<Score>,
    excluded: bool,
}

/// A parsed `security-severity`, with the text as written.
#[derive(Debug, Clone)]
struct Score {
    value: f64,
    word: String,
}

/// A result, reduced to what its bucket, key and filters need.
#[derive(Debug, Default)]
struct Pending {
    rule_id: Option<String>,
    rule_index: Option<i64>,
    /// `kind` is pass / notApplicable / informational, or the result is suppressed, or its
    /// own tags say it is not a vulnerability.
    skip: bool,
    score: Option<Score>,
    uri: String,
}

/// The state of one run.
#[derive(Default)]
struct Run {
    rules: Vec<Rule>,
    tool_seen: bool,
    driver_seen: bool,
    has_results: bool,
    /// Results read before the rules.
    pending: Vec<Pending>,
}

/// Walks the `runs` array into the tally.
pub(crate) fn runs<R: Read>(
    r: &mut Reader<R>,
    tally: &mut Tally<'_>,
    stats: &mut Stats,
) -> Res<()> {
    if !r.open_array("`runs` to be a list")? {
        return Ok(());
    }
    let mut first = true;
    while r.next_element(&mut first)? {
        run(r, tally, stats)?;
        stats.runs += 1;
    }
    Ok(())
}

fn run<R: Read>(r: &mut Reader<R>, tally: &mut Tally<'_>, stats: &mut Stats) -> Res<()> {
    r.expect_object("a run to be an object")?;
    let first_run = stats.runs == 0;
    let mut run = Run::default();
    let mut first = true;
    while r.next_key(&mut first)? {
        let kind = r.peek_kind()?;
        match r.key() {
            b"tool" => tool(r, &mut run, stats, first_run)?,
            b"results" if kind == Some(Kind::Array) => {
                r.open_array("`results` to be a list")?;
                run.has_results = true;
                stats.any_results = true;
                let mut first = true;
                while r.next_element(&mut first)? {
                    let p = result(r, tally.needs_strings())?;
                    if run.tool_seen {
                        count(&run.rules, &p, tally);
                    } else {
                        run.pending.push(p);
                    }
                }
            }
            b"invocations" => {
                if r.open_array("`invocations` to be a list")? {
                    let mut first = true;
                    while r.next_element(&mut first)? {
                        r.expect_object("an invocation to be an object")?;
                        let mut first = true;
                        while r.next_key(&mut first)? {
                            if r.key() == b"executionSuccessful"
                                && r.peek_kind()? == Some(Kind::Bool)
                            {
                                let mut b = String::new();
                                r.scalar_into(&mut b)?;
                                stats.failed_run |= b == "false";
                            } else {
                                r.skip_value()?;
                            }
                        }
                    }
                }
            }
            b"automationDetails" if stats.category.is_none() && kind == Some(Kind::Object) => {
                r.open_object("`automationDetails` to be an object")?;
                let mut first = true;
                while r.next_key(&mut first)? {
                    if r.key() == b"id" {
                        stats.category = lenient_string(r)?.filter(|id| !id.is_empty());
                    } else {
                        r.skip_value()?;
                    }
                }
            }
            b"properties" if first_run && kind == Some(Kind::Object) => {
                r.open_object("`properties` to be an object")?;
                let mut first = true;
                while r.next_key(&mut first)? {
                    if r.key() == b"imageName" {
                        stats.image = lenient_string(r)?;
                    } else {
                        r.skip_value()?;
                    }
                }
            }
            _ => r.skip_value()?,
        }
    }
    if run.has_results && !(run.tool_seen && run.driver_seen) {
        return Err(r.error_here("a run with `results` has no `tool.driver` object"));
    }
    for p in std::mem::take(&mut run.pending) {
        count(&run.rules, &p, tally);
    }
    Ok(())
}

/// `tool`: in a run with results it must be an object with a `driver` object (checked when
/// the run ends); otherwise it is only looked at when it has those types.
fn tool<R: Read>(r: &mut Reader<R>, run: &mut Run, stats: &mut Stats, first_run: bool) -> Res<()> {
    if r.peek_kind()? != Some(Kind::Object) {
        return r.skip_value();
    }
    r.open_object("`tool` to be an object")?;
    run.tool_seen = true;
    let mut first = true;
    while r.next_key(&mut first)? {
        if r.key() != b"driver" || r.peek_kind()? != Some(Kind::Object) {
            r.skip_value()?;
            continue;
        }
        r.open_object("`driver` to be an object")?;
        run.driver_seen = true;
        let (mut name, mut version, mut semantic) = (None, None, None);
        let mut first = true;
        while r.next_key(&mut first)? {
            match r.key() {
                b"rules" => {
                    if r.open_array("`tool.driver.rules` to be a list")? {
                        let mut first = true;
                        while r.next_element(&mut first)? {
                            run.rules.push(rule(r)?);
                        }
                    }
                }
                b"name" if first_run => name = lenient_string(r)?,
                b"version" if first_run => version = lenient_string(r)?,
                b"semanticVersion" if first_run => semantic = lenient_string(r)?,
                _ => r.skip_value()?,
            }
        }
        if first_run && let Some(name) = name {
            stats.scanner = Some(Scanner {
                name,
                version: version.or(semantic),
            });
        }
    }
    Ok(())
}

fn rule<R: Read>(r: &mut Reader<R>) -> Res<Rule> {
    r.expect_object("a rule to be an object")?;
    let mut rule = Rule::default();
    let mut first = true;
    while r.next_key(&mut first)? {
        match r.key() {
            b"id" => rule.id = lenient_string(r)?,
            b"properties" => (rule.score, rule.excluded) = properties(r)?,
            _ => r.skip_value()?,
        }
    }
    Ok(rule)
}

/// One result; its location is read only when counting needs strings (`--unique`, ignore
/// rules, kept findings): the plain count needs only the rule and the score.
fn result<R: Read>(r: &mut Reader<R>, strings: bool) -> Res<Pending> {
    r.expect_object("a result to be an object")?;
    let mut p = Pending::default();
    let mut reference: (Option<String>, Option<i64>) = (None, None);
    let mut index_field = None;
    let mut word = String::new();
    let mut first = true;
    while r.next_key(&mut first)? {
        match r.key() {
            b"ruleId" => p.rule_id = lenient_string(r)?,
            b"ruleIndex" => index_field = lenient_integer(r)?,
            b"rule" => reference = rule_reference(r)?,
            b"kind" => {
                if r.peek_kind()? == Some(Kind::String) {
                    r.string_into(&mut word, "`kind` to be a string")?;
                    p.skip |= matches!(word.as_str(), "pass" | "notApplicable" | "informational");
                } else {
                    r.skip_value()?;
                }
            }
            b"suppressions" => p.skip |= suppressed(r)?,
            b"properties" => {
                let (score, excluded) = properties(r)?;
                p.score = score;
                p.skip |= excluded;
            }
            b"locations" if strings => p.uri = first_uri(r)?,
            _ => r.skip_value()?,
        }
    }
    if p.rule_id.is_none() {
        p.rule_id = reference.0;
    }
    p.rule_index = index_field.or(reference.1);
    Ok(p)
}

/// Counts one result against its run's rules.
fn count(rules: &[Rule], p: &Pending, tally: &mut Tally<'_>) {
    if p.skip {
        return;
    }
    let by_index = p
        .rule_index
        .and_then(|i| usize::try_from(i).ok())
        .and_then(|i| rules.get(i));
    let rule = by_index.or_else(|| {
        let id = p.rule_id.as_deref()?;
        rules.iter().find(|r| r.id.as_deref() == Some(id))
    });
    if rule.is_some_and(|r| r.excluded) {
        return;
    }
    let score = p.score.as_ref().or(rule.and_then(|r| r.score.as_ref()));
    let rule_id = p
        .rule_id
        .as_deref()
        .or(rule.and_then(|r| r.id.as_deref()))
        .unwrap_or("");
    let severity = score.map_or(Severity::Unknown, |s| bucket(s.value));
    if !tally.needs_strings() {
        // The plain count: no strings to build for a finding only counted.
        tally.add(&Finding {
            severity,
            ..Finding::default()
        });
        return;
    }
    let f = Finding {
        id: rule_id.to_owned(),
        severity,
        severity_word: score.map(|s| s.word.clone()).unwrap_or_default(),
        target: p.uri.clone(),
        cvss: score.map(|s| s.value),
        unique_key: Some(format!("{rule_id}\0{}", p.uri)),
        ..Finding::default()
    };
    tally.add(&f);
}

/// GitHub's `security-severity` bands.
fn bucket(score: f64) -> Severity {
    match score {
        s if s <= 0.0 || s > 10.0 => Severity::Unknown,
        s if s >= 9.0 => Severity::Critical,
        s if s >= 7.0 => Severity::High,
        s if s >= 4.0 => Severity::Medium,
        _ => Severity::Low,
    }
}

/// A `properties` bag: its `security-severity` (if it parses) and whether its `tags` mark a
/// result that is not a vulnerability. Anything but an object is treated as absent.
fn properties<R: Read>(r: &mut Reader<R>) -> Res<(Option<Score>, bool)> {
    if r.peek_kind()? != Some(Kind::Object) {
        r.skip_value()?;
        return Ok((None, false));
    }
    r.open_object("`properties` to be an object")?;
    let (mut score, mut excluded) = (None, false);
    let mut text = String::new();
    let mut first = true;
    while r.next_key(&mut first)? {
        let kind = r.peek_kind()?;
        match r.key() {
            b"security-severity" => {
                let kind = r.scalar_into(&mut text)?;
                score = parse_score(kind, &text);
            }
            b"tags" if kind == Some(Kind::Array) => {
                r.open_array("`tags` to be a list")?;
                let mut first = true;
                while r.next_element(&mut first)? {
                    if r.peek_kind()? == Some(Kind::String) {
                        r.string_into(&mut text, "a tag")?;
                        excluded |= NOT_VULNERABILITY
                            .iter()
                            .any(|t| t.as_bytes().eq_ignore_ascii_case(text.as_bytes()));
                    } else {
                        r.skip_value()?;
                    }
                }
            }
            _ => r.skip_value()?,
        }
    }
    Ok((score, excluded))
}

/// A JSON number, or a string that (trimmed) matches
/// `[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?`.
fn parse_score(kind: Kind, text: &str) -> Option<Score> {
    let t = match kind {
        Kind::Number => text,
        Kind::String => text.trim_matches([' ', '\t', '\n', '\r', '\x0c']),
        _ => return None,
    };
    if kind == Kind::String && !score_syntax(t.as_bytes()) {
        return None;
    }
    let value: f64 = t.parse().ok()?;
    value.is_finite().then(|| Score {
        value,
        word: text.to_owned(),
    })
}

fn score_syntax(s: &[u8]) -> bool {
    let digits = |s: &[u8], i: &mut usize| {
        let start = *i;
        while *i < s.len() && s[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    let mut i = 0;
    if matches!(s.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let int = digits(s, &mut i);
    let frac = if s.get(i) == Some(&b'.') {
        i += 1;
        Some(digits(s, &mut i))
    } else {
        None
    };
    match frac {
        None if int == 0 => return false,
        Some(f) if int == 0 && f == 0 => return false,
        _ => {}
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(s.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(s, &mut i) == 0 {
            return false;
        }
    }
    i == s.len()
}

/// `rule` (a reportingDescriptorReference): its `id` and `index` when they have their types.
fn rule_reference<R: Read>(r: &mut Reader<R>) -> Res<(Option<String>, Option<i64>)> {
    if r.peek_kind()? != Some(Kind::Object) {
        r.skip_value()?;
        return Ok((None, None));
    }
    r.open_object("`rule` to be an object")?;
    let (mut id, mut index) = (None, None);
    let mut first = true;
    while r.next_key(&mut first)? {
        match r.key() {
            b"id" => id = lenient_string(r)?,
            b"index" => index = lenient_integer(r)?,
            _ => r.skip_value()?,
        }
    }
    Ok((id, index))
}

/// `suppressions`: suppressed when non-empty and no element is `underReview` or `rejected`.
fn suppressed<R: Read>(r: &mut Reader<R>) -> Res<bool> {
    if !r.open_array("`suppressions` to be a list")? {
        return Ok(false);
    }
    let (mut any, mut open) = (false, false);
    let mut status = String::new();
    let mut first = true;
    while r.next_element(&mut first)? {
        r.expect_object("a suppression to be an object")?;
        any = true;
        let mut first = true;
        while r.next_key(&mut first)? {
            if r.key() == b"status" && r.peek_kind()? == Some(Kind::String) {
                r.string_into(&mut status, "`status` to be a string")?;
                open |= matches!(status.as_str(), "underReview" | "rejected");
            } else {
                r.skip_value()?;
            }
        }
    }
    Ok(any && !open)
}

/// `locations[0].physicalLocation.artifactLocation.uri`, or `""`.
fn first_uri<R: Read>(r: &mut Reader<R>) -> Res<String> {
    if r.peek_kind()? != Some(Kind::Array) {
        r.skip_value()?;
        return Ok(String::new());
    }
    r.open_array("`locations` to be a list")?;
    let mut uri = String::new();
    let mut first = true;
    let mut at_first = true;
    while r.next_element(&mut first)? {
        if std::mem::take(&mut at_first) {
            uri = string_at(r, &[b"physicalLocation", b"artifactLocation", b"uri"])?;
        } else {
            r.skip_value()?;
        }
    }
    Ok(uri)
}

/// The string at `path` inside the next value (objects only), or `""`; consumes the value.
fn string_at<R: Read>(r: &mut Reader<R>, path: &[&[u8]]) -> Res<String> {
    let Some((head, rest)) = path.split_first() else {
        return Ok(lenient_string(r)?.unwrap_or_default());
    };
    if r.peek_kind()? != Some(Kind::Object) {
        r.skip_value()?;
        return Ok(String::new());
    }
    r.open_object("an object")?;
    let mut found = String::new();
    let mut first = true;
    while r.next_key(&mut first)? {
        if r.key() == *head {
            found = string_at(r, rest)?;
        } else {
            r.skip_value()?;
        }
    }
    Ok(found)
}

/// A string field used only when it is a string.
fn lenient_string<R: Read>(r: &mut Reader<R>) -> Res<Option<String>> {
    if r.peek_kind()? == Some(Kind::String) {
        let mut s = String::new();
        r.string_into(&mut s, "a string")?;
        return Ok(Some(s));
    }
    r.skip_value()?;
    Ok(None)
}

/// An integer field used only when it is an integer.
fn lenient_integer<R: Read>(r: &mut Reader<R>) -> Res<Option<i64>> {
    if r.peek_kind()? == Some(Kind::Number) {
        let mut s = String::new();
        r.scalar_into(&mut s)?;
        return Ok(s.parse().ok());
    }
    r.skip_value()?;
    Ok(None)
}

/// Version check, run checks, scanner and artifact.
pub(crate) fn finish(facts: &TopFacts, stats: Stats) -> Result<InputInfo, ReportError> {
    match facts.str("version") {
        Some("2.1.0") => {}
        Some(v) => {
            return Err(ReportError::refused(
                Format::Sarif.described(),
                format!("SARIF version {v:?} is not supported (only 2.1.0 is)"),
            ));
        }
        None => {
            return Err(ReportError::refused(
                Format::Sarif.described(),
                "it has no SARIF `version` (only 2.1.0 is supported)",
            ));
        }
    }
    if !stats.any_results {
        return Err(ReportError::refused(
            "a SARIF log without results",
            "not a scan (no run has a `results` list; a rules-only export?)",
        ));
    }
    if stats.failed_run {
        return Err(ReportError::refused(
            Format::Sarif.described(),
            "the tool reported a failed run (`executionSuccessful: false`), so its results are incomplete",
        ));
    }
    Ok(InputInfo {
        scanner: stats.scanner,
        artifact: stats.image.filter(|i| !i.is_empty()),
        category: stats.category,
        ..InputInfo::default()
    })
}

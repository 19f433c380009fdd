//! Grype JSON (`grype -o json`), `specs/scanner-formats.md` §6. Streams `matches[]`; the
//! scanner, DB and artifact come from `descriptor` and `source`, which grype writes after the
//! matches and detection captures.

use std::io::Read;

use findings::{DbInfo, Finding, InputInfo, Scanner, Severity, Tally};
use json_stream::{Kind, Reader};
use serde_json::Value;

use crate::ReportError;
use crate::top::TopFacts;

type Res<T> = Result<T, json_stream::Error>;

/// Top-level keys of a Grype report, for case-variant checks.
pub(crate) const TOP_KEYS: &[&str] = &[
    "matches",
    "ignoredMatches",
    "source",
    "distro",
    "descriptor",
    "alertsByPackage",
];
/// Keys of a match this walker reads.
const MATCH_KEYS: &[&str] = &["vulnerability", "artifact"];
/// Keys of a match's `vulnerability` this walker reads.
const VULN_KEYS: &[&str] = &[
    "id",
    "severity",
    "fix",
    "fixedInVersion",
    "cvss",
    "knownExploited",
    "epss",
];
/// Keys of a match's `artifact` this walker reads.
const ARTIFACT_KEYS: &[&str] = &["name", "version", "purl", "locations"];
/// Largest `cvss` / `epss` / `knownExploited` value read for details.
const DETAIL_LIMIT: usize = 1 << 20;

/// What the walk over `matches` saw besides findings.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    /// Counted LOW findings that grype rated Negligible.
    pub(crate) negligible: u64,
    cur: Finding,
    word: String,
}

/// Walks the `matches` array into the tally.
pub(crate) fn matches<R: Read>(
    r: &mut Reader<R>,
    tally: &mut Tally<'_>,
    stats: &mut Stats,
) -> Res<()> {
    if !r.open_array("`matches` to be a list")? {
        return Ok(());
    }
    let mut first = true;
    while r.next_element(&mut first)? {
        one_match(r, tally, stats)?;
    }
    Ok(())
}

/// How the fix state was given: grype ≥ 0.13 writes `fix{state}`, earlier `fixedInVersion`.
#[derive(Default)]
struct Fix {
    /// `fix` was an object; then only its state counts.
    object: bool,
    state_fixed: bool,
    fixed_in_version: bool,
}

fn one_match<R: Read>(r: &mut Reader<R>, tally: &mut Tally<'_>, stats: &mut Stats) -> Res<()> {
    r.expect_object("a match to be an object")?;
    let strings = tally.needs_strings();
    let details = tally.needs_details();
    let compact = tally.needs_compact();
    let f = &mut stats.cur;
    *f = Finding::default();
    let mut fix = Fix::default();
    let (mut vulnerability, mut artifact) = (false, false);
    let mut negligible = false;
    let mut first = true;
    while r.next_key(&mut first)? {
        match r.key() {
            b"vulnerability" => {
                r.expect_object("`vulnerability` to be an object")?;
                vulnerability = true;
                let mut first = true;
                while r.next_key(&mut first)? {
                    match r.key() {
                        b"severity" => {
                            r.string_into(&mut stats.word, "`severity` to be a string")?;
                            f.severity = severity(stats.word.as_bytes());
                            negligible = stats.word.eq_ignore_ascii_case("negligible");
                            if details {
                                f.severity_word.clone_from(&stats.word);
                            }
                        }
                        b"id" if strings => {
                            r.string_into(&mut f.id, "`id` to be a string")?;
                        }
                        b"id" => check_string(r, "`id` to be a string")?,
                        b"fix" => fix_object(r, f, &mut fix, compact)?,
                        b"fixedInVersion" => {
                            let v = r.opt_string("`fixedInVersion` to be a string")?;
                            fix.fixed_in_version = v.is_some();
                            if compact && !fix.object {
                                f.fixed_version = v;
                            }
                        }
                        b"cvss" if details => f.cvss = cvss(&r.capture("`cvss`", DETAIL_LIMIT)?),
                        b"knownExploited" if compact => {
                            f.known_exploited = match r.capture("`knownExploited`", DETAIL_LIMIT)? {
                                Value::Array(a) => Some(!a.is_empty()),
                                _ => None,
                            };
                        }
                        b"epss" if compact => {
                            let v = r.capture("`epss`", DETAIL_LIMIT)?;
                            f.epss = v.pointer("/0/epss").and_then(Value::as_f64);
                        }
                        _ => {
                            r.refuse_case_variant(VULN_KEYS)?;
                            r.skip_value()?;
                        }
                    }
                }
            }
            b"artifact" => {
                r.expect_object("`artifact` to be an object")?;
                artifact = true;
                let mut first = true;
                while r.next_key(&mut first)? {
                    match r.key() {
                        b"name" if strings => {
                            r.string_into(&mut f.package, "`name` to be a string")?;
                        }
                        b"version" if strings => {
                            r.string_into(&mut f.installed, "`version` to be a string")?;
                        }
                        b"name" | b"version" => check_string(r, "a string")?,
                        b"purl" if details => f.purl = lenient_string(r)?,
                        b"locations" if details => {
                            let v = r.capture("`locations`", DETAIL_LIMIT)?;
                            f.pkg_path = v
                                .pointer("/0/path")
                                .and_then(Value::as_str)
                                .filter(|p| !p.is_empty())
                                .map(str::to_owned);
                        }
                        _ => {
                            r.refuse_case_variant(ARTIFACT_KEYS)?;
                            r.skip_value()?;
                        }
                    }
                }
            }
            _ => {
                r.refuse_case_variant(MATCH_KEYS)?;
                r.skip_value()?;
            }
        }
    }
    if !vulnerability || !artifact {
        let missing = if vulnerability {
            "`artifact`"
        } else {
            "`vulnerability`"
        };
        return Err(r.error_here(&format!("a match without {missing}")));
    }
    f.fixable = if fix.object {
        fix.state_fixed
    } else {
        fix.fixed_in_version
    };
    let before = tally.counted();
    tally.add(&stats.cur);
    if negligible && tally.counted() > before {
        stats.negligible += 1;
    }
    Ok(())
}

/// `vulnerability.fix`: an object, or null / absent (grype before 0.13).
fn fix_object<R: Read>(
    r: &mut Reader<R>,
    f: &mut Finding,
    fix: &mut Fix,
    details: bool,
) -> Res<()> {
    if !r.open_object("`fix` to be an object")? {
        return Ok(());
    }
    fix.object = true;
    if details {
        f.fixed_version = None;
    }
    let mut first = true;
    let mut state = String::new();
    while r.next_key(&mut first)? {
        match r.key() {
            b"state" => {
                r.string_into(&mut state, "`state` to be a string")?;
                fix.state_fixed = state == "fixed";
            }
            b"versions" if details => {
                let v = r.capture("`fix.versions`", DETAIL_LIMIT)?;
                f.fixed_version = v
                    .as_array()
                    .map(|vs| {
                        vs.iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .filter(|s| !s.is_empty());
            }
            _ => {
                r.refuse_case_variant(&["state"])?;
                r.skip_value()?;
            }
        }
    }
    Ok(())
}

/// §6: `negligible` is LOW; the four named words their bucket; anything else UNKNOWN.
fn severity(word: &[u8]) -> Severity {
    if word.eq_ignore_ascii_case(b"negligible") {
        return Severity::Low;
    }
    Severity::from_word(word)
}

/// The highest `metrics.baseScore` of grype's `cvss` list.
fn cvss(v: &Value) -> Option<f64> {
    v.as_array()?
        .iter()
        .filter_map(|c| c.pointer("/metrics/baseScore").and_then(Value::as_f64))
        .reduce(f64::max)
}

/// A named string field this path does not need: validated as a string (or null).
fn check_string<R: Read>(r: &mut Reader<R>, what: &str) -> Res<()> {
    match r.peek_kind()? {
        Some(Kind::String) => r.skip_value(),
        _ => {
            let mut s = String::new();
            r.string_into(&mut s, what).map(drop)
        }
    }
}

/// A field the spec does not name: used when it is a non-empty string, otherwise ignored.
fn lenient_string<R: Read>(r: &mut Reader<R>) -> Res<Option<String>> {
    if r.peek_kind()? == Some(Kind::String) {
        return r.opt_string("a string");
    }
    r.skip_value()?;
    Ok(None)
}

/// Scanner, DB and artifact from `descriptor` and `source` (captured in `facts`).
#[expect(
    clippy::unnecessary_wraps,
    reason = "same signature as the other adapters' finish"
)]
pub(crate) fn finish(facts: &TopFacts, stats: &Stats) -> Result<InputInfo, ReportError> {
    let descriptor = facts.captured("descriptor");
    let text = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let scanner = Scanner {
        name: text(descriptor.and_then(|d| d.get("name"))).unwrap_or_else(|| "grype".to_owned()),
        version: text(descriptor.and_then(|d| d.get("version"))),
    };
    let db = descriptor.and_then(|d| {
        let db = d.get("db")?;
        let (built, schema) = match db.pointer("/status/built") {
            Some(b) => (b, db.pointer("/status/schemaVersion")),
            None => (db.get("built")?, db.get("schemaVersion")),
        };
        Some(DbInfo {
            built: built.as_str()?.parse().ok()?,
            schema: schema.map(|s| match s {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }),
        })
    });
    let artifact = match facts.captured("source").and_then(|s| s.get("target")) {
        Some(Value::Object(t)) => text(t.get("userInput")).or_else(|| text(t.get("tags")?.get(0))),
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    };
    Ok(InputInfo {
        scanner: Some(scanner),
        db,
        artifact,
        negligible: Some(stats.negligible),
        ..InputInfo::default()
    })
}

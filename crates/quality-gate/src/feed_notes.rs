//! What text and markdown results add below the evaluation about the inputs beside the SLIs
//! (the `extra` keys of [`crate::GateOptions`]): each feed's version and date, each KEV finding
//! with its dates, which VEX statement and which ignore rule suppressed what. JSON carries the
//! same as keys; JUnit leaves it out.

use std::fmt::Write as _;

use cli_support::Format;
use serde_json::{Map, Value};

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn list<'a>(extra: &'a Map<String, Value>, key: &str) -> &'a [Value] {
    extra
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The lines for `format` (empty for JSON and JUnit, or when there is nothing to say).
pub(crate) fn notes(extra: &Map<String, Value>, format: Format) -> String {
    let mut lines: Vec<(&str, String)> = Vec::new();
    for f in list(extra, "feeds") {
        lines.push((
            "Feed",
            format!(
                "{} {} of {} ({}, {} entries)",
                s(f, "feed"),
                s(f, "version"),
                s(f, "date"),
                s(f, "file"),
                f.get("entries").and_then(Value::as_u64).unwrap_or(0)
            ),
        ));
    }
    for k in list(extra, "kev") {
        let dates = match (s(k, "date_added"), s(k, "due_date")) {
            ("", _) => String::new(),
            (a, d) => format!(", added {a}, due {d}"),
        };
        let ransomware = if k.get("ransomware") == Some(&Value::Bool(true)) {
            ", known ransomware use"
        } else {
            ""
        };
        lines.push((
            "Known exploited",
            format!(
                "{} {} in {} {}{dates}{ransomware}",
                s(k, "id"),
                s(k, "severity"),
                s(k, "package"),
                s(k, "installed")
            ),
        ));
    }
    for (key, label, name) in [("vex", "VEX", "statement"), ("ignored", "Ignored", "rule")] {
        let uses = list(extra, key);
        let mut unused = 0;
        for u in uses {
            let count = u.get("count").and_then(Value::as_u64).unwrap_or(0);
            if count == 0 {
                unused += 1;
                continue;
            }
            let which: Vec<&str> = u
                .get("findings")
                .and_then(Value::as_array)
                .map(|f| f.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let which = if which.is_empty() {
                String::new()
            } else {
                format!(": {}", which.join(", "))
            };
            lines.push((label, format!("{} suppressed {count}{which}", s(u, name))));
        }
        if unused > 0 {
            lines.push((label, format!("{unused} {name}(s) matched nothing")));
        }
    }
    if lines.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    match format {
        Format::Text => {
            out.push('\n');
            for (label, line) in lines {
                let _ = writeln!(out, "{label}: {line}");
            }
        }
        Format::Markdown => {
            out.push_str("\n### Inputs\n\n");
            for (label, line) in lines {
                let _ = writeln!(out, "- **{label}**: {}", line.replace('|', "\\|"));
            }
        }
        // JSON carries the same as keys; JUnit and other machine formats leave it out.
        _ => {}
    }
    out
}

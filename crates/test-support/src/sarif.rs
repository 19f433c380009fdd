//! Checks of a SARIF log: the official SARIF 2.1.0 JSON schema through a real validator
//! (Python's `jsonschema`, installed by `scripts/install-deps.sh test`), and GitHub code
//! scanning's documented requirements field by field ("SARIF support for code scanning" and
//! "SARIF results exceed limits" on docs.github.com).

use std::io::Write as _;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::fixtures::fixture;

/// The validator: reads the schema's path from argv and the document from stdin, prints each
/// error with its JSON path, exits 1 when there is any.
const VALIDATE_PY: &str = r#"
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1], encoding="utf-8"))
doc = json.load(sys.stdin)
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
errors = sorted(cls(schema, format_checker=cls.FORMAT_CHECKER).iter_errors(doc), key=lambda e: list(e.absolute_path))
for e in errors[:20]:
    print("/".join(str(p) for p in e.absolute_path) or "(root)", ":", e.message[:300])
sys.exit(1 if errors else 0)
"#;

/// Validates `doc` against `tests/fixtures/schemas/sarif-schema-2.1.0.json`.
///
/// # Errors
/// The validator's messages when the document is not valid.
///
/// # Panics
/// When `python3` with `jsonschema` is missing (install with `scripts/install-deps.sh test`).
pub fn validate_schema(doc: &str) -> Result<(), String> {
    let schema = fixture("schemas/sarif-schema-2.1.0.json");
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(VALIDATE_PY)
        .arg(&schema)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 is needed to validate SARIF");
    // A validator that dies early closes its stdin: its stderr then says why.
    let _ = child.stdin.take().unwrap().write_all(doc.as_bytes());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("No module named 'jsonschema'"),
        "Python's jsonschema is needed (scripts/install-deps.sh test)"
    );
    match out.status.code() {
        Some(0) => Ok(()),
        Some(1) if stderr.trim().is_empty() => Err(String::from_utf8_lossy(&out.stdout).into()),
        _ => panic!("the SARIF validator failed: {stderr}"),
    }
}

/// Parses `text`, panicking with the reasons when it is not valid against the schema
/// ([`validate_schema`]) or breaks GitHub's requirements ([`github_problems`]).
///
/// # Panics
/// As said, naming `what`.
#[must_use]
pub fn assert_valid(text: &str, what: &str) -> Value {
    if let Err(e) = validate_schema(text) {
        panic!("{what}: not valid SARIF 2.1.0:\n{e}");
    }
    let v: Value = serde_json::from_str(text).expect("valid against the schema, so JSON");
    let problems = github_problems(&v);
    assert!(problems.is_empty(), "{what}: {problems:#?}");
    v
}

/// GitHub's hard limits and required properties that `doc` breaks, one line each (empty: none).
#[must_use]
pub fn github_problems(doc: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let nonempty = |v: &Value| v.as_str().is_some_and(|s| !s.trim().is_empty());
    if !nonempty(&doc["$schema"]) {
        p.push("$schema is required".to_owned());
    }
    if doc["version"] != "2.1.0" {
        p.push(format!("version must be 2.1.0, is {}", doc["version"]));
    }
    let Some(runs) = doc["runs"].as_array() else {
        p.push("runs[] is required".to_owned());
        return p;
    };
    if runs.is_empty() || runs.len() > 20 {
        p.push(format!("{} runs (1 to 20 allowed)", runs.len()));
    }
    // Since 2025-07-21 GitHub rejects a file with two runs of the same tool and category.
    let mut categories = std::collections::HashSet::new();
    for (r, run) in runs.iter().enumerate() {
        let key = (
            run["tool"]["driver"]["name"].to_string(),
            run["automationDetails"]["id"].to_string(),
        );
        if !categories.insert(key) {
            p.push(format!(
                "runs[{r}]: a second run of the same tool and category"
            ));
        }
        run_problems(r, run, &mut p);
    }
    p
}

fn run_problems(r: usize, run: &Value, p: &mut Vec<String>) {
    let nonempty = |v: &Value| v.as_str().is_some_and(|s| !s.trim().is_empty());
    let chars = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
    let driver = &run["tool"]["driver"];
    if !nonempty(&driver["name"]) {
        p.push(format!("runs[{r}].tool.driver.name is required"));
    }
    let ext = run["tool"]["extensions"].as_array().map_or(0, Vec::len);
    if ext > 100 {
        p.push(format!("runs[{r}]: {ext} tool extensions (at most 100)"));
    }
    let Some(rules) = driver["rules"].as_array() else {
        p.push(format!("runs[{r}].tool.driver.rules[] is required"));
        return;
    };
    if rules.len() > 25_000 {
        p.push(format!("runs[{r}]: {} rules (at most 25,000)", rules.len()));
    }
    let mut ids = std::collections::HashSet::new();
    for (i, rule) in rules.iter().enumerate() {
        let at = format!("runs[{r}].rules[{i}]");
        if !nonempty(&rule["id"]) {
            p.push(format!("{at}.id is required"));
        } else if !ids.insert(rule["id"].as_str().unwrap_or_default()) {
            p.push(format!("{at}.id {} is not unique", rule["id"]));
        }
        for field in ["shortDescription", "fullDescription"] {
            let t = &rule[field]["text"];
            if !nonempty(t) {
                p.push(format!("{at}.{field}.text is required"));
            } else if chars(t) > 1024 {
                p.push(format!(
                    "{at}.{field}.text has {} characters (at most 1,024)",
                    chars(t)
                ));
            }
        }
        if !nonempty(&rule["help"]["text"]) {
            p.push(format!("{at}.help.text is required"));
        }
        if chars(&rule["name"]) > 255 {
            p.push(format!("{at}.name is longer than 255 characters"));
        }
        if let Some(l) = rule["defaultConfiguration"]["level"].as_str()
            && !["note", "warning", "error"].contains(&l)
        {
            p.push(format!(
                "{at}.defaultConfiguration.level {l} is not note, warning or error"
            ));
        }
        let props = &rule["properties"];
        if props["tags"].as_array().map_or(0, Vec::len) > 20 {
            p.push(format!("{at}: more than 20 tags"));
        }
        if let Some(pr) = props["precision"].as_str()
            && !["very-high", "high", "medium", "low"].contains(&pr)
        {
            p.push(format!(
                "{at}.properties.precision {pr} is not a GitHub precision"
            ));
        }
        match &props["security-severity"] {
            Value::Null => {}
            Value::String(s) => match s.parse::<f64>() {
                Ok(x) if (0.0..=10.0).contains(&x) => {}
                _ => p.push(format!(
                    "{at}.properties.security-severity {s} is not 0.0 to 10.0"
                )),
            },
            other => p.push(format!(
                "{at}.properties.security-severity {other} is not a string"
            )),
        }
    }
    let Some(results) = run["results"].as_array() else {
        p.push(format!("runs[{r}].results[] is required"));
        return;
    };
    if results.len() > 25_000 {
        p.push(format!(
            "runs[{r}]: {} results (at most 25,000)",
            results.len()
        ));
    }
    for (i, res) in results.iter().enumerate() {
        let at = format!("runs[{r}].results[{i}]");
        let id = res["ruleId"].as_str().unwrap_or_default();
        if !ids.contains(id) {
            p.push(format!("{at}.ruleId {id:?} names no rule"));
        }
        if let Some(ix) = res["ruleIndex"].as_u64() {
            let at_index = usize::try_from(ix).ok().and_then(|ix| rules.get(ix));
            if at_index.is_none_or(|rule| rule["id"] != id) {
                p.push(format!("{at}.ruleIndex {ix} is not the rule {id:?}"));
            }
        }
        if let Some(l) = res["level"].as_str()
            && !["none", "note", "warning", "error"].contains(&l)
        {
            p.push(format!("{at}.level {l} is not a SARIF level"));
        }
        if !nonempty(&res["message"]["text"]) {
            p.push(format!("{at}.message.text is required"));
        }
        if !nonempty(&res["partialFingerprints"]["primaryLocationLineHash"]) {
            p.push(format!(
                "{at}.partialFingerprints.primaryLocationLineHash is required"
            ));
        }
        let locations = res["locations"].as_array().map_or(&[][..], Vec::as_slice);
        if locations.is_empty() || locations.len() > 10 {
            p.push(format!("{at}: {} locations (1 to 10)", locations.len()));
        }
        for (l, loc) in locations.iter().enumerate() {
            let phys = &loc["physicalLocation"];
            let uri = phys["artifactLocation"]["uri"].as_str().unwrap_or_default();
            if uri.trim().is_empty() {
                p.push(format!(
                    "{at}.locations[{l}]: artifactLocation.uri is required"
                ));
            }
            // A scheme (`name:` before any `/`) makes it an absolute URI, which GitHub
            // rejects unless it has the checkout's scheme (`file`).
            let before_slash = uri.split('/').next().unwrap_or_default();
            if before_slash.contains(':') && !uri.starts_with("file:") {
                p.push(format!("{at}.locations[{l}]: uri {uri:?} has a scheme"));
            }
            if uri.contains(char::is_whitespace) {
                p.push(format!("{at}.locations[{l}]: uri {uri:?} has whitespace"));
            }
            for f in ["startLine", "startColumn", "endLine", "endColumn"] {
                if phys["region"][f].as_u64().is_none_or(|n| n < 1) {
                    p.push(format!("{at}.locations[{l}].region.{f} is required (>= 1)"));
                }
            }
        }
    }
}

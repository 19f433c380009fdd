//! Human and CI renderings of an evaluation result.
//!
//! * [`render_text`]: a table of objectives (name, SLI, value, pass and warning targets,
//!   status, score), notes (why an objective has no value, percentages against a
//!   baseline of 0), then result, score and message. For terminals and logs.
//! * [`render_markdown`]: a verdict line with a plain-text badge (`**PASS**`, `**WARNING**`,
//!   `**FAIL**`, `**ERROR**`), the score, the message, and a table naming which objective
//!   failed and why. Ready for `$GITHUB_STEP_SUMMARY` or a PR comment.
//! * [`render_junit`]: JUnit XML, one `<testcase>` per objective plus one for the total
//!   score. A failed objective is a `<failure>`; a warning or informational objective is a
//!   passed testcase and the suite's `<system-out>` says so (warnings do not fail the gate
//!   unless the caller asks for it, and a `<skipped>` would hide that the objective was
//!   evaluated); an evaluation that did not run (`status` not `succeeded`) is a single
//!   `<error>`. Valid against the Ant JUnit schema Jenkins and GitLab read.
//!
//! Numbers are printed like Go's `%v`, the same as lighthouse's messages.

use std::fmt::Write as _;

use keptn_events::evaluation::{
    EvaluationFinishedData, IndicatorResult, IndicatorStatus, SloTarget,
};
use keptn_events::{EventResult, Status, WireStr as _};

use crate::gofmt::go_float_v;

fn targets_text(r: &IndicatorResult, targets: Option<&Vec<SloTarget>>) -> String {
    targets_fmt(r, targets, false)
}

/// `criteria (target) ok|violated`, comma separated; `code` puts criteria in code spans.
/// A percentage compared with a baseline of 0 is marked `(baseline 0)` (see
/// [`zero_baseline`]).
fn targets_fmt(r: &IndicatorResult, targets: Option<&Vec<SloTarget>>, code: bool) -> String {
    match targets {
        None => "-".to_owned(),
        Some(t) if t.is_empty() => "-".to_owned(),
        Some(t) => t
            .iter()
            .map(|t| {
                let criteria = if code {
                    format!("`{}`", t.criteria)
                } else {
                    t.criteria.clone()
                };
                let verdict = if t.violated { " violated" } else { " ok" };
                let baseline = if zero_baseline(r, t) {
                    " (baseline 0)"
                } else {
                    ""
                };
                format!(
                    "{criteria} ({}){verdict}{baseline}",
                    go_float_v(t.target_value)
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// Whether `t` is a percentage criterion that lighthouse compared with a baseline of 0:
/// a percentage of 0 is 0, so its target is 0 whatever the percentage (no earlier value,
/// or an earlier value of 0; the spec's quirk 13). The result is lighthouse's; only the
/// explanation is ours.
fn zero_baseline(r: &IndicatorResult, t: &SloTarget) -> bool {
    t.criteria.trim().ends_with('%')
        && t.target_value == 0.0
        && r.value
            .as_ref()
            .is_some_and(|v| v.success && v.compared_value == 0.0)
}

/// Why an objective has no value: the provider's message (no such SLI in the report, not
/// defined in sli.yaml, the query returned nothing, the backend's error); `None` when it
/// has a value. The one wording every format uses.
#[must_use]
pub fn no_value_reason(r: &IndicatorResult) -> Option<&str> {
    r.value.as_ref().filter(|v| !v.success).map(|v| {
        if v.message.is_empty() {
            "SLI failed"
        } else {
            v.message.as_str()
        }
    })
}

/// The note on an objective's percentage criteria that were compared with a baseline of 0,
/// if any.
fn zero_baseline_note(r: &IndicatorResult) -> Option<String> {
    let zero: Vec<String> = [r.pass_targets.as_ref(), r.warning_targets.as_ref()]
        .into_iter()
        .flatten()
        .flatten()
        .filter(|t| zero_baseline(r, t))
        .map(|t| format!("`{}`", t.criteria))
        .collect();
    (!zero.is_empty()).then(|| {
        format!(
            "{}: {} compared with a baseline of 0 (no earlier value, or an earlier value of 0): a percentage of 0 is 0, so the target is 0; an absolute criterion (`<=N`) or a delta (`<=+N`) does not collapse",
            r.name(),
            zero.join(" and ")
        )
    })
}

/// The lines under the text table, for a reader to act on: why an objective has no value,
/// and which percentage criteria were compared with a baseline of 0.
fn text_notes(d: &EvaluationFinishedData) -> Vec<String> {
    let mut out = Vec::new();
    for r in d.evaluation.indicator_results.iter().flatten() {
        if let Some(why) = no_value_reason(r) {
            out.push(format!("{}: no value: {why}", r.name()));
        }
        out.extend(zero_baseline_note(r));
    }
    out
}

fn value_text(r: &IndicatorResult) -> String {
    match &r.value {
        None => "-".to_owned(),
        Some(v) if !v.success => "no value".to_owned(),
        Some(v) => go_float_v(v.value),
    }
}

fn verdict_word(d: &EvaluationFinishedData) -> &'static str {
    if !d.succeeded() {
        return "ERROR";
    }
    match d.result {
        Some(EventResult::Pass) => "PASS",
        Some(EventResult::Warning) => "WARNING",
        _ => "FAIL",
    }
}

/// Why an objective did not pass, in one sentence; empty for a passed objective.
#[must_use]
pub fn explain(r: &IndicatorResult) -> String {
    let violated = |t: Option<&Vec<SloTarget>>| -> Vec<String> {
        t.into_iter()
            .flatten()
            .filter(|t| t.violated)
            .map(|t| format!("`{}` (target {})", t.criteria, go_float_v(t.target_value)))
            .collect()
    };
    match &r.status {
        Some(IndicatorStatus::Info) => "informational (no pass criteria)".to_owned(),
        Some(IndicatorStatus::Pass) => String::new(),
        status => {
            if let Some(why) = no_value_reason(r) {
                return format!("no value: {why}");
            }
            let value = r
                .value
                .as_ref()
                .map_or_else(|| "-".to_owned(), |v| go_float_v(v.value));
            let pass = violated(r.pass_targets.as_ref());
            let mut s = if pass.is_empty() {
                format!("value {value} did not satisfy the pass criteria")
            } else {
                format!("value {value} violates {}", pass.join(" and "))
            };
            if *status == Some(IndicatorStatus::Warning) {
                s.push_str("; within the warning criteria");
            } else {
                let warn = violated(r.warning_targets.as_ref());
                if !warn.is_empty() {
                    let _ = write!(
                        s,
                        "; warning criteria also violated: {}",
                        warn.join(" and ")
                    );
                }
            }
            s
        }
    }
}

/// A readable table of objectives, then result, score and message.
#[must_use]
pub fn render_text(d: &EvaluationFinishedData) -> String {
    let header = [
        "OBJECTIVE",
        "SLI",
        "VALUE",
        "PASS TARGETS",
        "WARNING TARGETS",
        "STATUS",
        "SCORE",
    ];
    let rows: Vec<[String; 7]> = d
        .evaluation
        .indicator_results
        .iter()
        .flatten()
        .map(|r| {
            [
                if r.display_name.is_empty() {
                    r.metric().to_owned()
                } else {
                    r.display_name.clone()
                },
                r.metric().to_owned(),
                value_text(r),
                targets_text(r, r.pass_targets.as_ref()),
                targets_text(r, r.warning_targets.as_ref()),
                if r.key_sli {
                    format!("{} (key)", r.status.wire_str())
                } else {
                    r.status.wire_str().to_owned()
                },
                go_float_v(r.score),
            ]
        })
        .collect();
    let mut out = String::new();
    if !rows.is_empty() {
        let mut widths = header.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: &[&str]| {
            let mut l = String::new();
            for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
                if i + 1 == cells.len() {
                    l.push_str(cell);
                } else {
                    let pad = w.saturating_sub(cell.chars().count());
                    l.push_str(cell);
                    l.extend(std::iter::repeat_n(' ', pad + 2));
                }
            }
            l.truncate(l.trim_end().len());
            l.push('\n');
            l
        };
        out.push_str(&line(&header));
        for row in &rows {
            let cells: Vec<&str> = row.iter().map(String::as_str).collect();
            out.push_str(&line(&cells));
        }
        out.push('\n');
    }
    let notes = text_notes(d);
    for n in &notes {
        let _ = writeln!(out, "{n}");
    }
    if !notes.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "Result:  {} ({})",
        d.result.wire_str(),
        verdict_word(d)
    );
    let _ = writeln!(out, "Score:   {}", go_float_v(d.evaluation.score));
    if !d.succeeded() {
        let _ = writeln!(out, "Status:  {}", d.status.wire_str());
    }
    if !d.message.is_empty() {
        let _ = writeln!(out, "Message: {}", d.message);
    }
    out
}

fn md_cell(s: &str) -> String {
    let s = s
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\r', '\n'], " ");
    if s.is_empty() { " ".to_owned() } else { s }
}

/// A cell whose code spans must stay literal: only pipes and line breaks are escaped
/// (GitHub honours `\|` inside code spans in tables).
fn md_code_cell(s: &str) -> String {
    let s = s.replace('|', "\\|").replace(['\r', '\n'], " ");
    if s.is_empty() { " ".to_owned() } else { s }
}

/// Markdown for a CI job summary or a PR comment.
#[must_use]
pub fn render_markdown(d: &EvaluationFinishedData) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### Quality gate: **{}**", verdict_word(d));
    out.push('\n');
    let _ = writeln!(
        out,
        "Result: `{}` | Score: **{}** | Status: `{}`",
        d.result.wire_str(),
        go_float_v(d.evaluation.score),
        d.status.as_ref().unwrap_or(&Status::Succeeded)
    );
    if !d.message.is_empty() {
        out.push('\n');
        let _ = writeln!(out, "> {}", d.message.replace(['\r', '\n'], " "));
    }
    let results: Vec<&IndicatorResult> = d.evaluation.indicator_results.iter().flatten().collect();
    if !results.is_empty() {
        out.push('\n');
        out.push_str(
            "| Objective | SLI | Value | Pass targets | Warning targets | Status | Score | Why |\n",
        );
        out.push_str("|---|---|---:|---|---|---|---:|---|\n");
        for r in &results {
            let name = if r.display_name.is_empty() {
                r.metric()
            } else {
                &r.display_name
            };
            let status = match &r.status {
                Some(IndicatorStatus::Fail) => "**fail**".to_owned(),
                s => s.wire_str().to_owned(),
            };
            let status = if r.key_sli {
                format!("{status} (key)")
            } else {
                status
            };
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} | {} | {} | {} | {} |",
                md_cell(name),
                md_cell(r.metric()),
                md_cell(&value_text(r)),
                md_code_cell(&targets_fmt(r, r.pass_targets.as_ref(), true)),
                md_code_cell(&targets_fmt(r, r.warning_targets.as_ref(), true)),
                status,
                go_float_v(r.score),
                md_code_cell(&explain(r)),
            );
        }
        // The Why column already says why a value is missing; the baseline notes are extra.
        let notes: Vec<String> = results
            .iter()
            .filter_map(|r| zero_baseline_note(r))
            .collect();
        if !notes.is_empty() {
            out.push('\n');
            for n in &notes {
                let _ = writeln!(out, "- {}", md_code_cell(n));
            }
        }
        let failed: Vec<&str> = results
            .iter()
            .filter(|r| r.status == Some(IndicatorStatus::Fail))
            .map(|r| r.name())
            .collect();
        if !failed.is_empty() {
            out.push('\n');
            let _ = writeln!(
                out,
                "Failed objectives: {}",
                failed
                    .iter()
                    .map(|n| md_cell(n))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    out
}

/// Escapes text for XML 1.0 attributes and content; characters XML 1.0 cannot carry
/// become U+FFFD.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: one testcase per objective and one for the total score, valid against the Ant
/// JUnit schema (`tests/fixtures/schemas/JUnit.xsd`) that Jenkins and GitLab read: a failing
/// objective carries a `<failure>` with its details; the details of the others go to the
/// suite's `<system-out>`, the only place the schema allows free text besides a failure.
#[must_use]
pub fn render_junit(d: &EvaluationFinishedData) -> String {
    render_junit_annotated(d, &|_| None)
}

/// [`render_junit`] with extra text for some objectives: `note(i)` for
/// `indicatorResults[i]` is appended to its failure's text (or, for an objective that did not
/// fail, to its block in the suite's `<system-out>`), and `note(n)`, `n` the number of
/// objectives, to the total score's. The gate names the findings behind an objective, and its
/// fix plan, this way.
#[must_use]
pub fn render_junit_annotated(
    d: &EvaluationFinishedData,
    note: &dyn Fn(usize) -> Option<String>,
) -> String {
    let results: Vec<&IndicatorResult> = d.evaluation.indicator_results.iter().flatten().collect();
    let mut cases = String::new();
    // Text for the suite's <system-out>, one block per test case that has no <failure>.
    let mut system_out = String::new();
    let mut failures = 0;
    let mut errors = 0;
    let mut tests = 0;
    if d.succeeded() && d.evaluation.indicator_results.is_some() {
        for (i, r) in results.iter().enumerate() {
            tests += 1;
            let name = r.name();
            let mut detail = format!(
                "sli: {}\nvalue: {}\npass targets: {}\nwarning targets: {}\nstatus: {}\nscore: {}\nkey sli: {}",
                r.metric(),
                value_text(r),
                targets_text(r, r.pass_targets.as_ref()),
                targets_text(r, r.warning_targets.as_ref()),
                r.status.wire_str(),
                go_float_v(r.score),
                r.key_sli
            );
            if let Some(n) = note(i) {
                detail.push('\n');
                detail.push_str(&n);
            }
            let _ = write!(
                cases,
                "    <testcase classname=\"slo.objectives\" name=\"{}\" time=\"0\">",
                xml(name)
            );
            match &r.status {
                Some(IndicatorStatus::Fail) => {
                    failures += 1;
                    let _ = write!(
                        cases,
                        "\n      <failure message=\"{}\" type=\"fail\">{}</failure>\n    ",
                        xml(&explain(r)),
                        xml(&detail)
                    );
                }
                Some(status @ (IndicatorStatus::Warning | IndicatorStatus::Info)) => {
                    let what = if *status == IndicatorStatus::Warning {
                        "WARNING"
                    } else {
                        "INFO"
                    };
                    let _ = write!(
                        system_out,
                        "== {}\n{}: {}\n{}\n",
                        xml(name),
                        what,
                        xml(&explain(r)),
                        xml(&detail)
                    );
                }
                _ => {
                    let _ = write!(system_out, "== {}\n{}\n", xml(name), xml(&detail));
                }
            }
            cases.push_str("</testcase>\n");
        }
        tests += 1;
        let mut summary = format!(
            "result: {}\nscore: {}\nmessage: {}",
            d.result.wire_str(),
            go_float_v(d.evaluation.score),
            d.message
        );
        if let Some(n) = note(results.len()) {
            summary.push('\n');
            summary.push_str(&n);
        }
        let _ = write!(
            cases,
            "    <testcase classname=\"slo\" name=\"total score\" time=\"0\">"
        );
        if d.result == Some(EventResult::Fail) {
            failures += 1;
            let msg = if d.message.is_empty() {
                "the evaluation failed"
            } else {
                d.message.as_str()
            };
            let _ = write!(
                cases,
                "\n      <failure message=\"{}\" type=\"fail\">{}</failure>\n    ",
                xml(msg),
                xml(&summary)
            );
        } else {
            let _ = write!(system_out, "== total score\n{}\n", xml(&summary));
        }
        cases.push_str("</testcase>\n");
    } else {
        tests = 1;
        let msg = if d.message.is_empty() {
            "the evaluation did not run"
        } else {
            d.message.as_str()
        };
        let is_error = !d.succeeded();
        if is_error {
            errors = 1;
        } else {
            failures = usize::from(d.result == Some(EventResult::Fail));
        }
        let kind = if is_error { "error" } else { "failure" };
        let _ = write!(
            cases,
            "    <testcase classname=\"slo\" name=\"evaluation\" time=\"0\">"
        );
        if is_error || d.result == Some(EventResult::Fail) {
            let _ = write!(
                cases,
                "\n      <{kind} message=\"{}\" type=\"{}\">{}</{kind}>\n    ",
                xml(msg),
                xml(d.status.as_ref().map_or("fail", Status::as_str)),
                xml(msg)
            );
        } else {
            let _ = write!(system_out, "== evaluation\n{}\n", xml(msg));
        }
        cases.push_str("</testcase>\n");
    }
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    // The schema allows no attributes on <testsuites>; each suite inside it needs `package`
    // and `id`, and a timestamp without zone (the evaluation's end, in UTC).
    out.push_str("<testsuites>\n");
    let _ = writeln!(
        out,
        "  <testsuite package=\"slo-gate\" id=\"0\" name=\"{}\" timestamp=\"{}\" hostname=\"localhost\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"0\" time=\"0\">",
        xml(&suite_name(d)),
        junit_timestamp(&d.evaluation.time_end)
    );
    out.push_str("    <properties>\n");
    for (k, v) in [
        ("status", d.status.wire_str().to_owned()),
        ("result", d.result.wire_str().to_owned()),
        ("score", go_float_v(d.evaluation.score)),
        (
            "evaluation.result",
            d.evaluation.result.wire_str().to_owned(),
        ),
    ] {
        let _ = writeln!(out, "      <property name=\"{k}\" value=\"{}\"/>", xml(&v));
    }
    out.push_str("    </properties>\n");
    out.push_str(&cases);
    let _ = writeln!(out, "    <system-out>{system_out}</system-out>");
    out.push_str("    <system-err/>\n  </testsuite>\n</testsuites>\n");
    out
}

/// `2006-01-02T15:04:05` from Keptn's `timeEnd` (`2006-01-02T15:04:05.000Z`), the form the
/// JUnit schema's timestamp takes; the Unix epoch when the evaluation has no end time (a gate
/// on a values file), so the document stays valid and says plainly that no time is known.
fn junit_timestamp(time_end: &str) -> String {
    time_end.parse::<jiff::Timestamp>().map_or_else(
        |_| "1970-01-01T00:00:00".to_owned(),
        |t| t.strftime("%Y-%m-%dT%H:%M:%S").to_string(),
    )
}

fn suite_name(d: &EvaluationFinishedData) -> String {
    let scope: Vec<&str> = [&d.project, &d.stage, &d.service]
        .into_iter()
        .filter_map(|s| s.as_deref())
        .collect();
    if scope.is_empty() {
        "slo evaluation".to_owned()
    } else {
        format!("slo evaluation {}", scope.join("/"))
    }
}

//! Output formats of a gate result. Pure.

use std::borrow::Cow;

use cli_support::Format;
use explain::Explanation;
use keptn_events::evaluation::EvaluationFinishedData;

use crate::{DEFAULT_EXPLAIN, GateOptions};

/// Renders an evaluation in `format` (always ends with a newline).
#[must_use]
pub fn render(data: &EvaluationFinishedData, format: Format) -> String {
    render_explained(
        data,
        None,
        &GateOptions {
            format,
            ..GateOptions::default()
        },
    )
}

/// How many findings per objective the output lists: `--explain N`, else
/// [`DEFAULT_EXPLAIN`] in text, Markdown and JUnit and all in JSON.
pub(crate) const fn listing(opts: &GateOptions) -> Option<usize> {
    match (opts.explain, opts.format) {
        (Some(n), _) => Some(n),
        (None, Format::Json | Format::Sarif) => None,
        (None, Format::Text | Format::Markdown | Format::Junit) => Some(DEFAULT_EXPLAIN),
    }
}

/// Renders an evaluation and its explanation in `opts.format`, listing at most
/// `opts.explain` findings per objective (default [`DEFAULT_EXPLAIN`], all in JSON): text
/// gets a "What to fix" part after the objectives, Markdown a section, JSON a top-level
/// `explain` beside the `evaluation.finished` fields, JUnit the findings in each failing
/// objective's failure text. Always ends with a newline.
#[must_use]
pub fn render_explained(
    data: &EvaluationFinishedData,
    explanation: Option<&Explanation>,
    opts: &GateOptions,
) -> String {
    // Copies only what is listed (nothing when the explanation was built for this listing).
    let listed = explanation.map(|e| e.limited(listing(opts)));
    let mut s = match opts.format {
        Format::Text => {
            let mut s = slo_eval::render::render_text(data);
            if let Some(e) = &listed {
                s.push('\n');
                s.push_str(&e.render_text());
            }
            s
        }
        // SARIF lists findings, which a gate result does not hold: the binaries write it with
        // `sarif-out` from the report's findings, with this verdict in the run's properties.
        Format::Json | Format::Sarif => serde_json::to_string_pretty(&WithExplain {
            data,
            explain: listed,
        })
        .unwrap_or_else(|e| format!("{{\"error\": \"could not serialise the result: {e}\"}}")),
        Format::Markdown => {
            let mut s = slo_eval::render::render_markdown(data);
            if let Some(e) = &listed {
                s.push('\n');
                s.push_str(&e.render_markdown());
            }
            s
        }
        Format::Junit => match &listed {
            Some(e) => {
                let n = data
                    .evaluation
                    .indicator_results
                    .as_ref()
                    .map_or(0, Vec::len);
                slo_eval::render::render_junit_annotated(data, &|i| e.junit_text(i, n))
            }
            None => slo_eval::render::render_junit(data),
        },
    };
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// The JSON output: the `evaluation.finished` fields, then `explain` (written straight from
/// the explanation: no JSON tree of the findings is built).
#[derive(serde::Serialize)]
struct WithExplain<'a> {
    #[serde(flatten)]
    data: &'a EvaluationFinishedData,
    #[serde(skip_serializing_if = "Option::is_none")]
    explain: Option<Cow<'a, Explanation>>,
}

/// The JSON output as a value: the `evaluation.finished` data, with the explanation as a
/// top-level `explain` (listing as the output in `opts.format` lists: `opts.explain`
/// findings per objective, default all in JSON).
///
/// # Errors
/// When the data cannot be serialised (not expected: plain data).
pub fn json_value(
    data: &EvaluationFinishedData,
    explanation: Option<&Explanation>,
    opts: &GateOptions,
) -> serde_json::Result<serde_json::Value> {
    let mut v = serde_json::to_value(data)?;
    if let (Some(e), Some(m)) = (explanation, v.as_object_mut()) {
        m.insert(
            "explain".to_owned(),
            serde_json::to_value(e.limited(listing(opts)))?,
        );
    }
    Ok(v)
}

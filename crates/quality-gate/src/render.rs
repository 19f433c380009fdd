//! Output formats of a gate result. Pure.

use std::str::FromStr;

use keptn_events::evaluation::EvaluationFinishedData;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// A table of objectives (value, targets, status), then verdict, score and message.
    #[default]
    Text,
    /// Exactly the `data` of `sh.keptn.event.evaluation.finished`, pretty-printed.
    Json,
    /// Verdict, score and a table naming which objective failed and why (CI summaries, PR comments).
    Markdown,
    /// JUnit XML, one testcase per objective.
    Junit,
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            "markdown" | "md" => Ok(Self::Markdown),
            "junit" => Ok(Self::Junit),
            other => Err(format!(
                "unknown format `{other}`: expected text, json, markdown or junit"
            )),
        }
    }
}

/// Renders an evaluation in `format` (always ends with a newline).
#[must_use]
pub fn render(data: &EvaluationFinishedData, format: Format) -> String {
    let mut s = match format {
        Format::Text => slo_eval::render::render_text(data),
        Format::Json => serde_json::to_string_pretty(data)
            .unwrap_or_else(|e| format!("{{\"error\": \"could not serialise the result: {e}\"}}")),
        Format::Markdown => slo_eval::render::render_markdown(data),
        Format::Junit => slo_eval::render::render_junit(data),
    };
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

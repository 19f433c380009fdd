//! Output formats of a gate result. Pure.

use cli_support::Format;
use keptn_events::evaluation::EvaluationFinishedData;

/// Renders an evaluation in `format` (always ends with a newline).
#[must_use]
pub fn render(data: &EvaluationFinishedData, format: Format) -> String {
    let mut s = match format {
        Format::Text => slo_eval::render::render_text(data),
        // SARIF lists findings, which a gate result does not hold: the binaries write it with
        // `sarif-out` from the report's findings, with this verdict in the run's properties.
        Format::Json | Format::Sarif => serde_json::to_string_pretty(data)
            .unwrap_or_else(|e| format!("{{\"error\": \"could not serialise the result: {e}\"}}")),
        Format::Markdown => slo_eval::render::render_markdown(data),
        Format::Junit => slo_eval::render::render_junit(data),
    };
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

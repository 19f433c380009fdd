//! Errors from reading a report.

use serde_json::error::Category;

/// Why a report could not be read. The caller adds the file name.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The bytes are not valid JSON (syntax error).
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Json {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error (0 when the line is empty).
        column: usize,
        /// What the parser expected, without the location.
        message: String,
    },
    /// The input holds nothing but (possibly) whitespace.
    #[error("the report is empty")]
    Empty,
    /// The JSON stops in the middle of a value.
    #[error("the report ends early (truncated?) at line {line}, column {column}")]
    Truncated {
        /// 1-based line where the input ended.
        line: usize,
        /// Column where the input ended.
        column: usize,
    },
    /// Valid JSON, but not shaped like a Trivy report (for example a number at the top level,
    /// or `Vulnerabilities` that is not a list). The message includes the location.
    #[error("not a Trivy report: {message}")]
    Shape {
        /// What was wrong and where.
        message: String,
    },
    /// Reading failed.
    #[error("could not read the report: {0}")]
    Io(#[from] std::io::Error),
}

impl ReportError {
    /// Line and column of the problem, when known.
    #[must_use]
    pub const fn location(&self) -> Option<(usize, usize)> {
        match self {
            Self::Json { line, column, .. } | Self::Truncated { line, column } => {
                Some((*line, *column))
            }
            _ => None,
        }
    }

    /// Classifies a serde_json error. `saw_content` tells an empty input from a truncated one.
    pub(crate) fn from_json(e: serde_json::Error, saw_content: bool) -> Self {
        let (line, column) = (e.line(), e.column());
        match e.classify() {
            Category::Io => Self::Io(e.into()),
            Category::Eof if !saw_content => Self::Empty,
            Category::Eof => Self::Truncated { line, column },
            Category::Syntax => Self::Json {
                line,
                column,
                message: strip_location(&e),
            },
            Category::Data => Self::Shape {
                message: format!("{} (line {line}, column {column})", strip_location(&e)),
            },
        }
    }
}

fn strip_location(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match full.strip_suffix(&suffix) {
        Some(m) => m.to_owned(),
        None => full,
    }
}

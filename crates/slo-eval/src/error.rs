//! Parse errors with positions.

use std::fmt;

/// One problem found in a file, with its 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong, one sentence.
    pub message: String,
}

impl Problem {
    pub(crate) fn new(line: usize, column: usize, message: impl Into<String>) -> Self {
        Self {
            line,
            column,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {} column {}: {}",
            self.line, self.column, self.message
        )
    }
}

/// Which phase rejected the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// The file has 0 bytes. Lighthouse passes without evaluation here; a gate should not
    /// (see [`crate::missing_slo_result`]).
    Empty,
    /// Not YAML (phase 1; only the first syntax error is known).
    Syntax,
    /// YAML, but not an SLO/SLI file: every problem found is listed (phase 2), or, from
    /// the strict parsers, lints that lighthouse would accept.
    Invalid,
}

/// A file that could not be parsed. `Display` lists every problem with line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Which phase failed.
    pub kind: ParseErrorKind,
    /// Every problem, in file order; never empty.
    pub problems: Vec<Problem>,
}

impl ParseError {
    pub(crate) fn new(kind: ParseErrorKind, problems: Vec<Problem>) -> Self {
        Self { kind, problems }
    }

    /// Line of the first problem (1-based).
    #[must_use]
    pub fn line(&self) -> usize {
        self.problems.first().map_or(1, |p| p.line)
    }

    /// Column of the first problem (1-based).
    #[must_use]
    pub fn column(&self) -> usize {
        self.problems.first().map_or(1, |p| p.column)
    }

    /// `true` for a 0-byte file.
    #[must_use]
    pub fn is_empty_file(&self) -> bool {
        self.kind == ParseErrorKind::Empty
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}

//! Why a gate could not run at all.

use slo_eval::ParseError;

use crate::Decision;

/// Why a gate could not run at all (input errors: exit 2).
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// No SLO file, or a 0-byte one, without `allow_missing_slo`.
    #[error(
        "the SLO file {0} is missing or empty; a gate without objectives would open silently (lighthouse passes here), so this is an error; pass --allow-missing-slo to accept it"
    )]
    MissingSlo(String),
    /// Every objective is informational, without `allow_informational_only`.
    #[error(
        "the SLO file {path} has no objective with pass criteria, so the gate would pass whatever the values are{hints}; pass --allow-informational-only if that is intended"
    )]
    InformationalOnly {
        /// File path as given.
        path: String,
        /// The unknown keys found (often a misspelt `pass`), as `; line L: ...`, or empty.
        hints: String,
    },
    /// The SLO file does not parse.
    #[error("invalid SLO file {path}: {error}")]
    Slo {
        /// File path as given.
        path: String,
        /// Every problem with line and column.
        error: ParseError,
    },
    /// The sli.yaml does not parse.
    #[error("invalid SLI file {path}: {error}")]
    Sli {
        /// File path as given.
        path: String,
        /// Every problem with line and column.
        error: ParseError,
    },
    /// The history file is not a JSON array.
    #[error("invalid history file {path}: {reason}")]
    History {
        /// File path as given.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A file could not be read or written.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// `read the SLO file`, `write the record file`, ...
        action: &'static str,
        /// File path as given.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl GateError {
    /// Always [`Decision::InputError`] (exit 2): these are input errors.
    #[must_use]
    pub const fn decision(&self) -> Decision {
        Decision::InputError
    }
}

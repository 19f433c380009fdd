#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod epss;
mod hygiene;
mod kev;
mod vex;

use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;

pub use epss::{Epss, EpssScore};
pub use hygiene::{Hygiene, HygieneOptions, KevHit};
pub use kev::{Kev, KevEntry};
pub use vex::{parse_vex, parse_vex_documents};

/// Size limits of the feed files (the real files are far smaller: the KEV catalogue is about
/// 1.5 MB, a full EPSS CSV about 10 MB).
pub mod limits {
    /// `--kev`.
    pub const KEV: u64 = 32 * 1024 * 1024;
    /// `--epss`.
    pub const EPSS: u64 = 128 * 1024 * 1024;
    /// One `--vex` file.
    pub const VEX: u64 = 32 * 1024 * 1024;
}

/// Why a feed cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// The file could not be read (missing, a directory, too large, not UTF-8).
    #[error("cannot read the {feed} file {file}: {source}")]
    Io {
        /// `KEV catalogue`, `EPSS`, `VEX`.
        feed: &'static str,
        /// The file as given.
        file: String,
        /// The reason.
        #[source]
        source: std::io::Error,
    },
    /// The file was read but is not a valid feed.
    #[error("invalid {feed} file {file}, line {line}: {reason}")]
    Invalid {
        /// `KEV catalogue`, `EPSS`, `VEX`.
        feed: &'static str,
        /// The file as given.
        file: String,
        /// 1-based line (0 when the whole file is concerned).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The feed is older than `--max-feed-age` (an external failure: exit 3).
    #[error(
        "the {feed} file {file} was released at {released} ({age} before {now}), older than --max-feed-age {max}; download a fresh copy or raise the limit"
    )]
    TooOld {
        /// `KEV catalogue`, `EPSS`.
        feed: &'static str,
        /// The file as given.
        file: String,
        /// Its own date.
        released: Timestamp,
        /// The evaluation time.
        now: Timestamp,
        /// How old it is.
        age: String,
        /// The limit.
        max: String,
    },
}

impl FeedError {
    /// True for [`FeedError::TooOld`], which the binaries map to exit 3 (the rest is exit 2).
    #[must_use]
    pub const fn is_too_old(&self) -> bool {
        matches!(self, Self::TooOld { .. })
    }

    fn invalid(feed: &'static str, file: &str, line: usize, reason: impl Into<String>) -> Self {
        Self::Invalid {
            feed,
            file: file.to_owned(),
            line,
            reason: reason.into(),
        }
    }
}

/// A feed's own identity, recorded in every result: its kind, file, version and date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedInfo {
    /// `kev`, `epss`, `vex`.
    pub feed: &'static str,
    /// The file as given.
    pub file: String,
    /// KEV `catalogVersion`, EPSS `model_version`, VEX document id or version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// KEV `dateReleased`, EPSS `score_date`, VEX `timestamp`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<Timestamp>,
    /// Entries (KEV vulnerabilities, EPSS rows, VEX statements).
    pub entries: u64,
}

fn read(feed: &'static str, path: &Path, limit: u64) -> Result<String, FeedError> {
    cli_support::read_text_limited(path, limit).map_err(|source| FeedError::Io {
        feed,
        file: path.display().to_string(),
        source,
    })
}

/// 1-based line of byte offset `at` in `text`.
fn line_at(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// 1-based line of the `nth` (0-based) occurrence of `needle`, or 0 when it is not there.
fn line_of(text: &str, needle: &str, nth: usize) -> usize {
    text.match_indices(needle)
        .nth(nth)
        .map_or(0, |(at, _)| line_at(text, at))
}

/// A `serde_json` error as a line and a reason, naming an empty or cut-off file as such.
fn json_error(text: &str, e: &serde_json::Error) -> (usize, String) {
    if text.trim().is_empty() {
        return (0, "the file is empty".to_owned());
    }
    let reason = if e.is_eof() {
        format!("the file ends early (truncated?): {e}")
    } else {
        e.to_string()
    };
    (e.line(), reason)
}

/// Refuses a feed older than `max` at `now` (`--max-feed-age`).
///
/// # Errors
/// [`FeedError::TooOld`].
pub fn check_age(
    info: &FeedInfo,
    feed: &'static str,
    now: Timestamp,
    max: Duration,
) -> Result<(), FeedError> {
    let Some(released) = info.date else {
        return Ok(());
    };
    let age = now.duration_since(released);
    let max_signed = jiff::SignedDuration::try_from(max).unwrap_or(jiff::SignedDuration::MAX);
    if age > max_signed {
        return Err(FeedError::TooOld {
            feed,
            file: info.file.clone(),
            released,
            now,
            age: human(age),
            max: human(max_signed),
        });
    }
    Ok(())
}

fn human(d: jiff::SignedDuration) -> String {
    cli_support::format_duration(d.unsigned_abs())
}

/// A date that must not lie after `now` (a feed from the future is a wrong clock or a
/// forged file).
fn not_future(date: Timestamp, now: Timestamp) -> Result<(), String> {
    if date > now {
        Err(format!(
            "{date} lies in the future (the evaluation time is {now})"
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_ages() {
        let t = "a\nb\n\"x\"\n\"x\"";
        assert_eq!(line_of(t, "\"x\"", 0), 3);
        assert_eq!(line_of(t, "\"x\"", 1), 4);
        assert_eq!(line_of(t, "\"y\"", 0), 0);
        let info = FeedInfo {
            feed: "kev",
            file: "kev.json".into(),
            version: None,
            date: Some("2025-08-25T17:04:19Z".parse().unwrap()),
            entries: 1,
        };
        let now: Timestamp = "2025-09-04T17:04:19Z".parse().unwrap();
        check_age(&info, "KEV catalogue", now, Duration::from_secs(11 * 86400)).unwrap();
        let e = check_age(&info, "KEV catalogue", now, Duration::from_secs(9 * 86400)).unwrap_err();
        assert!(e.is_too_old());
        assert!(e.to_string().contains("(10d before"), "{e}");
    }
}

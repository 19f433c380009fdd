//! The gate's file I/O, all through `cli_support`'s bounded reader and atomic writer: the
//! only module of this crate that touches the file system.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cli_support::files::limits;
use findings::Want;
use keptn_events::evaluation::EvaluationFinishedData;
use serde_json::Value;
use sli_provider::report::ReportSli;
use slo_eval::Slo;

use crate::{
    GateError, GateOptions, GateOutcome, gate_on_loaded, indicator_names, load_history, load_sli,
    load_slo,
};

/// The files of one gate run.
#[derive(Debug, Clone, Default)]
pub struct GateFiles {
    /// slo.yaml (a missing file is "no SLO": an error unless `allow_missing_slo`).
    pub slo: PathBuf,
    /// Optional sli.yaml (with a report: queries answered from the report).
    pub sli: Option<PathBuf>,
    /// Optional history (JSON array of evaluation.finished data, newest first; a missing
    /// file is an empty history).
    pub history: Option<PathBuf>,
    /// Optional file to prepend this evaluation to (created if missing).
    pub record: Option<PathBuf>,
}

/// Reads a file through the one bounded reader (`cli_support::files`), at most `limit`
/// bytes (see `cli_support::files::limits`); `Ok(None)` when it does not exist.
///
/// # Errors
/// [`GateError::Io`] for any other read error (too large, not text, a directory...).
pub fn read_optional(
    path: &Path,
    action: &'static str,
    limit: u64,
) -> Result<Option<String>, GateError> {
    match cli_support::read_text_limited(path, limit) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(GateError::Io {
            action,
            path: path.display().to_string(),
            source,
        }),
    }
}

fn read_required(path: &Path, action: &'static str, limit: u64) -> Result<String, GateError> {
    cli_support::read_text_limited(path, limit).map_err(|source| GateError::Io {
        action,
        path: path.display().to_string(),
        source,
    })
}

/// Reads the history named in `files` (empty when none is given or the file is missing).
///
/// # Errors
/// [`GateError`] for unreadable or malformed history.
pub fn read_history(files: &GateFiles) -> Result<Vec<EvaluationFinishedData>, GateError> {
    match &files.history {
        None => Ok(Vec::new()),
        Some(p) => load_history(
            read_optional(p, "read the history file", limits::HISTORY)?.as_deref(),
            &p.display().to_string(),
        ),
    }
}

/// A gate's files, read and parsed: done before the report is read (or the scan runs), so
/// that a typo in slo.yaml fails in a second and the report walk keeps only what this gate
/// reads ([`LoadedGate::want`]).
#[derive(Debug, Clone, Default)]
pub struct LoadedGate {
    /// `None` when the SLO file is missing or empty and `allow_missing_slo` accepts that.
    pub slo: Option<Slo>,
    /// sli.yaml's queries, when an SLI file was given.
    pub queries: Option<BTreeMap<String, String>>,
    /// The history, newest first (empty without a history file).
    pub history: Vec<EvaluationFinishedData>,
}

impl LoadedGate {
    /// Reads and parses the SLO, the optional sli.yaml and the history named in `files`.
    ///
    /// # Errors
    /// [`GateError`] (exit 2): missing/empty SLO without `allow_missing_slo`, unreadable or
    /// malformed files.
    pub fn load(files: &GateFiles, opts: &GateOptions) -> Result<Self, GateError> {
        let slo_text = read_optional(&files.slo, "read the SLO file", limits::SLO)?;
        let slo = load_slo(slo_text.as_deref(), &files.slo.display().to_string(), opts)?;
        let queries = match &files.sli {
            Some(p) => Some(load_sli(
                &read_required(p, "read the SLI file", limits::SLO)?,
                &p.display().to_string(),
            )?),
            None => None,
        };
        Ok(Self {
            slo,
            queries,
            history: read_history(files)?,
        })
    }

    /// What a report walk must keep for this gate: compact records, which the explanation
    /// and fix plans read, or every detail when an objective reads one (see
    /// [`ReportSli::want_for`]). Nothing without an SLO.
    #[must_use]
    pub fn want(&self) -> Want {
        self.slo.as_ref().map_or_else(Want::default, |slo| {
            ReportSli::want_for(&indicator_names(slo), self.queries.as_ref())
        })
    }

    /// The gate on a report's SLIs ([`gate_on_loaded`]).
    #[must_use]
    pub fn gate(&self, report: &ReportSli, opts: &GateOptions) -> GateOutcome {
        gate_on_loaded(
            self.slo.as_ref(),
            self.queries.as_ref(),
            report,
            &self.history,
            opts,
        )
    }
}

/// Prepends `data` to `files.record`, if set (atomically, through
/// `cli_support::write_atomic`).
///
/// # Errors
/// [`GateError`] when the existing file is not a JSON array or cannot be written.
pub fn record_to(files: &GateFiles, data: &EvaluationFinishedData) -> Result<(), GateError> {
    let Some(path) = &files.record else {
        return Ok(());
    };
    let shown = path.display().to_string();
    // Before reading: a FIFO would block the read, a device would be read as history.
    cli_support::files::check_writable(path).map_err(|source| GateError::Io {
        action: "write the record file",
        path: shown.clone(),
        source,
    })?;
    let existing = read_optional(path, "read the record file", limits::HISTORY)?;
    let text = record(existing.as_deref(), &shown, data)?;
    // Temp file + rename; follows a symlink, refuses a directory, device or FIFO.
    cli_support::write_atomic(path, text.as_bytes()).map_err(|source| GateError::Io {
        action: "write the record file",
        path: shown,
        source,
    })
}

/// Prepends `data` to a history file's content (`None`: a new file) and returns the new
/// content. The entry gets an `id` (uuid v4) so later evaluations list it in
/// `evaluation.comparedEvents`.
///
/// # Errors
/// [`GateError::History`] when the existing content is not a JSON array.
pub fn record(
    existing: Option<&str>,
    path: &str,
    data: &EvaluationFinishedData,
) -> Result<String, GateError> {
    let bad = |reason: String| GateError::History {
        path: path.to_owned(),
        reason,
    };
    let mut items: Vec<Value> = match existing {
        None => Vec::new(),
        Some(t) if t.trim().is_empty() => Vec::new(),
        Some(t) => serde_json::from_str(t).map_err(|e| {
            bad(format!(
                "expected a JSON array of evaluation.finished data: {e}"
            ))
        })?,
    };
    let mut entry = serde_json::to_value(data).map_err(|e| bad(e.to_string()))?;
    if let Value::Object(m) = &mut entry
        && !m.contains_key(slo_eval::HISTORY_ID_KEY)
    {
        m.insert(
            slo_eval::HISTORY_ID_KEY.to_owned(),
            Value::String(uuid::Uuid::new_v4().to_string()),
        );
    }
    items.insert(0, entry);
    let mut out = serde_json::to_string_pretty(&items).map_err(|e| bad(e.to_string()))?;
    out.push('\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_prepends_with_an_id() {
        let d = EvaluationFinishedData {
            result: Some(keptn_events::EventResult::Pass),
            ..EvaluationFinishedData::default()
        };
        let one = record(None, "h.json", &d).unwrap();
        let two = record(
            Some(&one),
            "h.json",
            &EvaluationFinishedData {
                result: Some(keptn_events::EventResult::Fail),
                ..d.clone()
            },
        )
        .unwrap();
        let v: Vec<Value> = serde_json::from_str(&two).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0]["result"], "fail");
        assert!(v[1]["id"].is_string());
        assert!(record(Some("{}"), "h.json", &d).is_err());
    }
}

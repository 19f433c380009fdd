//! Getting the findings: read a report, or run trivy (after checking its DB age).

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::time::Duration;

use cli_support::Failure;
use findings::Summary;
use report_formats::{InputFormat, ReadOptions, ReportError, read_report};
use trivy_report::runner::{self, DbMetadata, RunError, TrivyCommand, TrivyVersion};

use crate::cli::{Plan, Source};

/// The result of the scan step.
#[derive(Debug)]
pub(crate) struct Scanned {
    pub(crate) summary: Summary,
    /// Trivy's version and DB dates, when trivy ran.
    pub(crate) trivy: Option<TrivyVersion>,
    /// The name the metrics carry: the reference given, else the report's ArtifactName.
    pub(crate) image: String,
    pub(crate) finished_at: jiff::Timestamp,
    /// The exploitability and hygiene SLIs, when the findings were kept for them.
    pub(crate) hygiene: Option<feeds::Hygiene>,
}

pub(crate) async fn scan(plan: &Plan) -> Result<Scanned, Failure> {
    scan_source(plan, plan.image.as_deref(), &plan.source).await
}

/// One scan: `source` with the run's options; `image` names the metrics (else the report's
/// ArtifactName does). A batch calls it once per image.
pub(crate) async fn scan_source(
    plan: &Plan,
    image: Option<&str>,
    source: &Source,
) -> Result<Scanned, Failure> {
    let (summary, trivy) = match source {
        Source::Report(path) => {
            let summary = report_file(path.as_deref(), plan)?;
            if let Some(max) = plan.max_db_age {
                check_report_db_age(&summary, max)?;
            }
            (summary, None)
        }
        Source::Trivy(cmd) => {
            let cache = cmd.cache_dir.as_deref();
            // Offline, the DB cannot change during the scan: refuse a stale one before
            // spending minutes on it.
            if let (Some(max), true) = (plan.max_db_age, cmd.offline) {
                let db = runner::cached_db_metadata(cache).map_err(|e| trivy_failure(&e))?;
                check_db_age(db.as_ref(), max)?;
            }
            let report = cmd.run().await.map_err(|e| trivy_failure(&e))?;
            let path = report.path();
            if let Some(save) = &plan.save_report {
                // Streamed into a temp file next to the target, then renamed: never a
                // partial report, never a device or FIFO replaced.
                cli_support::write_atomic_with(save, |out| {
                    std::io::copy(&mut File::open(path)?, out).map(|_| ())
                })
                .map_err(|e| {
                    Failure::usage(format!("cannot save the report to {}: {e}", save.display()))
                })?;
            }
            let file = File::open(path)
                .map_err(|e| Failure::external(format!("cannot read trivy's report: {e}")))?;
            let read = ReadOptions {
                format: InputFormat::Trivy,
                ..plan.read.clone()
            };
            let summary = read_report(BufReader::new(file), &plan.count, plan.want, &read)
                .map_err(|e| {
                    Failure::external(format!("trivy wrote a report that cannot be read: {e}"))
                })?
                .summary;
            let version = trivy_version(cmd, &summary).await?;
            if let Some(max) = plan.max_db_age {
                check_db_age(version.vulnerability_db.as_ref(), max)?;
            }
            (summary, Some(version))
        }
    };
    let image = image
        .map(str::to_owned)
        .or_else(|| summary.artifact_name().map(str::to_owned))
        .unwrap_or_default();
    // The hygiene SLIs serve the gate on this scan and the feeds' metrics (not SARIF).
    let gate_on_scan = plan.gate.is_some() && plan.provider.is_none();
    let hygiene = (gate_on_scan || plan.feed_args.any()).then(|| {
        plan.feed_args.hygiene(
            &plan.feeds,
            &summary,
            &plan.severities,
            plan.count.ignore.as_ref(),
        )
    });
    Ok(Scanned {
        summary,
        trivy,
        image,
        finished_at: jiff::Timestamp::now(),
        hygiene,
    })
}

fn report_file(path: Option<&Path>, plan: &Plan) -> Result<Summary, Failure> {
    let name = path.map_or_else(|| "standard input".to_owned(), |p| p.display().to_string());
    let read = |r: &mut dyn std::io::Read| read_report(r, &plan.count, plan.want, &plan.read);
    let result = match path {
        Some(p) => {
            let meta = std::fs::metadata(p)
                .map_err(|e| Failure::usage(format!("cannot read the report {name}: {e}")))?;
            if meta.is_dir() {
                return Err(Failure::usage(format!(
                    "the report {name} is a directory, not a file"
                )));
            }
            let file = File::open(p)
                .map_err(|e| Failure::usage(format!("cannot read the report {name}: {e}")))?;
            read(&mut BufReader::new(file))
        }
        None => read(&mut std::io::stdin().lock()),
    };
    let report = result.map_err(|e| report_failure(&name, &e))?;
    if let Some(gap) = &report.summary.input.incomplete {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "trivy-scan: warning: {} of {} resources could not be scanned; their findings are not counted ({})",
            gap.failed,
            gap.total,
            gap.examples.join("; ")
        );
    }
    Ok(report.summary)
}

/// One line for a report that could not be counted, naming the file.
pub(crate) fn report_failure(name: &str, e: &ReportError) -> Failure {
    match e {
        ReportError::Json(json_stream::Error::Io(_)) => {
            Failure::usage(format!("cannot read the report {name}: {e}"))
        }
        ReportError::Refused { .. } => Failure::usage(format!("{name}: {e}")),
        _ => Failure::usage(format!("the report {name} cannot be read: {e}")),
    }
}

/// `--max-db-age` on a stored report: the DB build time it records, if any.
fn check_report_db_age(summary: &Summary, max: Duration) -> Result<(), Failure> {
    let Some(db) = &summary.input.db else {
        return Err(Failure::usage(format!(
            "--max-db-age cannot be checked: this {} report records no vulnerability DB date (Grype reports and Trivy client/server reports do)",
            summary.input.format
        )));
    };
    let meta = DbMetadata {
        version: 0,
        updated_at: db.built,
        next_update: db.built,
        downloaded_at: db.built,
    };
    check_db_age(Some(&meta), max)
}

/// The version of trivy and of the DB the scan used, without a second trivy process (which
/// would cost more than the wrapper's whole budget on a small image): the version from the
/// report's `Trivy.Version`, the DB from the cache's `db/metadata.json`, the very file
/// `trivy version --format json` reads. Reports of old trivy releases carry no version; only
/// then is `trivy version` asked.
async fn trivy_version(cmd: &TrivyCommand, summary: &Summary) -> Result<TrivyVersion, Failure> {
    let cache = cmd.cache_dir.as_deref();
    match summary.scanner_version() {
        Some(version) => Ok(TrivyVersion {
            version: version.to_owned(),
            vulnerability_db: runner::cached_db_metadata(cache).map_err(|e| trivy_failure(&e))?,
        }),
        None => runner::version(&cmd.bin, cache, Duration::from_secs(60))
            .await
            .map_err(|e| trivy_failure(&e)),
    }
}

fn check_db_age(db: Option<&DbMetadata>, max: Duration) -> Result<(), Failure> {
    let Some(db) = db else {
        return Err(Failure::external(
            "--max-db-age is set but trivy reports no vulnerability DB in its cache; download it first (trivy image --download-db-only) or point --cache-dir at it",
        ));
    };
    let now = jiff::Timestamp::now();
    let age = now.duration_since(db.updated_at);
    let max_signed = jiff::SignedDuration::try_from(max).unwrap_or(jiff::SignedDuration::MAX);
    if age > max_signed {
        return Err(Failure::external(format!(
            "trivy's vulnerability DB was updated at {} ({} ago), older than --max-db-age {}; update it (run trivy without --offline) or raise the limit",
            db.updated_at,
            human(age),
            human(max_signed),
        )));
    }
    Ok(())
}

fn human(d: jiff::SignedDuration) -> String {
    cli_support::format_duration(d.unsigned_abs())
}

fn trivy_failure(e: &RunError) -> Failure {
    // Most errors name trivy already ("trivy failed (exit status: 1): …", "trivy did not
    // finish …"): no second "trivy failed" in front of them.
    let text = e.to_string();
    if text.starts_with("trivy ") {
        Failure::external(text)
    } else {
        Failure::external(format!("trivy failed: {text}"))
    }
}

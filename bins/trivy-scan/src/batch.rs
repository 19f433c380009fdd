//! Many images in one run (DESIGN.md "Many images, one engine"): at most `--jobs` scans at
//! once, one result per image as it finishes, metrics pushed in batches, then a summary.
//!
//! Each image goes through the same pipeline as a single run ([`scan_one`]: scan, then the
//! inline gate); only printing and publishing differ. One image failing never stops the
//! others: its error is its result, and the run's exit code is the worst image's.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt::Write as _;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cli_support::{Exit, Failure, Format, validate_reference};
use metrics_sink::Snapshot;
use serde_json::{Value, json};
use tokio::task::JoinSet;
use trivy_report::runner::{ScanTarget, TrivyCommand};

use crate::cli::{Plan, Source};
use crate::output::{self, GateResult, Output};
use crate::scan::{self, Scanned};

/// Metrics are pushed once this many images are waiting (600 Dynatrace lines with all five
/// severities: within one 1,000-line request) ...
const PUSH_EVERY_IMAGES: usize = 100;
/// ... or once the oldest waiting result is this old, so a slow batch publishes as it goes.
const PUSH_EVERY: Duration = Duration::from_secs(10);
/// Problems of a list shown in the error line; the rest are counted.
const SHOWN_PROBLEMS: usize = 5;

/// Reads an image list: one reference per line, `#` to the end of the line is a comment,
/// blank lines are skipped. Every line is checked before anything runs, so a typo on line
/// 9,000 fails in a second rather than after hours of scans.
///
/// # Errors
/// A usage failure (exit 2) naming the lines: a reference starting with `-` or holding
/// whitespace or control characters, a duplicate (with the line it repeats), or a list with
/// no reference at all.
pub(crate) fn parse_list(text: &str, name: &str) -> Result<Vec<String>, Failure> {
    let entries = text.lines().enumerate().filter_map(|(n, raw)| {
        let line = raw.split_once('#').map_or(raw, |(before, _)| before).trim();
        (!line.is_empty()).then(|| (format!("line {}", n + 1), line))
    });
    let images = check(entries, name)?;
    if images.is_empty() {
        return Err(Failure::usage(format!(
            "{name} holds no image reference (only blank lines and comments)"
        )));
    }
    Ok(images)
}

/// Checks several `IMAGE` arguments as [`parse_list`] checks a list's lines.
///
/// # Errors
/// As [`parse_list`], naming the arguments by position.
pub(crate) fn check_arguments(images: &[String]) -> Result<Vec<String>, Failure> {
    let entries = images
        .iter()
        .enumerate()
        .map(|(i, r)| (format!("argument {}", i + 1), r.as_str()));
    check(entries, "the IMAGE arguments")
}

fn check<'a>(
    entries: impl Iterator<Item = (String, &'a str)>,
    name: &str,
) -> Result<Vec<String>, Failure> {
    let mut images = Vec::new();
    let mut seen: HashMap<&str, String> = HashMap::new();
    let mut problems = Vec::new();
    for (place, reference) in entries {
        if let Err(f) = validate_reference("image reference", reference) {
            problems.push(format!("{place}: {}", f.message));
            continue;
        }
        match seen.entry(reference) {
            Entry::Occupied(first) => problems.push(format!(
                "{place}: `{reference}` is a duplicate of {}",
                first.get()
            )),
            Entry::Vacant(v) => {
                v.insert(place);
                images.push(reference.to_owned());
            }
        }
    }
    if problems.is_empty() {
        return Ok(images);
    }
    let mut message = format!(
        "{name}: {}",
        problems
            .iter()
            .take(SHOWN_PROBLEMS)
            .cloned()
            .collect::<Vec<_>>()
            .join("; ")
    );
    if problems.len() > SHOWN_PROBLEMS {
        let _ = write!(
            message,
            "; and {} more problems",
            problems.len() - SHOWN_PROBLEMS
        );
    }
    Err(Failure::usage(message))
}

/// What one image's pipeline produced.
#[derive(Debug)]
struct Done {
    scanned: Scanned,
    gate: Option<GateResult>,
}

/// The per-image pipeline: the scan (trivy on `reference`), then the inline gate on its
/// counts. Printing and publishing are the caller's, so a batch can order and group them.
async fn scan_one(plan: &Plan, trivy: TrivyCommand, reference: &str) -> Result<Done, Failure> {
    let mut scanned =
        scan::scan_source(plan, Some(reference), &Source::Trivy(Box::new(trivy))).await?;
    let gate = output::gate(plan, &mut scanned).await?;
    Ok(Done { scanned, gate })
}

/// One line of the summary table.
#[derive(Debug)]
struct Row {
    index: usize,
    image: String,
    /// The selected severities' counts and their total; `None` when the scan failed.
    counts: Option<(Vec<u64>, u64)>,
    /// `ok` (no gate), `pass`, `warning`, `fail`, or `error`.
    result: String,
    exit: Exit,
}

/// The worse of two exit codes (3 > 2 > 1 > 0).
fn worst(a: Exit, b: Exit) -> Exit {
    if (b as u8) > (a as u8) { b } else { a }
}

/// Runs the batch in `plan.batch`. `progress`: draw a live progress line on stderr (a
/// terminal, not CI).
///
/// # Errors
/// A failure that ends the whole run: stdout cannot be written, or `--metrics-required` and
/// a push failed. Each image's own failure is its result, not an error of the run.
pub(crate) async fn run(mut plan: Plan, progress: bool) -> Result<Exit, Failure> {
    let Some(batch) = plan.batch.take() else {
        return Err(Failure::usage("no images to scan"));
    };
    let plan = Arc::new(plan);
    let started = Instant::now();
    let total = batch.images.len();
    let mut out = Printer {
        format: plan.format,
        redactor: plan.redactor.clone(),
        progress: Progress {
            on: progress,
            total,
            done: 0,
            failed: 0,
            started,
            shown: false,
        },
    };
    Output::new(plan.format, plan.redactor.clone()).preamble(&plan);

    let mut queue = batch.images.into_iter().enumerate();
    let mut running: JoinSet<(usize, String, Result<Done, Failure>)> = JoinSet::new();
    let mut rows: Vec<Row> = Vec::with_capacity(total);
    let mut pending: Vec<(String, Snapshot)> = Vec::new();
    let mut oldest_pending: Option<Instant> = None;
    let mut metrics = MetricsTally::default();
    let mut exit = Exit::Ok;
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    loop {
        // Start scans up to the limit; the rest of the list waits (no task per image).
        while running.len() < batch.jobs {
            let Some((index, reference)) = queue.next() else {
                break;
            };
            let mut trivy = batch.trivy.clone();
            trivy.target = ScanTarget::Image(reference.clone());
            let plan = Arc::clone(&plan);
            running.spawn(async move {
                let result = scan_one(&plan, trivy, &reference).await;
                (index, reference, result)
            });
        }
        let joined = tokio::select! {
            joined = running.join_next() => joined,
            _ = tick.tick(), if out.progress.on => {
                out.progress.draw();
                continue;
            }
        };
        let Some(joined) = joined else {
            break;
        };
        let (index, image, result) =
            joined.map_err(|e| Failure::external(format!("a scan task ended abnormally: {e}")))?;
        let row = match result {
            Ok(done) => {
                let row = out.image_done(&plan, index, &image, &done)?;
                pending.push((image, output::snapshot(&plan, &done.scanned)));
                oldest_pending.get_or_insert_with(Instant::now);
                row
            }
            Err(f) => out.image_failed(index, &image, &f)?,
        };
        exit = worst(exit, row.exit);
        rows.push(row);
        let due = pending.len() >= PUSH_EVERY_IMAGES
            || oldest_pending.is_some_and(|t| t.elapsed() >= PUSH_EVERY);
        if due {
            out.progress.clear();
            publish(&plan, &mut pending, &mut metrics, &out).await?;
            oldest_pending = None;
        }
        out.progress.draw();
    }
    out.progress.clear();
    publish(&plan, &mut pending, &mut metrics, &out).await?;
    rows.sort_by_key(|r| r.index);
    out.summary(&plan, &rows, &metrics, exit, started.elapsed())?;
    if metrics.any_failed() && plan.sinks.metrics_required {
        return Err(Failure::external(
            "publishing metrics failed for some images and --metrics-required is set (details above)",
        ));
    }
    Ok(exit)
}

/// Pushes the waiting snapshots to every sink in one batch and reports, per sink, what was
/// accepted and which images' series were not.
async fn publish(
    plan: &Plan,
    pending: &mut Vec<(String, Snapshot)>,
    tally: &mut MetricsTally,
    out: &Printer,
) -> Result<(), Failure> {
    if pending.is_empty() || plan.sinks.fanout.is_empty() {
        pending.clear();
        return Ok(());
    }
    let (images, snapshots): (Vec<String>, Vec<Snapshot>) =
        std::mem::take(pending).into_iter().unzip();
    let outcomes = plan.sinks.fanout.push_batch(&snapshots).await;
    // `--sink stdout` in JSON mode writes into a buffer: its JSON lines go out now, between
    // the images' objects.
    if let Some(buf) = &plan.sinks.captured {
        let lines = buf.take();
        out.stdout(&lines)?;
    }
    let mut err = plan.redactor.writer(std::io::stderr());
    for o in &outcomes {
        let entry = tally.sink(o.sink);
        let mut accepted = 0usize;
        let mut failed: Vec<(String, String)> = Vec::new();
        for (image, result) in images.iter().zip(&o.results) {
            match result {
                Ok(r) if r.rejected.is_empty() => {
                    accepted += r.accepted.len();
                    entry.images_accepted += 1;
                }
                Ok(r) => {
                    accepted += r.accepted.len();
                    let reasons: Vec<String> = r
                        .rejected
                        .iter()
                        .map(|x| format!("{} ({})", x.metric, x.reason))
                        .collect();
                    failed.push((image.clone(), format!("rejected: {}", reasons.join("; "))));
                }
                Err(e) => failed.push((image.clone(), e.message.clone())),
            }
            if let Ok(r) = result {
                for note in &r.notes {
                    let _ = writeln!(err, "note: {}: {note}", o.sink);
                }
            }
        }
        entry.metrics_accepted += accepted;
        let n = images.len() - failed.len();
        let _ = writeln!(
            err,
            "metrics: {} accepted {accepted} metric{} of {n} image{}",
            o.sink,
            if accepted == 1 { "" } else { "s" },
            if n == 1 { "" } else { "s" },
        );
        // One line per distinct error, naming its images.
        let mut by_error: Vec<(String, Vec<String>)> = Vec::new();
        for (image, message) in failed {
            match by_error.iter_mut().find(|(m, _)| *m == message) {
                Some((_, list)) => list.push(image.clone()),
                None => by_error.push((message, vec![image.clone()])),
            }
            entry.images_failed.push(image);
        }
        for (message, list) in by_error {
            let _ = writeln!(
                err,
                "warning: metrics push to {} failed for {} image{} ({}): {message}",
                o.sink,
                list.len(),
                if list.len() == 1 { "" } else { "s" },
                list.join(", ")
            );
            entry.errors.push(message);
        }
    }
    Ok(())
}

/// What each sink accepted over the whole run.
#[derive(Debug, Default)]
struct MetricsTally {
    sinks: Vec<SinkTally>,
}

#[derive(Debug)]
struct SinkTally {
    sink: &'static str,
    images_accepted: usize,
    metrics_accepted: usize,
    images_failed: Vec<String>,
    errors: Vec<String>,
}

impl MetricsTally {
    fn sink(&mut self, sink: &'static str) -> &mut SinkTally {
        let at = match self.sinks.iter().position(|s| s.sink == sink) {
            Some(i) => i,
            None => {
                self.sinks.push(SinkTally {
                    sink,
                    images_accepted: 0,
                    metrics_accepted: 0,
                    images_failed: Vec::new(),
                    errors: Vec::new(),
                });
                self.sinks.len() - 1
            }
        };
        &mut self.sinks[at]
    }

    fn any_failed(&self) -> bool {
        self.sinks.iter().any(|s| !s.images_failed.is_empty())
    }

    fn json(&self) -> Value {
        json!(
            self.sinks
                .iter()
                .map(|s| {
                    let mut errors = s.errors.clone();
                    errors.dedup();
                    json!({
                        "sink": s.sink,
                        "status": if s.images_failed.is_empty() { "ok" } else { "failed" },
                        "images_accepted": s.images_accepted,
                        "metrics_accepted": s.metrics_accepted,
                        "images_failed": s.images_failed,
                        "errors": errors,
                    })
                })
                .collect::<Vec<_>>()
        )
    }
}

/// The live progress line: images done / total, failures, elapsed, estimated time left.
#[derive(Debug)]
struct Progress {
    on: bool,
    total: usize,
    done: usize,
    failed: usize,
    started: Instant,
    shown: bool,
}

impl Progress {
    #[allow(clippy::cast_precision_loss)] // image counts and seconds are far below 2^52
    fn line(&self) -> String {
        let elapsed = self.started.elapsed().as_secs_f64();
        let left = if self.done == 0 {
            "?".to_owned()
        } else {
            let per = elapsed / self.done as f64;
            format!("{:.0}s", per * (self.total - self.done) as f64)
        };
        format!(
            "trivy-scan: {}/{} images, {} failed, {elapsed:.0}s elapsed, ~{left} left",
            self.done, self.total, self.failed
        )
    }

    fn draw(&mut self) {
        if self.on {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K{}", self.line());
            let _ = err.flush();
            self.shown = true;
        }
    }

    fn clear(&mut self) {
        if self.shown {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            self.shown = false;
        }
    }
}

/// Writes the batch's stdout: per image as it finishes, then the summary.
#[derive(Debug)]
struct Printer {
    format: Format,
    redactor: cli_support::Redactor,
    progress: Progress,
}

impl Printer {
    /// Writes `text` to stdout through the redactor. A closed pipe (`| head`) is not an
    /// error; another write error ends the run.
    fn stdout(&self, text: &str) -> Result<(), Failure> {
        if text.is_empty() {
            return Ok(());
        }
        let mut out = self.redactor.writer(std::io::stdout().lock());
        match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::external(
                format!("cannot write to standard output: {e}"),
            )),
            _ => Ok(()),
        }
    }

    fn image_done(
        &mut self,
        plan: &Plan,
        index: usize,
        image: &str,
        done: &Done,
    ) -> Result<Row, Failure> {
        let mut o = Output::kept(plan.format, plan.redactor.clone());
        o.counted(plan, &done.scanned);
        o.finished(plan, &done.scanned);
        o.gate(done.gate.as_ref());
        let (lines, mut fields) = o.into_parts();
        let exit = done.gate.as_ref().map_or(Exit::Ok, |g| g.exit);
        let result = done.gate.as_ref().map_or_else(
            || "ok".to_owned(),
            |g| {
                g.data
                    .get("result")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown")
                    .to_owned()
            },
        );
        self.progress.done += 1;
        if exit != Exit::Ok {
            self.progress.failed += 1;
        }
        self.progress.clear();
        let text = match self.format {
            Format::Text => lines
                .iter()
                .map(|l| format!("[{image}] {l}\n"))
                .collect::<String>(),
            _ => {
                fields.insert("exit".into(), json!(exit as u8));
                format!("{}\n", Value::Object(fields))
            }
        };
        self.stdout(&text)?;
        let counts = &done.scanned.summary.counts;
        let selected: Vec<u64> = plan.severities.iter().map(|s| counts.get(*s)).collect();
        Ok(Row {
            index,
            image: image.to_owned(),
            counts: Some((selected, counts.total_of(&plan.severities))),
            result,
            exit,
        })
    }

    fn image_failed(&mut self, index: usize, image: &str, f: &Failure) -> Result<Row, Failure> {
        self.progress.done += 1;
        self.progress.failed += 1;
        self.progress.clear();
        let message = f.message.replace(['\n', '\r'], " ");
        let text = match self.format {
            Format::Text => format!("[{image}] Error (exit {}): {message}\n", f.exit as u8),
            _ => format!(
                "{}\n",
                json!({"image": image, "exit": f.exit as u8, "error": message})
            ),
        };
        self.stdout(&text)?;
        Ok(Row {
            index,
            image: image.to_owned(),
            counts: None,
            result: "error".to_owned(),
            exit: f.exit,
        })
    }

    fn summary(
        &self,
        plan: &Plan,
        rows: &[Row],
        metrics: &MetricsTally,
        exit: Exit,
        elapsed: Duration,
    ) -> Result<(), Failure> {
        let errors = rows.iter().filter(|r| r.counts.is_none()).count();
        let gate_failed = rows
            .iter()
            .filter(|r| r.counts.is_some() && r.exit == Exit::GateFailed)
            .count();
        let ok = rows.len() - errors - gate_failed;
        if self.format != Format::Text {
            let line = json!({"summary": {
                "images": rows.len(),
                "ok": ok,
                "gate_failed": gate_failed,
                "errors": errors,
                "exit": exit as u8,
                "elapsed_seconds": (elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
                "metrics": metrics.json(),
            }});
            return self.stdout(&format!("{line}\n"));
        }
        let mut s = format!(
            "\nSummary: {} images, {ok} ok, {gate_failed} failed the gate, {errors} could not be scanned; exit {} ({:.1}s)\n",
            rows.len(),
            exit as u8,
            elapsed.as_secs_f64()
        );
        let width = rows
            .iter()
            .map(|r| r.image.chars().count())
            .max()
            .unwrap_or(0)
            .max("IMAGE".len());
        let _ = write!(s, "{:<width$}", "IMAGE");
        for sev in &plan.severities {
            let _ = write!(s, " {:>8}", sev.as_str());
        }
        let _ = writeln!(s, " {:>8}  RESULT", "TOTAL");
        for r in rows {
            let _ = write!(s, "{:<width$}", r.image);
            match &r.counts {
                Some((counts, total)) => {
                    for c in counts {
                        let _ = write!(s, " {c:>8}");
                    }
                    let _ = write!(s, " {total:>8}");
                }
                None => {
                    for _ in 0..=plan.severities.len() {
                        let _ = write!(s, " {:>8}", "-");
                    }
                }
            }
            let _ = writeln!(s, "  {} (exit {})", r.result, r.exit as u8);
        }
        self.stdout(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_skip_comments_and_blank_lines() {
        let text = "# fleet\n\nreg.example/a:1  # the app\n  reg.example/b@sha256:abc\n\n";
        assert_eq!(
            parse_list(text, "the list").unwrap(),
            vec!["reg.example/a:1", "reg.example/b@sha256:abc"]
        );
    }

    #[test]
    fn bad_lists_name_every_line() {
        let e = parse_list("a:1\n-b\nc d\na:1\n", "the list l.txt").unwrap_err();
        assert_eq!(e.exit, Exit::Usage);
        assert!(
            e.message.starts_with("the list l.txt: line 2: "),
            "{}",
            e.message
        );
        assert!(e.message.contains("`-b` starts with `-`"), "{}", e.message);
        assert!(e.message.contains("line 3: "), "{}", e.message);
        assert!(
            e.message.contains("line 4: `a:1` is a duplicate of line 1"),
            "{}",
            e.message
        );
        let e = parse_list("# nothing\n\n   \n", "the list l.txt").unwrap_err();
        assert!(
            e.message.contains("holds no image reference"),
            "{}",
            e.message
        );
        let many: String = (0..9).map(|_| "-x\n").collect();
        let e = parse_list(&many, "l").unwrap_err();
        assert!(
            e.message.ends_with("; and 4 more problems"),
            "{}",
            e.message
        );
    }

    #[test]
    fn arguments_are_checked_like_lines() {
        let args = ["a:1".to_owned(), "b:2".to_owned(), "a:1".to_owned()];
        let e = check_arguments(&args).unwrap_err();
        assert!(
            e.message
                .contains("argument 3: `a:1` is a duplicate of argument 1"),
            "{}",
            e.message
        );
    }

    #[test]
    fn worst_exit_wins() {
        assert_eq!(worst(Exit::Ok, Exit::GateFailed), Exit::GateFailed);
        assert_eq!(worst(Exit::External, Exit::Usage), Exit::External);
        assert_eq!(worst(Exit::Usage, Exit::GateFailed), Exit::Usage);
    }
}

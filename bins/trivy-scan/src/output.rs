//! Everything trivy-scan writes: the seed's text lines or one JSON object on stdout, metric
//! push outcomes on stderr.

use std::io::Write;

use cli_support::{Exit, Failure, Format, Redactor};
use metrics_sink::{ImageRef, SinkOutcome, Snapshot};
use serde_json::{Value, json};

use crate::cli::Plan;
use crate::scan::Scanned;

/// The seed's warning when no metrics backend is configured (kept word for word).
pub(crate) const NO_BACKEND_WARNING: &str = "METRICS_ENDPOINT and/or METRICS_API_TOKEN environment variables not set. Tool will still work but metrics will not be pushed to a backend.";

/// Collects stdout; text lines are written as they happen, JSON at the end.
#[derive(Debug)]
pub(crate) struct Output {
    format: Format,
    json: serde_json::Map<String, Value>,
    /// Text lines kept instead of printed (one image of a batch, printed as a block when it
    /// finishes); `None`: printed as they happen.
    kept: Option<Vec<String>>,
    /// Everything written to stdout and stderr passes through it.
    redactor: Redactor,
}

/// The inline gate's result.
#[derive(Debug)]
pub(crate) struct GateResult {
    pub(crate) exit: Exit,
    pub(crate) rendered: String,
    pub(crate) data: Value,
    /// The verdict as the SARIF run records it.
    pub(crate) facts: sarif_out::Gate,
}

impl Output {
    pub(crate) fn new(format: Format, redactor: Redactor) -> Self {
        Self {
            format,
            json: serde_json::Map::new(),
            kept: None,
            redactor,
        }
    }

    /// An output that keeps its text lines and JSON fields for the caller
    /// ([`Output::into_parts`]) instead of printing them.
    pub(crate) fn kept(format: Format, redactor: Redactor) -> Self {
        Self {
            kept: Some(Vec::new()),
            ..Self::new(format, redactor)
        }
    }

    /// The kept text lines and the JSON fields.
    pub(crate) fn into_parts(self) -> (Vec<String>, serde_json::Map<String, Value>) {
        (self.kept.unwrap_or_default(), self.json)
    }

    fn line(&mut self, text: &str) {
        if let Some(kept) = &mut self.kept {
            if self.format == Format::Text {
                kept.extend(text.lines().map(str::to_owned));
            }
            return;
        }
        if self.format == Format::Text {
            let mut out = self.redactor.writer(std::io::stdout().lock());
            let _ = writeln!(out, "{text}");
        }
    }

    pub(crate) fn preamble(&mut self, plan: &Plan) {
        if plan.sinks.no_backend {
            self.line(NO_BACKEND_WARNING);
        }
        let names: Vec<String> = plan.severities.iter().map(|s| format!("'{s}'")).collect();
        self.line(&format!(
            "Checking {} security levels: [{}]",
            plan.severities.len(),
            names.join(", ")
        ));
    }

    pub(crate) fn counted(&mut self, plan: &Plan, scanned: &Scanned) {
        let s = &scanned.summary;
        self.json.insert("image".into(), json!(scanned.image));
        self.json.insert(
            "severities".into(),
            json!(
                plan.severities
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
            ),
        );
        self.json.insert("counts".into(), json!(s.counts));
        self.json
            .insert("total".into(), json!(s.counts.total_of(&plan.severities)));
        self.json.insert(
            "counting".into(),
            json!({
                "mode": if plan.count.unique { "unique" } else { "all" },
                "fixable_only": plan.count.fixable_only,
            }),
        );
        if plan.count.ignore.is_some() {
            let rules: Vec<Value> = s
                .suppressed
                .iter()
                .map(|r| json!({"rule": r.rule, "suppressed": r.count}))
                .collect();
            self.json.insert(
                "ignored".into(),
                json!({"rules": rules, "expired_rules": s.expired_rules}),
            );
            for r in &s.suppressed {
                self.line(&format!(
                    "Ignored {} finding(s) by rule {}",
                    r.count, r.rule
                ));
            }
            for r in &s.expired_rules {
                self.line(&format!("Ignore rule expired, not applied: {r}"));
            }
        }
        self.json.insert("input".into(), json!(s.input));
        self.json.insert(
            "trivy".into(),
            scanned.trivy.as_ref().map_or(Value::Null, |v| {
                json!({
                    "version": v.version,
                    "vulnerability_db": v.vulnerability_db.as_ref().map(|db| json!({
                        "version": db.version,
                        "updated_at": db.updated_at.to_string(),
                        "next_update": db.next_update.to_string(),
                        "downloaded_at": db.downloaded_at.to_string(),
                    })),
                })
            }),
        );
    }

    /// Pushes to every sink; returns true when any push failed or lost a metric.
    pub(crate) async fn publish(&mut self, plan: &Plan, scanned: &Scanned) -> bool {
        if plan.sinks.fanout.is_empty() {
            self.json.insert("metrics".into(), json!([]));
            return false;
        }
        let snapshot = snapshot(plan, scanned);
        let outcomes = plan.sinks.fanout.push_all(&snapshot).await;
        let failed =
            crate::sinks::report_outcomes(&outcomes, &mut self.redactor.writer(std::io::stderr()));
        let captured: Vec<Value> = plan
            .sinks
            .captured
            .as_ref()
            .map(|b| {
                b.contents()
                    .lines()
                    .filter_map(|l| serde_json::from_str(l).ok())
                    .collect()
            })
            .unwrap_or_default();
        self.json.insert(
            "metrics".into(),
            json!(
                outcomes
                    .iter()
                    .map(|o| outcome_json(o, &captured))
                    .collect::<Vec<_>>()
            ),
        );
        failed
    }

    pub(crate) fn finished(&mut self, plan: &Plan, scanned: &Scanned) {
        self.line(&format!(
            "Finished. Total Vulnerability Count: {}",
            scanned.summary.counts.total_of(&plan.severities)
        ));
    }

    pub(crate) fn gate(&mut self, gate: Option<&GateResult>) {
        if let Some(g) = gate {
            if self.format == Format::Text && self.kept.is_some() {
                self.line(&g.rendered);
            } else if self.format == Format::Text {
                let mut out = self.redactor.writer(std::io::stdout().lock());
                let _ = write!(out, "\n{}", g.rendered);
            }
            self.json.insert("gate".into(), g.data.clone());
        }
    }

    /// SARIF of the counted findings of the selected severities, on stdout with
    /// `--format sarif` and into the `--sarif` file.
    pub(crate) fn sarif(
        &self,
        plan: &Plan,
        scanned: &Scanned,
        gate: Option<&GateResult>,
    ) -> Result<(), Failure> {
        if !plan.wants_sarif() {
            return Ok(());
        }
        let s = &scanned.summary;
        let mut input = s.input.clone();
        if input.artifact.is_none() && !scanned.image.is_empty() {
            input.artifact = Some(scanned.image.clone());
        }
        let opts = sarif_out::Options {
            severities: &plan.severities,
            gate: gate.map(|g| &g.facts),
        };
        let doc = sarif_out::sarif(&s.kept, &input, &opts);
        if let Some(w) = doc.omitted_warning() {
            let _ = writeln!(self.redactor.writer(std::io::stderr()), "trivy-scan: {w}");
        }
        // The file as stdout: no secret of this run in it.
        let json = self.redactor.redact(&doc.to_json());
        if let Some(path) = &plan.sarif {
            cli_support::write_atomic(path, json.as_bytes()).map_err(|e| {
                Failure::usage(format!(
                    "cannot write the SARIF file {}: {e}",
                    path.display()
                ))
            })?;
        }
        if self.format == Format::Sarif {
            let mut out = self.redactor.writer(std::io::stdout().lock());
            match out.write_all(json.as_bytes()).and_then(|()| out.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    return Err(Failure::external(format!(
                        "cannot write the SARIF output: {e}"
                    )));
                }
                _ => {}
            }
        }
        Ok(())
    }

    pub(crate) fn flush(self) -> Result<(), Failure> {
        if self.format == Format::Json {
            let mut out = self.redactor.writer(std::io::stdout().lock());
            let written = serde_json::to_writer_pretty(&mut out, &Value::Object(self.json))
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out));
            match written {
                // A reader that stops early (`| head`) is not an error (ripgrep does the same).
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    return Err(Failure::external(format!(
                        "cannot write the JSON output: {e}"
                    )));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

fn outcome_json(o: &SinkOutcome, captured: &[Value]) -> Value {
    match &o.result {
        Ok(r) => {
            let mut v = json!({
                "sink": o.sink,
                "status": if r.rejected.is_empty() { "ok" } else { "partial" },
                "accepted": r.accepted,
                "rejected": r.rejected.iter().map(|x| json!({"metric": x.metric, "reason": x.reason})).collect::<Vec<_>>(),
            });
            if o.sink == "stdout" {
                v["lines"] = json!(captured);
            }
            v
        }
        Err(e) => json!({
            "sink": o.sink,
            "status": "failed",
            "error": e.message,
            "unsent": e.unsent,
        }),
    }
}

/// The inline gate (`--slo`): evaluates the SLO with slo-gate's semantics and exit codes, on
/// this scan's counts (the same `quality_gate` code runs behind `slo-gate --report`) or, with
/// `--provider`, on the backend's answers (as `slo-gate --provider`).
///
/// The scan's compact records (`plan.want`) move into the gate's explanation; SARIF, written
/// after it, reads the full findings.
pub(crate) async fn gate(
    plan: &Plan,
    scanned: &mut Scanned,
) -> Result<Option<GateResult>, Failure> {
    use quality_gate::{GateOptions, gate_on_provider};
    use sli_provider::report::ReportSli;

    let Some(files) = &plan.gate else {
        return Ok(None);
    };
    let mut opts = GateOptions {
        format: plan.format,
        fail_on_warning: plan.fail_on_warning,
        allow_missing_slo: plan.allow_missing_slo,
        allow_informational_only: plan.allow_informational_only,
        explain: plan.explain,
        ..GateOptions::default()
    };
    let outcome = match &plan.provider {
        None => {
            if plan.window.given() {
                opts.window = Some(plan.window.window()?);
            }
            let mut report = ReportSli::from_summary(&scanned.summary, &plan.severities);
            if let Some(h) = &scanned.hygiene {
                opts.extra = quality_gate::cli::feed_record(h, &scanned.summary);
                report = report.with_hygiene(h.clone());
            }
            if plan.want.fixes {
                let kept = std::mem::take(&mut scanned.summary.records);
                report = report.with_findings(kept, None);
            }
            files.gate(&report, &opts)
        }
        Some(provider) => {
            let window = plan.window.window()?;
            opts.window = Some(window);
            gate_on_provider(
                files.slo.as_ref(),
                files.queries.as_ref(),
                provider,
                &window,
                &files.history,
                &opts,
            )
            .await
            .map_err(|e| quality_gate::cli::backend_failure(&e))?
        }
    };
    let exit = Exit::from(outcome.decision);
    Ok(Some(GateResult {
        exit,
        facts: sarif_out::Gate::from_evaluation(&outcome.data),
        rendered: outcome.rendered,
        data: quality_gate::json_value(&outcome.data, outcome.explanation.as_ref(), &opts)
            .map_err(|e| Failure::external(format!("cannot encode the evaluation: {e}")))?,
    }))
}

/// The series one scan publishes.
pub(crate) fn snapshot(plan: &Plan, scanned: &Scanned) -> Snapshot {
    let snapshot = Snapshot::vulnerability_counts(
        ImageRef::parse(&scanned.image),
        scanned.finished_at,
        plan.severities
            .iter()
            .map(|s| (s.as_str(), scanned.summary.counts.get(*s))),
    )
    .with_scanner(scanner_label(&scanned.summary));
    // With a feed given, the hygiene SLIs go out too: only measured ones, never a 0 for one
    // that could not be answered.
    match (&scanned.hygiene, plan.feed_args.any()) {
        (Some(h), true) => snapshot.with_slis(
            h.values()
                .into_iter()
                .filter_map(|(name, v)| v.ok().map(|v| (name, v))),
        ),
        _ => snapshot,
    }
}

/// The metrics' `scanner` label: the report's scanner name in lower case (`trivy`, `grype`, a
/// SARIF or CycloneDX tool), `trivy` when the report names none (trivy ran, or an old report).
fn scanner_label(summary: &findings::Summary) -> String {
    summary
        .input
        .scanner
        .as_ref()
        .map(|s| s.name.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| metrics_sink::names::DEFAULT_SCANNER.to_owned())
}

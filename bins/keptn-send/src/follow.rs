//! `--wait`: follow a sequence to its end, then find and print the evaluation verdict
//! (spec §7, "Recommended follow loop").
//!
//! Only this run's own context is trusted: every sequence state and every event read must
//! carry the `keptnContext` the send returned. Anything else (an API or proxy that ignores the
//! `keptnContext` filter, a shared datastore) is ignored, so such an API ends in a timeout
//! (exit 3), never in another run's verdict.

use std::fmt::Write as _;
use std::io::Write;
use std::time::Duration;

use cli_support::{Exit, Failure};
use keptn_events::client::{KeptnClient, SequenceState, SequenceStatus};
use keptn_events::evaluation::{EvaluationFinishedData, SloTarget};
use keptn_events::{CloudEvent, EventResult, KeptnContext, Phase, Status, WireStr as _};
use serde_json::Value;
use tokio::time::Instant;

use crate::{Format, api_failure, write_out};

/// How patiently to follow.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Follow {
    pub(crate) timeout: Duration,
    pub(crate) poll_interval: Duration,
}

/// The evaluation that ended the sequence.
#[derive(Debug)]
pub(crate) struct Verdict {
    /// `data` as Keptn stored it (printed as-is with --format json).
    raw: Value,
    parsed: EvaluationFinishedData,
}

const TYPE_EVALUATION_FINISHED: &str = "sh.keptn.event.evaluation.finished";

fn timed_out(
    ctx: &KeptnContext,
    timeout: Duration,
    last: Option<&SequenceStatus>,
    foreign: usize,
) -> Failure {
    let last = last.map_or_else(
        || "Keptn had not registered the sequence yet".to_owned(),
        |s| format!("last state: {s}"),
    );
    let foreign = if foreign == 0 {
        String::new()
    } else {
        format!(
            "; ignored {foreign} sequence states of other keptnContexts (the API does not filter by keptnContext)"
        )
    };
    Failure::external(format!(
        "the sequence did not finish within {} ({last}{foreign}); keptnContext {ctx}",
        humanize(timeout)
    ))
}

/// Whether `ev` belongs to this run.
fn is_own(ev: &CloudEvent<Value>, ctx: &KeptnContext) -> bool {
    ev.shkeptncontext.as_ref() == Some(ctx)
}

/// This run's events; the others are dropped (and counted in the log).
fn own_events(events: Vec<CloudEvent<Value>>, ctx: &KeptnContext) -> Vec<CloudEvent<Value>> {
    let total = events.len();
    let own: Vec<_> = events.into_iter().filter(|e| is_own(e, ctx)).collect();
    if own.len() < total {
        tracing::warn!(
            ignored = total - own.len(),
            "ignored events of other keptnContexts (the API does not filter by keptnContext)"
        );
    }
    own
}

fn humanize(d: Duration) -> String {
    let s = d.as_secs();
    if d.subsec_millis() != 0 || s == 0 {
        format!("{}ms", d.as_millis())
    } else if s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

/// Polls the sequence state until it is terminal, then looks up the verdict.
pub(crate) async fn follow(
    client: &KeptnClient,
    project: &str,
    ctx: &KeptnContext,
    settings: Follow,
) -> Result<Verdict, Failure> {
    let deadline = Instant::now() + settings.timeout;
    let mut last: Option<SequenceStatus> = None;
    let mut foreign = 0_usize;
    let state: SequenceState = loop {
        let polled = tokio::time::timeout_at(deadline, client.sequence_state(project, ctx))
            .await
            .map_err(|_| timed_out(ctx, settings.timeout, last.as_ref(), foreign))?
            .map_err(|e| api_failure(&e))?;
        match polled {
            None => tracing::debug!("sequence not registered yet"),
            Some(s) if s.shkeptncontext != ctx.as_str() => {
                foreign += 1;
                tracing::warn!(
                    "ignored the state of another keptnContext (the API does not filter by keptnContext)"
                );
            }
            Some(s) => {
                if last.as_ref() != Some(&s.state) {
                    tracing::info!(state = %s.state, "sequence state");
                    last = Some(s.state.clone());
                }
                if s.state.is_terminal() {
                    break s;
                }
            }
        }
        let now = Instant::now();
        if now + settings.poll_interval >= deadline {
            // One more poll would start after the deadline: wait it out, then give up.
            tokio::time::sleep_until(deadline).await;
            return Err(timed_out(ctx, settings.timeout, last.as_ref(), foreign));
        }
        tokio::time::sleep(settings.poll_interval).await;
    };

    match state.state {
        SequenceStatus::Finished => {}
        SequenceStatus::Aborted => {
            let why = sequence_message(client, ctx, &state, deadline).await;
            return Err(Failure::external(format!(
                "the sequence {} was aborted{why}; keptnContext {ctx}",
                state.name
            )));
        }
        _ => {
            let task = waiting_task(client, ctx, deadline).await;
            return Err(Failure::external(format!(
                "Keptn timed the sequence {} out{task}; keptnContext {ctx}",
                state.name
            )));
        }
    }

    // The datastore is filled asynchronously: when the state reports an evaluation but the
    // event is not stored yet, look again a few times.
    let expect_eval = state.stages.iter().any(|s| s.latest_evaluation.is_some());
    let attempts = if expect_eval { 5 } else { 1 };
    for attempt in 1..=attempts {
        let found =
            tokio::time::timeout_at(deadline, client.events(ctx, Some(TYPE_EVALUATION_FINISHED)))
                .await
                .map_err(|_| timed_out(ctx, settings.timeout, Some(&state.state), foreign))?
                .map_err(|e| api_failure(&e))?;
        if let Some(ev) = newest(own_events(found, ctx)) {
            let parsed: EvaluationFinishedData = serde_json::from_value(ev.data.clone())
                .map_err(|e| {
                    Failure::external(format!(
                        "the evaluation.finished event of keptnContext {ctx} has an unexpected shape: {e}"
                    ))
                })?;
            return Ok(Verdict {
                raw: ev.data,
                parsed,
            });
        }
        if attempt < attempts && Instant::now() + settings.poll_interval < deadline {
            tokio::time::sleep(settings.poll_interval).await;
        }
    }
    Err(no_evaluation(client, ctx, &state, deadline).await)
}

/// Newest by `time` (the datastore answers newest first, but do not rely on it).
fn newest(mut events: Vec<CloudEvent<Value>>) -> Option<CloudEvent<Value>> {
    events.sort_by_key(|e| e.time.as_ref().map(keptn_events::EventTime::timestamp));
    events.pop()
}

async fn all_events(
    client: &KeptnClient,
    ctx: &KeptnContext,
    deadline: Instant,
) -> Vec<CloudEvent<Value>> {
    match tokio::time::timeout_at(deadline, client.events(ctx, None)).await {
        Ok(Ok(events)) => own_events(events, ctx),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "could not read the run's events");
            Vec::new()
        }
        Err(_) => Vec::new(),
    }
}

fn message_of(ev: &CloudEvent<Value>) -> Option<&str> {
    ev.data
        .get("message")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|m| !m.is_empty())
}

async fn sequence_message(
    client: &KeptnClient,
    ctx: &KeptnContext,
    state: &SequenceState,
    deadline: Instant,
) -> String {
    let events = all_events(client, ctx, deadline).await;
    events
        .iter()
        .filter(|e| {
            e.event_type().is_ok_and(|t| {
                t.sequence_name() == Some(state.name.as_str()) && t.phase() == Phase::Finished
            })
        })
        .find_map(message_of)
        .map(|m| format!(" ({})", one_line(m)))
        .unwrap_or_default()
}

/// The task that was triggered but never started, for a timed-out sequence.
async fn waiting_task(client: &KeptnClient, ctx: &KeptnContext, deadline: Instant) -> String {
    let events = all_events(client, ctx, deadline).await;
    let started: Vec<&str> = events
        .iter()
        .filter(|e| e.event_type().is_ok_and(|t| t.phase() == Phase::Started))
        .filter_map(|e| e.triggeredid.as_deref())
        .collect();
    events
        .iter()
        .filter(|e| {
            e.event_type()
                .is_ok_and(|t| t.task_name().is_some() && t.phase() == Phase::Triggered)
        })
        .find(|e| e.id.as_deref().is_none_or(|id| !started.contains(&id)))
        .and_then(|e| e.event_type().ok())
        .and_then(|t| {
            t.task_name()
                .map(|n| format!(": no service started task `{n}`"))
        })
        .unwrap_or_default()
}

/// Explains a sequence that finished without evaluation: the failed task and its message.
async fn no_evaluation(
    client: &KeptnClient,
    ctx: &KeptnContext,
    state: &SequenceState,
    deadline: Instant,
) -> Failure {
    let events = all_events(client, ctx, deadline).await;
    let failed = events.iter().find(|e| {
        let is_task_finished = e
            .event_type()
            .is_ok_and(|t| t.task_name().is_some() && t.phase() == Phase::Finished);
        let result = e.data.get("result").and_then(Value::as_str).unwrap_or("");
        let status = e.data.get("status").and_then(Value::as_str).unwrap_or("");
        is_task_finished
            && (!EventResult::from(result).passes() || Status::from(status) == Status::Errored)
    });
    match failed {
        Some(ev) => {
            let task = ev
                .event_type()
                .ok()
                .and_then(|t| t.task_name().map(str::to_owned))
                .unwrap_or_default();
            let result = ev.data.get("result").and_then(Value::as_str).unwrap_or("");
            let status = ev.data.get("status").and_then(Value::as_str).unwrap_or("");
            let msg = message_of(ev).map_or_else(String::new, |m| format!(": {}", one_line(m)));
            Failure::external(format!(
                "the sequence {} finished without an evaluation: task `{task}` failed (status {status}, result {result}){msg}; keptnContext {ctx}",
                state.name
            ))
        }
        None => Failure::external(format!(
            "the sequence {} finished without an evaluation and no task reported a failure; does the stage's sequence have an `evaluation` task? keptnContext {ctx}",
            state.name
        )),
    }
}

fn one_line(s: &str) -> String {
    let flat: Vec<&str> = s.split_whitespace().collect();
    let joined = flat.join(" ");
    if joined.chars().count() > 300 {
        let cut: String = joined.chars().take(300).collect();
        format!("{cut}…")
    } else {
        joined
    }
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

fn targets(t: Option<&Vec<SloTarget>>) -> String {
    match t {
        None => "-".to_owned(),
        Some(list) if list.is_empty() => "-".to_owned(),
        Some(list) => list
            .iter()
            .map(|t| {
                format!(
                    "{} (target {}, {})",
                    t.criteria,
                    number(t.target_value),
                    if t.violated { "violated" } else { "met" }
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The verdict as lines for people.
fn text(v: &EvaluationFinishedData) -> String {
    let e = &v.evaluation;
    let mut s = format!(
        "result: {} (score {}, status {})",
        v.result.as_ref().map_or("-", EventResult::as_str),
        number(e.score),
        v.status.as_ref().map_or("-", Status::as_str)
    );
    if !v.message.trim().is_empty() {
        let _ = write!(s, "\nmessage: {}", one_line(&v.message));
    }
    if !e.time_start.is_empty() || !e.time_end.is_empty() {
        let _ = write!(s, "\nwindow: {} .. {}", e.time_start, e.time_end);
    }
    let indicators = e.indicator_results.as_deref().unwrap_or_default();
    if indicators.is_empty() {
        s.push_str("\nindicators: none");
    }
    for ind in indicators {
        let value = ind.value.as_ref().map_or_else(
            || "no value".to_owned(),
            |v| {
                if v.success {
                    number(v.value)
                } else {
                    format!("no value ({})", one_line(&v.message))
                }
            },
        );
        let key = if ind.key_sli { " [key SLI]" } else { "" };
        let name = if ind.display_name.is_empty() || ind.display_name == ind.metric() {
            ind.metric().to_owned()
        } else {
            format!("{} ({})", ind.display_name, ind.metric())
        };
        let _ = write!(
            s,
            "\n  {name}{key}: {value} -> {} (score {})\n    pass: {}\n    warning: {}",
            ind.status.wire_str(),
            number(ind.score),
            targets(ind.pass_targets.as_ref()),
            targets(ind.warning_targets.as_ref()),
        );
    }
    s
}

/// Prints the verdict and maps it to the exit code: pass/warning 0, fail 1, an evaluation
/// that did not run properly (`status` not `succeeded`) 3.
pub(crate) fn report(v: &Verdict, format: Format, out: &mut dyn Write) -> Result<Exit, Failure> {
    // `--format` accepts text and json only.
    if format == Format::Json {
        write_out(
            out,
            &serde_json::to_string_pretty(&v.raw).unwrap_or_else(|_| v.raw.to_string()),
        )?;
    } else {
        write_out(out, &text(&v.parsed))?;
    }
    let d = &v.parsed;
    if !d.succeeded() {
        let msg = if d.message.trim().is_empty() {
            String::new()
        } else {
            format!(": {}", one_line(&d.message))
        };
        return Err(Failure::external(format!(
            "the evaluation did not complete (status {}){msg}",
            d.status.wire_str()
        )));
    }
    // Keptn's verdict, read as the shipyard controller does (pass and warning pass).
    match &d.result {
        Some(r) if r.passes() => Ok(Exit::Ok),
        Some(EventResult::Fail) => Ok(Exit::GateFailed),
        other => Err(Failure::external(format!(
            "the evaluation finished with an unknown result `{}`",
            other.wire_str()
        ))),
    }
}

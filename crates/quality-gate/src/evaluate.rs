//! SLO + SLI values + history → lighthouse's evaluation → verdict and rendered output. Pure:
//! texts in, data out (logging aside).

use std::collections::BTreeMap;

use explain::{Evaluation, Explanation, Objective, ObjectiveStatus, Status as ExplainStatus};
use findings::Records;
use keptn_events::evaluation::{EvaluationFinishedData, IndicatorStatus, SliResult};
use keptn_events::get_sli::GetSliFinishedData;
use keptn_events::{EventResult, Status};
use sli_provider::report::ReportSli;
use sli_provider::{Indicator, ProviderError, QueryContext, ResultConvention, SliProvider, Window};
use slo_eval::{EvalOptions, Slo, evaluate, missing_slo_result, parse_sli, parse_slo};

use crate::render::render_explained;
use crate::{Decision, Format, GateError, Verdict};

/// Settings of one gate run.
#[derive(Debug, Clone, Default)]
pub struct GateOptions {
    /// Output format.
    pub format: Format,
    /// A warning fails the gate (exit 1).
    pub fail_on_warning: bool,
    /// A missing or 0-byte SLO file passes without evaluation, as lighthouse does.
    pub allow_missing_slo: bool,
    /// An SLO whose objectives are all informational (no pass criteria: the gate passes
    /// whatever the values) is accepted; otherwise it is refused as an input error.
    pub allow_informational_only: bool,
    /// Project, stage, service, deployment and labels: copied into the result and used for
    /// sli.yaml placeholders.
    pub context: QueryContext,
    /// The evaluation window (`evaluation.timeStart` / `timeEnd`); none for a report.
    pub window: Option<Window>,
    /// Keys added to the `evaluation.finished` data beside Keptn's (e.g. `feeds`: the KEV,
    /// EPSS and VEX files used, with their own versions and dates; `vex`: which statement
    /// suppressed what).
    pub extra: serde_json::Map<String, serde_json::Value>,
    /// `--explain N`: at most this many findings listed per explained objective (default:
    /// [`DEFAULT_EXPLAIN`] in text, Markdown and JUnit, all in JSON).
    pub explain: Option<usize>,
}

/// Findings listed per objective in text, Markdown and JUnit when `--explain` is not given.
pub const DEFAULT_EXPLAIN: usize = 10;

/// What a gate run produced.
#[derive(Debug, Clone, PartialEq)]
pub struct GateOutcome {
    /// The output in the requested format (ends with a newline).
    pub rendered: String,
    /// The verdict.
    pub verdict: Verdict,
    /// The `evaluation.finished` data.
    pub data: EvaluationFinishedData,
    /// What the process should do with it (`cli_support::Exit::from(decision)`).
    pub decision: Decision,
    /// The findings behind each objective that is not `pass` and the fix plans, when the SLI
    /// values came from a report whose findings were kept ([`ReportSli::with_findings`]).
    pub explanation: Option<Explanation>,
}

/// Parses the SLO file. `text` is `None` when the file does not exist.
///
/// `Ok(None)` means "no SLO, and that is allowed": evaluate with `slo = None`.
///
/// # Errors
/// [`GateError::MissingSlo`] for a missing or 0-byte file unless allowed,
/// [`GateError::Slo`] for a file that does not parse.
pub fn load_slo(
    text: Option<&str>,
    path: &str,
    opts: &GateOptions,
) -> Result<Option<Slo>, GateError> {
    match text {
        None | Some("") if opts.allow_missing_slo => {
            tracing::warn!(
                path,
                "no SLO file: passing without evaluation (--allow-missing-slo)"
            );
            Ok(None)
        }
        None | Some("") => Err(GateError::MissingSlo(path.to_owned())),
        Some(t) => {
            let slo = parse_slo(t).map_err(|error| GateError::Slo {
                path: path.to_owned(),
                error,
            })?;
            // A gate fails closed: what lighthouse would turn into a failed or silently
            // skipped evaluation (unparseable criteria, negative weights) is an input error
            // here. Unknown keys stay warnings, as lighthouse ignores them.
            for w in &slo.warnings {
                tracing::warn!(path, "{w}");
            }
            if !slo.gate_errors.is_empty() {
                return Err(GateError::Slo {
                    path: path.to_owned(),
                    error: slo_eval::ParseError {
                        kind: slo_eval::ParseErrorKind::Invalid,
                        problems: slo.gate_errors,
                    },
                });
            }
            if !slo.objectives.is_empty()
                && !slo.has_pass_criteria()
                && !opts.allow_informational_only
            {
                let hints: String = slo.warnings.iter().map(|w| format!("; {w}")).collect();
                return Err(GateError::InformationalOnly {
                    path: path.to_owned(),
                    hints,
                });
            }
            Ok(Some(slo))
        }
    }
}

/// Parses an sli.yaml into name → query.
///
/// # Errors
/// [`GateError::Sli`] with line and column.
pub fn load_sli(text: &str, path: &str) -> Result<BTreeMap<String, String>, GateError> {
    let file = parse_sli(text).map_err(|error| GateError::Sli {
        path: path.to_owned(),
        error,
    })?;
    Ok(file.indicators.into_iter().collect())
}

/// Parses a history file (`[]` when `text` is `None`).
///
/// # Errors
/// [`GateError::History`] when it is not a JSON array.
pub fn load_history(
    text: Option<&str>,
    path: &str,
) -> Result<Vec<EvaluationFinishedData>, GateError> {
    match text {
        None => Ok(Vec::new()),
        Some(t) if t.trim().is_empty() => Ok(Vec::new()),
        Some(t) => slo_eval::parse_history(t).map_err(|e| GateError::History {
            path: path.to_owned(),
            reason: format!("expected a JSON array of evaluation.finished data, newest first: {e}"),
        }),
    }
}

/// The SLI names lighthouse asks the provider for: objective `sli`s in file order,
/// duplicates kept.
#[must_use]
pub fn indicator_names(slo: &Slo) -> Vec<String> {
    slo.objectives.iter().map(|o| o.sli.clone()).collect()
}

/// The custom filters (slo.yaml `filter`) as placeholder substitutions.
#[must_use]
pub fn context_with_filters(slo: &Slo, base: &QueryContext) -> QueryContext {
    let mut ctx = base.clone();
    ctx.filters = slo
        .filter
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    ctx
}

/// Wraps provider answers as the `get-sli.finished` data a Keptn SLI provider would send.
#[must_use]
pub fn finished_from_indicators(
    indicators: &[Indicator],
    convention: ResultConvention,
    opts: &GateOptions,
) -> GetSliFinishedData {
    let values: Vec<SliResult> = indicators
        .iter()
        .map(|i| match &i.outcome {
            Ok(v) => SliResult::ok(i.name.clone(), *v),
            Err(m) => SliResult::failed(i.name.clone(), m.clone()),
        })
        .collect();
    let failed: Vec<String> = indicators
        .iter()
        .filter_map(|i| i.outcome.as_ref().err().map(|m| format!("{}: {m}", i.name)))
        .collect();
    let result = match convention {
        _ if failed.is_empty() => EventResult::Pass,
        ResultConvention::Lenient => EventResult::Pass,
        ResultConvention::AnyFailed => EventResult::Fail,
        ResultConvention::SomeWarnAllFail if failed.len() == indicators.len() => EventResult::Fail,
        ResultConvention::SomeWarnAllFail => EventResult::Warning,
    };
    let mut d = GetSliFinishedData {
        status: Some(Status::Succeeded),
        message: if result == EventResult::Pass {
            String::new()
        } else {
            failed.join("; ")
        },
        result: Some(result),
        ..GetSliFinishedData::default()
    };
    if let Some(w) = opts.window {
        d.get_sli.start = Window::keptn_time(w.start);
        d.get_sli.end = Window::keptn_time(w.end);
    }
    d.get_sli.indicator_values = values;
    d
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// Evaluates with lighthouse's semantics and renders the result.
///
/// `slo = None` is the allowed-missing case: lighthouse's pass without evaluation. Scope
/// (project, stage, service, labels) comes from `finished` when it carries one, else from
/// `opts.context`; the window likewise.
#[must_use]
pub fn evaluate_and_render(
    slo: Option<&Slo>,
    finished: &GetSliFinishedData,
    history: &[EvaluationFinishedData],
    opts: &GateOptions,
) -> GateOutcome {
    let (data, eo, missing_keys) = evaluate_data(slo, finished, history, opts);
    for name in missing_keys {
        tracing::warn!("key SLI objective `{name}` has no value: the gate fails");
    }
    outcome(data, &eo, opts, None)
}

/// The evaluation itself, without rendering: the data, the options it ran with, and the key
/// SLI objectives failed for having no value.
fn evaluate_data(
    slo: Option<&Slo>,
    finished: &GetSliFinishedData,
    history: &[EvaluationFinishedData],
    opts: &GateOptions,
) -> (EvaluationFinishedData, EvalOptions, Vec<String>) {
    let mut eo = EvalOptions::from_get_sli(finished);
    let ctx = &opts.context;
    eo.project = eo.project.or_else(|| non_empty(&ctx.project));
    eo.stage = eo.stage.or_else(|| non_empty(&ctx.stage));
    eo.service = eo.service.or_else(|| non_empty(&ctx.service));
    if eo.labels.is_none() && !ctx.labels.is_empty() {
        eo.labels = Some(ctx.labels.clone());
    }
    if let Some(w) = opts.window {
        if eo.time_start.is_empty() {
            eo.time_start = Window::keptn_time(w.start);
        }
        if eo.time_end.is_empty() {
            eo.time_end = Window::keptn_time(w.end);
        }
    }
    let mut missing = Vec::new();
    let data = match slo {
        Some(slo) => {
            let mut data = evaluate(slo, &finished.get_sli.indicator_values, history, &eo);
            // Lighthouse ignores an informational key SLI without a value; a gate must not.
            missing = slo_eval::fail_on_missing_key_slis(slo, &mut data);
            data
        }
        None => missing_slo_result(&eo),
    };
    (data, eo, missing)
}

fn outcome(
    mut data: EvaluationFinishedData,
    eo: &EvalOptions,
    opts: &GateOptions,
    explanation: Option<Explanation>,
) -> GateOutcome {
    for (k, v) in &opts.extra {
        data.extra.insert(k.clone(), v.clone());
    }
    let verdict = if !data.succeeded() {
        Verdict::Errored
    } else {
        match data.result {
            Some(EventResult::Pass) => Verdict::Pass,
            Some(EventResult::Warning) => Verdict::Warning,
            _ => Verdict::Fail,
        }
    };
    let decision = match verdict {
        Verdict::Pass => Decision::Pass,
        Verdict::Warning if opts.fail_on_warning => Decision::Fail,
        Verdict::Warning => Decision::Pass,
        Verdict::Fail => Decision::Fail,
        Verdict::Errored if matches!(eo.sli_status, Some(Status::Errored | Status::Aborted)) => {
            Decision::SliErrored
        }
        Verdict::Errored => Decision::InputError,
    };
    let mut rendered = render_explained(&data, explanation.as_ref(), opts);
    rendered.push_str(&crate::feed_notes::notes(&opts.extra, opts.format));
    GateOutcome {
        rendered,
        verdict,
        data,
        decision,
        explanation,
    }
}

/// The whole gate on a Trivy report: parse the SLO (and the optional sli.yaml), answer every
/// objective's SLI from the report, evaluate, render. This is what `trivy-scan --slo` calls on
/// the scan it just made, and what `slo-gate --report` does.
///
/// # Errors
/// [`GateError`] for a missing/empty SLO (unless allowed) or unparseable SLO/SLI files.
pub fn gate_on_summary(
    slo_text: Option<&str>,
    slo_path: &str,
    sli: Option<(&str, &str)>,
    report: &ReportSli,
    history: &[EvaluationFinishedData],
    opts: &GateOptions,
) -> Result<GateOutcome, GateError> {
    let Some(slo) = load_slo(slo_text, slo_path, opts)? else {
        return Ok(gate_on_loaded(None, None, report, history, opts));
    };
    let queries = match sli {
        Some((text, path)) => Some(load_sli(text, path)?),
        None => None,
    };
    Ok(gate_on_loaded(
        Some(&slo),
        queries.as_ref(),
        report,
        history,
        opts,
    ))
}

/// [`gate_on_summary`] on files already loaded with [`load_slo`] and [`load_sli`] (callers
/// that check the files before a long scan need not parse them twice). `slo` is `None` when
/// a missing SLO was allowed.
#[must_use]
pub fn gate_on_loaded(
    slo: Option<&Slo>,
    queries: Option<&BTreeMap<String, String>>,
    report: &ReportSli,
    history: &[EvaluationFinishedData],
    opts: &GateOptions,
) -> GateOutcome {
    let Some(slo) = slo else {
        return evaluate_and_render(None, &GetSliFinishedData::default(), history, opts);
    };
    let names = indicator_names(slo);
    let evaluate_on = |r: &ReportSli| {
        let indicators = r.answer(&names, queries);
        let finished = finished_from_indicators(&indicators, r.reading().convention, opts);
        evaluate_data(Some(slo), &finished, history, opts)
    };
    let (data, eo, missing_keys) = evaluate_on(report);
    for name in missing_keys {
        tracing::warn!("key SLI objective `{name}` has no value: the gate fails");
    }
    let explanation = report.evidence.as_ref().and_then(|ev| {
        let listed = crate::render::listing(opts);
        explain_report(
            report,
            &ev.findings,
            (&names, queries),
            &data,
            listed,
            |remaining| evaluate_on(&report.recount(remaining)).0,
        )
    });
    outcome(data, &eo, opts, explanation)
}

/// The explanation of an evaluation on a report with kept findings: every objective that is
/// not `pass` and whose SLI counts findings (resolved as the value was), and the fix plans,
/// re-evaluated by `evaluate` on what remains. `None` when the evaluation did not run or
/// there is nothing to explain.
fn explain_report(
    report: &ReportSli,
    all: &Records,
    (names, queries): (&[String], Option<&BTreeMap<String, String>>),
    data: &EvaluationFinishedData,
    listed: Option<usize>,
    mut evaluate: impl FnMut(&[usize]) -> EvaluationFinishedData,
) -> Option<Explanation> {
    if !data.succeeded() {
        return None;
    }
    let results = data.evaluation.indicator_results.as_deref()?;
    let selectors: Vec<_> = names.iter().map(|n| report.resolve(n, queries)).collect();
    let mut objectives = Vec::new();
    for (index, (r, sel)) in results.iter().zip(&selectors).enumerate() {
        if !matches!(
            r.status,
            Some(IndicatorStatus::Fail | IndicatorStatus::Warning)
        ) {
            continue;
        }
        let Some(findings) = sel.as_ref().and_then(|s| report.findings_behind(s)) else {
            continue;
        };
        objectives.push(Objective {
            index,
            sli: names[index].clone(),
            status: objective_status(r.status.as_ref()),
            findings,
        });
    }
    if objectives.is_empty() {
        return None;
    }
    let counts: Vec<bool> = selectors.iter().map(Option::is_some).collect();
    let as_eval = |d: &EvaluationFinishedData| explain_evaluation(d, names, &counts);
    let before = as_eval(data);
    Some(Explanation::build(
        all,
        &objectives,
        &before,
        listed,
        |remaining| as_eval(&evaluate(remaining)),
    ))
}

const fn objective_status(s: Option<&IndicatorStatus>) -> ExplainStatus {
    match s {
        Some(IndicatorStatus::Pass) => ExplainStatus::Pass,
        Some(IndicatorStatus::Warning) => ExplainStatus::Warning,
        Some(IndicatorStatus::Info) => ExplainStatus::Info,
        _ => ExplainStatus::Fail,
    }
}

/// An evaluation as the fix planner reads it; one that did not run counts as `fail`.
fn explain_evaluation(
    d: &EvaluationFinishedData,
    names: &[String],
    counts_findings: &[bool],
) -> Evaluation {
    let result = if !d.succeeded() {
        ExplainStatus::Fail
    } else {
        match d.result {
            Some(EventResult::Pass) => ExplainStatus::Pass,
            Some(EventResult::Warning) => ExplainStatus::Warning,
            _ => ExplainStatus::Fail,
        }
    };
    let objectives = d
        .evaluation
        .indicator_results
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, r)| ObjectiveStatus {
            sli: names
                .get(i)
                .cloned()
                .unwrap_or_else(|| r.metric().to_owned()),
            status: objective_status(r.status.as_ref()),
            counts_findings: counts_findings.get(i).copied().unwrap_or(false),
        })
        .collect();
    Evaluation {
        score: d.evaluation.score,
        result,
        objectives,
    }
}

/// The gate on any provider: asks `provider` for every objective's SLI over `window` through
/// the one fetch loop ([`sli_provider::fetch`]; placeholders from `opts.context` and the
/// slo.yaml `filter`), reads the answers by the provider's [`ResultConvention`], evaluates and
/// renders. `slo = None` is the allowed-missing case (nothing is asked).
///
/// # Errors
/// The first [`ProviderError`]: a backend that cannot be asked fails the gate (exit 3).
pub async fn gate_on_provider<P: SliProvider + ?Sized>(
    slo: Option<&Slo>,
    queries: Option<&BTreeMap<String, String>>,
    provider: &P,
    window: &Window,
    history: &[EvaluationFinishedData],
    opts: &GateOptions,
) -> Result<GateOutcome, ProviderError> {
    let Some(slo) = slo else {
        return Ok(evaluate_and_render(
            None,
            &GetSliFinishedData::default(),
            history,
            opts,
        ));
    };
    let ctx = context_with_filters(slo, &opts.context);
    let names = indicator_names(slo);
    let indicators = sli_provider::fetch(provider, &names, queries, window, &ctx).await?;
    let finished = finished_from_indicators(&indicators, provider.reading().convention, opts);
    Ok(evaluate_and_render(Some(slo), &finished, history, opts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cli_support::Exit;
    use findings::{Severity, SeverityCounts, Summary};

    const SEED_SLO: &str = "---\nspec_version: \"0.1.0\"\nfilter: {}\ncomparison:\n  compare_with: single_result\n  include_result_with_score: pass\n  number_of_comparison_results: 1\n  aggregate_function: avg\nobjectives:\n- sli: trivy_vulns\n  pass:\n    - criteria:\n      - \"<10\"\ntotal_score:\n  pass: 90%\n  warning: 75%\n";
    const SEED_SLI: &str =
        "---\nindicators:\n  trivy_vulns: \"metricSelector=trivy.vulnerabilities.CRITICAL\"\n";

    fn report(critical: u64) -> ReportSli {
        let mut counts = SeverityCounts::new();
        counts.set(Severity::Critical, critical);
        let s = Summary {
            counts,
            findings: critical,
            ..Summary::default()
        };
        ReportSli::from_summary(&s, &[])
    }

    #[test]
    fn seed_files_on_a_report() {
        let opts = GateOptions::default();
        let out = gate_on_summary(
            Some(SEED_SLO),
            "slo.yaml",
            Some((SEED_SLI, "sli.yaml")),
            &report(6),
            &[],
            &opts,
        )
        .unwrap();
        assert_eq!(out.verdict, Verdict::Pass, "{}", out.rendered);
        assert_eq!(out.decision, Decision::Pass);
        let out = gate_on_summary(
            Some(SEED_SLO),
            "slo.yaml",
            Some((SEED_SLI, "sli.yaml")),
            &report(10),
            &[],
            &opts,
        )
        .unwrap();
        assert_eq!(out.verdict, Verdict::Fail);
        assert_eq!(out.decision, Decision::Fail);
    }

    #[test]
    fn decision_to_exit_is_the_design_contract() {
        assert_eq!(Exit::from(Decision::Pass), Exit::Ok);
        assert_eq!(Exit::from(Decision::Fail), Exit::GateFailed);
        assert_eq!(Exit::from(Decision::InputError), Exit::Usage);
        assert_eq!(Exit::from(Decision::SliErrored), Exit::External);
        let warn_slo = "objectives:\n- sli: vulnerabilities_critical\n  pass:\n  - criteria: [\"<1\"]\n  warning:\n  - criteria: [\"<10\"]\ntotal_score:\n  pass: 90%\n  warning: 50%\n";
        let run = |fail_on_warning| {
            let opts = GateOptions {
                fail_on_warning,
                ..GateOptions::default()
            };
            gate_on_summary(Some(warn_slo), "slo.yaml", None, &report(5), &[], &opts).unwrap()
        };
        let lenient = run(false);
        assert_eq!(lenient.verdict, Verdict::Warning, "{}", lenient.rendered);
        assert_eq!(lenient.decision, Decision::Pass);
        assert_eq!(run(true).decision, Decision::Fail);
    }

    #[test]
    fn missing_slo_fails_closed() {
        let opts = GateOptions::default();
        for text in [None, Some("")] {
            let e = gate_on_summary(text, "slo.yaml", None, &report(0), &[], &opts).unwrap_err();
            assert!(matches!(e, GateError::MissingSlo(_)), "{e}");
            assert_eq!(Exit::from(e.decision()), Exit::Usage);
        }
        let allowed = GateOptions {
            allow_missing_slo: true,
            ..GateOptions::default()
        };
        let out = gate_on_summary(None, "slo.yaml", None, &report(99), &[], &allowed).unwrap();
        assert_eq!(out.verdict, Verdict::Pass);
        assert!(out.data.message.contains("no SLO file configured"));
    }

    #[test]
    fn provider_conventions() {
        let ind = [
            Indicator::value("a", 1.0),
            Indicator::failed("b", "no data"),
        ];
        let o = GateOptions::default();
        assert_eq!(
            finished_from_indicators(&ind, ResultConvention::Lenient, &o).result,
            Some(EventResult::Pass)
        );
        let d = finished_from_indicators(&ind, ResultConvention::AnyFailed, &o);
        assert_eq!(
            (d.result, d.message.as_str()),
            (Some(EventResult::Fail), "b: no data")
        );
        assert_eq!(
            finished_from_indicators(&ind, ResultConvention::SomeWarnAllFail, &o).result,
            Some(EventResult::Warning)
        );
        assert_eq!(
            finished_from_indicators(&ind[1..], ResultConvention::SomeWarnAllFail, &o).result,
            Some(EventResult::Fail)
        );
        assert!(!d.get_sli.indicator_values[1].success);
    }

    #[test]
    fn informational_only_slo_is_refused_unless_allowed() {
        // `pas` is a misspelt `pass`: every objective is informational.
        let slo = "objectives:\n- sli: vulnerabilities_critical\n  pas:\n  - criteria: [\"=0\"]\ntotal_score:\n  pass: 90%\n";
        let e = gate_on_summary(
            Some(slo),
            "slo.yaml",
            None,
            &report(5),
            &[],
            &GateOptions::default(),
        )
        .unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, GateError::InformationalOnly { .. }), "{msg}");
        assert_eq!(Exit::from(e.decision()), Exit::Usage);
        assert!(
            msg.contains("line 3") && msg.contains("did you mean `pass`"),
            "{msg}"
        );
        let allowed = GateOptions {
            allow_informational_only: true,
            ..GateOptions::default()
        };
        let out = gate_on_summary(Some(slo), "slo.yaml", None, &report(5), &[], &allowed).unwrap();
        assert_eq!(
            out.verdict,
            Verdict::Pass,
            "lighthouse's score 100 when allowed"
        );
    }

    #[test]
    fn key_sli_without_value_fails_whatever_its_criteria() {
        let opts = GateOptions {
            allow_informational_only: true,
            ..GateOptions::default()
        };
        // Informational key SLI with no value: lighthouse passes, the gate fails.
        let info = "objectives:\n- sli: no_such_sli\n  key_sli: true\n- sli: vulnerabilities_critical\n  pass:\n  - criteria: [\"<=10\"]\ntotal_score:\n  pass: 90%\n";
        let out = gate_on_summary(Some(info), "slo.yaml", None, &report(0), &[], &opts).unwrap();
        assert_eq!(out.verdict, Verdict::Fail, "{}", out.rendered);
        assert_eq!(out.decision, Decision::Fail);
        assert!(
            out.data.message.contains("no_such_sli"),
            "{}",
            out.data.message
        );
        // Pass-criteria key SLI with no value: lighthouse fails already, message kept.
        let pass = "objectives:\n- sli: no_such_sli\n  key_sli: true\n  pass:\n  - criteria: [\"<1\"]\n- sli: vulnerabilities_critical\n  pass:\n  - criteria: [\"<=10\"]\ntotal_score:\n  pass: 10%\n";
        let out = gate_on_summary(Some(pass), "slo.yaml", None, &report(0), &[], &opts).unwrap();
        assert_eq!(out.verdict, Verdict::Fail, "{}", out.rendered);
        assert!(out.data.message.contains("key_sli"), "{}", out.data.message);
        // A key SLI with a value is untouched.
        let ok = "objectives:\n- sli: vulnerabilities_critical\n  key_sli: true\n  pass:\n  - criteria: [\"<=10\"]\ntotal_score:\n  pass: 90%\n";
        let out = gate_on_summary(Some(ok), "slo.yaml", None, &report(0), &[], &opts).unwrap();
        assert_eq!(out.verdict, Verdict::Pass, "{}", out.rendered);
    }
}

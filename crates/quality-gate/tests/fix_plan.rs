//! Property: for random findings and SLOs, applying a fix plan's upgrades and evaluating the
//! gate again (a fresh count of the remaining findings, through the public gate) gives the
//! plan's stated score and result; a plan that says pass really passes; every explained
//! objective lists exactly the findings its value counts.
#![allow(missing_docs)]

use explain::{FixPlan, Status, version};
use findings::{CountOptions, Finding, Severity, Tally, Want};
use keptn_events::EventResult;
use keptn_events::evaluation::IndicatorStatus;
use proptest::prelude::*;
use quality_gate::{GateOptions, GateOutcome, Verdict, gate_on_summary};
use sli_provider::report::ReportSli;

const SLIS: [&str; 7] = [
    "vulnerabilities_critical",
    "vulnerabilities_high",
    "vulnerabilities_medium",
    "vulnerabilities_low",
    "vulnerabilities_total",
    "vulnerabilities_unknown",
    "response_time_p95",
];

fn finding() -> impl Strategy<Value = Finding> {
    (
        0..12u32,
        0..5usize,
        0..5usize,
        0..2usize,
        prop::sample::select(vec![
            "",
            "1.1",
            "1.2, 2.1",
            "0.9",
            "3.0",
            "2.0.1, 1.1.5",
            "1.0~rc1",
        ]),
    )
        .prop_map(|(id, sev, pkg, inst, fixed)| Finding {
            id: format!("CVE-2026-{id}"),
            severity: Severity::ALL[sev],
            package: format!("pkg{pkg}"),
            installed: ["1.0", "2.0"][inst].to_owned(),
            fixed_version: (!fixed.is_empty()).then(|| fixed.to_owned()),
            fixable: !fixed.is_empty(),
            ..Finding::default()
        })
}

#[derive(Debug, Clone)]
struct Obj {
    sli: usize,
    pass: u32,
    warn: Option<u32>,
    weight: u32,
    key: bool,
}

fn objective() -> impl Strategy<Value = Obj> {
    (
        0..SLIS.len(),
        0..8u32,
        prop::option::of(0..6u32),
        1..4u32,
        prop::bool::weighted(0.2),
    )
        .prop_map(|(sli, pass, warn, weight, key)| Obj {
            sli,
            pass,
            warn,
            weight,
            key,
        })
}

fn slo_text(objs: &[Obj], pass: u32, warning: u32) -> String {
    let mut s = String::from("spec_version: \"1.0\"\nobjectives:\n");
    for o in objs {
        s.push_str(&format!(
            "  - sli: {}\n    weight: {}\n    key_sli: {}\n    pass:\n      - criteria: [\"<={}\"]\n",
            SLIS[o.sli], o.weight, o.key, o.pass
        ));
        if let Some(w) = o.warn {
            s.push_str(&format!(
                "    warning:\n      - criteria: [\"<={}\"]\n",
                o.pass + w
            ));
        }
    }
    s.push_str(&format!(
        "total_score:\n  pass: \"{pass}%\"\n  warning: \"{warning}%\"\n"
    ));
    s
}

/// Counts findings the way a report walk does, keeping them.
fn report(findings: &[Finding]) -> ReportSli {
    let opts = CountOptions::default();
    let mut t = Tally::new(
        &opts,
        Want {
            fixes: true,
            ..Want::default()
        },
    );
    for f in findings {
        t.add(f);
    }
    let summary = t.finish();
    ReportSli::from_summary(&summary, &[]).with_findings(summary.records, None)
}

/// Applies upgrades independently of the planner: a finding goes when its package is
/// upgraded to a version at or above the lowest of its fixed versions above the installed one.
fn apply(findings: &[Finding], plan: &FixPlan) -> Vec<Finding> {
    findings
        .iter()
        .filter(|f| {
            !plan.upgrades.iter().any(|u| {
                u.package == f.package
                    && u.from == f.installed
                    && f.fixed_version
                        .as_deref()
                        .and_then(|v| version::lowest_fix(&f.installed, v))
                        .is_some_and(|need| version::compare(need, &u.to).is_le())
            })
        })
        .cloned()
        .collect()
}

fn gate(slo: &str, findings: &[Finding]) -> GateOutcome {
    let opts = GateOptions {
        allow_informational_only: true,
        ..GateOptions::default()
    };
    gate_on_summary(Some(slo), "slo.yaml", None, &report(findings), &[], &opts).unwrap()
}

fn status(v: Verdict) -> Status {
    match v {
        Verdict::Pass => Status::Pass,
        Verdict::Warning => Status::Warning,
        Verdict::Fail | Verdict::Errored => Status::Fail,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_plan_is_what_a_fresh_evaluation_says(
        findings in prop::collection::vec(finding(), 0..40),
        objs in prop::collection::vec(objective(), 1..4),
        pass in prop::sample::select(vec![50u32, 75, 90, 100]),
        warning in prop::sample::select(vec![25u32, 40, 60]),
    ) {
        let slo = slo_text(&objs, pass, warning);
        let before = gate(&slo, &findings);
        let results = before.data.evaluation.indicator_results.clone().unwrap_or_default();
        let not_pass = |r: &keptn_events::evaluation::IndicatorResult| {
            matches!(r.status, Some(IndicatorStatus::Fail | IndicatorStatus::Warning))
        };
        let explainable = results
            .iter()
            .zip(&objs)
            .any(|(r, o)| SLIS[o.sli] != "response_time_p95" && not_pass(r));
        let Some(ex) = before.explanation.clone() else {
            prop_assert!(!explainable, "nothing explained:\n{}", before.rendered);
            return Ok(());
        };
        prop_assert!(explainable);
        // Each explained objective names exactly the findings its value counts: listed
        // (at most the text output's default) and omitted.
        for o in &ex.objectives {
            let r = &results[o.index];
            prop_assert!(not_pass(r));
            let value = r.value.as_ref().map_or(-1.0, |v| v.value);
            prop_assert!(o.listed() <= quality_gate::DEFAULT_EXPLAIN);
            #[allow(clippy::cast_precision_loss)]
            let behind = (o.listed() + o.omitted) as f64;
            prop_assert_eq!(behind, value, "{}", o.sli);
        }
        // The gate's plan, then each objective's.
        let plans = std::iter::once((None, &ex.fix_plan))
            .chain(ex.objectives.iter().map(|o| (Some(o.index), &o.fix_plan)));
        for (target, plan) in plans {
            let after = gate(&slo, &apply(&findings, plan));
            prop_assert_eq!(after.data.evaluation.score, plan.score_after, "{:?}", plan);
            prop_assert_eq!(status(after.verdict), plan.result_after);
            let passes = match target {
                None => after.data.result == Some(EventResult::Pass),
                Some(i) => after.data.evaluation.indicator_results.as_ref().unwrap()[i].status
                    == Some(IndicatorStatus::Pass),
            };
            prop_assert_eq!(passes, plan.passes_after, "{:?}\n{}", plan, after.rendered);
            if !plan.passes_after {
                // Even every upgrade with a fix does not reach pass.
                let all_fixed: Vec<Finding> = findings
                    .iter()
                    .filter(|f| {
                        f.fixed_version
                            .as_deref()
                            .and_then(|v| version::lowest_fix(&f.installed, v))
                            .is_none()
                    })
                    .cloned()
                    .collect();
                let worst = gate(&slo, &all_fixed);
                let reached = match target {
                    None => worst.data.result == Some(EventResult::Pass),
                    Some(i) => worst.data.evaluation.indicator_results.as_ref().unwrap()[i]
                        .status
                        == Some(IndicatorStatus::Pass),
                };
                prop_assert!(!reached, "a plan said no upgrades reach pass, but all do: {:?}", plan);
            }
        }
    }
}

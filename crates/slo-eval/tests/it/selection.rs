//! Previous-result selection (§4) and the comparison value (§6).

use slo_eval::{
    EvalOptions, UNDECODABLE_KEY, comparison_value, evaluate, parse_history, percentile,
    select_comparison,
};
use slo_eval::{EventResult, WireStr as _};

use crate::common::{ok, previous, results, slo};

fn results_of(sel: &[&slo_eval::EvaluationFinishedData]) -> Vec<String> {
    sel.iter().map(|e| e.result.wire_str().to_owned()).collect()
}

fn history() -> Vec<slo_eval::EvaluationFinishedData> {
    // newest first
    ["fail", "warning", "pass", "fail", "pass", "warning", "pass"]
        .iter()
        .enumerate()
        .map(|(i, r)| {
            #[allow(clippy::cast_precision_loss)]
            let v = (i + 1) as f64;
            previous(r, &[("m", v)])
        })
        .collect()
}

#[test]
fn single_result_takes_the_newest() {
    let s = slo("objectives: []\n");
    assert_eq!(results_of(&select_comparison(&s, &history())), ["fail"]);
}

#[test]
fn block_without_compare_with_takes_three_whatever_the_number_says() {
    let s = slo("comparison:\n  number_of_comparison_results: 6\n");
    assert_eq!(
        results_of(&select_comparison(&s, &history())),
        ["fail", "warning", "pass"]
    );
}

#[test]
fn several_results_takes_n_after_filtering() {
    let s = slo(
        "comparison:\n  compare_with: several_results\n  number_of_comparison_results: 2\n  include_result_with_score: pass\n",
    );
    let h = history();
    let sel = select_comparison(&s, &h);
    assert_eq!(results_of(&sel), ["pass", "pass"]);
    assert_eq!(
        sel[0].evaluation.indicator_results.as_ref().unwrap()[0]
            .value
            .as_ref()
            .unwrap()
            .value,
        3.0
    );
    let s = slo(
        "comparison:\n  compare_with: several_results\n  number_of_comparison_results: 4\n  include_result_with_score: Pass_Or_Warn\n",
    );
    assert_eq!(
        results_of(&select_comparison(&s, &h)),
        ["warning", "pass", "pass", "warning"]
    );
}

#[test]
fn typos_in_include_result_with_score_mean_all() {
    let s = slo(
        "comparison:\n  compare_with: several_results\n  number_of_comparison_results: 2\n  include_result_with_score: pass_or_warning\n",
    );
    assert_eq!(
        results_of(&select_comparison(&s, &history())),
        ["fail", "warning"]
    );
}

#[test]
fn negative_number_means_no_limit() {
    let s =
        slo("comparison:\n  compare_with: several_results\n  number_of_comparison_results: -1\n");
    assert_eq!(select_comparison(&s, &history()).len(), 7);
}

#[test]
fn compare_with_is_case_sensitive() {
    let s = slo("comparison:\n  compare_with: Single_Result\n");
    assert_eq!(select_comparison(&s, &history()).len(), 3);
}

#[test]
fn filter_uses_event_result_not_evaluation_result() {
    let mut h = vec![previous("pass", &[("m", 1.0)])];
    h[0].evaluation.result = Some(EventResult::Fail);
    let s = slo("comparison:\n  include_result_with_score: pass\n");
    assert_eq!(select_comparison(&s, &h).len(), 1);
}

#[test]
fn undecodable_history_entries_count_but_contribute_nothing() {
    let json = r#"[
      {"result": "pass", "evaluation": {"score": "not a number"}},
      {"type": "sh.keptn.event.evaluation.finished", "id": "e2", "data": {"result": "pass", "evaluation": {"indicatorResults": [{"value": {"metric": "m", "value": 10, "success": true}}]}}},
      {"result": "pass", "evaluation": {"indicatorResults": [{"value": {"metric": "m", "value": 20, "success": true}}]}}
    ]"#;
    let h = parse_history(json).unwrap();
    assert_eq!(h.len(), 3);
    assert!(h[0].extra.contains_key(UNDECODABLE_KEY));
    assert_eq!(h[0].result, Some(EventResult::Pass));
    let s = slo(
        "comparison:\n  compare_with: several_results\n  number_of_comparison_results: 2\nobjectives:\n  - sli: m\n    pass:\n      - criteria: [\"<=+0\"]\ntotal_score: {pass: \"90%\"}\n",
    );
    let sel = select_comparison(&s, &h);
    assert_eq!(sel.len(), 2);
    assert_eq!(comparison_value("avg", &sel, "m"), (10.0, false));
    let d = evaluate(&s, &[ok("m", 10.0)], &h, &EvalOptions::default());
    assert_eq!(d.evaluation.compared_events, ["e2"]);
    assert_eq!(d.result, Some(EventResult::Pass));
    assert!(parse_history("{}").is_err());
    assert!(
        parse_history("[1, null]").unwrap()[0]
            .extra
            .contains_key(UNDECODABLE_KEY)
    );
}

#[test]
fn comparison_value_gathers_every_matching_indicator_and_drops_failed_values() {
    let mut a = previous("pass", &[("m", 10.0), ("other", 99.0), ("m", 20.0)]);
    a.evaluation
        .indicator_results
        .as_mut()
        .unwrap()
        .push(slo_eval::IndicatorResult::default()); // value null
    let mut b = previous("pass", &[("m", 30.0), ("m", 1000.0)]);
    b.evaluation.indicator_results.as_mut().unwrap()[1]
        .value
        .as_mut()
        .unwrap()
        .success = false;
    let sel = vec![&a, &b];
    assert_eq!(comparison_value("avg", &sel, "m"), (20.0, false));
    assert_eq!(comparison_value("p50", &sel, "m"), (20.0, false));
    assert_eq!(comparison_value("p90", &sel, "m"), (30.0, false));
    assert_eq!(comparison_value("median", &sel, "m"), (0.0, false));
    assert_eq!(
        comparison_value("avg", &sel, "M"),
        (0.0, true),
        "exact metric match"
    );
    assert_eq!(comparison_value("avg", &[], "m"), (0.0, true));
}

#[test]
fn percentile_formula() {
    // pos = p * (n + 1); < 1 => first; >= n => last; else interpolate
    assert_eq!(percentile(&mut [3.0, 1.0, 2.0], 0.5), 2.0); // pos 2
    assert_eq!(percentile(&mut [4.0, 1.0, 3.0, 2.0], 0.5), 2.5); // pos 2.5
    assert_eq!(percentile(&mut [1.0, 2.0], 0.2), 1.0); // pos 0.6 < 1
    assert_eq!(percentile(&mut [7.0], 0.5), 7.0); // pos 1 >= n
    assert_eq!(percentile(&mut [], 0.5), 0.0);
    // p90 returns the maximum for n <= 9, p95 for n <= 19
    let mut nine: Vec<f64> = (1..=9).map(f64::from).collect();
    assert_eq!(percentile(&mut nine, 0.9), 9.0);
    let mut ten: Vec<f64> = (1..=10).map(f64::from).collect();
    let pos: f64 = 0.9 * 11.0;
    assert_eq!(percentile(&mut ten, 0.9), 9.0 + (pos - pos.floor()) * 1.0);
    let mut nineteen: Vec<f64> = (1..=19).map(f64::from).collect();
    assert_eq!(percentile(&mut nineteen, 0.95), 19.0);
    let mut twenty: Vec<f64> = (1..=20).map(f64::from).collect();
    let pos: f64 = 0.95 * 21.0;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let i = pos as usize;
    #[allow(clippy::cast_precision_loss)]
    let want = i as f64 + (pos - pos.floor()) * 1.0;
    assert_eq!(percentile(&mut twenty, 0.95).to_bits(), want.to_bits());
    // NaN sorts first, as Go's sort.Float64Slice
    let r = percentile(&mut [5.0, f64::NAN, 1.0], 0.5);
    assert_eq!(r, 1.0);
}

#[test]
fn relative_criteria_use_the_aggregate() {
    let s = slo(
        "comparison:\n  compare_with: several_results\n  number_of_comparison_results: 3\n  aggregate_function: p50\nobjectives:\n  - sli: m\n    pass:\n      - criteria: [\"<=+10%\", \">=-10%\", \"<=+2\", \">-2\"]\ntotal_score: {pass: \"90%\"}\n",
    );
    let h = [
        previous("pass", &[("m", 10.0)]),
        previous("pass", &[("m", 30.0)]),
        previous("pass", &[("m", 20.0)]),
    ];
    let d = evaluate(&s, &[ok("m", 21.0)], &h, &EvalOptions::default());
    let t: Vec<(f64, bool)> = results(&d)[0]
        .pass_targets
        .as_ref()
        .unwrap()
        .iter()
        .map(|t| (t.target_value, t.violated))
        .collect();
    assert_eq!(
        t,
        [(22.0, false), (18.0, false), (22.0, false), (18.0, false)]
    );
    assert_eq!(d.result, Some(EventResult::Pass));
}

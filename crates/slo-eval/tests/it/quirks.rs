//! One test per quirk of keptn-slo-evaluation.md §12, named after it.

use slo_eval::{EvalOptions, evaluate, missing_slo_result, parse_slo};
use slo_eval::{EventResult, IndicatorStatus, Status, WireStr as _};

use crate::common::{eval, ok, previous, results, slo};

const TOTAL: &str = "total_score:\n  pass: \"90%\"\n  warning: \"75%\"\n";

fn with_total(objectives: &str) -> String {
    format!("objectives:\n{objectives}{TOTAL}")
}

#[test]
fn quirk_01_relative_criteria_without_history_are_satisfied_with_target_0() {
    let s = slo(&with_total(
        "  - sli: m\n    pass:\n      - criteria: [\"<=+10%\", \"<5\"]\n",
    ));
    let d = eval(&s, &[ok("m", 1000.0)]);
    let r = &results(&d)[0];
    let t = r.pass_targets.as_ref().unwrap();
    assert_eq!(
        (t[0].target_value, t[0].violated),
        (0.0, false),
        "relative: satisfied, target 0"
    );
    assert_eq!(
        (t[1].target_value, t[1].violated),
        (5.0, true),
        "absolute still applies"
    );
    assert_eq!(r.status, Some(IndicatorStatus::Fail));
    // with history that has only failed values, too
    let mut prev = previous("pass", &[("m", 1.0)]);
    prev.evaluation.indicator_results.as_mut().unwrap()[0]
        .value
        .as_mut()
        .unwrap()
        .success = false;
    let s = slo(&with_total(
        "  - sli: m\n    pass:\n      - criteria: [\"<=+10%\"]\n",
    ));
    let d = evaluate(&s, &[ok("m", 1000.0)], &[prev], &EvalOptions::default());
    assert_eq!(results(&d)[0].status, Some(IndicatorStatus::Pass));
    assert_eq!(
        results(&d)[0].pass_targets.as_ref().unwrap()[0].target_value,
        0.0
    );
}

#[test]
fn quirk_02_unknown_aggregate_function_gives_zero_without_skipping() {
    let yaml = with_total("  - sli: m\n    pass:\n      - criteria: [\"<=+10%\"]\n").replace(
        "objectives:",
        "comparison:\n  aggregate_function: p99\nobjectives:",
    );
    let s = slo(&yaml);
    let history = [previous("pass", &[("m", 100.0)])];
    let d = evaluate(&s, &[ok("m", 5.0)], &history, &EvalOptions::default());
    let r = &results(&d)[0];
    assert_eq!(r.value.as_ref().unwrap().compared_value, 0.0);
    let t = &r.pass_targets.as_ref().unwrap()[0];
    assert_eq!(
        (t.target_value, t.violated),
        (0.0, true),
        "5 <= 0 fails: not skipped"
    );
    assert_eq!(r.status, Some(IndicatorStatus::Fail));
    // case matters: AVG is unknown too
    let s = slo(&yaml.replace("p99", "AVG"));
    let d = evaluate(&s, &[ok("m", 5.0)], &history, &EvalOptions::default());
    assert_eq!(results(&d)[0].status, Some(IndicatorStatus::Fail));
}

#[test]
fn quirk_03_duplicate_sli_objectives_only_first_consumes_the_value() {
    let s = slo(&with_total(
        "  - sli: m\n    pass:\n      - criteria: [\"<=5\"]\n  - sli: m\n    displayName: again\n    pass:\n      - criteria: [\"<=5\"]\n",
    ));
    let d = eval(&s, &[ok("m", 1.0)]);
    let r = results(&d);
    assert_eq!(r[0].status, Some(IndicatorStatus::Pass));
    assert_eq!(r[1].status, Some(IndicatorStatus::Fail));
    let v = r[1].value.as_ref().unwrap();
    assert_eq!(
        (v.success, v.message.as_str()),
        (false, "no value received from SLI provider")
    );
    assert_eq!(d.evaluation.score, 50.0);
}

#[test]
fn quirk_04_failed_objectives_list_relative_targets_as_the_raw_aggregate() {
    let s = slo(&with_total(
        "  - sli: m\n    pass:\n      - criteria: [\"<=+10%\", \"<=7\"]\n    warning:\n      - criteria: [\"<=-5\", \"bogus\"]\n",
    ));
    let history = [previous("pass", &[("m", 12.0)])];
    let d = evaluate(&s, &[], &history, &EvalOptions::default());
    let r = &results(&d)[0];
    assert_eq!(r.status, Some(IndicatorStatus::Fail));
    let p = r.pass_targets.as_ref().unwrap();
    assert_eq!(
        (p[0].criteria.as_str(), p[0].target_value, p[0].violated),
        ("<=+10%", 12.0, true),
        "B, not 13.2"
    );
    assert_eq!((p[1].target_value, p[1].violated), (7.0, true));
    let w = r.warning_targets.as_ref().unwrap();
    assert_eq!(w.len(), 1, "unparseable criteria are skipped");
    assert_eq!(w[0].target_value, 12.0, "B, not 7");
}

#[test]
fn quirk_05_key_sli_reported_false_for_failed_sli_and_informational_objectives() {
    let s = slo(&with_total(
        "  - sli: a\n    key_sli: true\n    displayName: A\n    pass:\n      - criteria: [\"<=5\"]\n  - sli: b\n    key_sli: true\n  - sli: c\n    pass:\n      - criteria: [\"<=5\"]\n",
    ));
    let d = eval(
        &s,
        &[
            slo_eval::SliResult::failed("a", "query timed out"),
            ok("b", 1.0),
            ok("c", 1.0),
        ],
    );
    let r = results(&d);
    assert_eq!((r[0].status.wire_str(), r[0].key_sli), ("fail", false));
    assert_eq!((r[1].status.wire_str(), r[1].key_sli), ("info", false));
    // ... but the key-SLI failure still applies
    assert_eq!(d.result, Some(EventResult::Fail));
    assert_eq!(
        d.message,
        "Evaluation failed due to key_sli objective 'A': query timed out"
    );
    assert_eq!(d.evaluation.score, 50.0);
}

#[test]
fn quirk_06_warning_parse_errors_are_ignored_and_pass_parse_errors_abort() {
    let s = slo(&with_total(
        "  - sli: m\n    pass:\n      - criteria: [\"<=5\"]\n    warning:\n      - criteria: [\"<=10\", \"=<3\"]\n",
    ));
    let d = eval(&s, &[ok("m", 7.0)]);
    let r = &results(&d)[0];
    assert_eq!(
        r.status,
        Some(IndicatorStatus::Fail),
        "warning list errored => not warned"
    );
    assert_eq!(r.warning_targets, Some(vec![]), "targets discarded");
    assert_eq!(d.status, Some(Status::Succeeded));

    let s = slo(&with_total(
        "  - sli: ok\n    pass:\n      - criteria: [\"<=5\"]\n  - sli: response_time_p95\n    pass:\n      - criteria: [\"<=5\", \"5\"]\n",
    ));
    let d = eval(&s, &[ok("ok", 1.0), ok("response_time_p95", 1.0)]);
    assert_eq!(
        (
            d.status.wire_str(),
            d.result.wire_str(),
            d.evaluation.result.wire_str()
        ),
        ("succeeded", "fail", "fail")
    );
    assert_eq!(
        d.message,
        "error with response_time_p95: invalid criteria string"
    );
    assert_eq!(d.evaluation.indicator_results, None);
    assert_eq!(d.evaluation.score, 0.0);
    // the display name is used when set
    let s = slo(&with_total(
        "  - sli: x\n    displayName: Response time\n    pass:\n      - criteria: [\"<=abc\"]\n",
    ));
    assert_eq!(
        eval(&s, &[ok("x", 1.0)]).message,
        "error with Response time: could not parse criteria target value"
    );
    // also when the value is missing? No: the missing-SLI path never parses pass criteria.
    assert_eq!(
        eval(&s, &[]).message,
        "Evaluation failed since the calculated score of 0 is below the warning value of 75"
    );
}

#[test]
fn quirk_07_get_sli_fail_forces_result_fail_while_evaluation_may_pass() {
    let s = slo(&with_total(
        "  - sli: m\n    pass:\n      - criteria: [\"<=5\"]\n",
    ));
    let opts = EvalOptions {
        sli_result: Some(EventResult::Fail),
        sli_message: "1 of 2 queries failed".into(),
        ..Default::default()
    };
    let d = evaluate(&s, &[ok("m", 1.0)], &[], &opts);
    assert_eq!(
        (
            d.status.wire_str(),
            d.result.wire_str(),
            d.evaluation.result.wire_str()
        ),
        ("succeeded", "fail", "pass")
    );
    assert_eq!(d.evaluation.score, 100.0);
    assert_eq!(
        d.message,
        "lighthouse failed because SLI failed with message 1 of 2 queries failed"
    );
    // a warning result has no effect
    let opts = EvalOptions {
        sli_result: Some(EventResult::Warning),
        ..Default::default()
    };
    assert_eq!(
        evaluate(&s, &[ok("m", 1.0)], &[], &opts).result,
        Some(EventResult::Pass)
    );
}

#[test]
fn quirk_07_get_sli_errored_or_aborted_gives_evaluation_pass_with_result_fail() {
    let s = slo(&with_total(
        "  - sli: m\n    pass:\n      - criteria: [\"<=5\"]\n",
    ));
    let opts = EvalOptions {
        sli_status: Some(Status::Errored),
        sli_message: "token invalid".into(),
        ..Default::default()
    };
    let d = evaluate(&s, &[ok("m", 1.0)], &[], &opts);
    assert_eq!(
        (
            d.status.wire_str(),
            d.result.wire_str(),
            d.evaluation.result.wire_str()
        ),
        ("errored", "fail", "pass")
    );
    assert_eq!(
        d.message,
        "evaluation performed by lighthouse received an unexpected error: token invalid"
    );
    assert_eq!(
        (d.evaluation.score, d.evaluation.indicator_results.as_ref()),
        (0.0, None)
    );
    let opts = EvalOptions {
        sli_status: Some(Status::Aborted),
        ..Default::default()
    };
    let d = evaluate(&s, &[ok("m", 1.0)], &[], &opts);
    assert_eq!(
        (
            d.status.wire_str(),
            d.result.wire_str(),
            d.evaluation.result.wire_str()
        ),
        ("errored", "fail", "pass")
    );
    assert_eq!(d.message, "evaluation performed by lighthouse was aborted");
}

#[test]
fn quirk_08_empty_criteria_set_counts_weight_but_adds_nothing_to_total() {
    let s = slo(&with_total(
        "  - sli: a\n    pass:\n      - criteria: []\n  - sli: b\n    pass:\n      - criteria: [\"<=5\"]\n",
    ));
    let d = eval(&s, &[ok("a", 1.0), ok("b", 1.0)]);
    let r = results(&d);
    assert_eq!(
        (
            r[0].status.wire_str(),
            r[0].score,
            r[0].pass_targets.as_ref()
        ),
        ("pass", 1.0, None)
    );
    assert_eq!(d.evaluation.score, 50.0, "maxScore 2, total 1");
    assert_eq!(d.result, Some(EventResult::Fail));
}

#[test]
fn quirk_09_missing_slo_file_passes_in_lighthouse() {
    let err = parse_slo("").unwrap_err();
    assert!(
        err.is_empty_file(),
        "a 0-byte file is reported so the gate can fail closed"
    );
    let opts = EvalOptions {
        project: Some("secgate".into()),
        ..Default::default()
    };
    let d = missing_slo_result(&opts);
    assert_eq!(
        (
            d.status.wire_str(),
            d.result.wire_str(),
            d.evaluation.result.wire_str()
        ),
        ("succeeded", "pass", "pass")
    );
    assert_eq!(
        d.message,
        "no evaluation performed by lighthouse because no SLO file configured for project secgate"
    );
    assert_eq!(d.evaluation.indicator_results, None);
}

#[test]
fn quirk_10_no_objectives_fail_with_max_score_100() {
    let s = slo(&format!("objectives: []\n{TOTAL}"));
    let d = eval(&s, &[ok("m", 1.0)]);
    assert_eq!(
        (
            d.status.wire_str(),
            d.result.wire_str(),
            d.evaluation.result.wire_str()
        ),
        ("succeeded", "fail", "fail")
    );
    assert_eq!(d.evaluation.score, 0.0);
    assert_eq!(
        d.message,
        "lighthouse failed because no SLO objective was provided"
    );
    assert_eq!(d.evaluation.indicator_results, None);
    // a 0% pass target makes the computed verdict pass, the override still fails
    let s = slo("objectives: [~]\ntotal_score: {pass: \"0%\"}\n");
    let d = eval(&s, &[]);
    assert_eq!(
        (d.result.wire_str(), d.evaluation.result.wire_str()),
        ("fail", "pass")
    );
}

#[test]
fn quirk_11_arithmetic_is_binary64_without_rounding() {
    let s = slo(&with_total(
        "  - sli: a\n    pass:\n      - criteria: [\"<=5\"]\n  - sli: b\n    pass:\n      - criteria: [\"<=5\"]\n  - sli: c\n    pass:\n      - criteria: [\"<=5\"]\n",
    ));
    let d = eval(&s, &[ok("a", 1.0), ok("b", 1.0), ok("c", 9.0)]);
    assert_eq!(
        d.evaluation.score.to_bits(),
        66.666_666_666_666_66_f64.to_bits()
    );
    assert_eq!(
        d.message,
        "Evaluation failed since the calculated score of 66.66666666666666 is below the warning value of 75"
    );
    // (B * (100 + X)) / 100, in this order: 0.1 * 110 / 100 differs from 0.1 * 1.1
    let s = slo(&with_total(
        "  - sli: m\n    pass:\n      - criteria: [\"<=+10%\"]\n",
    ));
    let d = evaluate(
        &s,
        &[ok("m", 0.11)],
        &[previous("pass", &[("m", 0.1)])],
        &EvalOptions::default(),
    );
    let t = results(&d)[0].pass_targets.as_ref().unwrap()[0].target_value;
    assert_eq!(t.to_bits(), ((0.1_f64 * 110.0) / 100.0).to_bits());
}

#[test]
fn quirk_12_time_window_strings_are_copied_verbatim() {
    let s = slo(&with_total(
        "  - sli: m\n    pass:\n      - criteria: [\"<=5\"]\n",
    ));
    let opts = EvalOptions {
        time_start: "2024-03-05T12:11:13.002Z".into(),
        time_end: "2024-03-05T10:16:13+02:00".into(),
        ..Default::default()
    };
    let d = evaluate(&s, &[ok("m", 1.0)], &[], &opts);
    assert_eq!(d.evaluation.time_start, "2024-03-05T12:11:13.002Z");
    assert_eq!(d.evaluation.time_end, "2024-03-05T10:16:13+02:00");
}

#[test]
fn quirk_13_percentage_against_a_baseline_of_zero_collapses_to_zero() {
    let s = slo(&with_total(
        "  - sli: vulnerabilities_critical\n    pass:\n      - criteria: [\"<+101%\"]\n",
    ));
    let history = [previous("pass", &[("vulnerabilities_critical", 0.0)])];
    let d = evaluate(
        &s,
        &[ok("vulnerabilities_critical", 0.0)],
        &history,
        &EvalOptions::default(),
    );
    let t = &results(&d)[0].pass_targets.as_ref().unwrap()[0];
    assert_eq!(
        (t.target_value, t.violated),
        (0.0, true),
        "0 < 0 is false, even with no new findings"
    );
    // the absolute delta works
    let s = slo(&with_total(
        "  - sli: vulnerabilities_critical\n    pass:\n      - criteria: [\"<=+0\"]\n",
    ));
    let d = evaluate(
        &s,
        &[ok("vulnerabilities_critical", 0.0)],
        &history,
        &EvalOptions::default(),
    );
    assert_eq!(d.result, Some(EventResult::Pass));
}

#[test]
fn quirk_03_values_are_taken_by_swapping_the_last_entry_into_the_hole() {
    // values [a, b(fail), c, b(ok)]: taking `a` moves b(ok) to the front, so the objective
    // on `b` gets the good value; the leftovers are listed in post-removal order.
    let s = slo(&with_total(
        "  - sli: a\n    pass:\n      - criteria: [\"<=5\"]\n  - sli: b\n    pass:\n      - criteria: [\"<=5\"]\n",
    ));
    let values = [
        ok("a", 1.0),
        slo_eval::SliResult::failed("b", "boom"),
        ok("c", 1.0),
        ok("b", 2.0),
    ];
    let d = eval(&s, &values);
    let r = results(&d);
    assert_eq!(r[1].value.as_ref().unwrap().value, 2.0);
    assert_eq!(d.result, Some(EventResult::Pass));
    assert_eq!(
        d.message,
        "Lighthouse received additional SLIs, which are not specified as SLO: c, b . Please consider using them as an SLO."
    );
}

#[test]
fn informational_key_sli_without_value_passes_lighthouse_but_fails_the_gate_rule() {
    let s = slo(&with_total(
        "  - sli: gone\n    key_sli: true\n  - sli: m\n    pass:\n      - criteria: [\"<5\"]\n",
    ));
    // Lighthouse-exact: the informational key SLI is ignored, the evaluation passes.
    let mut d = eval(&s, &[ok("m", 1.0)]);
    assert_eq!((d.result.wire_str(), d.evaluation.score), ("pass", 100.0));
    assert_eq!(results(&d)[0].status, Some(IndicatorStatus::Info));
    // The gate's fail-closed rule on top of it.
    assert_eq!(slo_eval::fail_on_missing_key_slis(&s, &mut d), vec!["gone"]);
    assert_eq!(
        (d.result.wire_str(), d.evaluation.result.wire_str()),
        ("fail", "fail")
    );
    assert_eq!(results(&d)[0].status, Some(IndicatorStatus::Fail));
    assert!(d.message.contains("'gone'"), "{}", d.message);
    // A failed retrieval (success: false) counts as no value; a value leaves it alone.
    let mut d = eval(
        &s,
        &[ok("m", 1.0), slo_eval::SliResult::failed("gone", "timeout")],
    );
    assert_eq!(slo_eval::fail_on_missing_key_slis(&s, &mut d), vec!["gone"]);
    assert!(d.message.contains("timeout"), "{}", d.message);
    let mut d = eval(&s, &[ok("m", 1.0), ok("gone", 3.0)]);
    assert!(slo_eval::fail_on_missing_key_slis(&s, &mut d).is_empty());
    assert_eq!(d.result, Some(EventResult::Pass));
}

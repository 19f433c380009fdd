//! Every message lighthouse writes, and the total-score rules (§9).

use slo_eval::{EvalOptions, evaluate};
use slo_eval::{EventResult, IndicatorStatus, WireStr as _};

use crate::common::{eval, ok, results, slo};

fn two(total: &str) -> slo_eval::Slo {
    slo(&format!(
        "objectives:\n  - sli: a\n    pass:\n      - criteria: [\"<=5\"]\n  - sli: b\n    pass:\n      - criteria: [\"<=5\"]\n{total}"
    ))
}

#[test]
fn pass_keeps_an_empty_message() {
    let d = eval(
        &two("total_score: {pass: \"90%\"}\n"),
        &[ok("a", 1.0), ok("b", 1.0)],
    );
    assert_eq!(
        (
            d.status.wire_str(),
            d.result.wire_str(),
            d.message.as_str(),
            d.evaluation.score
        ),
        ("succeeded", "pass", "", 100.0)
    );
}

#[test]
fn below_target_without_warning_threshold() {
    let d = eval(
        &two("total_score: {pass: \"90%\"}\n"),
        &[ok("a", 1.0), ok("b", 9.0)],
    );
    assert_eq!(
        d.message,
        "Evaluation failed since the calculated score of 50 is below the target value of 90"
    );
    assert_eq!(d.result, Some(EventResult::Fail));
}

#[test]
fn warning_and_fail_below_warning_print_like_go() {
    let d = eval(
        &two("total_score: {pass: \"90%\", warning: \"49.5\"}\n"),
        &[ok("a", 1.0), ok("b", 9.0)],
    );
    assert_eq!(d.result, Some(EventResult::Warning));
    assert_eq!(
        d.message,
        "Evaluation returned a warning: the calculated score of 50 is close to the warning target value of 49.5"
    );
    let d = eval(
        &two("total_score: {pass: \"90%\", warning: \"75%\"}\n"),
        &[ok("a", 1.0), ok("b", 9.0)],
    );
    assert_eq!(
        d.message,
        "Evaluation failed since the calculated score of 50 is below the warning value of 75"
    );
    let d = eval(
        &two("total_score: {pass: \"1e6\"}\n"),
        &[ok("a", 1.0), ok("b", 9.0)],
    );
    assert_eq!(
        d.message,
        "Evaluation failed since the calculated score of 50 is below the target value of 1e+06"
    );
}

#[test]
fn score_equal_to_threshold_passes() {
    let d = eval(
        &two("total_score: {pass: \"50\"}\n"),
        &[ok("a", 1.0), ok("b", 9.0)],
    );
    assert_eq!(d.result, Some(EventResult::Pass));
}

#[test]
fn threshold_errors() {
    let cases = [
        ("", "no target score defined"),
        ("total_score: ~\n", "no target score defined"),
        (
            "total_score: {warning: \"75%\"}\n",
            "no target score defined",
        ),
        (
            "total_score: {pass: \"90 %\"}\n",
            "could not parse pass target percentage",
        ),
        (
            "total_score: {pass: \"90%%\"}\n",
            "could not parse pass target percentage",
        ),
        (
            "total_score: {pass: \"ninety\"}\n",
            "could not parse pass target percentage",
        ),
        (
            "total_score: {pass: \"90%\", warning: \"x\"}\n",
            "could not parse warning target percentage",
        ),
    ];
    for (total, msg) in cases {
        // a passing run: the warning threshold is parsed up front all the same
        let d = eval(&two(total), &[ok("a", 1.0), ok("b", 1.0)]);
        assert_eq!(
            (
                d.status.wire_str(),
                d.result.wire_str(),
                d.evaluation.result.wire_str()
            ),
            ("errored", "fail", "fail"),
            "{total}"
        );
        assert_eq!(d.message, msg, "{total}");
        assert_eq!(
            (d.evaluation.score, d.evaluation.indicator_results.as_ref()),
            (0.0, None)
        );
    }
}

#[test]
fn only_informational_objectives_pass_with_100() {
    let s = slo(
        "objectives:\n  - sli: a\n    warning:\n      - criteria: [\"<=5\"]\ntotal_score: {pass: \"90%\"}\n",
    );
    let d = eval(&s, &[ok("a", 9.0), ok("extra", 1.0)]);
    assert_eq!((d.result.wire_str(), d.evaluation.score), ("pass", 100.0));
    let r = &results(&d)[0];
    assert_eq!(r.status, Some(IndicatorStatus::Info));
    assert_eq!(r.pass_targets, Some(vec![]));
    let w = r.warning_targets.as_ref().unwrap();
    assert_eq!(
        (w[0].target_value, w[0].violated),
        (5.0, true),
        "unevaluated targets"
    );
    assert_eq!(
        d.message,
        "Lighthouse received additional SLIs, which are not specified as SLO: extra . Please consider using them as an SLO."
    );
}

#[test]
fn informational_objective_without_value_has_null_value() {
    let s = slo(
        "objectives:\n  - sli: a\n  - sli: b\n    pass:\n      - criteria: [\"<=5\"]\ntotal_score: {pass: \"90%\"}\n",
    );
    let d = eval(&s, &[ok("b", 1.0)]);
    assert_eq!(results(&d)[0].value, None);
    let json = serde_json::to_value(&d).unwrap();
    assert!(json["evaluation"]["indicatorResults"][0]["value"].is_null());
}

#[test]
fn key_sli_failure_message_for_a_failed_criterion() {
    let s = slo(
        "objectives:\n  - sli: a\n    displayName: Critical\n    key_sli: true\n    pass:\n      - criteria: [\"=0\"]\n  - sli: b\n    pass:\n      - criteria: [\"<=5\"]\ntotal_score: {pass: \"10%\", warning: \"5%\"}\n",
    );
    let d = eval(&s, &[ok("a", 1.0), ok("b", 1.0)]);
    assert_eq!(d.result, Some(EventResult::Fail));
    assert_eq!(
        d.message,
        "Evaluation failed due to key_sli objective 'Critical': failed evaluation with score 0.000000"
    );
    // a key SLI in warning does not fail
    let s = slo(
        "objectives:\n  - sli: a\n    key_sli: true\n    pass:\n      - criteria: [\"=0\"]\n    warning:\n      - criteria: [\"<=1\"]\ntotal_score: {pass: \"90%\", warning: \"50%\"}\n",
    );
    let d = eval(&s, &[ok("a", 1.0)]);
    assert_eq!((d.result.wire_str(), d.evaluation.score), ("warning", 50.0));
}

#[test]
fn weights_and_half_scores() {
    let s = slo(
        "objectives:\n  - sli: a\n    weight: 3\n    pass:\n      - criteria: [\"<=5\"]\n    warning:\n      - criteria: [\"<=10\"]\n  - sli: b\n    pass:\n      - criteria: [\"<=5\"]\ntotal_score: {pass: \"90%\"}\n",
    );
    let d = eval(&s, &[ok("a", 7.0), ok("b", 1.0)]);
    assert_eq!(results(&d)[0].score, 1.5);
    assert_eq!(d.evaluation.score, 100.0 * (2.5 / 4.0));
}

#[test]
fn or_across_sets_and_targets_of_all_sets() {
    let s = slo(
        "objectives:\n  - sli: a\n    pass:\n      - criteria: [\"<=5\", \">=1\"]\n      - criteria: [\"=42\"]\ntotal_score: {pass: \"90%\"}\n",
    );
    let d = eval(&s, &[ok("a", 42.0)]);
    let r = &results(&d)[0];
    assert_eq!(r.status, Some(IndicatorStatus::Pass));
    let v: Vec<bool> = r
        .pass_targets
        .as_ref()
        .unwrap()
        .iter()
        .map(|t| t.violated)
        .collect();
    assert_eq!(v, [true, false, false]);
}

#[test]
fn scope_and_labels_are_copied() {
    let s = two("total_score: {pass: \"90%\"}\n");
    let opts = EvalOptions {
        project: Some("secgate".into()),
        stage: Some("dev".into()),
        service: Some("webapp".into()),
        labels: Some([("buildId".to_owned(), "412".to_owned())].into()),
        ..Default::default()
    };
    let d = evaluate(&s, &[ok("a", 1.0), ok("b", 1.0)], &[], &opts);
    let json = serde_json::to_string(&d).unwrap();
    assert!(json.starts_with(r#"{"project":"secgate","stage":"dev","service":"webapp","labels":{"buildId":"412"},"status":"succeeded","result":"pass","evaluation":"#), "{json}");
}

#[test]
fn unparseable_slo_answer() {
    let opts = EvalOptions {
        project: Some("p".into()),
        stage: Some("s".into()),
        service: Some("v".into()),
        ..Default::default()
    };
    let d = slo_eval::unparseable_slo_result(&opts);
    assert_eq!(
        (
            d.status.wire_str(),
            d.result.wire_str(),
            d.evaluation.result.wire_str()
        ),
        ("errored", "fail", "fail")
    );
    assert_eq!(
        d.message,
        "Could not parse SLO file for service v in stage s in project p"
    );
}

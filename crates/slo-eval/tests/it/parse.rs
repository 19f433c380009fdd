//! slo.yaml / sli.yaml parsing: defaults, Go yaml.v3 typing, positions, §15 corrections.

use slo_eval::WireStr as _;
use slo_eval::{ParseErrorKind, parse_sli, parse_slo, parse_slo_strict};

use crate::common::{eval, ok, results, slo};

#[test]
fn defaults_without_comparison_block() {
    let s = slo("objectives:\n  - sli: m\n");
    assert!(!s.comparison_given);
    assert_eq!(s.comparison.compare_with, "single_result");
    assert_eq!(s.comparison.include_result_with_score, "all");
    assert_eq!(s.comparison.number_of_comparison_results, 1);
    assert_eq!(s.comparison.aggregate_function, "avg");
    assert_eq!(s.objectives[0].weight, 1);
    assert!(!s.objectives[0].key_sli);
    assert_eq!(s.total_score, None);
    // a null block counts as absent
    assert_eq!(
        slo("comparison: ~\n")
            .comparison
            .number_of_comparison_results,
        1
    );
}

#[test]
fn defaults_with_comparison_block_leave_compare_with_empty() {
    let s = slo("comparison:\n  aggregate_function: p90\n");
    assert!(s.comparison_given);
    assert_eq!(s.comparison.compare_with, "");
    assert_eq!(s.comparison.include_result_with_score, "all");
    assert_eq!(s.comparison.number_of_comparison_results, 3);
    assert_eq!(s.comparison.aggregate_function, "p90");
    assert_eq!(slo_eval::comparison_limit(&s), Some(3));
    let s =
        slo("comparison:\n  compare_with: several_results\n  number_of_comparison_results: 5\n");
    assert_eq!(slo_eval::comparison_limit(&s), Some(5));
    let s =
        slo("comparison:\n  compare_with: several_results\n  number_of_comparison_results: -1\n");
    assert_eq!(slo_eval::comparison_limit(&s), None, "negative: no limit");
}

#[test]
fn weights_follow_go_integer_decoding() {
    let w =
        |v: &str| slo(&format!("objectives:\n  - sli: m\n    weight: {v}\n")).objectives[0].weight;
    assert_eq!(w("0"), 1);
    assert_eq!(w("~"), 1);
    assert_eq!(w("2"), 2);
    assert_eq!(w("-2"), -2);
    assert_eq!(w("1.5"), 1, "truncated, §15");
    assert_eq!(w("2.9"), 2);
    assert_eq!(w("0x3"), 3);
    assert_eq!(w("011"), 9, "YAML 1.1 octal");
    assert_eq!(w("0o11"), 9);
    assert_eq!(w("3_0"), 30);
    assert_eq!(w("0.5"), 1, "truncates to 0, then defaults to 1");
    for bad in [
        "'3'",
        "abc",
        "true",
        "[1]",
        "{a: 1}",
        ".nan",
        "1e30",
        "2024-01-01",
    ] {
        let err = parse_slo(&format!("objectives:\n  - sli: m\n    weight: {bad}\n")).unwrap_err();
        assert_eq!(err.kind, ParseErrorKind::Invalid, "{bad}");
        assert_eq!((err.line(), err.column()), (3, 13), "{bad}: {err}");
        assert!(
            err.to_string()
                .contains("objectives[0].weight: cannot unmarshal"),
            "{err}"
        );
    }
}

#[test]
fn key_sli_accepts_yaml_11_booleans_only_as_go_does() {
    let k = |v: &str| {
        parse_slo(&format!("objectives:\n  - sli: m\n    key_sli: {v}\n"))
            .map(|s| s.objectives[0].key_sli)
    };
    for t in ["true", "True", "TRUE", "yes", "Yes", "on", "ON", "y", "Y"] {
        assert_eq!(k(t), Ok(true), "{t}");
    }
    for f in ["false", "no", "off", "n", "~"] {
        assert_eq!(k(f), Ok(false), "{f}");
    }
    for bad in ["'true'", "1", "0", "maybe", "[true]"] {
        assert!(k(bad).is_err(), "{bad}");
    }
}

#[test]
fn strings_take_the_source_text_of_numbers() {
    let s = slo(
        "total_score:\n  pass: 90\n  warning: 75.0\nobjectives:\n  - sli: 123\n    displayName: ~\n",
    );
    let t = s.total_score.as_ref().unwrap();
    assert_eq!((t.pass.as_str(), t.warning.as_str()), ("90", "75.0"));
    assert_eq!(s.objectives[0].sli, "123");
    assert_eq!(s.objectives[0].display_name, "");
}

#[test]
fn criteria_null_entries_dropped_and_null_sets_rejected() {
    let s = slo("objectives:\n  - sli: m\n    pass:\n      - criteria: [\"<=5\", ~, null]\n");
    assert_eq!(s.objectives[0].pass[0].criteria, ["<=5"]);
    let err = parse_slo("objectives:\n  - sli: m\n    pass: [~]\n").unwrap_err();
    assert!(
        err.to_string()
            .contains("objectives[0].pass[0]: null criteria set"),
        "{err}"
    );
    assert_eq!(err.line(), 3);
}

#[test]
fn null_objectives_are_removed() {
    let s = slo("objectives:\n  - ~\n  - sli: a\n  -\n  - sli: b\n");
    assert_eq!(
        s.objectives
            .iter()
            .map(|o| o.sli.as_str())
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
}

#[test]
fn null_document_is_an_error_but_comments_only_is_an_empty_slo() {
    for src in ["---\n", "~\n", "null", "--- # nothing\n"] {
        let err = parse_slo(src).unwrap_err();
        assert_eq!(err.kind, ParseErrorKind::Invalid, "{src:?}");
        assert!(err.to_string().contains("null document"), "{src:?}: {err}");
    }
    let s = slo("  \n# only a comment\n");
    assert!(s.objectives.is_empty());
    let d = eval(&s, &[]);
    assert_eq!(
        (d.status.wire_str(), d.result.wire_str(), d.message.as_str()),
        ("errored", "fail", "no target score defined")
    );
}

#[test]
fn empty_file_is_its_own_kind() {
    let err = parse_slo("").unwrap_err();
    assert_eq!(err.kind, ParseErrorKind::Empty);
    assert!(err.is_empty_file());
}

#[test]
fn syntax_errors_have_a_position() {
    let err = parse_slo("objectives:\n  - sli: m\n    pass: [\n").unwrap_err();
    assert_eq!(err.kind, ParseErrorKind::Syntax);
    assert!(err.line() >= 3, "{err}");
    let err = parse_slo("a: 'unterminated\n").unwrap_err();
    assert_eq!(err.kind, ParseErrorKind::Syntax);
}

#[test]
fn every_type_problem_is_reported_at_once() {
    let src = "objectives:\n  - sli: [a]\n    weight: x\n    key_sli: 2\n  - sli: b\n    pass: {criteria: [\"<1\"]}\ntotal_score: \"90%\"\nfilter: [1]\n";
    let err = parse_slo(src).unwrap_err();
    let lines: Vec<usize> = err.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, [2, 3, 4, 6, 7, 8], "{err}");
    assert!(
        err.problems[0]
            .message
            .contains("objectives[0].sli: cannot unmarshal !!seq into string"),
        "{err}"
    );
    assert!(
        err.problems[1]
            .message
            .contains("cannot unmarshal !!str `x` into int"),
        "{err}"
    );
    assert!(
        err.problems[3]
            .message
            .contains("objectives[1].pass: cannot unmarshal !!map"),
        "{err}"
    );
    assert!(
        err.problems[4]
            .message
            .contains("total_score: cannot unmarshal !!str `90%`"),
        "{err}"
    );
}

#[test]
fn duplicate_keys_are_errors() {
    let err = parse_slo("spec_version: a\nspec_version: b\n").unwrap_err();
    assert!(
        err.to_string()
            .contains("key `spec_version` already set at line 1"),
        "{err}"
    );
    assert_eq!((err.line(), err.column()), (2, 1));
    let err = parse_slo("filter:\n  a: 1\n  a: 2\n").unwrap_err();
    assert!(
        err.to_string().contains("mapping key `a` already defined"),
        "{err}"
    );
}

#[test]
fn unknown_keys_are_ignored_with_a_warning_and_rejected_when_strict() {
    let src = "objectives:\n  - sli: m\n    display_name: X\n    pass:\n      - criteria: [\"<=5\"]\nextra: 1\n";
    let s = slo(src);
    assert_eq!(s.objectives[0].display_name, "", "camelCase key only");
    assert_eq!(s.warnings.len(), 2);
    assert!(
        s.warnings[0].message.contains("did you mean `displayName`"),
        "{:?}",
        s.warnings
    );
    assert_eq!((s.warnings[0].line, s.warnings[0].column), (3, 5));
    let err = parse_slo_strict(src).unwrap_err();
    assert_eq!(err.problems.len(), 2);
}

#[test]
fn unusable_criteria_and_negative_weights_are_gate_errors_with_positions() {
    let src = "objectives:\n  - sli: m\n    pass:\n      - criteria:\n          - \"=<10\"\n    warning:\n      - criteria: [\"5\"]\n";
    let s = slo(src);
    assert_eq!(s.gate_errors.len(), 2, "{:?}", s.gate_errors);
    assert_eq!((s.gate_errors[0].line, s.gate_errors[0].column), (5, 13));
    assert!(
        s.gate_errors[0].message.contains(
            "could not parse criteria target value; lighthouse fails the whole evaluation"
        )
    );
    assert!(
        s.gate_errors[1]
            .message
            .contains("invalid criteria string; lighthouse silently ignores")
    );
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    assert!(parse_slo_strict(src).is_err());
    let s = slo("objectives:\n  - sli: m\n    weight: -2\n");
    assert_eq!(s.gate_errors.len(), 1, "{:?}", s.gate_errors);
    assert_eq!((s.gate_errors[0].line, s.gate_errors[0].column), (3, 13));
    assert!(s.gate_errors[0].message.contains("negative weight -2"));
}

#[test]
fn underscored_numbers_in_criteria_parse() {
    let s = slo(
        "objectives:\n  - sli: m\n    pass:\n      - criteria: [\"<=1_000\"]\ntotal_score: {pass: \"90%\"}\n",
    );
    assert!(s.warnings.is_empty() && s.gate_errors.is_empty());
    let d = eval(&s, &[ok("m", 999.0)]);
    assert_eq!(
        results(&d)[0].pass_targets.as_ref().unwrap()[0].target_value,
        1000.0
    );
}

#[test]
fn anchors_and_aliases_work() {
    let s = slo(
        "x: &crit\n  - criteria: [\"<=5\"]\nobjectives:\n  - sli: a\n    pass: *crit\n  - sli: b\n    pass: *crit\n",
    );
    assert_eq!(s.objectives[1].pass[0].criteria, ["<=5"]);
}

#[test]
fn filter_and_spec_version() {
    let s = slo("spec_version: '1.0'\nfilter:\n  handler: ItemsController\n  id: 5\n  empty: ~\n");
    assert_eq!(s.spec_version, "1.0");
    assert_eq!(s.filter.get("id").map(String::as_str), Some("5"));
    assert_eq!(s.filter.get("empty").map(String::as_str), Some(""));
}

#[test]
fn raw_text_is_kept_for_slo_file_content() {
    let src = "objectives: []\n";
    assert_eq!(slo(src).raw, src);
}

#[test]
fn sli_file_keeps_order_and_merges() {
    let mut base = parse_sli("spec_version: '1.0'\nindicators:\n  b: q1\n  a: \"metricSelector=trivy.vulnerabilities.CRITICAL\"\n").unwrap();
    assert_eq!(base.indicators[0].0, "b");
    assert_eq!(
        base.get("a"),
        Some("metricSelector=trivy.vulnerabilities.CRITICAL")
    );
    let svc = parse_sli("indicators:\n  a: override\n  c: new\n").unwrap();
    base.merge_from(&svc);
    assert_eq!(
        base.indicators,
        [
            ("b".into(), "q1".into()),
            ("a".into(), "override".into()),
            ("c".into(), "new".into())
        ]
    );
    assert_eq!(parse_sli("").unwrap().indicators.len(), 0);
    let err = parse_sli("indicators:\n  a: x\n  a: y\n").unwrap_err();
    assert_eq!(err.line(), 3);
    assert!(parse_sli("indicators: [a]\n").is_err());
}

#[test]
fn merge_keys_work_and_explicit_keys_win() {
    let s = slo(
        "defaults: &d\n  weight: 2\n  key_sli: true\n  pass:\n    - criteria: [\"=0\"]\nobjectives:\n  - <<: *d\n    sli: a\n  - <<: *d\n    sli: b\n    weight: 5\n  - <<: [{weight: 3}, {weight: 4, displayName: D}]\n    sli: c\n",
    );
    let o = &s.objectives;
    assert_eq!(
        (
            o[0].sli.as_str(),
            o[0].weight,
            o[0].key_sli,
            o[0].pass.len()
        ),
        ("a", 2, true, 1)
    );
    assert_eq!(o[1].weight, 5);
    assert_eq!((o[2].weight, o[2].display_name.as_str()), (3, "D"));
    // only `defaults` is unknown: merged keys are not reported
    assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
    assert!(parse_slo("objectives:\n  - <<: 5\n    sli: a\n").is_err());
}

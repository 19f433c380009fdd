//! Renderer details beyond the worked-example goldens.

use slo_eval::Status;
use slo_eval::render::{render_junit, render_markdown, render_text};
use slo_eval::{EvalOptions, evaluate};

use crate::common::{eval, ok, slo};

#[test]
fn junit_escapes_and_marks_warnings_and_errors() {
    let s = slo(
        "objectives:\n  - sli: m\n    displayName: \"a<b & \\\"c\\\" 'd'\\u0001\"\n    pass:\n      - criteria: [\"<=5\"]\n    warning:\n      - criteria: [\"<=10\"]\n  - sli: info\ntotal_score: {pass: \"90%\", warning: \"40%\"}\n",
    );
    let d = eval(&s, &[ok("m", 7.0), ok("info", 1.0)]);
    let x = render_junit(&d);
    insta::assert_snapshot!("junit_warning_and_escaping", x);
    assert!(x.contains("name=\"a&lt;b &amp; &quot;c&quot; &apos;d&apos;\u{FFFD}\""));
    assert!(
        !x.contains("<failure message=\"value 7"),
        "a warning is not a failure"
    );

    let opts = EvalOptions {
        sli_status: Some(Status::Errored),
        sli_message: "401 <unauthorized>".into(),
        ..Default::default()
    };
    let d = evaluate(&s, &[], &[], &opts);
    let x = render_junit(&d);
    assert!(x.contains("errors=\"1\""));
    assert!(x.contains("<error message=\"evaluation performed by lighthouse received an unexpected error: 401 &lt;unauthorized&gt;\""));
}

#[test]
fn markdown_names_failed_objectives_and_escapes_pipes() {
    let s = slo(
        "objectives:\n  - sli: m\n    displayName: \"a|b\"\n    pass:\n      - criteria: [\"<=5\"]\n  - sli: n\n    key_sli: true\n    pass:\n      - criteria: [\"=0\"]\ntotal_score: {pass: \"90%\"}\n",
    );
    let d = eval(&s, &[ok("m", 7.0)]);
    let md = render_markdown(&d);
    insta::assert_snapshot!("markdown_failures", md);
    assert!(md.contains("a\\|b"));
    assert!(md.contains("Failed objectives: a\\|b, n"));
    assert!(md.contains("no value: no value received from SLI provider"));
}

#[test]
fn text_of_an_errored_evaluation_has_no_table() {
    let s = slo("objectives:\n  - sli: m\n");
    let d = eval(&s, &[ok("m", 1.0)]);
    let t = render_text(&d);
    assert_eq!(
        t,
        "Result:  fail (ERROR)\nScore:   0\nStatus:  errored\nMessage: no target score defined\n"
    );
}

#[test]
fn text_says_why_an_objective_has_no_value_in_the_markdown_words() {
    let s = slo(
        "objectives:\n  - sli: m\n    pass:\n      - criteria: [\"<=5\"]\n  - sli: n\n    pass:\n      - criteria: [\"<=5\"]\ntotal_score: {pass: \"90%\"}\n",
    );
    let d = eval(
        &s,
        &[
            slo_eval::SliResult::failed("m", "the query returned nothing"),
            ok("n", 1.0),
        ],
    );
    let text = render_text(&d);
    assert!(
        text.contains("\n\nm: no value: the query returned nothing\n\nResult:"),
        "{text}"
    );
    // One wording: the markdown "Why" cell says the same.
    assert!(
        render_markdown(&d).contains("| no value: the query returned nothing |"),
        "{}",
        render_markdown(&d)
    );
    // An objective with a value gets no such line.
    assert!(!text.contains("n: no value"), "{text}");

    // A failed SLI without a message still says that it failed.
    let d = eval(&s, &[slo_eval::SliResult::failed("m", ""), ok("n", 1.0)]);
    assert!(render_text(&d).contains("m: no value: SLI failed\n"));
}

#[test]
fn a_percentage_against_a_baseline_of_0_says_so() {
    let s = slo(
        "comparison:\n  compare_with: single_result\n  include_result_with_score: all\nobjectives:\n  - sli: m\n    pass:\n      - criteria: [\"<=+10%\"]\n    warning:\n      - criteria: [\"<=5\"]\ntotal_score: {pass: \"90%\", warning: \"50%\"}\n",
    );
    let note = "m: `<=+10%` compared with a baseline of 0 (no earlier value, or an earlier value of 0): a percentage of 0 is 0, so the target is 0";
    // No earlier value: lighthouse passes the relative criterion with target 0.
    let d = eval(&s, &[ok("m", 3.0)]);
    let text = render_text(&d);
    assert!(text.contains("<=+10% (0) ok (baseline 0)"), "{text}");
    assert!(text.contains(note), "{text}");
    assert!(render_markdown(&d).contains("`<=+10%` (0) ok (baseline 0)"));
    assert!(render_markdown(&d).contains(&format!("- {note}")));
    assert!(render_junit(&d).contains("pass targets: &lt;=+10% (0) ok (baseline 0)"));

    // An earlier value of 0: the target collapses to 0 and 3 violates it. The verdict is
    // lighthouse's, unchanged; only the explanation is new.
    let prev = crate::common::previous("pass", &[("m", 0.0)]);
    let d = evaluate(&s, &[ok("m", 3.0)], &[prev], &EvalOptions::default());
    let r = &d.evaluation.indicator_results.as_ref().unwrap()[0];
    assert_eq!(r.status, Some(slo_eval::IndicatorStatus::Warning));
    let text = render_text(&d);
    assert!(text.contains("<=+10% (0) violated (baseline 0)"), "{text}");
    assert!(text.contains(note), "{text}");
    // The warning criterion is absolute: no marker on it.
    assert!(text.contains("<=5 (5) ok  "), "{text}");

    // An earlier value of 5: a real target, no marker and no note.
    let prev = crate::common::previous("pass", &[("m", 5.0)]);
    let d = evaluate(&s, &[ok("m", 3.0)], &[prev], &EvalOptions::default());
    let text = render_text(&d);
    assert!(text.contains("<=+10% (5.5) ok  "), "{text}");
    assert!(!text.contains("baseline 0"), "{text}");
    assert!(!render_markdown(&d).contains("baseline 0"));
}

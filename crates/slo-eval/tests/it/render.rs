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

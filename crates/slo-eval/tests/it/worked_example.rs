//! keptn-slo-evaluation.md §13, end to end at library level, against the saved fixture.

use keptn_events::get_sli::GetSliFinishedData;
use slo_eval::{EventResult, Status, WireStr as _};
use slo_eval::{evaluate_get_sli, parse_history, render};

use crate::common::{read, results, slo};

fn run() -> slo_eval::EvaluationFinishedData {
    let slo = slo(&read("worked-example/slo.yaml"));
    let finished: GetSliFinishedData =
        serde_json::from_str(&read("worked-example/sli-values.json")).unwrap();
    let history = parse_history(&read("worked-example/history.json")).unwrap();
    evaluate_get_sli(&slo, &finished, &history)
}

#[test]
fn worked_example_matches_the_spec() {
    let d = run();
    assert_eq!(d.status, Some(Status::Succeeded));
    assert_eq!(d.result, Some(EventResult::Fail));
    assert_eq!(d.evaluation.result, Some(EventResult::Fail));
    assert_eq!(d.evaluation.score, 50.0);
    assert_eq!(
        d.message,
        "Evaluation failed since the calculated score of 50 is below the warning value of 75"
    );
    assert_eq!(
        d.evaluation.compared_events,
        ["1f2e3d4c-5b6a-4978-8a6b-5c4d3e2f1a0b"]
    );
    let r = results(&d);
    assert_eq!(r.len(), 3);
    // critical: 0 = 0, pass, score 1, key SLI, no history for it => comparedValue 0
    assert_eq!(
        (r[0].status.wire_str(), r[0].score, r[0].key_sli),
        ("pass", 1.0, true)
    );
    assert_eq!(r[0].display_name, "Critical CVEs");
    assert_eq!(r[0].value.as_ref().unwrap().compared_value, 0.0);
    assert_eq!(r[0].warning_targets, None);
    // high: 7 <= 5 no, 7 <= 10 yes => warning, 0.5
    assert_eq!((r[1].status.wire_str(), r[1].score), ("warning", 0.5));
    let pt = r[1].pass_targets.as_ref().unwrap();
    assert_eq!(
        (pt[0].criteria.as_str(), pt[0].target_value, pt[0].violated),
        ("<=5", 5.0, true)
    );
    let wt = r[1].warning_targets.as_ref().unwrap();
    assert_eq!(
        (wt[0].criteria.as_str(), wt[0].target_value, wt[0].violated),
        ("<=10", 10.0, false)
    );
    // medium: B = 12 (the failing 1000 is filtered out), target 13.2, 14 <= 13.2 no => fail
    assert_eq!((r[2].status.wire_str(), r[2].score), ("fail", 0.0));
    assert_eq!(r[2].value.as_ref().unwrap().compared_value, 12.0);
    let pt = r[2].pass_targets.as_ref().unwrap();
    assert_eq!((pt[0].target_value, pt[0].violated), (13.2, true));
}

#[test]
fn worked_example_equals_the_saved_expected_json() {
    let d = run();
    let got: serde_json::Value = serde_json::to_value(&d).unwrap();
    let want: serde_json::Value =
        serde_json::from_str(&read("worked-example/expected-evaluation.json")).unwrap();
    assert_eq!(got, want);
    // And byte-for-byte in Go's number style (integral floats without fraction).
    let text = serde_json::to_string_pretty(&d).unwrap();
    assert_eq!(
        format!("{text}\n"),
        read("worked-example/expected-evaluation.json")
    );
}

#[test]
fn worked_example_renders() {
    let d = run();
    insta::assert_snapshot!("worked_example_text", render::render_text(&d));
    insta::assert_snapshot!("worked_example_markdown", render::render_markdown(&d));
    insta::assert_snapshot!("worked_example_junit", render::render_junit(&d));
    insta::assert_json_snapshot!("worked_example_json", d);
}

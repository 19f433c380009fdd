//! The typed `status` / `result` of the evaluation and get-sli payloads keep Keptn's wire
//! format: Go's `""` reads as `None` and is written back as Go writes it, unknown values are
//! kept, and the spec's example events re-serialise byte for byte.

use std::path::PathBuf;

use keptn_events::evaluation::{
    EvaluationDetails, EvaluationFinishedData, EvaluationTriggeredData, IndicatorResult,
    IndicatorStatus,
};
use keptn_events::get_sli::{GetSliFinishedData, GetSliTriggeredData};
use keptn_events::{CloudEvent, EventResult, Status, WireStr as _};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn fixture(prefix: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let path = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .unwrap_or_else(|| panic!("no fixture {prefix}"));
    std::fs::read_to_string(path).unwrap()
}

/// The event's `data` as compact JSON in its original member order, and as `T` written back.
fn data_both_ways<T: DeserializeOwned + Serialize>(prefix: &str) -> (String, String, T) {
    let text = fixture(prefix);
    let raw: CloudEvent<Value> = serde_json::from_str(&text).unwrap();
    let typed: CloudEvent<T> = serde_json::from_str(&text).unwrap();
    let original = serde_json::to_string(&raw.data).unwrap();
    let back = serde_json::to_string(&typed.data).unwrap();
    (original, back, typed.data)
}

fn round_trip<T: DeserializeOwned + Serialize>(json: &str) -> (T, String) {
    let typed: T = serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
    let back = serde_json::to_string(&typed).unwrap();
    (typed, back)
}

#[test]
fn get_sli_examples_re_serialise_byte_for_byte() {
    let (original, back, d) = data_both_ways::<GetSliFinishedData>("05_");
    assert_eq!(back, original);
    assert_eq!(d.status, Some(Status::Succeeded));
    assert_eq!(d.result, Some(EventResult::Pass));
    let (original, back, _) = data_both_ways::<GetSliTriggeredData>("04_");
    assert_eq!(back, original);
}

#[test]
fn the_evaluation_example_keeps_every_member_and_value() {
    // The spec's example lists an indicator's members in another order than Go's struct, so
    // compare as JSON values here; the order Go writes is checked byte for byte below.
    let (original, back, d) = data_both_ways::<EvaluationFinishedData>("06_");
    let original: Value = serde_json::from_str(&original).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&back).unwrap(), original);
    assert_eq!(d.evaluation.result, Some(EventResult::Pass));
    let statuses: Vec<_> = d
        .evaluation
        .indicator_results
        .iter()
        .flatten()
        .map(|r| r.status.clone())
        .collect();
    assert_eq!(statuses, vec![Some(IndicatorStatus::Pass); 3]);
    // Written once in Go's order, the bytes are then stable.
    let (_, again) = round_trip::<EvaluationFinishedData>(&back);
    assert_eq!(again, back);
}

#[test]
fn lighthouse_shaped_evaluation_re_serialises_byte_for_byte() {
    // Go's member order, an informational objective, a failed one and an errored SLI.
    let json = r#"{"project":"p","stage":"s","service":"v","status":"succeeded","result":"fail","message":"Evaluation failed due to key_sli objective 'c': no data","evaluation":{"timeStart":"a","timeEnd":"b","result":"fail","score":33.33333333333333,"sloFileContent":"","indicatorResults":[{"score":0,"value":{"metric":"c","value":0,"comparedValue":0,"success":false,"message":"no data"},"displayName":"c","passTargets":[{"criteria":"=0","targetValue":0,"violated":true}],"warningTargets":[],"keySli":false,"status":"fail"},{"score":0,"value":null,"displayName":"","passTargets":[],"warningTargets":[],"keySli":false,"status":"info"},{"score":1,"value":{"metric":"h","value":2,"comparedValue":2,"success":true},"displayName":"","passTargets":[{"criteria":"<=+10%","targetValue":2.2,"violated":false}],"warningTargets":null,"keySli":true,"status":"pass"}]}}"#;
    let (d, back) = round_trip::<EvaluationFinishedData>(json);
    assert_eq!(back, json);
    let r = d.evaluation.indicator_results.unwrap();
    assert_eq!(r[1].status, Some(IndicatorStatus::Info));
    assert_eq!(d.result, Some(EventResult::Fail));
}

#[test]
fn an_empty_string_reads_as_none_and_is_written_as_go_writes_it() {
    // `omitempty` members: `""` is absent, and stays absent.
    let (d, back) = round_trip::<EvaluationFinishedData>(
        r#"{"project":"p","status":"","result":"","evaluation":{"result":"","indicatorResults":[{"status":""}]}}"#,
    );
    assert_eq!((d.status.clone(), d.result.clone()), (None, None));
    assert!(d.succeeded(), "Go's zero status is not an error");
    assert_eq!(d.evaluation.result, None);
    assert_eq!(
        d.evaluation.indicator_results.as_ref().unwrap()[0].status,
        None
    );
    // Members Go always writes: `""` again.
    assert_eq!(
        back,
        r#"{"project":"p","evaluation":{"timeStart":"","timeEnd":"","result":"","score":0,"sloFileContent":"","indicatorResults":[{"score":0,"value":null,"displayName":"","passTargets":null,"warningTargets":null,"keySli":false,"status":""}]}}"#
    );

    let (d, back) = round_trip::<GetSliFinishedData>(r#"{"status":"","result":"","get-sli":{}}"#);
    assert_eq!((d.status, d.result), (None, None));
    assert_eq!(back, r#"{"get-sli":{"start":"","end":""}}"#);

    let (d, back) = round_trip::<EvaluationTriggeredData>(r#"{"status":"","result":""}"#);
    assert_eq!((d.status, d.result), (None, None));
    assert_eq!(back, "{}");

    // Absent members read as None too.
    let d: IndicatorResult = serde_json::from_str("{}").unwrap();
    assert_eq!(d.status, None);
    assert_eq!(d.status.wire_str(), "");
}

#[test]
fn unknown_values_are_kept() {
    let json = r#"{"status":"weird","result":"failed","evaluation":{"timeStart":"","timeEnd":"","result":"passed","score":0,"sloFileContent":"","indicatorResults":[{"score":0,"value":null,"displayName":"","passTargets":null,"warningTargets":null,"keySli":false,"status":"skipped"}]}}"#;
    let (d, back) = round_trip::<EvaluationFinishedData>(json);
    assert_eq!(back, json);
    assert_eq!(d.status, Some(Status::Other("weird".into())));
    assert!(!d.succeeded());
    assert_eq!(d.result, Some(EventResult::Other("failed".into())));
    assert_eq!(
        d.evaluation.result,
        Some(EventResult::Other("passed".into()))
    );
    assert_eq!(
        d.evaluation.indicator_results.unwrap()[0].status,
        Some(IndicatorStatus::Other("skipped".into()))
    );

    let json = r#"{"status":"unknown","result":"warning","get-sli":{"start":"","end":""}}"#;
    let (d, back) = round_trip::<GetSliFinishedData>(json);
    assert_eq!(back, json);
    assert_eq!(d.status, Some(Status::Unknown));
    assert_eq!(d.result, Some(EventResult::Warning));
}

#[test]
fn a_null_status_is_refused_as_before() {
    // The string fields these replace refused `null`; the typed ones do too.
    let e = serde_json::from_str::<EvaluationFinishedData>(r#"{"status":null}"#).unwrap_err();
    assert!(e.to_string().contains("expected a string"), "{e}");
    assert!(serde_json::from_str::<EvaluationDetails>(r#"{"result":null}"#).is_err());
}

#[test]
fn a_value_set_in_code_to_the_empty_string_is_still_omitted() {
    // `Some(Other(""))` cannot come from the wire, but written it must look like Go's zero value.
    let d = EvaluationFinishedData {
        status: Some(Status::Other(String::new())),
        result: Some(EventResult::Other(String::new())),
        ..Default::default()
    };
    let json = serde_json::to_string(&d).unwrap();
    assert!(json.starts_with(r#"{"evaluation":"#), "{json}");
    assert!(d.succeeded());
}

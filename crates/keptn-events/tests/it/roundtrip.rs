//! Every example event of the spec (§10) and the seed's payload round-trip without loss.

use std::path::PathBuf;

use keptn_events::{CloudEvent, CommonData, EventResult, EventType, Phase, Status};
use serde_json::Value;

fn fixtures() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    assert_eq!(out.len(), 8, "7 spec examples + the seed payload");
    out
}

#[test]
fn untyped_round_trip_is_lossless() {
    for (name, text) in fixtures() {
        let original: Value = serde_json::from_str(&text).unwrap();
        let event: CloudEvent =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let back = serde_json::to_value(&event).unwrap();
        assert_eq!(back, original, "{name}");
        // Member order inside data is kept too (serde_json preserve_order).
        assert_eq!(
            serde_json::to_string(&back["data"]).unwrap(),
            serde_json::to_string(&original["data"]).unwrap(),
            "{name}"
        );
        // And a second round trip is stable.
        let again: CloudEvent = serde_json::from_value(back.clone()).unwrap();
        assert_eq!(again, event, "{name}");
    }
}

#[test]
fn typed_common_data_round_trip_is_lossless() {
    for (name, text) in fixtures() {
        let original: Value = serde_json::from_str(&text).unwrap();
        let event: CloudEvent<CommonData> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(serde_json::to_value(&event).unwrap(), original, "{name}");
        // Every example's type parses with the grammar.
        let ty = event.event_type().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(ty.to_string(), event.ty, "{name}");
    }
}

#[test]
fn fields_are_read_where_the_spec_puts_them() {
    let all = fixtures();
    let get = |n: &str| -> CloudEvent<CommonData> {
        let (_, text) = all.iter().find(|(f, _)| f.starts_with(n)).unwrap();
        serde_json::from_str(text).unwrap()
    };
    let trig = get("01_");
    assert_eq!(
        trig.event_type().unwrap(),
        EventType::sequence("dev", "demosequence", Phase::Triggered).unwrap()
    );
    assert_eq!(
        trig.time.as_ref().unwrap().as_str(),
        "2024-03-05T10:15:00.000Z"
    );
    assert_eq!(trig.data.labels.as_ref().unwrap()["buildId"], "412");
    assert_eq!(trig.data.extra["scan"]["high"], 3);
    assert!(trig.shkeptncontext.is_none());

    let fin = get("03_");
    assert_eq!(
        fin.triggeredid.as_deref(),
        Some("c2f6a9d4-1e3b-4b7a-8f2c-6d5e4c3b2a19")
    );
    assert_eq!(fin.data.status, Some(Status::Succeeded));
    assert_eq!(fin.data.result, Some(EventResult::Pass));
    assert_eq!(
        fin.shkeptncontext.as_ref().unwrap().as_str(),
        "7d1c3f5e-2b8e-4a4f-9d3e-5c6b7a8d9e01"
    );
    assert!(fin.shkeptncontext.as_ref().unwrap().is_uuid());

    let eval = get("06_");
    assert_eq!(
        eval.data.extra["evaluation"]["indicatorResults"][2]["passTargets"][0]["targetValue"],
        13.2
    );
    assert_eq!(
        eval.gitcommitid.as_deref(),
        Some("4be1d3c0a6f2e9b87d5c4a3b2e1f0d9c8b7a6f5e")
    );

    let inv = get("07_");
    assert!(inv.id.is_none() && inv.time.is_none());
    assert_eq!(inv.event_type().unwrap().phase(), Phase::Invalidated);
}

#[test]
fn a_rebuilt_spec_event_equals_the_example_apart_from_id_and_time() {
    let (_, text) = fixtures()
        .into_iter()
        .find(|(f, _)| f.starts_with("01_"))
        .unwrap();
    let original: CloudEvent = serde_json::from_str(&text).unwrap();
    let rebuilt = CloudEvent::builder()
        .event_type(original.event_type().unwrap())
        .source(original.source.clone())
        .id(original.id.clone().unwrap())
        .time(original.time.clone().unwrap())
        .data(original.data.clone())
        .build()
        .unwrap();
    assert_eq!(rebuilt, original);
}

#[test]
fn typed_task_payloads_round_trip_inside_the_envelope() {
    use keptn_events::evaluation::EvaluationFinishedData;
    let all = fixtures();
    let text = |n: &str| {
        all.iter()
            .find(|(f, _)| f.starts_with(n))
            .unwrap()
            .1
            .clone()
    };
    let original: Value = serde_json::from_str(&text("06_")).unwrap();
    let ev: CloudEvent<EvaluationFinishedData> = serde_json::from_str(&text("06_")).unwrap();
    assert_eq!(ev.data.result, Some(EventResult::Pass));
    assert_eq!(
        ev.data.evaluation.indicator_results.as_ref().unwrap().len(),
        3
    );
    assert_eq!(serde_json::to_value(&ev).unwrap(), original);
}

#[test]
fn typed_get_sli_payloads_round_trip_inside_the_envelope() {
    use keptn_events::get_sli::{GetSliFinishedData, GetSliTriggeredData};
    let all = fixtures();
    let text = |n: &str| {
        all.iter()
            .find(|(f, _)| f.starts_with(n))
            .unwrap()
            .1
            .clone()
    };
    let original: Value = serde_json::from_str(&text("04_")).unwrap();
    let ev: CloudEvent<GetSliTriggeredData> = serde_json::from_str(&text("04_")).unwrap();
    assert_eq!(serde_json::to_value(&ev).unwrap(), original);
    let original: Value = serde_json::from_str(&text("05_")).unwrap();
    let ev: CloudEvent<GetSliFinishedData> = serde_json::from_str(&text("05_")).unwrap();
    assert_eq!(serde_json::to_value(&ev).unwrap(), original);
}

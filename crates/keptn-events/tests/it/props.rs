//! Properties: a built event always serialises to a valid envelope; the event-type grammar's
//! parse and format are inverses.

use keptn_events::{CloudEvent, CommonData, EventType, Phase};
use proptest::prelude::*;
use serde_json::{Value, json};

fn entity() -> impl Strategy<Value = String> {
    "[a-z]([a-z0-9-]{0,15}[a-z0-9])?"
}

fn part() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_-]{1,12}"
}

fn event_type() -> impl Strategy<Value = EventType> {
    let seq = (
        entity(),
        part(),
        prop_oneof![Just(Phase::Triggered), Just(Phase::Finished)],
    )
        .prop_map(|(s, q, p)| EventType::sequence(&s, &q, p).unwrap());
    let task = (
        prop_oneof![part(), Just("evaluation".to_owned())],
        proptest::sample::select(Phase::ALL.to_vec()),
    )
        .prop_filter_map("invalidated is for evaluation only", |(t, p)| {
            EventType::task(&t, p).ok()
        });
    prop_oneof![seq, task]
}

/// What any receiver (and the fake Keptn API) checks on an envelope.
fn assert_valid_envelope(v: &Value, ty: &EventType) {
    let o = v.as_object().expect("an object");
    assert_eq!(o["specversion"], "1.0");
    let id = uuid::Uuid::parse_str(o["id"].as_str().unwrap()).unwrap();
    assert_eq!(id.get_version_num(), 4);
    assert!(!o["source"].as_str().unwrap().is_empty());
    let parsed: EventType = o["type"].as_str().unwrap().parse().unwrap();
    assert_eq!(&parsed, ty);
    let t: jiff::Timestamp = o["time"].as_str().unwrap().parse().unwrap();
    assert!(o["time"].as_str().unwrap().ends_with('Z'), "UTC");
    assert!(t <= jiff::Timestamp::now());
    assert_eq!(o["contenttype"], "application/json");
    let data = o["data"].as_object().expect("data is an object");
    for f in ["project", "stage", "service"] {
        assert!(data[f].as_str().is_some_and(|s| !s.is_empty()), "{f}");
    }
    if let Some(stage) = ty.stage_name() {
        assert_eq!(data["stage"], stage);
    }
    match ty.phase() {
        Phase::Triggered => assert!(!o.contains_key("triggeredid")),
        _ if ty.is_sequence() => {}
        _ => assert!(o["triggeredid"].as_str().is_some()),
    }
    // Extension names: lower-case letters and digits (CloudEvents 1.0).
    for k in o.keys() {
        assert!(
            k.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
            "{k}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parse_format_identity(ty in event_type()) {
        let s = ty.to_string();
        let back: EventType = s.parse().unwrap();
        prop_assert_eq!(&back, &ty);
        prop_assert_eq!(back.to_string(), s);
    }

    #[test]
    fn format_parse_identity_on_any_string(s in "sh\\.keptn\\.event\\.[a-z.-]{0,30}") {
        if let Ok(ty) = s.parse::<EventType>() {
            prop_assert_eq!(ty.to_string(), s);
        }
    }

    #[test]
    fn built_events_are_valid_envelopes(
        ty in event_type(),
        project in entity(),
        stage in entity(),
        service in entity(),
        labels in proptest::collection::btree_map("[a-zA-Z]{1,8}", ".{0,12}", 0..4),
        extra in proptest::collection::btree_map("[a-z]{1,8}", any::<i64>(), 0..4),
        context in proptest::option::of(Just(())),
    ) {
        let stage = ty.stage_name().map_or(stage, str::to_owned);
        let mut data = CommonData::new(project, stage, service);
        for (k, v) in labels { data = data.label(k, v); }
        for (k, v) in extra {
            if !matches!(k.as_str(), "project" | "stage" | "service" | "labels" | "status" | "result" | "message") {
                data = data.with(k, json!(v));
            }
        }
        if ty.phase() == Phase::Finished && !ty.is_sequence() {
            data.status = Some(keptn_events::Status::Succeeded);
            data.result = Some(keptn_events::EventResult::Warning);
        }
        let mut b = CloudEvent::builder().event_type(ty.clone()).source("keptn-send");
        if ty.phase() != Phase::Triggered {
            b = b.triggeredid(uuid::Uuid::new_v4().to_string());
        }
        if context.is_some() {
            b = b.shkeptncontext(uuid::Uuid::new_v4().to_string());
        }
        let ev = b.data(data).build().unwrap();
        let v = serde_json::to_value(&ev).unwrap();
        assert_valid_envelope(&v, &ty);
        let back: CloudEvent<CommonData> = serde_json::from_value(v).unwrap();
        prop_assert_eq!(back, ev);
    }
}

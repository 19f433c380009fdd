//! Keptn CloudEvent and payload deserialization on any bytes: whatever deserializes
//! serializes again and round-trips.
#![no_main]

use keptn_events::CloudEvent;
use keptn_events::evaluation::EvaluationFinishedData;
use keptn_events::get_sli::GetSliFinishedData;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    if let Ok(ev) = serde_json::from_slice::<CloudEvent<Value>>(data) {
        let _ = ev.event_type();
        let text = serde_json::to_string(&ev).expect("an event we read serializes");
        let again: CloudEvent<Value> = serde_json::from_str(&text).expect("round trip");
        assert_eq!(serde_json::to_string(&again).unwrap(), text);
        let _ = ev.typed_data::<EvaluationFinishedData>();
    }
    if let Ok(d) = serde_json::from_slice::<EvaluationFinishedData>(data) {
        let _ = serde_json::to_string(&d).expect("serializes");
    }
    if let Ok(d) = serde_json::from_slice::<GetSliFinishedData>(data) {
        let _ = serde_json::to_string(&d).expect("serializes");
    }
});

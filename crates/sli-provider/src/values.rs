//! `--sli-values FILE`: SLI values computed elsewhere.
//!
//! Two JSON shapes are accepted:
//!
//! * a map `{ "name": number, ... }` (file order is kept);
//! * the `data` of a Keptn `sh.keptn.event.get-sli.finished` event (`status`, `result`,
//!   `message`, `get-sli.indicatorValues`), or a whole CloudEvent carrying it in `data`.
//!   Its `status` and `result` are evaluated as lighthouse does (an `errored` status or a
//!   `fail` result fails the gate; see `slo-eval`).
//!
//! A `null` value, a non-number, or a `null` entry in `indicatorValues` is an input error
//! (lighthouse crashes on those; a gate must say what is wrong).

use keptn_events::evaluation::SliResult;
use keptn_events::get_sli::GetSliFinishedData;
use keptn_events::{EventResult, Status};
use serde_json::Value;

/// Why a values file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ValuesError {
    /// Not JSON, with serde_json's line and column.
    #[error("not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// JSON, but not one of the accepted shapes.
    #[error("{0}")]
    Shape(String),
}

/// Parses a values file into the `get-sli.finished` data the evaluation consumes.
///
/// A plain map becomes `status: succeeded`, `result: pass`, one successful value per entry.
///
/// # Errors
/// [`ValuesError`] for malformed JSON (line and column included) or an unsupported shape.
pub fn parse_sli_values(text: &str) -> Result<GetSliFinishedData, ValuesError> {
    // serde_json keeps the last of two equal keys; two values for one SLI is a mistake to
    // report, not a choice to make silently.
    serde_json::from_str::<NoDuplicateKeys>(text)?;
    let root: Value = serde_json::from_str(text)?;
    let Value::Object(map) = &root else {
        return Err(ValuesError::Shape(
            "expected a JSON object: a {\"name\": number} map or the data of a get-sli.finished event".to_owned(),
        ));
    };
    // A whole CloudEvent: use its data.
    if map.contains_key("specversion") || map.contains_key("type") {
        if let Some(data @ Value::Object(d)) = map.get("data")
            && d.contains_key("get-sli")
        {
            return event_data(data);
        }
        return Err(ValuesError::Shape(
            "a CloudEvent was given, but its data holds no `get-sli` object (expected an sh.keptn.event.get-sli.finished event)".to_owned(),
        ));
    }
    if map.contains_key("get-sli") {
        return event_data(&root);
    }
    let mut values = Vec::with_capacity(map.len());
    for (name, v) in map {
        match v {
            Value::Number(n) => {
                let f = n.as_f64().ok_or_else(|| {
                    ValuesError::Shape(format!("the value of SLI `{name}` is not a finite number"))
                })?;
                values.push(SliResult::ok(name.clone(), f));
            }
            Value::Null => {
                return Err(ValuesError::Shape(format!(
                    "the value of SLI `{name}` is null; give a number, or leave the SLI out to have it evaluated as missing"
                )));
            }
            other => {
                return Err(ValuesError::Shape(format!(
                    "the value of SLI `{name}` is {}, not a number",
                    kind(other)
                )));
            }
        }
    }
    let mut data = GetSliFinishedData {
        status: Some(Status::Succeeded),
        result: Some(EventResult::Pass),
        ..GetSliFinishedData::default()
    };
    data.get_sli.indicator_values = values;
    Ok(data)
}

fn event_data(data: &Value) -> Result<GetSliFinishedData, ValuesError> {
    if let Some(Value::Array(items)) = data.get("get-sli").and_then(|g| g.get("indicatorValues"))
        && let Some(i) = items.iter().position(Value::is_null)
    {
        return Err(ValuesError::Shape(format!(
            "get-sli.indicatorValues[{i}] is null; every entry must be an object with metric, value and success"
        )));
    }
    let d: GetSliFinishedData = serde_json::from_value(data.clone()).map_err(|e| {
        ValuesError::Shape(format!("not a valid get-sli.finished data object: {e}"))
    })?;
    Ok(d)
}

const fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_keeps_file_order() {
        let d = parse_sli_values(r#"{"vuln_high": 7, "vuln_critical": 0, "vuln_medium": 14.5}"#)
            .unwrap();
        let names: Vec<&str> = d
            .get_sli
            .indicator_values
            .iter()
            .map(|v| v.metric.as_str())
            .collect();
        assert_eq!(names, ["vuln_high", "vuln_critical", "vuln_medium"]);
        assert_eq!(d.get_sli.indicator_values[2].value, 14.5);
        assert!(d.get_sli.indicator_values.iter().all(|v| v.success));
        assert_eq!(d.result, Some(EventResult::Pass));
    }

    #[test]
    fn event_data_and_whole_event() {
        let data = r#"{"status":"succeeded","result":"fail","message":"1 SLI failed","get-sli":{"start":"2024-03-05T10:11:13.002Z","end":"2024-03-05T10:16:13.002Z","indicatorValues":[{"metric":"a","value":0,"comparedValue":0,"success":false,"message":"no data"}]}}"#;
        let d = parse_sli_values(data).unwrap();
        assert_eq!(d.result, Some(EventResult::Fail));
        assert!(!d.get_sli.indicator_values[0].success);
        let event = format!(
            r#"{{"specversion":"1.0","type":"sh.keptn.event.get-sli.finished","source":"x","id":"1","data":{data}}}"#
        );
        assert_eq!(parse_sli_values(&event).unwrap(), d);
    }

    #[test]
    fn refusals() {
        let e = parse_sli_values("{\n  \"a\": 1,\n  \"b\": \n}").unwrap_err();
        assert!(e.to_string().contains("line 4 column 1"), "{e}");
        assert!(
            parse_sli_values(r#"{"a": null}"#)
                .unwrap_err()
                .to_string()
                .contains("null")
        );
        assert!(
            parse_sli_values(r#"{"a": "7"}"#)
                .unwrap_err()
                .to_string()
                .contains("a string")
        );
        assert!(parse_sli_values("[1,2]").is_err());
        assert!(parse_sli_values(r#"{"get-sli":{"indicatorValues":[null]}}"#).is_err());
        assert!(parse_sli_values(r#"{"type":"x","data":{}}"#).is_err());
    }
}

/// Walks a JSON document and fails on the first object that holds a key twice (with the
/// line and column serde_json gives a custom error).
struct NoDuplicateKeys;

impl<'de> serde::Deserialize<'de> for NoDuplicateKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NoDuplicateKeys)
    }
}

impl<'de> serde::de::Visitor<'de> for NoDuplicateKeys {
    type Value = Self;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self, E> {
        Ok(Self)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self, E> {
        Ok(Self)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self, E> {
        Ok(Self)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self, E> {
        Ok(Self)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self, E> {
        Ok(Self)
    }
    fn visit_unit<E>(self) -> Result<Self, E> {
        Ok(Self)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self, A::Error> {
        while seq.next_element::<Self>()?.is_some() {}
        Ok(Self)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self, A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            map.next_value::<Self>()?;
            if !seen.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!(
                    "the key `{key}` appears twice in one object"
                )));
            }
        }
        Ok(Self)
    }
}

#[cfg(test)]
mod duplicate_tests {
    use super::*;

    #[test]
    fn duplicate_sli_names_are_refused_with_a_position() {
        let err = parse_sli_values("{\"a\": 0,\n \"a\": 9}").unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("`a` appears twice") && msg.contains("line 2"),
            "{msg}"
        );
        // The same key in different objects is fine (this fails later, for its shape only).
        let nested = parse_sli_values("{\"a\": 0, \"b\": {\"a\": 1}}").unwrap_err();
        assert!(!nested.to_string().contains("twice"), "{nested}");
    }
}

//! Building the event's `data` from --data, the name flags, --label and --set.

use std::path::Path;

use cli_support::Failure;
use serde_json::{Map, Value};

/// Reads the --data file: a JSON object.
///
/// # Errors
/// Unreadable file, invalid JSON, or not an object (exit 2).
pub(crate) fn read_data_file(path: &Path) -> Result<Map<String, Value>, Failure> {
    let text = cli_support::read_text_limited(path, cli_support::files::limits::VALUES)
        .map_err(|e| Failure::usage(format!("cannot read --data file {}: {e}", path.display())))?;
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(Failure::usage(format!(
            "--data file {} must hold a JSON object",
            path.display()
        ))),
        Err(e) => Err(Failure::usage(format!(
            "--data file {} is not valid JSON: {e}",
            path.display()
        ))),
    }
}

/// Parses a --set value: JSON numbers (integers that fit 64 bits, or with a fraction or
/// exponent), `true`, `false`, `null`; `"…"` is a string without the quotes; anything else
/// is the string as given.
#[must_use]
pub fn typed_value(raw: &str) -> Value {
    if raw.len() >= 2 && raw.starts_with('"') && raw.ends_with('"') {
        return Value::String(raw[1..raw.len() - 1].to_owned());
    }
    match raw {
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        "null" => return Value::Null,
        _ => {}
    }
    // JSON's number grammar (so `08`, `+1`, `.5`, `NaN`, `8.0.26` stay strings), and only
    // values that survive as numbers: a 30-digit build id would lose digits as a float.
    if raw.starts_with(|c: char| c == '-' || c.is_ascii_digit())
        && let Ok(Value::Number(n)) = serde_json::from_str::<Value>(raw)
    {
        let integral = !raw.contains(['.', 'e', 'E']);
        if !integral || n.is_i64() || n.is_u64() {
            return Value::Number(n);
        }
    }
    Value::String(raw.to_owned())
}

/// Applies one `path.to.key=value`.
///
/// # Errors
/// No `=`, an empty path segment, or a path through a value that is not an object (exit 2).
pub fn apply_set(data: &mut Map<String, Value>, arg: &str) -> Result<(), Failure> {
    let (path, raw) = arg.split_once('=').ok_or_else(|| {
        Failure::usage(format!(
            "--set `{arg}` must have the form path.to.key=value"
        ))
    })?;
    let keys: Vec<&str> = path.split('.').collect();
    if keys.iter().any(|k| k.is_empty()) {
        return Err(Failure::usage(format!(
            "--set `{arg}`: the path `{path}` has an empty segment"
        )));
    }
    let (last, parents) = keys.split_last().expect("split yields at least one key");
    let mut cur = data;
    for (i, key) in parents.iter().enumerate() {
        let slot = cur
            .entry((*key).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        cur = match slot {
            Value::Object(m) => m,
            other => {
                return Err(Failure::usage(format!(
                    "--set `{arg}`: `{}` already holds {}, not an object",
                    keys[..=i].join("."),
                    kind(other)
                )));
            }
        };
    }
    cur.insert((*last).to_owned(), typed_value(raw));
    Ok(())
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Adds one `key=value` label to `data.labels` (labels are strings, never typed).
///
/// # Errors
/// No `=`, an empty key, or a `labels` member that is not an object (exit 2).
pub fn apply_label(data: &mut Map<String, Value>, arg: &str) -> Result<(), Failure> {
    let (key, value) = arg
        .split_once('=')
        .ok_or_else(|| Failure::usage(format!("--label `{arg}` must have the form key=value")))?;
    if key.is_empty() {
        return Err(Failure::usage(format!("--label `{arg}` has an empty key")));
    }
    let labels = data
        .entry("labels")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(labels) = labels else {
        return Err(Failure::usage(
            "data.labels (from --data) is not an object, so --label cannot add to it",
        ));
    };
    labels.insert(key.to_owned(), Value::String(value.to_owned()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_typed() {
        assert_eq!(typed_value("CRITICAL"), json!("CRITICAL"));
        assert_eq!(typed_value("8.0.26"), json!("8.0.26"));
        assert_eq!(typed_value("5m"), json!("5m"));
        assert_eq!(typed_value("42"), json!(42));
        assert_eq!(typed_value("-7"), json!(-7));
        assert_eq!(typed_value("2.5"), json!(2.5));
        assert_eq!(typed_value("1e3"), json!(1000.0));
        assert_eq!(typed_value("true"), json!(true));
        assert_eq!(typed_value("false"), json!(false));
        assert_eq!(typed_value("null"), Value::Null);
        assert_eq!(typed_value("\"42\""), json!("42"));
        assert_eq!(typed_value("\"\""), json!(""));
        assert_eq!(typed_value(""), json!(""));
        for s in ["08", "+1", ".5", "NaN", "inf", "True", "0x10", "1_000"] {
            assert_eq!(typed_value(s), json!(s), "{s}");
        }
        assert_eq!(
            typed_value("123456789012345678901234567890"),
            json!("123456789012345678901234567890")
        );
        assert_eq!(
            typed_value("18446744073709551615"),
            json!(18_446_744_073_709_551_615_u64)
        );
    }

    #[test]
    fn sets_build_nested_objects() {
        let mut d = Map::new();
        apply_set(&mut d, "scan.level=CRITICAL").unwrap();
        apply_set(&mut d, "scan.image=mysql").unwrap();
        apply_set(&mut d, "evaluation.timeframe=5m").unwrap();
        apply_set(&mut d, "a.b.c=1").unwrap();
        apply_set(&mut d, "url=https://x/?a=b").unwrap();
        assert_eq!(
            Value::Object(d.clone()),
            json!({"scan": {"level": "CRITICAL", "image": "mysql"},
                   "evaluation": {"timeframe": "5m"}, "a": {"b": {"c": 1}}, "url": "https://x/?a=b"})
        );
        let e = apply_set(&mut d, "scan.level.x=1").unwrap_err();
        assert!(
            e.message.contains("`scan.level` already holds a string"),
            "{}",
            e.message
        );
        assert!(apply_set(&mut d, "novalue").is_err());
        assert!(apply_set(&mut d, "a..b=1").is_err());
        assert!(apply_set(&mut d, "=1").is_err());
    }

    #[test]
    fn labels_are_strings() {
        let mut d = Map::new();
        apply_label(&mut d, "runBy=agardner.net").unwrap();
        apply_label(&mut d, "build=412").unwrap();
        assert_eq!(
            d["labels"],
            json!({"runBy": "agardner.net", "build": "412"})
        );
        assert!(apply_label(&mut d, "=x").is_err());
        assert!(apply_label(&mut d, "nokey").is_err());
        let mut bad = Map::new();
        bad.insert("labels".into(), json!([1]));
        assert!(apply_label(&mut bad, "a=b").is_err());
    }
}

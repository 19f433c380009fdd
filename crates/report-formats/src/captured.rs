//! Type checks on values that were read whole (`specs/scanner-formats.md` §1.4), for the
//! adapters that read from captured `serde_json` values (CycloneDX, Trivy Operator). A value
//! read whole has no line and column any more, so problems are named by their JSON path
//! (`vulnerabilities[3].ratings[0].severity`). Paths are built only when there is an error:
//! callers pass a closure, so the counting path does not allocate for them.

use serde_json::{Map, Value};

/// "a string", "an object", … for messages.
pub(crate) const fn article(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `<at>.<key>`, or `<key>` when `at` is empty.
pub(crate) fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_owned()
    } else {
        format!("{at}.{key}")
    }
}

/// A named string field: absent or `null` is `""`; any other non-string value is an error
/// (`<path> is a number, expected a string`).
pub(crate) fn string<'v>(
    obj: &'v Map<String, Value>,
    key: &str,
    at: &dyn Fn() -> String,
) -> Result<&'v str, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(""),
        Some(Value::String(s)) => Ok(s),
        Some(v) => Err(format!(
            "{} is {}, expected a string",
            join(&at(), key),
            article(v)
        )),
    }
}

/// A named array field: absent or `null` is empty; any other non-array value is an error.
pub(crate) fn array<'v>(
    obj: &'v Map<String, Value>,
    key: &str,
    at: &dyn Fn() -> String,
) -> Result<&'v [Value], String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(v) => Err(format!(
            "{} is {}, expected an array",
            join(&at(), key),
            article(v)
        )),
    }
}

/// An element that must be an object.
pub(crate) fn element<'v>(
    v: &'v Value,
    at: &dyn Fn() -> String,
) -> Result<&'v Map<String, Value>, String> {
    v.as_object()
        .ok_or_else(|| format!("{} is {}, expected an object", at(), article(v)))
}

/// An error if a key of `obj` differs from one of `names` only in ASCII letter case. Go's JSON
/// decoder would read such a key as the named one, so skipping it could count a finding wrong
/// or not at all.
pub(crate) fn refuse_case_variants(
    obj: &Map<String, Value>,
    names: &[&str],
    at: &dyn Fn() -> String,
) -> Result<(), String> {
    for key in obj.keys() {
        if let Some(name) = json_stream::case_variant(key.as_bytes(), names) {
            let place = at();
            let place = if place.is_empty() {
                "the top level".to_owned()
            } else {
                place
            };
            return Err(format!(
                "key `{key}` in {place} differs from `{name}` only in letter case; refusing to guess whether it is meant"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn strings_and_arrays_follow_section_1_4() {
        let o = obj(json!({"s": "x", "n": null, "num": 5, "a": [1], "o": {}}));
        let at = || "v[0]".to_owned();
        assert_eq!(string(&o, "s", &at), Ok("x"));
        assert_eq!(string(&o, "n", &at), Ok(""));
        assert_eq!(string(&o, "missing", &at), Ok(""));
        assert_eq!(
            string(&o, "num", &at),
            Err("v[0].num is a number, expected a string".to_owned())
        );
        assert_eq!(array(&o, "a", &at).map(<[Value]>::len), Ok(1));
        assert_eq!(array(&o, "n", &at).map(<[Value]>::len), Ok(0));
        assert_eq!(
            array(&o, "o", &at),
            Err("v[0].o is an object, expected an array".to_owned())
        );
        assert_eq!(
            element(&json!("x"), &at),
            Err("v[0] is a string, expected an object".to_owned())
        );
    }

    #[test]
    fn case_variants_are_refused_exact_keys_are_not() {
        let at = String::new;
        assert!(refuse_case_variants(&obj(json!({"ratings": []})), &["ratings"], &at).is_ok());
        let e = refuse_case_variants(&obj(json!({"Ratings": []})), &["ratings"], &at).unwrap_err();
        assert!(e.contains("`Ratings`") && e.contains("`ratings`") && e.contains("top level"));
    }
}

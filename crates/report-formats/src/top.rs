//! What the top level of a JSON object holds, as far as detection and the adapters need it:
//! every key with the kind of its value, scalar values as text, and the (bounded) values of the
//! keys that non-streaming adapters read whole.

use json_stream::Kind;
use serde_json::Value;

/// At most this many top-level keys are remembered (more are still read and validated).
const MAX_KEYS: usize = 1024;
/// Longest scalar kept as text.
const MAX_SCALAR: usize = 4096;

/// One top-level value.
#[derive(Debug, Clone, PartialEq)]
pub enum TopValue {
    /// A string, number or boolean, as text (strings decoded); `null` as `Kind::Null`.
    Scalar(Kind, String),
    /// An object or array read whole.
    Captured(Value),
    /// An object or array that an adapter streamed, or that nobody needed.
    Walked(Kind),
}

impl TopValue {
    /// The kind of the value.
    #[must_use]
    pub fn kind(&self) -> Kind {
        match self {
            Self::Scalar(k, _) | Self::Walked(k) => *k,
            Self::Captured(Value::Array(_)) => Kind::Array,
            Self::Captured(Value::Object(_)) => Kind::Object,
            Self::Captured(_) => Kind::Null,
        }
    }
}

/// The top-level keys of a JSON object, in document order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TopFacts {
    entries: Vec<(String, TopValue)>,
    /// More keys than were remembered.
    pub truncated: bool,
}

impl TopFacts {
    pub(crate) fn push(&mut self, key: String, value: TopValue) {
        if self.entries.len() < MAX_KEYS {
            self.entries.push((key, value));
        } else {
            self.truncated = true;
        }
    }

    pub(crate) const fn max_scalar() -> usize {
        MAX_SCALAR
    }

    /// The value of `key` (the first, if the key is repeated).
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&TopValue> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// True when the key is present, whatever its value (even `null`).
    #[must_use]
    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The value of `key` when it is a string.
    #[must_use]
    pub fn str(&self, key: &str) -> Option<&str> {
        match self.get(key)? {
            TopValue::Scalar(Kind::String, s) => Some(s),
            _ => None,
        }
    }

    /// True when `key` holds an object.
    #[must_use]
    pub fn is_object(&self, key: &str) -> bool {
        self.get(key).is_some_and(|v| v.kind() == Kind::Object)
    }

    /// The value of `key` when it was read whole.
    #[must_use]
    pub fn captured(&self, key: &str) -> Option<&Value> {
        match self.get(key)? {
            TopValue::Captured(v) => Some(v),
            _ => None,
        }
    }

    /// The keys, in document order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    /// The first key that differs from one of `names` only in ASCII letter case, with the
    /// name it resembles. Go's JSON decoder (Trivy's and Grype's) would read such a key, so
    /// counting without it would be a silent zero.
    #[must_use]
    pub fn case_variant<'n>(&self, names: &[&'n str]) -> Option<(&str, &'n str)> {
        self.keys()
            .find_map(|k| json_stream::case_variant(k.as_bytes(), names).map(|n| (k, n)))
    }
}

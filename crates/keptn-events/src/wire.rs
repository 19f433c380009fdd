//! How Keptn's Go strings become Rust types.
//!
//! Keptn writes its fixed vocabularies (`status`, `result`, an indicator's `status`) as plain
//! Go strings. Here each is an enum made by `string_enum!`: the
//! known values as variants, anything else kept as `Other(String)`.
//!
//! Go's zero value for a string is `""`, and its JSON encoder either omits it (`omitempty`)
//! or writes `""`. The typed payloads (evaluation, get-sli, the API's `latestEvaluation`)
//! therefore hold such a field as `Option<T>`: `""` on the wire reads as `None`, and `None`
//! is written back the way Go writes its zero value, omitted or as `""` depending on the
//! field. [`CommonData`](crate::CommonData) is the exception on purpose: it is the lossless
//! view of any event's `data` and keeps a sent `""` as `Other("")`.

/// Defines an enum for a Go string field with a fixed vocabulary: one variant per known value,
/// `Other(String)` for the rest, serialized as the plain string.
macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(from = "String", into = "String")]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
            /// A value this crate does not know, kept as it was.
            Other(String),
        }

        impl $name {
            /// The value as written on the wire.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Other(s) => s,
                }
            }

            /// Reads a wire value where Go's zero value `""` means "not set" (`None`).
            #[must_use]
            pub fn from_wire(s: &str) -> Option<Self> {
                $crate::wire::from_wire(s.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match s.as_str() {
                    $($text => Self::$variant,)+
                    _ => Self::Other(s),
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::from(s.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                match v {
                    $name::Other(s) => s,
                    known => known.as_str().to_owned(),
                }
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use string_enum;

/// The one rule for Go's zero value: `""` is "not set".
pub(crate) fn from_wire<T: From<String>>(s: String) -> Option<T> {
    (!s.is_empty()).then(|| T::from(s))
}

/// The wire text of an optional typed value, `""` when it is not set (what Go would hold).
///
/// ```
/// use keptn_events::{EventResult, WireStr};
///
/// assert_eq!(Some(EventResult::Warning).wire_str(), "warning");
/// assert_eq!(None::<EventResult>.wire_str(), "");
/// ```
pub trait WireStr {
    /// The value as written on the wire, or `""`.
    fn wire_str(&self) -> &str;
}

impl<T: AsRef<str>> WireStr for Option<T> {
    fn wire_str(&self) -> &str {
        self.as_ref().map_or("", AsRef::as_ref)
    }
}

/// Serde for an `Option<T>` string enum: `""` reads as `None`, `None` writes `""`. Combine
/// with `skip_serializing_if = "go_zero::is_zero"` for Go's `omitempty` fields.
pub(crate) mod go_zero {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::WireStr;

    pub(crate) fn serialize<T: AsRef<str>, S: Serializer>(
        v: &Option<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(v.wire_str())
    }

    // A JSON `null` stays an error, as it was for the plain `String` fields.
    pub(crate) fn deserialize<'de, T: From<String>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        String::deserialize(d).map(super::from_wire)
    }

    /// Whether Go's `omitempty` would leave the field out.
    pub(crate) fn is_zero<T: AsRef<str>>(v: &Option<T>) -> bool {
        v.wire_str().is_empty()
    }
}

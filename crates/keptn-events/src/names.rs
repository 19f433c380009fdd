//! Name rules for Keptn entities (spec §8) as validated newtypes.
//!
//! Keptn checks these on the server side, but only after the event has been accepted
//! asynchronously; checking them before sending turns a silent sequence failure into a
//! clear message.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `PROJECT_NAME_MAX_SIZE` default of the shipyard-controller.
pub const PROJECT_NAME_MAX_LEN: usize = 200;
/// `SERVICE_NAME_MAX_SIZE` default of the shipyard-controller (Helm release-name limit).
pub const SERVICE_NAME_MAX_LEN: usize = 43;

/// Which kind of name failed validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// A Keptn project.
    Project,
    /// A stage of the shipyard.
    Stage,
    /// A Keptn service.
    Service,
    /// A sequence of the shipyard.
    Sequence,
    /// A task (shipyard task or internal task such as `get-sli`).
    Task,
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Project => "project",
            Self::Stage => "stage",
            Self::Service => "service",
            Self::Sequence => "sequence",
            Self::Task => "task",
        })
    }
}

/// A name that Keptn would refuse, with the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} name `{name}`: {reason}")]
pub struct NameError {
    /// What the name was for.
    pub kind: NameKind,
    /// The offending name (control characters escaped).
    pub name: String,
    /// The rule, in words.
    pub reason: String,
}

impl NameError {
    fn new(kind: NameKind, name: &str, reason: impl Into<String>) -> Self {
        Self {
            kind,
            name: name.escape_debug().to_string(),
            reason: reason.into(),
        }
    }
}

/// go-utils `ValidateKeptnEntityName`: `^[a-z]([a-z0-9-]*[a-z0-9])?$`.
fn entity_name(kind: NameKind, name: &str, max: Option<usize>) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::new(kind, name, "must not be empty"));
    }
    if let Some(max) = max
        && name.len() > max
    {
        return Err(NameError::new(
            kind,
            name,
            format!(
                "is {} characters long; at most {max} are allowed",
                name.len()
            ),
        ));
    }
    let first = name.as_bytes()[0];
    if !first.is_ascii_lowercase() {
        return Err(NameError::new(
            kind,
            name,
            "must start with a lower-case letter (a-z)",
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(NameError::new(
            kind,
            name,
            format!(
                "contains `{}`; only lower-case letters, digits and `-` are allowed",
                bad.escape_debug()
            ),
        ));
    }
    if name.ends_with('-') {
        return Err(NameError::new(kind, name, "must not end with `-`"));
    }
    Ok(())
}

/// Validates a project name (lower-case letters, digits, `-`; starts with a letter, does not
/// end with `-`; at most [`PROJECT_NAME_MAX_LEN`] characters).
///
/// # Errors
/// The rule broken.
pub fn validate_project(name: &str) -> Result<(), NameError> {
    entity_name(NameKind::Project, name, Some(PROJECT_NAME_MAX_LEN))
}

/// Validates a stage name (same rule as projects, no length limit). Stages appear in event
/// types, so the rule also keeps dots out.
///
/// # Errors
/// The rule broken.
pub fn validate_stage(name: &str) -> Result<(), NameError> {
    entity_name(NameKind::Stage, name, None)
}

/// Validates a service name the way the shipyard-controller does
/// (`ValidateUnixDirectoryName` plus `SERVICE_NAME_MAX_SIZE`): not empty, at most
/// [`SERVICE_NAME_MAX_LEN`] bytes, not `.` or `..`, none of `/ > < | : &`. Whitespace and
/// control characters are refused too: they cannot be a directory name in the config repo
/// that every Keptn service would read.
///
/// Keptn itself recommends the project rule for services; the looser rule is checked here so
/// that existing services keep working.
///
/// # Errors
/// The rule broken.
pub fn validate_service(name: &str) -> Result<(), NameError> {
    let kind = NameKind::Service;
    if name.is_empty() {
        return Err(NameError::new(kind, name, "must not be empty"));
    }
    if name.len() > SERVICE_NAME_MAX_LEN {
        return Err(NameError::new(
            kind,
            name,
            format!(
                "is {} characters long; at most {SERVICE_NAME_MAX_LEN} are allowed",
                name.len()
            ),
        ));
    }
    if name == "." || name == ".." {
        return Err(NameError::new(kind, name, "must not be `.` or `..`"));
    }
    if let Some(bad) = name.chars().find(|c| {
        matches!(c, '/' | '>' | '<' | '|' | ':' | '&') || c.is_whitespace() || c.is_control()
    }) {
        return Err(NameError::new(
            kind,
            name,
            format!("must not contain `{}`", bad.escape_debug()),
        ));
    }
    Ok(())
}

/// Validates a sequence or task name: free strings in the shipyard, but they are parts of
/// event types, so not empty, no `.`, no whitespace or control characters.
fn validate_part(kind: NameKind, name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::new(kind, name, "must not be empty"));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| *c == '.' || c.is_whitespace() || c.is_control())
    {
        let reason = if bad == '.' {
            "must not contain `.` (event types are split on dots)".to_owned()
        } else {
            format!("must not contain `{}`", bad.escape_debug())
        };
        return Err(NameError::new(kind, name, reason));
    }
    Ok(())
}

/// Validates a sequence name (see [`SequenceName`]).
///
/// # Errors
/// The rule broken.
pub fn validate_sequence(name: &str) -> Result<(), NameError> {
    validate_part(NameKind::Sequence, name)
}

/// Validates a task name (see [`TaskName`]).
///
/// # Errors
/// The rule broken.
pub fn validate_task(name: &str) -> Result<(), NameError> {
    validate_part(NameKind::Task, name)
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $validate:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps `name`.
            ///
            /// # Errors
            /// The rule broken.
            pub fn new(name: impl Into<String>) -> Result<Self, NameError> {
                let name = name.into();
                $validate(&name)?;
                Ok(Self(name))
            }

            /// The name.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = NameError;
            fn from_str(s: &str) -> Result<Self, NameError> {
                Self::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = NameError;
            fn try_from(s: &str) -> Result<Self, NameError> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = NameError;
            fn try_from(s: String) -> Result<Self, NameError> {
                Self::new(s)
            }
        }

        impl From<$name> for String {
            fn from(n: $name) -> String {
                n.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::new(s).map_err(serde::de::Error::custom)
            }
        }
    };
}

name_type!(
    /// A valid Keptn project name (see [`validate_project`]).
    ProjectName,
    validate_project
);
name_type!(
    /// A valid Keptn stage name (see [`validate_stage`]).
    StageName,
    validate_stage
);
name_type!(
    /// A valid Keptn service name (see [`validate_service`]).
    ServiceName,
    validate_service
);
name_type!(
    /// A valid sequence name: not empty, no `.`, no whitespace.
    SequenceName,
    validate_sequence
);
name_type!(
    /// A valid task name: not empty, no `.`, no whitespace.
    TaskName,
    validate_task
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_rule_matches_the_go_regex() {
        for ok in ["a", "dev", "trivyintegration", "my-project-2", "a1"] {
            validate_project(ok).unwrap();
            validate_stage(ok).unwrap();
        }
        for (bad, why) in [
            ("", "empty"),
            ("Dev", "lower-case"),
            ("1abc", "lower-case letter"),
            ("-abc", "lower-case letter"),
            ("abc-", "end with"),
            ("a.b", "`.`"),
            ("a_b", "`_`"),
            ("a b", "` `"),
        ] {
            let e = validate_project(bad).unwrap_err();
            assert!(e.to_string().contains(why), "{bad:?}: {e}");
        }
        assert!(validate_project(&"a".repeat(200)).is_ok());
        let e = validate_project(&"a".repeat(201)).unwrap_err();
        assert!(e.to_string().contains("at most 200"), "{e}");
        assert!(validate_stage(&"a".repeat(300)).is_ok());
    }

    #[test]
    fn service_rule() {
        for ok in ["trivyservice", "Web_App", "a.b", "x-1"] {
            validate_service(ok).unwrap();
        }
        for bad in [
            "", ".", "..", "a/b", "a:b", "a&b", "a|b", "a<b", "a>b", "a b", "a\nb",
        ] {
            assert!(validate_service(bad).is_err(), "{bad:?}");
        }
        assert!(validate_service(&"s".repeat(43)).is_ok());
        assert!(validate_service(&"s".repeat(44)).is_err());
        let e = validate_service("a\nb").unwrap_err();
        assert!(
            e.to_string().contains("a\\nb"),
            "control chars escaped: {e}"
        );
    }

    #[test]
    fn parts_refuse_dots() {
        assert!(TaskName::new("get-sli").is_ok());
        assert!(TaskName::new("security_scan").is_ok());
        let e = SequenceName::new("demo.sequence").unwrap_err();
        assert_eq!(e.kind, NameKind::Sequence);
        assert!(e.to_string().contains("split on dots"), "{e}");
    }

    #[test]
    fn newtypes_serde_through_strings() {
        let p: ProjectName = serde_json::from_str("\"secgate\"").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"secgate\"");
        assert!(serde_json::from_str::<ProjectName>("\"Bad\"").is_err());
    }
}

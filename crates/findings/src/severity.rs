//! Trivy's severity scale and per-severity counts.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

/// A Trivy severity, ordered by gravity: `Unknown < Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// `UNKNOWN`: no score available (also what unrecognised strings in reports map to).
    #[default]
    Unknown,
    /// `LOW`
    Low,
    /// `MEDIUM`
    Medium,
    /// `HIGH`
    High,
    /// `CRITICAL`
    Critical,
}

impl Severity {
    /// All five, in report order: CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN.
    pub const ALL: [Self; 5] = [
        Self::Critical,
        Self::High,
        Self::Medium,
        Self::Low,
        Self::Unknown,
    ];

    /// The upper-case name Trivy writes: `"CRITICAL"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "UNKNOWN",
            Self::Low => "LOW",
            Self::Medium => "MEDIUM",
            Self::High => "HIGH",
            Self::Critical => "CRITICAL",
        }
    }

    /// Title case, as Trivy Operator's `severity` label: `"Critical"`.
    #[must_use]
    pub const fn title(self) -> &'static str {
        match self {
            Self::Unknown => "Unknown",
            Self::Low => "Low",
            Self::Medium => "Medium",
            Self::High => "High",
            Self::Critical => "Critical",
        }
    }

    /// Lower case: `"critical"` (used in SLI names such as `vulnerabilities_critical`).
    #[must_use]
    pub const fn lower(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    /// A severity word as scanners write it, ASCII case-insensitive (`CRITICAL`, `high`);
    /// anything else is [`Severity::Unknown`]. No allocation.
    pub fn from_word(s: &[u8]) -> Self {
        match s {
            b"CRITICAL" => Self::Critical,
            b"HIGH" => Self::High,
            b"MEDIUM" => Self::Medium,
            b"LOW" => Self::Low,
            // Reports are written by Trivy in upper case; anything else is read leniently.
            other => Self::parse_ci(other).unwrap_or(Self::Unknown),
        }
    }

    fn parse_ci(s: &[u8]) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|sev| sev.as_str().as_bytes().eq_ignore_ascii_case(s))
    }

    /// Index into [`Severity::ALL`].
    const fn report_index(self) -> usize {
        match self {
            Self::Critical => 0,
            Self::High => 1,
            Self::Medium => 2,
            Self::Low => 3,
            Self::Unknown => 4,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A severity name that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity `{value}`: expected one of CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN")]
pub struct SeverityParseError {
    /// The rejected input (trimmed; empty for an empty list item).
    pub value: String,
}

impl FromStr for Severity {
    type Err = SeverityParseError;

    /// Case-insensitive; surrounding whitespace is ignored.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Self::parse_ci(t.as_bytes()).ok_or_else(|| SeverityParseError {
            value: t.to_owned(),
        })
    }
}

/// Parses a comma list such as `"critical, HIGH"`: items are trimmed and case-insensitive,
/// duplicates are dropped (first occurrence kept), empty items are rejected.
///
/// # Errors
/// [`SeverityParseError`] naming the first bad item.
pub fn parse_severity_list(s: &str) -> Result<Vec<Severity>, SeverityParseError> {
    let mut out = Vec::with_capacity(5);
    for item in s.split(',') {
        let sev: Severity = item.parse()?;
        if !out.contains(&sev) {
            out.push(sev);
        }
    }
    Ok(out)
}

impl Serialize for Severity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Severity {
    /// Lenient, as for reading reports: unrecognised strings become [`Severity::Unknown`].
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Severity;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a severity string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Severity, E> {
                Ok(Severity::from_word(v.as_bytes()))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Severity, E> {
                Ok(Severity::from_word(v))
            }
        }
        d.deserialize_str(V)
    }
}

/// Counts per severity; all five are always present.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SeverityCounts {
    // Indexed like `Severity::ALL`.
    n: [u64; 5],
}

impl SeverityCounts {
    /// All zero.
    #[must_use]
    pub const fn new() -> Self {
        Self { n: [0; 5] }
    }

    /// The count for one severity.
    #[must_use]
    pub const fn get(&self, sev: Severity) -> u64 {
        self.n[sev.report_index()]
    }

    /// Sets the count for one severity.
    pub const fn set(&mut self, sev: Severity, value: u64) {
        self.n[sev.report_index()] = value;
    }

    /// Adds one finding of this severity.
    pub const fn add(&mut self, sev: Severity) {
        self.n[sev.report_index()] += 1;
    }

    /// `(severity, count)` in report order (CRITICAL first), all five.
    pub fn iter(&self) -> impl Iterator<Item = (Severity, u64)> + '_ {
        Severity::ALL.into_iter().map(|s| (s, self.get(s)))
    }

    /// Sum over the given severities (each counted once even if listed twice).
    #[must_use]
    pub fn total_of(&self, severities: &[Severity]) -> u64 {
        Severity::ALL
            .into_iter()
            .filter(|s| severities.contains(s))
            .map(|s| self.get(s))
            .sum()
    }

    /// Sum over all five.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.n.iter().sum()
    }
}

impl Serialize for SeverityCounts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(5))?;
        for (sev, n) in self.iter() {
            m.serialize_entry(sev.as_str(), &n)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for SeverityCounts {
    /// Strict: keys must be severity names (any case); missing ones are zero.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SeverityCounts;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map from severity name to count")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut c = SeverityCounts::new();
                while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    let sev: Severity = k.parse().map_err(de::Error::custom)?;
                    c.set(sev, map.next_value()?);
                }
                Ok(c)
            }
        }
        d.deserialize_map(V)
    }
}

/// The message for an SLI of a severity outside `--severity`: with the seed's Dynatrace setup
/// that metric would never have been pushed, so a gate on it must not pass on a 0.
#[must_use]
pub fn not_selected(sev: Severity, selected: &[Severity]) -> String {
    format!(
        "severity {sev} is not selected (--severity {}), so it is not counted",
        selected
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_names() {
        assert!(Severity::Unknown < Severity::Low && Severity::High < Severity::Critical);
        assert_eq!(Severity::Critical.to_string(), "CRITICAL");
        assert_eq!(Severity::High.title(), "High");
        assert_eq!(" medium ".parse::<Severity>(), Ok(Severity::Medium));
        let e = "severe".parse::<Severity>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown severity `severe`: expected one of CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN"
        );
    }

    #[test]
    fn list() {
        assert_eq!(
            parse_severity_list("high, Critical,HIGH").unwrap(),
            vec![Severity::High, Severity::Critical]
        );
        assert_eq!(parse_severity_list("HIGH,,LOW").unwrap_err().value, "");
        assert!(parse_severity_list("").is_err());
    }

    #[test]
    fn counts_serde() {
        let mut c = SeverityCounts::new();
        c.add(Severity::Low);
        c.add(Severity::Critical);
        c.add(Severity::Critical);
        let j = serde_json::to_string(&c).unwrap();
        assert_eq!(
            j,
            r#"{"CRITICAL":2,"HIGH":0,"MEDIUM":0,"LOW":1,"UNKNOWN":0}"#
        );
        assert_eq!(serde_json::from_str::<SeverityCounts>(&j).unwrap(), c);
        assert_eq!(c.total_of(&[Severity::Critical, Severity::Critical]), 2);
        assert_eq!(c.total(), 3);
    }
}

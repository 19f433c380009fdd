//! Compact records of counted findings: what an explanation, a fix plan and the KEV and EPSS
//! SLIs read, kept in one text buffer with a small fixed-size slot per finding, so that
//! keeping every finding of a large report costs little more than counting it (no
//! allocation per finding, about a fifth of the memory of a [`Finding`] with its strings).

use crate::{Finding, Severity};

/// One compact record, borrowed from its [`Records`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Record<'a> {
    /// Vulnerability id.
    pub id: &'a str,
    /// The bucket.
    pub severity: Severity,
    /// Package name.
    pub package: &'a str,
    /// Installed version.
    pub installed: &'a str,
    /// The version that fixes it, when the scanner names one.
    pub fixed_version: Option<&'a str>,
    /// The scanner says a fix exists.
    pub fixable: bool,
    /// The format's unique key, when it is not `(id, package, installed)`.
    pub unique_key: Option<&'a str>,
    /// The scanner marks it as known exploited (grype's `knownExploited`).
    pub known_exploited: Option<bool>,
    /// An EPSS probability the scanner attached (grype's `epss`).
    pub epss: Option<f64>,
}

/// Where one record's strings lie in the text buffer, and its other fields.
#[derive(Debug, Clone, PartialEq)]
struct Slot {
    /// Offset of the record's first string; the strings follow each other.
    start: usize,
    /// Lengths of id, package, installed, fixed version and unique key.
    lens: [usize; 5],
    fixable: bool,
    has_fixed: bool,
    has_key: bool,
    known_exploited: Option<bool>,
    epss: Option<f64>,
}

/// Counted findings as compact [`Record`]s, in the order they were counted. Records are
/// addressed by their index.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Records {
    text: String,
    slots: Vec<Slot>,
    /// The severities apart, densely: a fix plan recounts them dozens of times.
    severities: Vec<Severity>,
}

impl Records {
    /// Appends the compact part of `f`.
    pub fn push(&mut self, f: &Finding) {
        let start = self.text.len();
        let fixed = f.fixed_version.as_deref();
        let key = f.unique_key.as_deref();
        let parts = [
            f.id.as_str(),
            f.package.as_str(),
            f.installed.as_str(),
            fixed.unwrap_or(""),
            key.unwrap_or(""),
        ];
        for p in parts {
            self.text.push_str(p);
        }
        self.slots.push(Slot {
            start,
            lens: parts.map(str::len),
            fixable: f.fixable,
            has_fixed: fixed.is_some(),
            has_key: key.is_some(),
            known_exploited: f.known_exploited,
            epss: f.epss,
        });
        self.severities.push(f.severity);
    }

    /// Number of records.
    #[must_use]
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when there is none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The record at `index`, if there is one.
    #[must_use]
    pub fn get(&self, index: usize) -> Option<Record<'_>> {
        Some(self.record(self.slots.get(index)?, *self.severities.get(index)?))
    }

    /// The severity of the record at `index` (cheaper than [`Records::get`]).
    #[must_use]
    pub fn severity(&self, index: usize) -> Option<Severity> {
        self.severities.get(index).copied()
    }

    /// Every record's severity, in order.
    #[must_use]
    pub fn severities(&self) -> &[Severity] {
        &self.severities
    }

    /// Every record, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Record<'_>> + '_ {
        self.slots
            .iter()
            .zip(&self.severities)
            .map(|(s, &sev)| self.record(s, sev))
    }

    fn record(&self, s: &Slot, severity: Severity) -> Record<'_> {
        let mut at = s.start;
        let [id, package, installed, fixed, key] = s.lens.map(|len| {
            // Offsets come from `push`, on char boundaries of `text`.
            let part = self.text.get(at..at + len).unwrap_or_default();
            at += len;
            part
        });
        Record {
            id,
            severity,
            package,
            installed,
            fixed_version: s.has_fixed.then_some(fixed),
            fixable: s.fixable,
            unique_key: s.has_key.then_some(key),
            known_exploited: s.known_exploited,
            epss: s.epss,
        }
    }
}

impl<'a> FromIterator<&'a Finding> for Records {
    fn from_iter<I: IntoIterator<Item = &'a Finding>>(iter: I) -> Self {
        let mut r = Self::default();
        for f in iter {
            r.push(f);
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_give_back_what_was_pushed() {
        let a = Finding {
            id: "CVE-2021-3711".into(),
            severity: Severity::Critical,
            package: "openssl".into(),
            installed: "1.1.1k-r0".into(),
            fixed_version: Some("1.1.1l-r0".into()),
            fixable: true,
            epss: Some(0.25),
            ..Finding::default()
        };
        let b = Finding {
            id: "GHSA-ü".into(),
            package: "p".into(),
            unique_key: Some("GHSA-ü\0p".into()),
            fixed_version: Some(String::new()),
            known_exploited: Some(true),
            ..Finding::default()
        };
        let r: Records = [&a, &b, &Finding::default()].into_iter().collect();
        assert_eq!(r.len(), 3);
        let x = r.get(0).unwrap();
        assert_eq!(
            (x.id, x.package, x.installed, x.fixed_version, x.unique_key),
            (
                "CVE-2021-3711",
                "openssl",
                "1.1.1k-r0",
                Some("1.1.1l-r0"),
                None
            )
        );
        assert_eq!(
            (x.severity, x.fixable, x.epss),
            (Severity::Critical, true, Some(0.25))
        );
        let y = r.get(1).unwrap();
        assert_eq!(
            (y.id, y.fixed_version, y.unique_key),
            ("GHSA-ü", Some(""), Some("GHSA-ü\0p"))
        );
        assert_eq!(y.known_exploited, Some(true));
        let z = r.get(2).unwrap();
        assert_eq!((z.id, z.fixed_version, z.unique_key), ("", None, None));
        assert!(r.get(3).is_none());
        assert_eq!(r.severity(0), Some(Severity::Critical));
        assert_eq!(r.severity(3), None);
        assert_eq!(r.iter().count(), 3);
    }
}

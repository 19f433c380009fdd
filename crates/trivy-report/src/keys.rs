//! Finding keys for baseline diffs.

use std::collections::HashMap;

use crate::{Severity, SeverityCounts, Summary};

/// The distinct `(VulnerabilityID, PkgName)` pairs of a report with their severity.
///
/// When one key appears with several severities (the same CVE on the same package in two
/// targets, rated differently), the highest one is kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindingKeys {
    keys: HashMap<(String, String), Severity>,
    summary: Summary,
}

impl FindingKeys {
    pub(crate) fn from_parts(keys: HashMap<(String, String), Severity>, summary: Summary) -> Self {
        Self { keys, summary }
    }

    /// Number of distinct keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when there is no finding.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The severity recorded for a key.
    #[must_use]
    pub fn get(&self, vulnerability_id: &str, pkg_name: &str) -> Option<Severity> {
        self.keys
            .get(&(vulnerability_id.to_owned(), pkg_name.to_owned()))
            .copied()
    }

    /// `((VulnerabilityID, PkgName), severity)`, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = ((&str, &str), Severity)> + '_ {
        self.keys
            .iter()
            .map(|((i, p), s)| ((i.as_str(), p.as_str()), *s))
    }

    /// The summary of the same walk (counts of entries, not of keys).
    #[must_use]
    pub const fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Keys in `self` (the current report) that are not in `baseline`, counted by the
    /// current report's severity.
    #[must_use]
    pub fn new_since(&self, baseline: &Self) -> SeverityCounts {
        diff(&self.keys, &baseline.keys)
    }

    /// Keys in `baseline` that are no longer in `self` (fixed since), counted by the
    /// baseline's severity.
    #[must_use]
    pub fn fixed_since(&self, baseline: &Self) -> SeverityCounts {
        diff(&baseline.keys, &self.keys)
    }
}

fn diff(
    a: &HashMap<(String, String), Severity>,
    b: &HashMap<(String, String), Severity>,
) -> SeverityCounts {
    let mut c = SeverityCounts::new();
    for (k, s) in a {
        if !b.contains_key(k) {
            c.add(*s);
        }
    }
    c
}

//! Finding keys for baseline diffs.

use std::collections::HashMap;

use crate::{Finding, Record, Severity, SeverityCounts};

/// The distinct `(id, package)` pairs of a report with their severity. Findings of different
/// scanners match on these two: the vulnerability id and the package name (for SARIF, which
/// names no package, the package part is empty, so a SARIF baseline matches SARIF reports).
///
/// When one key appears with several severities (the same CVE on the same package in two
/// targets, rated differently), the highest one is kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindingKeys {
    keys: HashMap<(String, String), Severity>,
}

impl FindingKeys {
    /// The keys of `findings` (each already counted), by the rule above.
    pub fn from_findings<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Self {
        let mut k = Self::default();
        for f in findings {
            k.add(f);
        }
        k
    }

    /// The keys of compact records (each already counted), by the rule above.
    pub fn from_records<'a>(records: impl IntoIterator<Item = Record<'a>>) -> Self {
        let mut k = Self::default();
        for r in records {
            k.add_key(r.id, r.package, r.severity);
        }
        k
    }

    /// Records one counted finding's key (the highest severity wins).
    pub fn add(&mut self, f: &Finding) {
        self.add_key(&f.id, &f.package, f.severity);
    }

    fn add_key(&mut self, id: &str, package: &str, sev: Severity) {
        self.keys
            .entry((id.to_owned(), package.to_owned()))
            .and_modify(|s| *s = (*s).max(sev))
            .or_insert(sev);
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
    pub fn get(&self, id: &str, package: &str) -> Option<Severity> {
        self.keys.get(&(id.to_owned(), package.to_owned())).copied()
    }

    /// `((id, package), severity)`, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = ((&str, &str), Severity)> + '_ {
        self.keys
            .iter()
            .map(|((i, p), s)| ((i.as_str(), p.as_str()), *s))
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

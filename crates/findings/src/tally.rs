//! The counting walk: each finding an adapter reads goes through [`Tally::add`], which applies
//! the counting options in their one defined order (fixable-only, ignore rules, unique) and
//! keeps counts, rule hits, baseline keys and, when asked, the findings themselves (compact
//! records, and every detail).

use std::collections::HashSet;

use crate::{
    CountOptions, Finding, FindingKeys, ImageIdentity, Records, RuleUse, SeverityCounts, Summary,
    VexUse,
};

/// What a caller wants besides the counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Want {
    /// The `(id, package)` keys of the counted findings, for a baseline diff.
    pub keys: bool,
    /// The counted findings themselves, with every detail the format carries
    /// ([`Summary::kept`]: SARIF output, the vulnerability ages). Implies `fixes`.
    pub findings: bool,
    /// The counted findings as compact [`Records`] ([`Summary::records`]): id, severity,
    /// package, installed and fixed version, fix state, unique key and the scanner's own
    /// exploitability marks (grype's `knownExploited` and `epss`). What an explanation, a
    /// fix plan and the KEV and EPSS SLIs read, at a fraction of the cost of every detail.
    pub fixes: bool,
}

impl Want {
    const fn records(self) -> bool {
        self.fixes || self.findings
    }
}

/// Counts findings under [`CountOptions`].
#[derive(Debug)]
pub struct Tally<'o> {
    opts: &'o CountOptions,
    want: Want,
    counts: SeverityCounts,
    findings: u64,
    rule_hits: Vec<u64>,
    vex_uses: Vec<(u64, Vec<String>)>,
    seen: HashSet<Box<str>>,
    key_buf: String,
    keys: Option<FindingKeys>,
    kept: Vec<Finding>,
    records: Records,
    image: Option<ImageIdentity>,
}

impl<'o> Tally<'o> {
    /// A tally with nothing counted yet.
    #[must_use]
    pub fn new(opts: &'o CountOptions, want: Want) -> Self {
        Self {
            opts,
            want,
            counts: SeverityCounts::new(),
            findings: 0,
            rule_hits: vec![0; opts.ignore.as_ref().map_or(0, crate::IgnoreRules::len)],
            vex_uses: vec![(0, Vec::new()); opts.vex.as_ref().map_or(0, crate::VexSet::len)],
            seen: HashSet::new(),
            key_buf: String::new(),
            keys: want.keys.then(FindingKeys::default),
            kept: Vec::new(),
            records: Records::default(),
            image: None,
        }
    }

    /// The scanned image, for VEX statements whose product is the image (see
    /// [`ImageIdentity`]). Adapters set it before the first finding, from what the report
    /// says about its artifact; without it such statements suppress nothing.
    pub fn set_image(&mut self, image: Option<ImageIdentity>) {
        self.image = image;
    }

    /// The scanned image, when the adapter set it.
    #[must_use]
    pub const fn image(&self) -> Option<&ImageIdentity> {
        self.image.as_ref()
    }

    /// The options counted under.
    #[must_use]
    pub const fn options(&self) -> &CountOptions {
        self.opts
    }

    /// Adapters must fill `id`, `package`, `installed` and `unique_key`.
    #[must_use]
    pub fn needs_strings(&self) -> bool {
        self.opts.unique
            || self.opts.ignore.is_some()
            || self.opts.vex.is_some()
            || self.want.keys
            || self.want.records()
    }

    /// Adapters must fill the rest of a compact record ([`Want::fixes`]): `fixed_version`
    /// (and `fixable`), and `known_exploited` and `epss` where the format carries them.
    #[must_use]
    pub fn needs_compact(&self) -> bool {
        self.needs_details() || self.want.records()
    }

    /// Adapters must fill every field they can (fix version, paths, purl, target, dates).
    #[must_use]
    pub fn needs_details(&self) -> bool {
        self.opts.ignore.is_some() || self.opts.vex.is_some() || self.want.findings
    }

    /// Counts one finding, if the options let it count.
    pub fn add(&mut self, f: &Finding) {
        let opts = self.opts;
        if opts.fixable_only && !f.fixable {
            return;
        }
        if let Some(ig) = &opts.ignore
            && let Some(i) =
                ig.matching_rule(&f.id, &f.target, f.pkg_path.as_deref(), f.purl.as_deref())
        {
            self.rule_hits[i] += 1;
            return;
        }
        if let Some(vex) = &opts.vex
            && let Some(i) =
                vex.matching_statement_in(&f.id, f.purl.as_deref(), self.image.as_ref())
        {
            let (count, listed) = &mut self.vex_uses[i];
            *count += 1;
            if listed.len() < VexUse::LISTED {
                listed.push(format!("{} {}@{}", f.id, f.package, f.installed));
            }
            return;
        }
        if opts.unique {
            self.key_buf.clear();
            match &f.unique_key {
                Some(k) => self.key_buf.push_str(k),
                None => {
                    for (i, part) in [&f.id, &f.package, &f.installed].into_iter().enumerate() {
                        if i > 0 {
                            self.key_buf.push('\0');
                        }
                        self.key_buf.push_str(part);
                    }
                }
            }
            if self.seen.contains(self.key_buf.as_str()) {
                return;
            }
            self.seen.insert(self.key_buf.as_str().into());
        }
        let sev = f.severity;
        self.counts.add(sev);
        self.findings += 1;
        if let Some(keys) = &mut self.keys {
            keys.add(f);
        }
        if self.want.records() {
            self.records.push(f);
        }
        if self.want.findings {
            self.kept.push(f.clone());
        }
    }

    /// Findings counted so far.
    #[must_use]
    pub const fn counted(&self) -> u64 {
        self.findings
    }

    /// The summary: counts, rule use, keys and kept findings; `input` is left for the
    /// adapter to fill.
    #[must_use]
    pub fn finish(self) -> Summary {
        let (suppressed, expired_rules) = match &self.opts.ignore {
            None => (Vec::new(), Vec::new()),
            Some(ig) => (
                ig.rules
                    .iter()
                    .zip(&self.rule_hits)
                    .map(|(r, &count)| RuleUse {
                        rule: r.description.clone(),
                        count,
                    })
                    .collect(),
                ig.expired_rules.clone(),
            ),
        };
        let vex_suppressed = match &self.opts.vex {
            None => Vec::new(),
            Some(vex) => vex
                .statements()
                .zip(self.vex_uses)
                .map(|(s, (count, findings))| VexUse {
                    statement: s.description.clone(),
                    count,
                    findings,
                })
                .collect(),
        };
        Summary {
            input: crate::InputInfo::default(),
            counts: self.counts,
            findings: self.findings,
            suppressed,
            expired_rules,
            vex_suppressed,
            keys: self.keys,
            kept: self.kept,
            records: self.records,
        }
    }
}

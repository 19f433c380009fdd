//! What a walk over a report does with each finding ([`Walk`]: filters, ignore rules, dedup,
//! counts, keys, callbacks), shared by both readers, and the serde_json implementation of the
//! walk (`DeserializeSeed` visitors over `Results[].Vulnerabilities[]`).
//!
//! The fast path is the hand-written reader in `lexer.rs`; the serde visitors are kept as an
//! independent reference (differential tests, benchmark). Neither builds a `Value`: keys are
//! matched without allocation and, on the plain counting path, only `Severity` (and, with
//! `fixable_only`, whether `FixedVersion` is empty) is looked at.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::{self, BufReader, Read};

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::{CountOptions, Finding, ReportError, RuleUse, Severity, SeverityCounts, Summary};

/// What a walk collects besides the counts.
pub(crate) struct Walk<'o, 'f> {
    pub(crate) opts: &'o CountOptions,
    pub(crate) need_strings: bool,
    pub(crate) need_target: bool,
    /// `FixedVersion` text, `PkgPath` and the PURL are read (ignore rules, callbacks).
    pub(crate) need_details: bool,
    counts: SeverityCounts,
    findings: u64,
    rule_hits: Vec<u64>,
    seen: HashSet<Box<str>>,
    key_buf: String,
    pub(crate) keys: Option<HashMap<(String, String), Severity>>,
    callback: Option<&'f mut dyn FnMut(&Finding)>,
    pub(crate) cur: Finding,
    pub(crate) fixed: bool,
    pending: Vec<(Finding, bool)>,
    pub(crate) target_seen: bool,
    pub(crate) artifact_name: Option<String>,
    pub(crate) trivy_version: Option<String>,
}

impl<'o, 'f> Walk<'o, 'f> {
    pub(crate) fn new(
        opts: &'o CountOptions,
        want_keys: bool,
        callback: Option<&'f mut dyn FnMut(&Finding)>,
    ) -> Self {
        let need_strings = opts.unique || opts.ignore.is_some() || want_keys || callback.is_some();
        let need_details = opts.ignore.is_some() || callback.is_some();
        let need_target = callback.is_some()
            || opts
                .ignore
                .as_ref()
                .is_some_and(crate::IgnoreRules::needs_paths);
        Self {
            opts,
            need_strings,
            need_target,
            need_details,
            counts: SeverityCounts::new(),
            findings: 0,
            rule_hits: vec![0; opts.ignore.as_ref().map_or(0, crate::IgnoreRules::len)],
            seen: HashSet::new(),
            key_buf: String::new(),
            keys: want_keys.then(HashMap::new),
            callback,
            cur: Finding::default(),
            fixed: false,
            pending: Vec::new(),
            target_seen: false,
            artifact_name: None,
            trivy_version: None,
        }
    }

    /// Walks the report with the hand-written streaming reader (the fast path).
    pub(crate) fn run<R: Read>(&mut self, reader: R) -> Result<(), ReportError> {
        crate::lexer::Lexer::new(reader).report(self)
    }

    /// Walks the report with serde_json visitors over a reader (the reference path).
    pub(crate) fn run_serde_reader<R: Read>(&mut self, reader: R) -> Result<(), ReportError> {
        let mut probe = Probe {
            inner: reader,
            saw_content: false,
        };
        let res = {
            let mut de = serde_json::Deserializer::from_reader(BufReader::with_capacity(
                64 * 1024,
                &mut probe,
            ));
            TopSeed(self).deserialize(&mut de).and_then(|()| de.end())
        };
        res.map_err(|e| ReportError::from_json(e, probe.saw_content))
    }

    pub(crate) fn run_slice(&mut self, bytes: &[u8]) -> Result<(), ReportError> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        TopSeed(self)
            .deserialize(&mut de)
            .and_then(|()| de.end())
            .map_err(|e| {
                let saw = bytes.iter().any(|b| !b.is_ascii_whitespace());
                ReportError::from_json(e, saw)
            })
    }

    pub(crate) fn into_summary(self) -> Summary {
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
        Summary {
            artifact_name: self.artifact_name,
            trivy_version: self.trivy_version,
            counts: self.counts,
            findings: self.findings,
            suppressed,
            expired_rules,
        }
    }

    pub(crate) fn start_vuln(&mut self) {
        self.fixed = false;
        self.cur.severity = Severity::Unknown;
        if self.need_strings {
            self.cur.vulnerability_id.clear();
            self.cur.pkg_name.clear();
            self.cur.installed_version.clear();
            self.cur.fixed_version = None;
            self.cur.pkg_path = None;
            self.cur.purl = None;
        }
    }

    pub(crate) fn end_vuln(&mut self) {
        if self.need_details {
            self.fixed = self.cur.fixed_version.is_some();
        }
        if self.need_target && !self.target_seen {
            // `Target` comes after `Vulnerabilities` in this result (Trivy never writes it
            // so, but JSON allows it): keep the finding until the target is known.
            self.pending.push((self.cur.clone(), self.fixed));
            return;
        }
        self.finish();
    }

    pub(crate) fn end_result(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let target = std::mem::take(&mut self.cur.target);
        for (mut f, fixed) in std::mem::take(&mut self.pending) {
            f.target.clone_from(&target);
            self.cur = f;
            self.fixed = fixed;
            self.finish();
        }
    }

    fn finish(&mut self) {
        let opts = self.opts;
        if opts.fixable_only && !self.fixed {
            return;
        }
        if let Some(ig) = &opts.ignore {
            let f = &self.cur;
            if let Some(i) = ig.matching_rule(
                &f.vulnerability_id,
                &f.target,
                f.pkg_path.as_deref(),
                f.purl.as_deref(),
            ) {
                self.rule_hits[i] += 1;
                return;
            }
        }
        if opts.unique {
            let f = &self.cur;
            self.key_buf.clear();
            for (i, part) in [&f.vulnerability_id, &f.pkg_name, &f.installed_version]
                .into_iter()
                .enumerate()
            {
                if i > 0 {
                    self.key_buf.push('\0');
                }
                self.key_buf.push_str(part);
            }
            if self.seen.contains(self.key_buf.as_str()) {
                return;
            }
            self.seen.insert(self.key_buf.as_str().into());
        }
        let sev = self.cur.severity;
        self.counts.add(sev);
        self.findings += 1;
        if let Some(keys) = &mut self.keys {
            let k = (self.cur.vulnerability_id.clone(), self.cur.pkg_name.clone());
            keys.entry(k)
                .and_modify(|s| *s = (*s).max(sev))
                .or_insert(sev);
        }
        if let Some(cb) = &mut self.callback {
            cb(&self.cur);
        }
    }
}

/// Remembers whether anything but whitespace was read, to tell "empty" from "truncated".
struct Probe<R> {
    inner: R,
    saw_content: bool,
}

impl<R: Read> Read for Probe<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if !self.saw_content {
            self.saw_content = buf[..n].iter().any(|b| !b.is_ascii_whitespace());
        }
        Ok(n)
    }
}

// ---------------------------------------------------------------------------------------------
// Keys, matched without allocation.

pub(crate) trait FieldKey: Sized {
    fn from_bytes(b: &[u8]) -> Self;
}

struct KeySeed<K>(std::marker::PhantomData<K>);

fn key<K>() -> KeySeed<K> {
    KeySeed(std::marker::PhantomData)
}

impl<'de, K: FieldKey> DeserializeSeed<'de> for KeySeed<K> {
    type Value = K;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<K, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl<K: FieldKey> Visitor<'_> for KeySeed<K> {
    type Value = K;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<K, E> {
        Ok(K::from_bytes(v.as_bytes()))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<K, E> {
        Ok(K::from_bytes(v))
    }
}

pub(crate) enum TopKey {
    Results,
    ArtifactName,
    Trivy,
    Other,
}
impl FieldKey for TopKey {
    fn from_bytes(b: &[u8]) -> Self {
        match b {
            b"Results" => Self::Results,
            b"ArtifactName" => Self::ArtifactName,
            b"Trivy" => Self::Trivy,
            _ => Self::Other,
        }
    }
}

pub(crate) enum ResultKey {
    Target,
    Vulnerabilities,
    Other,
}
impl FieldKey for ResultKey {
    fn from_bytes(b: &[u8]) -> Self {
        match b {
            b"Target" => Self::Target,
            b"Vulnerabilities" => Self::Vulnerabilities,
            _ => Self::Other,
        }
    }
}

pub(crate) enum VulnKey {
    Severity,
    FixedVersion,
    VulnerabilityId,
    PkgName,
    InstalledVersion,
    PkgPath,
    PkgIdentifier,
    Other,
}
impl FieldKey for VulnKey {
    fn from_bytes(b: &[u8]) -> Self {
        match b {
            b"Severity" => Self::Severity,
            b"FixedVersion" => Self::FixedVersion,
            b"VulnerabilityID" => Self::VulnerabilityId,
            b"PkgName" => Self::PkgName,
            b"InstalledVersion" => Self::InstalledVersion,
            b"PkgPath" => Self::PkgPath,
            b"PkgIdentifier" => Self::PkgIdentifier,
            _ => Self::Other,
        }
    }
}

pub(crate) enum PkgIdKey {
    Purl,
    Other,
}
impl FieldKey for PkgIdKey {
    fn from_bytes(b: &[u8]) -> Self {
        match b {
            b"PURL" => Self::Purl,
            _ => Self::Other,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Scalar seeds.

/// A string (or null = empty) copied into a reused buffer.
struct StrInto<'a>(&'a mut String);

impl<'de> DeserializeSeed<'de> for StrInto<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl Visitor<'_> for StrInto<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.0.clear();
        self.0.push_str(v);
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.0.clear();
        Ok(())
    }
}

/// An optional string: null or `""` become `None`.
struct OptStrInto<'a>(&'a mut Option<String>);

impl<'de> DeserializeSeed<'de> for OptStrInto<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl Visitor<'_> for OptStrInto<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or null")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        if v.is_empty() {
            *self.0 = None;
        } else {
            let s = self.0.get_or_insert_with(String::new);
            s.clear();
            s.push_str(v);
        }
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        *self.0 = None;
        Ok(())
    }
}

/// True for a non-empty string, false for `""` or null.
struct NonEmpty;

impl<'de> DeserializeSeed<'de> for NonEmpty {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl Visitor<'_> for NonEmpty {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or null")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        Ok(!v.is_empty())
    }
    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
}

/// A severity string, null = UNKNOWN.
struct SevSeed;

impl<'de> DeserializeSeed<'de> for SevSeed {
    type Value = Severity;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Severity, D::Error> {
        d.deserialize_any(self)
    }
}

impl Visitor<'_> for SevSeed {
    type Value = Severity;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a severity string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Severity, E> {
        Ok(Severity::from_report_bytes(v.as_bytes()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Severity, E> {
        Ok(Severity::Unknown)
    }
}

// ---------------------------------------------------------------------------------------------
// Structure.

struct TopSeed<'w, 'o, 'f>(&'w mut Walk<'o, 'f>);

impl<'de> DeserializeSeed<'de> for TopSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object with `Results` or an array of results")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(k) = map.next_key_seed(key::<TopKey>())? {
            match k {
                TopKey::Results => map.next_value_seed(ResultsSeed(&mut *self.0))?,
                TopKey::ArtifactName => {
                    self.0.artifact_name = map.next_value::<Option<String>>()?;
                }
                TopKey::Trivy => {
                    #[derive(serde::Deserialize)]
                    struct TrivyInfo {
                        #[serde(rename = "Version", default)]
                        version: Option<String>,
                    }
                    self.0.trivy_version = map
                        .next_value::<Option<TrivyInfo>>()?
                        .and_then(|t| t.version)
                        .filter(|v| !v.is_empty());
                }
                TopKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        ResultsSeed(self.0).visit_seq(seq)
    }
}

struct ResultsSeed<'w, 'o, 'f>(&'w mut Walk<'o, 'f>);

impl<'de> DeserializeSeed<'de> for ResultsSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ResultsSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of results")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(ResultSeed(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

struct ResultSeed<'w, 'o, 'f>(&'w mut Walk<'o, 'f>);

impl<'de> DeserializeSeed<'de> for ResultSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ResultSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a result object")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let w = self.0;
        w.cur.target.clear();
        w.target_seen = false;
        while let Some(k) = map.next_key_seed(key::<ResultKey>())? {
            match k {
                ResultKey::Target if w.need_target => {
                    map.next_value_seed(StrInto(&mut w.cur.target))?;
                    w.target_seen = true;
                }
                ResultKey::Vulnerabilities => map.next_value_seed(VulnsSeed(&mut *w))?,
                ResultKey::Target | ResultKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        w.end_result();
        Ok(())
    }
}

struct VulnsSeed<'w, 'o, 'f>(&'w mut Walk<'o, 'f>);

impl<'de> DeserializeSeed<'de> for VulnsSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for VulnsSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of vulnerabilities")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(VulnSeed(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

struct VulnSeed<'w, 'o, 'f>(&'w mut Walk<'o, 'f>);

impl<'de> DeserializeSeed<'de> for VulnSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for VulnSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a vulnerability object")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let w = self.0;
        w.start_vuln();
        let strings = w.need_strings;
        let details = w.need_details;
        while let Some(k) = map.next_key_seed(key::<VulnKey>())? {
            match k {
                VulnKey::Severity => w.cur.severity = map.next_value_seed(SevSeed)?,
                VulnKey::FixedVersion if details => {
                    map.next_value_seed(OptStrInto(&mut w.cur.fixed_version))?;
                }
                VulnKey::FixedVersion if w.opts.fixable_only => {
                    w.fixed = map.next_value_seed(NonEmpty)?;
                }
                VulnKey::VulnerabilityId if strings => {
                    map.next_value_seed(StrInto(&mut w.cur.vulnerability_id))?;
                }
                VulnKey::PkgName if strings => {
                    map.next_value_seed(StrInto(&mut w.cur.pkg_name))?;
                }
                VulnKey::InstalledVersion if strings => {
                    map.next_value_seed(StrInto(&mut w.cur.installed_version))?;
                }
                VulnKey::PkgPath if details => {
                    map.next_value_seed(OptStrInto(&mut w.cur.pkg_path))?;
                }
                VulnKey::PkgIdentifier if details => {
                    map.next_value_seed(PkgIdSeed(&mut w.cur.purl))?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        w.end_vuln();
        Ok(())
    }
}

struct PkgIdSeed<'a>(&'a mut Option<String>);

impl<'de> DeserializeSeed<'de> for PkgIdSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PkgIdSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a package identifier object")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(k) = map.next_key_seed(key::<PkgIdKey>())? {
            match k {
                PkgIdKey::Purl => map.next_value_seed(OptStrInto(&mut *self.0))?,
                PkgIdKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

//! Trivy's JSON shapes, walked with the streaming reader: a `Results[]` array (SchemaVersion 2
//! and the bare array of trivy < 0.20), one result object, and the `Resources[]` of a
//! `trivy k8s` report, whose resources hold the same results.
//!
//! On the plain counting path only `Severity` (and, with `--fixable-only`, whether
//! `FixedVersion` is empty) is looked at; the rest is validated and skipped.

use std::io::Read;

use findings::{Finding, Severity, Tally};
use json_stream::{Error, Reader};

type Res<T> = Result<T, Error>;

/// Keys of a result this walker reads, for case-variant checks.
const RESULT_KEYS: &[&str] = &["Target", "Vulnerabilities"];
/// Keys of a vulnerability this walker reads.
const VULN_KEYS: &[&str] = &[
    "VulnerabilityID",
    "PkgName",
    "InstalledVersion",
    "FixedVersion",
    "Severity",
    "PkgPath",
    "PkgIdentifier",
    "PublishedDate",
    "CVSS",
];
/// Keys of a `trivy k8s` resource this walker reads.
const RESOURCE_KEYS: &[&str] = &["Namespace", "Kind", "Name", "Results", "Error"];

/// Walks one Trivy result object key by key, so that a caller can interleave its own keys
/// (the bare-array detection reads Trivy Operator keys from the same objects).
#[derive(Debug, Default)]
pub struct ResultWalker {
    cur: Finding,
    target: String,
    target_seen: bool,
    /// Findings read before `Target` (JSON allows it, Trivy never writes it), kept until the
    /// target is known when the tally needs targets.
    pending: Vec<Finding>,
    word: String,
}

impl ResultWalker {
    /// Starts a new result object.
    pub fn begin(&mut self) {
        self.target.clear();
        self.target_seen = false;
        self.pending.clear();
    }

    /// Reads the value of the current key if it is one of a result's (`Target`,
    /// `Vulnerabilities`); false (nothing read) for any other key.
    ///
    /// # Errors
    /// Syntax and shape errors, and keys that differ from those only in letter case.
    pub fn on_key<R: Read>(&mut self, r: &mut Reader<R>, tally: &mut Tally<'_>) -> Res<bool> {
        match r.key() {
            b"Target" => {
                let mut t = std::mem::take(&mut self.target);
                r.string_into(&mut t, "`Target` to be a string")?;
                self.target = t;
                self.target_seen = true;
                if !self.pending.is_empty() {
                    for mut f in std::mem::take(&mut self.pending) {
                        f.target.clone_from(&self.target);
                        tally.add(&f);
                    }
                }
            }
            b"Vulnerabilities" => {
                if r.open_array("`Vulnerabilities` to be a list")? {
                    let mut first = true;
                    while r.next_element(&mut first)? {
                        self.vulnerability(r, tally)?;
                    }
                }
            }
            _ => {
                r.refuse_case_variant(RESULT_KEYS)?;
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Ends the result object; true when it had a `Target` key.
    pub fn end(&mut self, tally: &mut Tally<'_>) -> bool {
        for f in std::mem::take(&mut self.pending) {
            tally.add(&f);
        }
        self.target_seen
    }

    /// The result's `Target`.
    #[must_use]
    pub fn target(&self) -> &str {
        &self.target
    }

    fn vulnerability<R: Read>(&mut self, r: &mut Reader<R>, tally: &mut Tally<'_>) -> Res<()> {
        if !r.open_object("a vulnerability object")? {
            return Ok(());
        }
        let strings = tally.needs_strings();
        let details = tally.needs_details();
        let fix = tally.needs_compact();
        let fixable_only = tally.options().fixable_only;
        let f = &mut self.cur;
        f.severity = Severity::Unknown;
        f.fixable = false;
        if strings {
            f.id.clear();
            f.package.clear();
            f.installed.clear();
        }
        if fix {
            f.fixed_version = None;
        }
        if details {
            f.pkg_path = None;
            f.purl = None;
            f.published = None;
            f.cvss = None;
            f.severity_word.clear();
        }
        let mut first = true;
        while r.next_key(&mut first)? {
            match r.key() {
                b"Severity" => {
                    r.string_into(&mut self.word, "`Severity` to be a string")?;
                    f.severity = Severity::from_word(self.word.as_bytes());
                    if details {
                        f.severity_word.clone_from(&self.word);
                    }
                }
                b"FixedVersion" if fix => {
                    f.fixed_version = r.opt_string("`FixedVersion` to be a string")?;
                    f.fixable = f.fixed_version.is_some();
                }
                b"FixedVersion" if fixable_only => {
                    f.fixable = r.string_nonempty("`FixedVersion` to be a string")?;
                }
                b"VulnerabilityID" if strings => {
                    r.string_into(&mut f.id, "`VulnerabilityID` to be a string")?;
                }
                b"PkgName" if strings => {
                    r.string_into(&mut f.package, "`PkgName` to be a string")?;
                }
                b"InstalledVersion" if strings => {
                    r.string_into(&mut f.installed, "`InstalledVersion` to be a string")?;
                }
                b"PkgPath" if details => {
                    f.pkg_path = r.opt_string("`PkgPath` to be a string")?;
                }
                b"PublishedDate" if details => {
                    f.published = r.opt_string("`PublishedDate` to be a string")?;
                }
                b"CVSS" if details => {
                    let v = r.capture("`CVSS`", 1 << 20)?;
                    f.cvss = cvss_score(&v);
                }
                b"PkgIdentifier" if details => {
                    if r.open_object("`PkgIdentifier` to be an object")? {
                        let mut first = true;
                        while r.next_key(&mut first)? {
                            if r.key() == b"PURL" {
                                f.purl = r.opt_string("`PURL` to be a string")?;
                            } else {
                                r.refuse_case_variant(&["PURL"])?;
                                r.skip_value()?;
                            }
                        }
                    }
                }
                b"VulnerabilityID" | b"PkgName" | b"InstalledVersion" | b"FixedVersion"
                | b"PkgPath" | b"PublishedDate" | b"CVSS" | b"PkgIdentifier" => {
                    // Validated, not needed on this path; the types are still checked.
                    check_string_or_skip(r)?;
                }
                _ => {
                    r.refuse_case_variant(VULN_KEYS)?;
                    r.skip_value()?;
                }
            }
        }
        if details && !self.target_seen {
            // The target comes later in this result (or never): keep the finding until then.
            self.pending.push(self.cur.clone());
            return Ok(());
        }
        if details {
            self.cur.target.clone_from(&self.target);
        }
        tally.add(&self.cur);
        Ok(())
    }
}

/// Skips a value of a field that this path does not need; non-string values of the string
/// fields are still malformed (`specs/scanner-formats.md` §1.4).
fn check_string_or_skip<R: Read>(r: &mut Reader<R>) -> Res<()> {
    let what = match r.key() {
        b"VulnerabilityID" => "`VulnerabilityID` to be a string",
        b"PkgName" => "`PkgName` to be a string",
        b"InstalledVersion" => "`InstalledVersion` to be a string",
        b"FixedVersion" => "`FixedVersion` to be a string",
        b"PkgPath" => "`PkgPath` to be a string",
        b"PublishedDate" => "`PublishedDate` to be a string",
        _ => return r.skip_value(),
    };
    r.string_nonempty(what).map(|_| ())
}

/// NVD's CVSS v3 score if present, else the first vendor's.
fn cvss_score(v: &serde_json::Value) -> Option<f64> {
    let map = v.as_object()?;
    let score =
        |vendor: &serde_json::Value| vendor.get("V3Score").and_then(serde_json::Value::as_f64);
    map.get("nvd")
        .and_then(score)
        .or_else(|| map.values().find_map(score))
}

/// What the results of a report say besides findings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResultsSeen {
    /// Result objects walked.
    pub results: u64,
    /// The first result's `Target` (`alpine:3.14 (alpine 3.14.0)` for an image).
    pub first_target: Option<String>,
}

/// Walks a `Results` array (or `null`): every element must be a result object (or `null`).
///
/// # Errors
/// Syntax and shape errors with their location.
pub fn walk_results<R: Read>(
    r: &mut Reader<R>,
    tally: &mut Tally<'_>,
    seen: &mut ResultsSeen,
) -> Res<()> {
    if !r.open_array("`Results` to be a list of results")? {
        return Ok(());
    }
    let mut walker = ResultWalker::default();
    let mut first = true;
    while r.next_element(&mut first)? {
        if !r.open_object("a result object")? {
            continue;
        }
        walker.begin();
        let mut first = true;
        while r.next_key(&mut first)? {
            if !walker.on_key(r, tally)? {
                r.skip_value()?;
            }
        }
        walker.end(tally);
        seen.results += 1;
        if seen.first_target.is_none() && !walker.target().is_empty() {
            seen.first_target = Some(walker.target().to_owned());
        }
    }
    Ok(())
}

/// What the resources of a `trivy k8s` report say besides findings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct K8sSeen {
    /// Resources walked.
    pub resources: u64,
    /// Resources with a non-empty `Error`.
    pub failed: u64,
    /// The first few failed resources (`namespace/Kind/name: error`).
    pub examples: Vec<String>,
}

/// Walks an array of `trivy k8s` resources (`Resources`, `Vulnerabilities` or `Findings`):
/// each resource's `Results` as [`walk_results`]; the target of each finding is the resource.
///
/// # Errors
/// Syntax and shape errors with their location.
pub fn walk_k8s_resources<R: Read>(
    r: &mut Reader<R>,
    tally: &mut Tally<'_>,
    seen: &mut K8sSeen,
) -> Res<()> {
    if !r.open_array("a list of resources")? {
        return Ok(());
    }
    let mut results_seen = ResultsSeen::default();
    let mut first = true;
    let (mut ns, mut kind, mut name, mut error) =
        (String::new(), String::new(), String::new(), String::new());
    while r.next_element(&mut first)? {
        if !r.open_object("a resource object")? {
            continue;
        }
        seen.resources += 1;
        for s in [&mut ns, &mut kind, &mut name, &mut error] {
            s.clear();
        }
        let mut first = true;
        while r.next_key(&mut first)? {
            match r.key() {
                b"Namespace" => {
                    r.string_into(&mut ns, "`Namespace` to be a string")?;
                }
                b"Kind" => {
                    r.string_into(&mut kind, "`Kind` to be a string")?;
                }
                b"Name" => {
                    r.string_into(&mut name, "`Name` to be a string")?;
                }
                b"Error" => {
                    r.string_into(&mut error, "`Error` to be a string")?;
                }
                b"Results" => walk_results(r, tally, &mut results_seen)?,
                _ => {
                    r.refuse_case_variant(RESOURCE_KEYS)?;
                    r.skip_value()?;
                }
            }
        }
        if !error.is_empty() {
            seen.failed += 1;
            if seen.examples.len() < 3 {
                seen.examples.push(format!("{ns}/{kind}/{name}: {error}"));
            }
        }
    }
    Ok(())
}

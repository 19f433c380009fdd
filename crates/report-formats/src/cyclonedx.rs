//! CycloneDX 1.4 – 1.7 JSON with `vulnerabilities`, `specs/scanner-formats.md` §8. Read from
//! the captured top-level values (a BOM's `vulnerabilities` refer to `components` that may come
//! later in the file).

use std::collections::HashMap;

use findings::{Finding, InputInfo, Scanner, Severity, Tally};
use json_stream::Kind;
use serde_json::{Map, Value};

use crate::captured::{self, article};
use crate::top::{TopFacts, TopValue};
use crate::{Format, ReportError};

/// Top-level keys of a CycloneDX BOM, for case-variant checks.
pub(crate) const TOP_KEYS: &[&str] = &[
    "bomFormat",
    "specVersion",
    "serialNumber",
    "metadata",
    "components",
    "vulnerabilities",
];

/// The spec versions read (§8 signature check 1; 1.7 by decision 7).
const SPEC_VERSIONS: &[&str] = &["1.4", "1.5", "1.6", "1.7"];

/// Keys read from `metadata`.
const METADATA_KEYS: &[&str] = &["component", "tools"];
/// Keys read from a component (for the unique key, the details and the artifact).
const COMPONENT_KEYS: &[&str] = &["bom-ref", "group", "name", "version", "purl", "components"];
/// Keys read from a vulnerability.
const VULN_KEYS: &[&str] = &["id", "ratings", "affects", "analysis", "published"];
/// Keys read from a rating.
const RATING_KEYS: &[&str] = &["severity", "score", "method"];

/// `analysis.state` values that mean "this BOM is not affected" (exact strings): never count.
const SUPPRESSED_STATES: &[&str] = &[
    "not_affected",
    "false_positive",
    "resolved",
    "resolved_with_pedigree",
];

fn malformed(message: String) -> ReportError {
    ReportError::malformed(Format::CycloneDx, message)
}

/// Counts the BOM's vulnerabilities into the tally.
pub(crate) fn read(facts: &TopFacts, tally: &mut Tally<'_>) -> Result<InputInfo, ReportError> {
    check_spec_version(facts)?;
    let vulns = vulnerabilities(facts)?;
    let metadata = facts.captured("metadata").and_then(Value::as_object);
    if let Some(m) = metadata {
        captured::refuse_case_variants(m, METADATA_KEYS, &|| "metadata".to_owned())
            .map_err(malformed)?;
    }
    let meta_component = metadata
        .and_then(|m| m.get("component"))
        .and_then(Value::as_object);
    let components: &[Value] = match facts.captured("components") {
        Some(Value::Array(a)) => a,
        _ => &[],
    };
    if meta_component.is_none() && components.is_empty() {
        return Err(ReportError::refused(
            "a CycloneDX VEX without components",
            "statements about another BOM, not a scan report (read the scan report the VEX refers to)",
        ));
    }

    let details = tally.needs_details();
    let index = ComponentIndex::build(meta_component, components, tally.needs_strings())?;
    let artifact = meta_component
        .and_then(|c| c.get("name"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);

    let mut f = Finding::default();
    let mut key = String::new();
    for (i, v) in vulns.iter().enumerate() {
        let at = || format!("vulnerabilities[{i}]");
        let v = captured::element(v, &at).map_err(malformed)?;
        captured::refuse_case_variants(v, VULN_KEYS, &at).map_err(malformed)?;
        let id = captured::string(v, "id", &at).map_err(malformed)?;
        let suppressed = suppressed(v, &at)?;
        let rating = Rating::of(captured::array(v, "ratings", &at).map_err(malformed)?, &at)?;
        let affects = captured::array(v, "affects", &at).map_err(malformed)?;
        f.severity = rating.bucket;
        f.fixable = false;
        if details && !suppressed {
            f.severity_word.clear();
            f.severity_word.push_str(rating.word);
            f.cvss = rating.cvss;
            f.published = v
                .get("published")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned);
            f.target.clear();
            f.target.push_str(artifact.as_deref().unwrap_or(""));
        }
        // One finding per `affects[]` element; the types are checked also where nothing
        // counts (a later malformed element discards the tally with the error).
        for (j, a) in affects.iter().enumerate() {
            let at = || format!("vulnerabilities[{i}].affects[{j}]");
            let a = captured::element(a, &at).map_err(malformed)?;
            captured::refuse_case_variants(a, &["ref"], &at).map_err(malformed)?;
            let r = captured::string(a, "ref", &at).map_err(malformed)?;
            if !suppressed {
                add(tally, &mut f, &mut key, id, r, &index);
            }
        }
        if affects.is_empty() && !suppressed {
            // A vulnerability without `affects` is one finding with the ref "".
            add(tally, &mut f, &mut key, id, "", &index);
        }
    }

    Ok(InputInfo {
        scanner: scanner(metadata),
        artifact,
        ..InputInfo::default()
    })
}

/// §8 signature check 1: `specVersion` is one of the strings `1.4` … `1.7`.
fn check_spec_version(facts: &TopFacts) -> Result<(), ReportError> {
    let reason = "unsupported CycloneDX specVersion (vulngate reads CycloneDX 1.4 to 1.7 JSON)";
    match facts.get("specVersion") {
        Some(TopValue::Scalar(Kind::String, v)) if SPEC_VERSIONS.contains(&v.as_str()) => Ok(()),
        Some(TopValue::Scalar(Kind::String, v)) => Err(ReportError::refused(
            format!("a CycloneDX {v} document"),
            reason,
        )),
        None => Err(ReportError::refused(
            "a CycloneDX document without specVersion",
            reason,
        )),
        Some(other) => Err(ReportError::refused(
            format!(
                "a CycloneDX document whose specVersion is {}",
                other.kind().article()
            ),
            reason,
        )),
    }
}

/// §8 signature check 2: a non-empty `vulnerabilities` array. Absent, `null` or `[]` is an
/// SBOM (Trivy writes `[]` into SBOM-only exports, decision 2); another type is malformed.
fn vulnerabilities(facts: &TopFacts) -> Result<&[Value], ReportError> {
    match facts.get("vulnerabilities") {
        Some(TopValue::Captured(Value::Array(a))) if !a.is_empty() => Ok(a),
        None | Some(TopValue::Scalar(Kind::Null, _) | TopValue::Captured(Value::Array(_))) => {
            Err(ReportError::refused(
                "a CycloneDX SBOM without vulnerabilities",
                "not a vulnerability report (an SBOM-only export cannot be told from a clean scan; scan the SBOM, e.g. `trivy sbom FILE --format json` or `grype sbom:FILE -o json`, and read that report)",
            ))
        }
        Some(other) => Err(malformed(format!(
            "vulnerabilities is {}, expected an array",
            other.kind().article()
        ))),
    }
}

/// True when `analysis.state` says the vulnerability does not apply.
fn suppressed(v: &Map<String, Value>, at: &dyn Fn() -> String) -> Result<bool, ReportError> {
    match v.get("analysis") {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Object(a)) => {
            let at = || format!("{}.analysis", at());
            captured::refuse_case_variants(a, &["state"], &at).map_err(malformed)?;
            let state = captured::string(a, "state", &at).map_err(malformed)?;
            Ok(SUPPRESSED_STATES.contains(&state))
        }
        Some(other) => Err(malformed(format!(
            "{}.analysis is {}, expected an object",
            at(),
            article(other)
        ))),
    }
}

/// The highest rating of a vulnerability.
#[derive(Debug)]
struct Rating<'v> {
    bucket: Severity,
    /// The severity word of the highest rating, as written (`""` without one).
    word: &'v str,
    /// The highest CVSS score among the ratings.
    cvss: Option<f64>,
}

impl<'v> Rating<'v> {
    fn of(ratings: &'v [Value], at: &dyn Fn() -> String) -> Result<Self, ReportError> {
        let mut best: Option<(u8, Severity, &str)> = None;
        let mut cvss: Option<f64> = None;
        for (k, r) in ratings.iter().enumerate() {
            let at = || format!("{}.ratings[{k}]", at());
            let r = captured::element(r, &at).map_err(malformed)?;
            captured::refuse_case_variants(r, RATING_KEYS, &at).map_err(malformed)?;
            let word = captured::string(r, "severity", &at).map_err(malformed)?;
            if !word.is_empty() {
                let (rank, bucket) = rank(word);
                if best.is_none_or(|(b, _, _)| rank > b) {
                    best = Some((rank, bucket, word));
                }
            }
            let is_cvss = r
                .get("method")
                .and_then(Value::as_str)
                .is_some_and(|m| m.len() >= 4 && m[..4].eq_ignore_ascii_case("cvss"));
            if is_cvss && let Some(score) = r.get("score").and_then(Value::as_f64) {
                cvss = Some(cvss.map_or(score, |c: f64| c.max(score)));
            }
        }
        let (bucket, word) = best.map_or((Severity::Unknown, ""), |(_, b, w)| (b, w));
        Ok(Self { bucket, word, cvss })
    }
}

/// The rank of a rating severity (`critical > high > medium > low > info > none > unknown`,
/// ASCII case-insensitive; an unrecognised word ranks as `unknown`) and its bucket:
/// info and none are LOW (decision 4).
fn rank(word: &str) -> (u8, Severity) {
    const ORDER: [(&str, u8, Severity); 6] = [
        ("critical", 6, Severity::Critical),
        ("high", 5, Severity::High),
        ("medium", 4, Severity::Medium),
        ("low", 3, Severity::Low),
        ("info", 2, Severity::Low),
        ("none", 1, Severity::Low),
    ];
    ORDER
        .iter()
        .find(|(w, _, _)| w.eq_ignore_ascii_case(word))
        .map_or((0, Severity::Unknown), |&(_, r, s)| (r, s))
}

/// Components by `bom-ref`: `metadata.component` first, then `components[]`, each depth-first
/// through nested `components`; the first component with a given ref wins.
#[derive(Debug, Default)]
struct ComponentIndex<'v> {
    by_ref: HashMap<&'v str, &'v Map<String, Value>>,
}

impl<'v> ComponentIndex<'v> {
    /// Walks every component (so that a key differing only in case is refused in every
    /// mode); the map is filled only when `keep` (the unique key and the details need it).
    fn build(
        meta: Option<&'v Map<String, Value>>,
        components: &'v [Value],
        keep: bool,
    ) -> Result<Self, ReportError> {
        let mut index = Self::default();
        // (component, its path); a stack, pushed in reverse to keep document order.
        let mut stack: Vec<(&'v Value, Path)> = components
            .iter()
            .enumerate()
            .rev()
            .map(|(i, c)| (c, Path::Top(i)))
            .collect();
        if let Some(m) = meta {
            index.visit(m, &Path::Meta, keep, &mut stack)?;
        }
        while let Some((c, path)) = stack.pop() {
            // Elements that are not objects are not components; §8 names no type for them.
            if let Some(c) = c.as_object() {
                index.visit(c, &path, keep, &mut stack)?;
            }
        }
        Ok(index)
    }

    fn visit(
        &mut self,
        c: &'v Map<String, Value>,
        path: &Path,
        keep: bool,
        stack: &mut Vec<(&'v Value, Path)>,
    ) -> Result<(), ReportError> {
        captured::refuse_case_variants(c, COMPONENT_KEYS, &|| path.to_string())
            .map_err(malformed)?;
        if keep && let Some(r) = c.get("bom-ref").and_then(Value::as_str) {
            self.by_ref.entry(r).or_insert(c);
        }
        if let Some(Value::Array(children)) = c.get("components") {
            let parent = std::rc::Rc::new(path.clone());
            for (i, child) in children.iter().enumerate().rev() {
                stack.push((child, Path::Nested(parent.clone(), i)));
            }
        }
        Ok(())
    }
}

/// Where a component is, for messages (built only when one is malformed).
#[derive(Debug, Clone)]
enum Path {
    Meta,
    Top(usize),
    Nested(std::rc::Rc<Path>, usize),
}

impl std::fmt::Display for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Meta => f.write_str("metadata.component"),
            Self::Top(i) => write!(f, "components[{i}]"),
            Self::Nested(p, i) => write!(f, "{p}.components[{i}]"),
        }
    }
}

/// Counts one (vulnerability, ref) pair; the strings are filled only when the tally needs them.
fn add(
    tally: &mut Tally<'_>,
    f: &mut Finding,
    key: &mut String,
    id: &str,
    r: &str,
    index: &ComponentIndex<'_>,
) {
    if tally.needs_strings() {
        fill_strings(f, key, id, r, index, tally.needs_details());
    }
    tally.add(f);
}

/// Id, package, version and the §8 unique key of one (vulnerability, ref) pair: the
/// component's `(id, "component", group, name, version)` when the ref resolves, else
/// `(id, "ref", ref)`.
fn fill_strings(
    f: &mut Finding,
    key: &mut String,
    id: &str,
    r: &str,
    index: &ComponentIndex<'_>,
    details: bool,
) {
    f.id.clear();
    f.id.push_str(id);
    f.package.clear();
    f.installed.clear();
    key.clear();
    key.push_str(id);
    if let Some(c) = index.by_ref.get(r) {
        let field = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("");
        let (group, name, version) = (field("group"), field("name"), field("version"));
        for part in ["component", group, name, version] {
            key.push('\0');
            key.push_str(part);
        }
        f.package.push_str(name);
        f.installed.push_str(version);
        if details {
            f.purl = Some(field("purl"))
                .filter(|p| !p.is_empty())
                .map(str::to_owned);
        }
    } else {
        for part in ["ref", r] {
            key.push('\0');
            key.push_str(part);
        }
        // A BOM-Link or a dangling ref: Trivy's refs are package URLs, which still name the
        // package for baselines and ignore rules.
        let purl = ref_purl(r);
        if let Some((name, version)) = purl.and_then(purl_name_version) {
            f.package.push_str(&name);
            f.installed.push_str(&version);
        }
        if details {
            f.purl = purl.map(str::to_owned);
        }
    }
    let mut k = f.unique_key.take().unwrap_or_default();
    k.clear();
    k.push_str(key);
    f.unique_key = Some(k);
}

/// The package URL a ref names: the ref itself, or the fragment of a BOM-Link
/// (`urn:cdx:<serial>/<version>#<bom-ref>`).
fn ref_purl(r: &str) -> Option<&str> {
    let target = match r.strip_prefix("urn:cdx:") {
        Some(link) => link.split_once('#')?.1,
        None => r,
    };
    target.starts_with("pkg:").then_some(target)
}

/// Name and version of a package URL (`pkg:type/namespace/name@version?qualifiers#subpath`),
/// percent-decoded.
fn purl_name_version(purl: &str) -> Option<(String, String)> {
    let rest = purl.strip_prefix("pkg:")?;
    let rest = rest.split(['#', '?']).next().unwrap_or(rest);
    let (path, version) = rest.rsplit_once('@').unwrap_or((rest, ""));
    let name = path.rsplit('/').next().unwrap_or(path);
    Some((percent_decode(name), percent_decode(version)))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| char::from(c).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            // Two hex digits: a byte below 256.
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// `metadata.tools[0]` (1.4 array form) or `metadata.tools.components[0]` (1.5+ object form).
fn scanner(metadata: Option<&Map<String, Value>>) -> Option<Scanner> {
    let tool = match metadata?.get("tools")? {
        Value::Array(tools) => tools.first()?,
        Value::Object(tools) => tools.get("components")?.as_array()?.first()?,
        _ => return None,
    };
    let text = |k: &str| {
        tool.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    Some(Scanner {
        name: text("name")?,
        version: text("version"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_follow_section_8() {
        assert_eq!(rank("CRITICAL"), (6, Severity::Critical));
        assert_eq!(rank("info").1, Severity::Low);
        assert_eq!(rank("none").1, Severity::Low);
        assert_eq!(rank("unknown"), (0, Severity::Unknown));
        assert_eq!(rank("severe"), (0, Severity::Unknown));
        // Non-ASCII never matches a keyword.
        assert_eq!(rank("hıgh"), (0, Severity::Unknown));
    }

    #[test]
    fn purls_of_refs() {
        let r = "urn:cdx:1455c02d/1#pkg:deb/ubuntu/libstdc%2B%2B6@12.3.0-1ubuntu1~22.04?arch=amd64";
        let p = ref_purl(r);
        assert_eq!(
            p,
            Some("pkg:deb/ubuntu/libstdc%2B%2B6@12.3.0-1ubuntu1~22.04?arch=amd64")
        );
        assert_eq!(
            p.and_then(purl_name_version),
            Some(("libstdc++6".to_owned(), "12.3.0-1ubuntu1~22.04".to_owned()))
        );
        assert_eq!(ref_purl("a246fd2054833c93"), None);
        assert_eq!(ref_purl("urn:cdx:serial/1"), None);
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%41%zz"), "A%zz");
    }
}

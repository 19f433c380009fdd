//! VEX documents: OpenVEX (<https://github.com/openvex/spec>) and CycloneDX VEX (a BOM's
//! `vulnerabilities[]` with `analysis` and `affects`), parsed into `findings`' [`VexSet`],
//! which applies them while counting.
//!
//! OpenVEX: `statements[]` with `vulnerability` (`{"name", "aliases"}`, or a bare string in
//! v0.0.1), `products` (`{"@id", "identifiers": {"purl"}, "subcomponents"}`, or bare strings),
//! `status` (`not_affected`, `affected`, `fixed`, `under_investigation`) and an optional
//! `timestamp` (else the document's). Statements are ordered by time, ties in file order, so
//! that the latest applying statement decides, as Trivy does through go-vex.
//!
//! CycloneDX: each `vulnerabilities[]` entry with `id`, `analysis.state` and `affects[].ref`.
//! A reference may be a BOM-Link (`urn:cdx:<serial>/<version>#<bom-ref>`, as Trivy's VEX
//! files use) or a plain `bom-ref`; a `bom-ref` of a component in the same document is resolved
//! to that component's purl. One difference from Trivy, which applies a CycloneDX VEX only to
//! the CycloneDX SBOM whose serial number the BOM-Link names: a report is not that SBOM, so the
//! reference's package URL is matched against the finding's, whatever the serial number.

use std::path::Path;

use findings::{VexDocument, VexProduct, VexRule, VexSet, VexStatement, VexStatus};
use jiff::Timestamp;
use serde_json::{Map, Value};

use crate::{FeedError, FeedInfo, json_error, line_of};

const FEED: &str = "VEX";

/// Reads every `--vex` file, in order.
///
/// # Errors
/// The first file that cannot be read or is not a valid VEX document.
pub fn parse_vex_documents(
    paths: &[impl AsRef<Path>],
) -> Result<(VexSet, Vec<FeedInfo>), FeedError> {
    let mut set = VexSet::default();
    let mut infos = Vec::new();
    for p in paths {
        let p = p.as_ref();
        let text = crate::read(FEED, p, crate::limits::VEX)?;
        let (doc, info) = parse_vex(&text, &p.display().to_string())?;
        set.documents.push(doc);
        infos.push(info);
    }
    Ok((set, infos))
}

/// Parses one OpenVEX or CycloneDX VEX document; `file` names it in errors and in statement
/// descriptions.
///
/// # Errors
/// [`FeedError::Invalid`]: not JSON, neither format, a statement without a vulnerability,
/// products or a known status, or a document without statements.
pub fn parse_vex(text: &str, file: &str) -> Result<(VexDocument, FeedInfo), FeedError> {
    let bad = |line, reason: String| FeedError::invalid(FEED, file, line, reason);
    let value: Value = serde_json::from_str(text).map_err(|e| {
        let (line, reason) = json_error(text, &e);
        bad(line, reason)
    })?;
    let Some(obj) = value.as_object() else {
        return Err(bad(
            1,
            "expected a JSON object (an OpenVEX or CycloneDX document)".into(),
        ));
    };
    let short = Path::new(file)
        .file_name()
        .map_or_else(|| file.to_owned(), |n| n.to_string_lossy().into_owned());
    let ctx = Ctx {
        text,
        file,
        short: &short,
    };
    if obj
        .get("@context")
        .and_then(Value::as_str)
        .is_some_and(|c| c.starts_with("https://openvex.dev/ns"))
    {
        openvex(obj, &ctx)
    } else if obj.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        cyclonedx(obj, &ctx)
    } else {
        Err(bad(
            1,
            "neither OpenVEX (an `@context` of https://openvex.dev/ns/...) nor CycloneDX (`bomFormat` CycloneDX)".into(),
        ))
    }
}

struct Ctx<'a> {
    text: &'a str,
    file: &'a str,
    short: &'a str,
}

impl Ctx<'_> {
    /// An error about statement `n` (1-based) about `id`, at the line of its id's
    /// `occurrence`-th mention.
    fn bad(&self, id: &str, occurrence: usize, n: usize, reason: &str) -> FeedError {
        let line = if id.is_empty() {
            0
        } else {
            line_of(self.text, &format!("\"{id}\""), occurrence)
        };
        FeedError::invalid(FEED, self.file, line, format!("statement {n}: {reason}"))
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| match x {
                Value::String(s) => Some(s.clone()),
                Value::Object(o) => product_id(o),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// An OpenVEX component's identifier: its purl identifier, else its `@id`.
fn product_id(o: &Map<String, Value>) -> Option<String> {
    o.get("identifiers")
        .and_then(|i| i.get("purl"))
        .and_then(Value::as_str)
        .or_else(|| o.get("@id").and_then(Value::as_str))
        .map(str::to_owned)
}

fn openvex(obj: &Map<String, Value>, ctx: &Ctx<'_>) -> Result<(VexDocument, FeedInfo), FeedError> {
    let doc_time = obj
        .get("timestamp")
        .and_then(Value::as_str)
        .and_then(|t| t.parse::<Timestamp>().ok());
    let Some(Value::Array(raw)) = obj.get("statements") else {
        return Err(FeedError::invalid(
            FEED,
            ctx.file,
            line_of(ctx.text, "\"statements\"", 0),
            "an OpenVEX document needs a `statements` list",
        ));
    };
    if raw.is_empty() {
        return Err(FeedError::invalid(
            FEED,
            ctx.file,
            line_of(ctx.text, "\"statements\"", 0),
            "the document has no statements",
        ));
    }
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut timed = Vec::with_capacity(raw.len());
    for (i, s) in raw.iter().enumerate() {
        let n = i + 1;
        let Some(s) = s.as_object() else {
            return Err(ctx.bad("", 0, n, "is not an object"));
        };
        let (name, aliases) = match s.get("vulnerability") {
            Some(Value::String(v)) => (v.clone(), Vec::new()),
            Some(Value::Object(v)) => (
                v.get("name")
                    .or_else(|| v.get("@id"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                strings(v.get("aliases")),
            ),
            _ => (String::new(), Vec::new()),
        };
        let occurrence = seen.entry(name.clone()).or_insert(0);
        let at = *occurrence;
        *occurrence += 1;
        if name.is_empty() {
            return Err(ctx.bad("", 0, n, "has no vulnerability name"));
        }
        // v0.0.1 put subcomponents on the statement; v0.2.0 on each product.
        let statement_subs = strings(s.get("subcomponents"));
        let products: Vec<VexProduct> = match s.get("products") {
            Some(Value::Array(ps)) => ps
                .iter()
                .filter_map(|p| match p {
                    Value::String(id) => Some(VexProduct::new(id.clone(), statement_subs.clone())),
                    Value::Object(o) => {
                        let mut subs = strings(o.get("subcomponents"));
                        if subs.is_empty() {
                            subs.clone_from(&statement_subs);
                        }
                        product_id(o).map(|id| VexProduct::new(id, subs))
                    }
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        if products.is_empty() {
            return Err(ctx.bad(&name, at, n, &format!("{name} names no product")));
        }
        let status = match s.get("status").and_then(Value::as_str) {
            Some("not_affected") => VexStatus::NotAffected,
            Some("fixed") => VexStatus::Fixed,
            Some("affected") => VexStatus::Affected,
            Some("under_investigation") => VexStatus::UnderInvestigation,
            Some(other) => {
                return Err(ctx.bad(
                    &name,
                    at,
                    n,
                    &format!("{name} has the unknown status `{other}` (not_affected, affected, fixed or under_investigation)"),
                ));
            }
            None => return Err(ctx.bad(&name, at, n, &format!("{name} has no status"))),
        };
        let time = match s.get("timestamp").and_then(Value::as_str) {
            Some(t) => Some(t.parse::<Timestamp>().map_err(|e| {
                ctx.bad(
                    &name,
                    at,
                    n,
                    &format!("timestamp `{t}` is not an RFC 3339 time: {e}"),
                )
            })?),
            None => doc_time,
        };
        let justification = s
            .get("justification")
            .or_else(|| s.get("impact_statement"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        timed.push((
            time,
            VexStatement {
                description: format!("{name} {} ({} statement {n})", status.as_str(), ctx.short),
                vulnerability: name,
                aliases,
                products,
                status,
                justification,
            },
        ));
    }
    // go-vex sorts by time (statements without one keep their place among equals).
    timed.sort_by_key(|(t, _)| *t);
    let info = FeedInfo {
        feed: "vex",
        file: ctx.file.to_owned(),
        version: obj
            .get("@id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| obj.get("version").map(Value::to_string)),
        date: doc_time,
        entries: timed.len() as u64,
    };
    Ok((
        VexDocument {
            rule: VexRule::LatestApplying,
            statements: timed.into_iter().map(|(_, s)| s).collect(),
        },
        info,
    ))
}

/// `bom-ref` → purl of every component (nested ones too) and the metadata component.
fn component_purls(obj: &Map<String, Value>) -> std::collections::HashMap<String, String> {
    fn walk(v: &Value, out: &mut std::collections::HashMap<String, String>) {
        if let Some(list) = v.as_array() {
            for c in list {
                if let (Some(r), Some(p)) = (
                    c.get("bom-ref").and_then(Value::as_str),
                    c.get("purl").and_then(Value::as_str),
                ) {
                    out.insert(r.to_owned(), p.to_owned());
                }
                if let Some(nested) = c.get("components") {
                    walk(nested, out);
                }
            }
        }
    }
    let mut out = std::collections::HashMap::new();
    if let Some(c) = obj.get("components") {
        walk(c, &mut out);
    }
    if let Some(m) = obj.get("metadata").and_then(|m| m.get("component")) {
        walk(&Value::Array(vec![m.clone()]), &mut out);
    }
    out
}

fn cyclonedx(
    obj: &Map<String, Value>,
    ctx: &Ctx<'_>,
) -> Result<(VexDocument, FeedInfo), FeedError> {
    let vulns = match obj.get("vulnerabilities") {
        Some(Value::Array(v)) if !v.is_empty() => v,
        _ => {
            return Err(FeedError::invalid(
                FEED,
                ctx.file,
                line_of(ctx.text, "\"vulnerabilities\"", 0),
                "a CycloneDX VEX needs a non-empty `vulnerabilities` list",
            ));
        }
    };
    let purls = component_purls(obj);
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut statements = Vec::with_capacity(vulns.len());
    for (i, v) in vulns.iter().enumerate() {
        let n = i + 1;
        let id = v
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let occurrence = seen.entry(id.clone()).or_insert(0);
        let at = *occurrence;
        *occurrence += 1;
        if id.is_empty() {
            return Err(ctx.bad("", 0, n, "has no vulnerability `id`"));
        }
        let analysis = v.get("analysis");
        let status = match analysis.and_then(|a| a.get("state")) {
            None | Some(Value::Null) => VexStatus::Unknown,
            Some(Value::String(s)) => match s.as_str() {
                "not_affected" | "false_positive" => VexStatus::NotAffected,
                "resolved" | "resolved_with_pedigree" => VexStatus::Fixed,
                "exploitable" => VexStatus::Affected,
                "in_triage" => VexStatus::UnderInvestigation,
                other => {
                    return Err(ctx.bad(
                        &id,
                        at,
                        n,
                        &format!("{id} has the unknown analysis state `{other}`"),
                    ));
                }
            },
            Some(_) => {
                return Err(ctx.bad(&id, at, n, &format!("{id}: analysis.state is not a string")));
            }
        };
        let refs: Vec<String> = match v.get("affects") {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|x| x.get("ref").and_then(Value::as_str))
                .map(|r| {
                    let fragment = r
                        .strip_prefix("urn:cdx:")
                        .and_then(|rest| rest.split_once('#'))
                        .map_or(r, |(_, f)| f);
                    purls
                        .get(fragment)
                        .cloned()
                        .unwrap_or_else(|| fragment.to_owned())
                })
                .collect(),
            _ => Vec::new(),
        };
        if refs.is_empty() && status.suppresses() {
            return Err(ctx.bad(
                &id,
                at,
                n,
                &format!("{id} affects nothing (`affects` is empty)"),
            ));
        }
        let justification = analysis
            .and_then(|a| a.get("justification").or_else(|| a.get("detail")))
            .and_then(Value::as_str)
            .map(str::to_owned);
        statements.push(VexStatement {
            description: format!("{id} {} ({} statement {n})", status.as_str(), ctx.short),
            vulnerability: id,
            aliases: Vec::new(),
            products: refs
                .into_iter()
                .map(|r| VexProduct::new(r, Vec::new()))
                .collect(),
            status,
            justification,
        });
    }
    let info = FeedInfo {
        feed: "vex",
        file: ctx.file.to_owned(),
        version: obj
            .get("serialNumber")
            .and_then(Value::as_str)
            .map(str::to_owned),
        date: obj
            .get("metadata")
            .and_then(|m| m.get("timestamp"))
            .and_then(Value::as_str)
            .and_then(|t| t.parse().ok()),
        entries: statements.len() as u64,
    };
    Ok((
        VexDocument {
            rule: VexRule::FirstWithId,
            statements,
        },
        info,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use findings::ImageIdentity;

    fn err(text: &str) -> String {
        parse_vex(text, "dir/vex.json").unwrap_err().to_string()
    }

    #[test]
    fn openvex_statements_sorted_by_time() {
        let t = r#"{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "timestamp": "2023-01-08T18:02:03Z",
  "statements": [
    {"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:apk/wolfi/git@2.39.0-r1"}],
     "status": "not_affected", "justification": "vulnerable_code_not_present",
     "timestamp": "2023-02-01T00:00:00Z"},
    {"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:apk/wolfi/git@2.39.0-r1"}],
     "status": "under_investigation"}
  ]
}"#;
        let (doc, info) = parse_vex(t, "dir/vex.json").unwrap();
        assert_eq!(info.entries, 2);
        assert_eq!(doc.statements[0].status, VexStatus::UnderInvestigation);
        assert_eq!(
            doc.statements[1].description,
            "CVE-1 not_affected (vex.json statement 1)"
        );
        let set = VexSet {
            documents: vec![doc],
        };
        assert_eq!(
            set.matching_statement("CVE-1", Some("pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64")),
            Some(1)
        );
    }

    #[test]
    fn openvex_statements_about_the_image() {
        // The shape of Trivy's own `pkg/vex/testdata/openvex-oci.json`, with a digest.
        let t = r#"{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "timestamp": "2023-01-16T19:07:16.853479631-06:00",
  "statements": [
    {"vulnerability": {"name": "CVE-2022-3715"},
     "products": [{"@id": "pkg:oci/debian@sha256%3Aab12?repository_url=index.docker.io%2Flibrary%2Fdebian",
                   "subcomponents": [{"@id": "pkg:deb/debian/bash"}]}],
     "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}
  ]
}"#;
        let (doc, _) = parse_vex(t, "openvex-oci.json").unwrap();
        let set = VexSet {
            documents: vec![doc],
        };
        assert!(set.names_images());
        let bash = Some("pkg:deb/debian/bash@5.1-2?arch=amd64&distro=debian-11.6");
        let debian = ImageIdentity::from_repo_digest("debian@sha256:ab12", Some("amd64"));
        assert_eq!(
            set.matching_statement_in("CVE-2022-3715", bash, debian.as_ref()),
            Some(0)
        );
        assert_eq!(set.matching_statement("CVE-2022-3715", bash), None);
        let other = ImageIdentity::from_repo_digest("ghcr.io/x/debian@sha256:ab12", None);
        assert_eq!(
            set.matching_statement_in("CVE-2022-3715", bash, other.as_ref()),
            None,
            "another repository"
        );
        assert_eq!(
            set.matching_statement_in(
                "CVE-2022-3715",
                Some("pkg:deb/debian/coreutils@8.32-4?arch=amd64"),
                debian.as_ref()
            ),
            None,
            "not a subcomponent"
        );
    }

    #[test]
    fn cyclonedx_refs_resolve_to_purls() {
        let t = r#"{"bomFormat": "CycloneDX", "specVersion": "1.6",
  "components": [{"bom-ref": "lib-1", "name": "x", "purl": "pkg:npm/x@1.0.0"}],
  "vulnerabilities": [
    {"id": "CVE-1", "analysis": {"state": "false_positive"}, "affects": [{"ref": "lib-1"}]},
    {"id": "CVE-2", "analysis": {"state": "resolved"},
     "affects": [{"ref": "urn:cdx:3e67/1#pkg:deb/ubuntu/libstdc%2B%2B6@12.3.0"}]}
  ]}"#;
        let (doc, _) = parse_vex(t, "vex.cdx.json").unwrap();
        let set = VexSet {
            documents: vec![doc],
        };
        assert_eq!(
            set.matching_statement("CVE-1", Some("pkg:npm/x@1.0.0")),
            Some(0)
        );
        assert_eq!(
            set.matching_statement(
                "CVE-2",
                Some("pkg:deb/ubuntu/libstdc%2b%2b6@12.3.0?arch=amd64")
            ),
            Some(1)
        );
    }

    #[test]
    fn bad_documents() {
        assert_eq!(
            err(" "),
            "invalid VEX file dir/vex.json, line 0: the file is empty"
        );
        assert!(err("[1]").contains("expected a JSON object"));
        assert!(err(r#"{"spdxVersion": "SPDX-2.3"}"#).contains("neither OpenVEX"));
        let e = err(r#"{"@context": "https://openvex.dev/ns/v0.2.0", "statements": []}"#);
        assert!(e.contains("no statements"), "{e}");
        let e = err(
            "{\"@context\": \"https://openvex.dev/ns/v0.2.0\", \"statements\": [\n{\"vulnerability\": {\"name\": \"CVE-1\"}, \"products\": [\"pkg:npm/x\"], \"status\": \"maybe\"}]}",
        );
        assert!(
            e.contains("line 2: statement 1: CVE-1 has the unknown status `maybe`"),
            "{e}"
        );
        let e = err(
            r#"{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"vulnerability": {"name": "CVE-1"}, "status": "fixed"}]}"#,
        );
        assert!(e.contains("CVE-1 names no product"), "{e}");
        let e = err(
            r#"{"bomFormat": "CycloneDX", "vulnerabilities": [{"id": "CVE-1", "analysis": {"state": "nope"}, "affects": [{"ref": "x"}]}]}"#,
        );
        assert!(e.contains("unknown analysis state `nope`"), "{e}");
        let e = err(r#"{"bomFormat": "CycloneDX", "vulnerabilities": []}"#);
        assert!(e.contains("non-empty `vulnerabilities`"), "{e}");
        let e = err("{\"bomFormat\": \"CycloneDX\", \"vulnerabilities\": [");
        assert!(e.contains("ends early"), "{e}");
    }
}

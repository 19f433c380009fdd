//! One random list of findings, written by the test as Trivy JSON, Grype JSON, SARIF and
//! CycloneDX, gives the same counts through every adapter, within what each format can
//! express: every format keeps severity, document order and the unique key; only Trivy and
//! Grype carry fix data.

use findings::{CountOptions, SeverityCounts, Want};
use proptest::prelude::*;
use report_formats::{Format, ReadOptions, ReportError, read_report};
use serde_json::{Value, json};

#[derive(Debug, Clone)]
struct F {
    id: String,
    pkg: String,
    version: String,
    severity: usize,
    fixed: Option<String>,
}

const WORDS: [&str; 5] = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"];
const GRYPE: [&str; 5] = ["Critical", "High", "Medium", "Low", "Unknown"];
/// Trivy's own SARIF scores for its labels.
const SCORES: [f64; 5] = [9.5, 8.0, 5.5, 2.0, 0.0];

fn finding() -> impl Strategy<Value = F> {
    (
        0..6u8,
        0..4u8,
        0..3u8,
        0..5usize,
        proptest::option::of(0..3u8),
    )
        .prop_map(|(i, p, v, severity, fixed)| F {
            id: format!("CVE-2024-{:04}", 1000 + u32::from(i)),
            pkg: format!("pkg{p}"),
            version: format!("1.{v}.0"),
            severity,
            fixed: fixed.map(|f| format!("2.{f}.0")),
        })
}

fn trivy(fs: &[F]) -> Value {
    let vulns: Vec<Value> = fs
        .iter()
        .map(|f| {
            let mut v = json!({"VulnerabilityID": f.id, "PkgName": f.pkg,
                "InstalledVersion": f.version, "Severity": WORDS[f.severity]});
            if let Some(x) = &f.fixed {
                v["FixedVersion"] = json!(x);
            }
            v
        })
        .collect();
    json!({"SchemaVersion": 2, "ArtifactName": "app:1", "Results": [{"Target": "app:1 (alpine 3.14)", "Vulnerabilities": vulns}]})
}

fn grype(fs: &[F]) -> Value {
    let matches: Vec<Value> = fs
        .iter()
        .map(|f| {
            let fix = match &f.fixed {
                Some(x) => json!({"versions": [x], "state": "fixed"}),
                None => json!({"versions": [], "state": "not-fixed"}),
            };
            json!({"vulnerability": {"id": f.id, "severity": GRYPE[f.severity], "fix": fix},
                   "artifact": {"name": f.pkg, "version": f.version}})
        })
        .collect();
    json!({"matches": matches, "source": {"type": "image", "target": {"userInput": "app:1"}},
           "descriptor": {"name": "grype", "version": "0.80.0"}})
}

fn sarif(fs: &[F]) -> Value {
    let mut rules: Vec<Value> = Vec::new();
    let results: Vec<Value> = fs
        .iter()
        .map(|f| {
            if !rules.iter().any(|r| r["id"] == json!(f.id)) {
                rules.push(json!({"id": f.id, "properties": {"tags": ["vulnerability", "security"]}}));
            }
            json!({"ruleId": f.id, "level": "error",
                   "message": {"text": format!("{} {}", f.pkg, f.version)},
                   "properties": {"security-severity": SCORES[f.severity].to_string()},
                   "locations": [{"physicalLocation": {"artifactLocation": {"uri": format!("{}/{}", f.pkg, f.version)}}}]})
        })
        .collect();
    json!({"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
           "runs": [{"tool": {"driver": {"name": "Trivy", "version": "0.76.0", "rules": rules}}, "results": results}]})
}

fn cyclonedx(fs: &[F]) -> Value {
    let mut components: Vec<Value> = Vec::new();
    let vulns: Vec<Value> = fs
        .iter()
        .map(|f| {
            let r = format!("{}@{}", f.pkg, f.version);
            if !components.iter().any(|c| c["bom-ref"] == json!(r)) {
                components.push(
                    json!({"bom-ref": r, "type": "library", "name": f.pkg, "version": f.version}),
                );
            }
            let ratings = if f.severity == 4 {
                json!([])
            } else {
                json!([{"severity": WORDS[f.severity].to_ascii_lowercase()}])
            };
            json!({"id": f.id, "ratings": ratings, "affects": [{"ref": r}]})
        })
        .collect();
    json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
           "metadata": {"component": {"bom-ref": "app", "type": "container", "name": "app", "version": "1"}},
           "components": components, "vulnerabilities": vulns})
}

fn count(
    doc: &Value,
    unique: bool,
    fixable_only: bool,
) -> Result<(Format, SeverityCounts), ReportError> {
    let bytes = serde_json::to_vec(doc).unwrap();
    let opts = CountOptions {
        unique,
        fixable_only,
        ignore: None,
        vex: None,
    };
    read_report(&bytes[..], &opts, Want::default(), &ReadOptions::default())
        .map(|r| (r.format, r.summary.counts))
}

/// The expected counts, from the list itself.
fn expected(fs: &[F], unique: bool, fixable_only: bool) -> SeverityCounts {
    let mut seen = std::collections::HashSet::new();
    let mut c = SeverityCounts::new();
    for f in fs {
        if fixable_only && f.fixed.is_none() {
            continue;
        }
        if unique && !seen.insert((f.id.clone(), f.pkg.clone(), f.version.clone())) {
            continue;
        }
        c.add(findings::Severity::ALL[f.severity]);
    }
    c
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn every_adapter_counts_the_same_findings(fs in proptest::collection::vec(finding(), 1..40)) {
        let docs = [
            (Format::TrivyJson, trivy(&fs)),
            (Format::GrypeJson, grype(&fs)),
            (Format::Sarif, sarif(&fs)),
            (Format::CycloneDx, cyclonedx(&fs)),
        ];
        for (format, doc) in &docs {
            for unique in [false, true] {
                let (got_format, counts) = count(doc, unique, false).map_err(|e| TestCaseError::fail(format!("{format}: {e}")))?;
                prop_assert_eq!(got_format, *format);
                prop_assert_eq!(counts, expected(&fs, unique, false), "{} unique={}", format, unique);
            }
            match count(doc, false, true) {
                Ok((_, counts)) => {
                    prop_assert!(format.has_fix_data(), "{} counted without fix data", format);
                    prop_assert_eq!(counts, expected(&fs, false, true), "{} fixable-only", format);
                }
                Err(ReportError::NoFixData(f)) => prop_assert!(!f.has_fix_data()),
                Err(e) => prop_assert!(false, "{}: {}", format, e),
            }
        }
    }
}

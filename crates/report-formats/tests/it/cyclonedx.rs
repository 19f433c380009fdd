//! CycloneDX (`specs/scanner-formats.md` §8): every CycloneDX file of the shared corpus with
//! its expected results (`shared/corpus/README.md`), the counting rules on small BOMs built
//! here, and hostile inputs.

use std::path::PathBuf;

use findings::{CountOptions, Severity, Want};
use report_formats::{Format, ReadOptions, Report, ReportError, read_report};
use serde_json::{Value, json};

fn corpus(path: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/corpus")
        .join(path);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn read_with(
    bytes: &[u8],
    unique: bool,
    fixable_only: bool,
    want: Want,
    read: &ReadOptions,
) -> Result<Report, ReportError> {
    let opts = CountOptions {
        unique,
        fixable_only,
        ..CountOptions::default()
    };
    read_report(bytes, &opts, want, read)
}

fn read(bytes: &[u8], unique: bool, fixable_only: bool) -> Result<Report, ReportError> {
    read_with(
        bytes,
        unique,
        fixable_only,
        Want::default(),
        &ReadOptions::default(),
    )
}

/// C/H/M/L/U.
fn counts(r: &Report) -> [u64; 5] {
    Severity::ALL.map(|s| r.summary.counts.get(s))
}

fn bom(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("serialise")
}

/// A BOM with one library component per (ref, group, name, version) and these vulnerabilities.
fn bom_with(components: Value, vulns: Value) -> Vec<u8> {
    let mut b = json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "metadata": {"component": {"bom-ref": "root", "type": "container", "name": "img:1"},
                     "tools": {"components": [{"name": "scanner-x", "version": "9.9"}]}},
    });
    b["components"] = components;
    b["vulnerabilities"] = vulns;
    bom(&b)
}

fn vuln(id: &str, severities: &[&str], refs: &[&str]) -> Value {
    json!({
        "id": id,
        "ratings": severities.iter().map(|s| json!({"severity": s})).collect::<Vec<_>>(),
        "affects": refs.iter().map(|r| json!({"ref": r})).collect::<Vec<_>>(),
    })
}

fn lib(r: &str, group: &str, name: &str, version: &str) -> Value {
    json!({"bom-ref": r, "type": "library", "group": group, "name": name, "version": version})
}

fn err_text(r: Result<Report, ReportError>) -> String {
    match r {
        Ok(r) => panic!("expected an error, got {:?}", counts(&r)),
        Err(e) => e.to_string(),
    }
}

enum Expect {
    /// Format, plain and `--unique` counts; `--fixable-only` must be refused (no fix data).
    Cdx([u64; 5], [u64; 5]),
    /// Not CycloneDX: a Trivy JSON report; plain, unique, fixable.
    TrivyJson([u64; 5], [u64; 5], [u64; 5]),
    /// Every run refused; the message contains this.
    Refused(&'static str),
}

const SBOM: &str = "a CycloneDX SBOM without vulnerabilities: not a vulnerability report";

/// Every corpus file that is CycloneDX, or that detection must route away from it.
const CORPUS: &[(&str, Expect)] = &[
    (
        "trivy/trivy-head__conda-cyclonedx.json.golden",
        Expect::Refused(SBOM),
    ),
    (
        "trivy/trivy-head__conda-environment-cyclonedx.json.golden",
        Expect::Refused(SBOM),
    ),
    (
        "trivy/trivy-head__fluentd-multiple-lockfiles-short.cdx.json.golden",
        Expect::Cdx([2, 1, 0, 0, 0], [2, 1, 0, 0, 0]),
    ),
    (
        "trivy/trivy-head__fluentd-multiple-lockfiles.cdx.json.golden",
        Expect::Refused(SBOM),
    ),
    (
        "trivy/trivy-head__license-cyclonedx.json.golden",
        Expect::TrivyJson([0; 5], [0; 5], [0; 5]),
    ),
    (
        "trivy/trivy-head__npm-cyclonedx.json.golden",
        Expect::Cdx([0, 0, 1, 0, 0], [0, 0, 1, 0, 0]),
    ),
    (
        "trivy/trivy-head__pom-cyclonedx.json.golden",
        Expect::Cdx([1, 1, 0, 0, 0], [1, 1, 0, 0, 0]),
    ),
    (
        "trivy/trivy-v0.35.0__centos-7-cyclonedx.json.golden",
        Expect::Cdx([0, 1, 2, 0, 0], [0, 1, 2, 0, 0]),
    ),
    (
        "trivy/trivy-operator__fixture.alpine_sbom.json",
        Expect::Refused(SBOM),
    ),
    (
        "grype/alpine-3.14-vulnerable.syft-1.18.1.cdx.json",
        Expect::Refused(SBOM),
    ),
    (
        "grype/grype-presenter-cyclonedx-dir.golden.cdx.json",
        Expect::Cdx([1, 0, 0, 1, 0], [1, 0, 0, 1, 0]),
    ),
    (
        "grype/grype-presenter-cyclonedx-image.golden.cdx.json",
        Expect::Cdx([1, 0, 0, 1, 0], [1, 0, 0, 1, 0]),
    ),
    (
        "vex/cyclonedx-spec__valid-vulnerability-1.6.json",
        Expect::Cdx([0; 5], [0; 5]),
    ),
    (
        "vex/trivy-head__pkg.vex.testdata.cyclonedx.json",
        Expect::Refused("a CycloneDX VEX without components"),
    ),
];

#[test]
fn corpus_files_give_the_expected_results() {
    let all = Want {
        keys: true,
        findings: true,
        fixes: false,
    };
    for (file, expect) in CORPUS {
        let bytes = corpus(file);
        match expect {
            Expect::Cdx(plain, unique) => {
                let r = read(&bytes, false, false).unwrap_or_else(|e| panic!("{file}: {e}"));
                assert_eq!(r.format, Format::CycloneDx, "{file}");
                assert_eq!(r.summary.input.format, "cyclonedx", "{file}");
                assert_eq!(counts(&r), *plain, "{file}: plain");
                let u = read(&bytes, true, false).unwrap_or_else(|e| panic!("{file}: {e}"));
                assert_eq!(counts(&u), *unique, "{file}: --unique");
                assert!(
                    matches!(
                        read(&bytes, false, true),
                        Err(ReportError::NoFixData(Format::CycloneDx))
                    ),
                    "{file}: --fixable-only must be refused"
                );
                assert!(matches!(
                    read(&bytes, true, true),
                    Err(ReportError::NoFixData(Format::CycloneDx))
                ));
                // The details path (keys, kept findings) counts the same.
                let d = read_with(&bytes, false, false, all, &ReadOptions::default())
                    .unwrap_or_else(|e| panic!("{file}: {e}"));
                assert_eq!(counts(&d), *plain, "{file}: details");
                assert_eq!(d.summary.kept.len() as u64, d.summary.findings);
            }
            Expect::TrivyJson(plain, unique, fixable) => {
                let r = read(&bytes, false, false).unwrap_or_else(|e| panic!("{file}: {e}"));
                assert_eq!(r.format, Format::TrivyJson, "{file}");
                assert_eq!(counts(&r), *plain, "{file}");
                let u = read(&bytes, true, false).unwrap_or_else(|e| panic!("{file}: {e}"));
                assert_eq!(counts(&u), *unique, "{file}");
                let f = read(&bytes, false, true).unwrap_or_else(|e| panic!("{file}: {e}"));
                assert_eq!(counts(&f), *fixable, "{file}");
            }
            Expect::Refused(what) => {
                for (unique, fixable) in [(false, false), (true, false), (false, true)] {
                    match read(&bytes, unique, fixable) {
                        Err(e @ ReportError::Refused { .. }) => {
                            assert!(e.to_string().contains(what), "{file}: {e}");
                        }
                        other => panic!("{file}: expected a refusal, got {other:?}"),
                    }
                }
            }
        }
    }
}

#[test]
fn corpus_records_scanner_and_artifact() {
    let r = read(
        &corpus("grype/grype-presenter-cyclonedx-image.golden.cdx.json"),
        false,
        false,
    )
    .unwrap();
    let s = r.summary.input.scanner.as_ref().unwrap();
    assert_eq!(
        (s.name.as_str(), s.version.as_deref()),
        ("grype", Some("[not provided]"))
    );
    assert_eq!(r.summary.artifact_name(), Some("user-input"));
    assert_eq!(r.summary.input.db, None);

    // 1.4: `metadata.tools` is an array.
    let r = read(
        &corpus("trivy/trivy-v0.35.0__centos-7-cyclonedx.json.golden"),
        false,
        false,
    )
    .unwrap();
    let s = r.summary.input.scanner.as_ref().unwrap();
    assert_eq!(
        (s.name.as_str(), s.version.as_deref()),
        ("trivy", Some("dev"))
    );
    assert_eq!(
        r.summary.artifact_name(),
        Some("integration/testdata/fixtures/images/centos-7.tar.gz")
    );
}

#[test]
fn corpus_details_resolve_components_and_bom_links() {
    let want = Want {
        keys: true,
        findings: true,
        fixes: false,
    };
    let r = read_with(
        &corpus("trivy/trivy-head__pom-cyclonedx.json.golden"),
        false,
        false,
        want,
        &ReadOptions::default(),
    )
    .unwrap();
    let f = &r.summary.kept[0];
    assert_eq!(f.id, "CVE-2020-9548");
    assert_eq!(f.severity, Severity::Critical);
    assert_eq!(f.severity_word, "critical");
    assert_eq!(
        (f.package.as_str(), f.installed.as_str()),
        ("jackson-databind", "2.9.1")
    );
    assert_eq!(
        f.purl.as_deref(),
        Some("pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.1")
    );
    // The highest CVSS score among the ratings (nvd v3.1 9.8).
    assert_eq!(f.cvss, Some(9.8));
    assert!(!f.fixable && f.fixed_version.is_none());
    assert_eq!(
        f.unique_key.as_deref(),
        Some(
            [
                "CVE-2020-9548",
                "component",
                "com.fasterxml.jackson.core",
                "jackson-databind",
                "2.9.1"
            ]
            .join("\0")
            .as_str()
        )
    );

    // BOM-Links resolve to no component: the key keeps the ref; the package comes from the
    // package URL in the link.
    let r = read_with(
        &corpus("trivy/trivy-v0.35.0__centos-7-cyclonedx.json.golden"),
        false,
        false,
        want,
        &ReadOptions::default(),
    )
    .unwrap();
    let f = &r.summary.kept[0];
    assert_eq!(f.id, "CVE-2019-18276");
    assert_eq!(f.severity, Severity::High);
    assert!(
        f.unique_key
            .as_deref()
            .unwrap()
            .starts_with("CVE-2019-18276\0ref\0urn:cdx:1455c02d")
    );
    assert_eq!(
        (f.package.as_str(), f.installed.as_str()),
        ("bash", "4.2.46-31.el7")
    );
    assert_eq!(
        r.summary
            .keys
            .as_ref()
            .unwrap()
            .get("CVE-2019-18276", "bash"),
        Some(Severity::High)
    );
}

#[test]
fn one_finding_per_affects_element_and_unique_by_component() {
    let comps = json!([
        lib("a", "g", "pkg", "1.0"),
        lib("b", "g", "pkg", "1.0"), // same group/name/version under another ref
        lib("c", "g", "pkg", "2.0"),
    ]);
    let vulns = json!([
        vuln("CVE-1", &["high"], &["a", "b", "c"]),
        vuln("CVE-1", &["low"], &["a"]), // duplicate of the first pair
        vuln("CVE-2", &["medium"], &["x", "x"]), // dangling ref, twice
        vuln("CVE-3", &["critical"], &[]), // no affects: one finding, ref ""
    ]);
    let b = bom_with(comps, vulns);
    let r = read(&b, false, false).unwrap();
    assert_eq!(counts(&r), [1, 3, 2, 1, 0]);
    let u = read(&b, true, false).unwrap();
    // CVE-1: (g,pkg,1.0) once, (g,pkg,2.0) once; the later LOW duplicate does not count.
    assert_eq!(counts(&u), [1, 2, 1, 0, 0]);
    let s = u.summary.input.scanner.unwrap();
    assert_eq!(
        (s.name.as_str(), s.version.as_deref()),
        ("scanner-x", Some("9.9"))
    );
    assert_eq!(u.summary.input.artifact.as_deref(), Some("img:1"));
}

#[test]
fn bom_refs_are_found_depth_first_metadata_component_first() {
    // "dup" names the metadata component and a later library: the metadata one wins.
    let comps = json!([
        {"bom-ref": "outer", "name": "outer", "components": [
            {"bom-ref": "inner", "name": "deep", "version": "1",
             "components": [{"bom-ref": "innermost", "name": "deep", "version": "1"}]}
        ]},
        {"bom-ref": "inner", "name": "shadowed", "version": "9"},
        lib("dup", "", "lib", "1"),
    ]);
    let vulns = json!([vuln(
        "CVE-9",
        &["high"],
        &["inner", "innermost", "dup", "root"]
    ),]);
    let mut v: Value = serde_json::from_slice(&bom_with(comps, vulns)).unwrap();
    v["metadata"]["component"]["bom-ref"] = json!("dup");
    let b = bom(&v);
    // inner and innermost are both (deep, 1); dup is the metadata component (img:1); "root"
    // no longer resolves.
    let u = read(&b, true, false).unwrap();
    assert_eq!(counts(&u), [0, 3, 0, 0, 0]);
    let want = Want {
        keys: false,
        findings: true,
        fixes: false,
    };
    let d = read_with(&b, false, false, want, &ReadOptions::default()).unwrap();
    let names: Vec<&str> = d.summary.kept.iter().map(|f| f.package.as_str()).collect();
    assert_eq!(names, ["deep", "deep", "img:1", ""]);
}

#[test]
fn severity_is_the_highest_rating() {
    let cases: &[(&[&str], [u64; 5])] = &[
        (&["low", "CRITICAL"], [1, 0, 0, 0, 0]),
        (&["info"], [0, 0, 0, 1, 0]),
        (&["none"], [0, 0, 0, 1, 0]),
        (&["unknown", "none"], [0, 0, 0, 1, 0]),
        (&["unknown"], [0, 0, 0, 0, 1]),
        (&["bogus"], [0, 0, 0, 0, 1]),
        (&["", "medium"], [0, 0, 1, 0, 0]),
        (&[], [0, 0, 0, 0, 1]),
    ];
    for (sevs, want) in cases {
        let b = bom_with(
            json!([lib("a", "", "p", "1")]),
            json!([vuln("V", sevs, &["a"])]),
        );
        assert_eq!(counts(&read(&b, false, false).unwrap()), *want, "{sevs:?}");
    }
    // The word of the first highest rating is kept as the scanner's own.
    let b = bom_with(
        json!([lib("a", "", "p", "1")]),
        json!([vuln("V", &["low", "HIGH", "high"], &["a"])]),
    );
    let want = Want {
        keys: false,
        findings: true,
        fixes: false,
    };
    let d = read_with(&b, false, false, want, &ReadOptions::default()).unwrap();
    assert_eq!(d.summary.kept[0].severity_word, "HIGH");
    // Ratings without severity (EPSS, KEV) are ignored; scores never become a severity.
    let b = bom_with(
        json!([lib("a", "", "p", "1")]),
        json!([{"id": "V", "affects": [{"ref": "a"}],
                "ratings": [{"score": 9.9, "method": "CVSSv31"}, {"score": 0.5, "method": "other"}]}]),
    );
    assert_eq!(counts(&read(&b, false, false).unwrap()), [0, 0, 0, 0, 1]);
}

#[test]
fn suppressed_analysis_states_never_count() {
    let states = [
        ("not_affected", 0),
        ("false_positive", 0),
        ("resolved", 0),
        ("resolved_with_pedigree", 0),
        ("exploitable", 1),
        ("in_triage", 1),
        ("Not_Affected", 1), // exact strings only
    ];
    for (state, n) in states {
        let mut v = vuln("V", &["high"], &["a"]);
        v["analysis"] = json!({"state": state});
        let b = bom_with(json!([lib("a", "", "p", "1")]), json!([v]));
        let r = read(&b, false, false).unwrap();
        assert_eq!(r.summary.findings, n, "{state}");
    }
    // All suppressed: a valid report with 0 findings (decision 2).
    let mut v = vuln("V", &["high"], &["a", "b"]);
    v["analysis"] = json!({"state": "not_affected"});
    let r = read(
        &bom_with(json!([lib("a", "", "p", "1")]), json!([v])),
        false,
        false,
    )
    .unwrap();
    assert_eq!(counts(&r), [0; 5]);
}

#[test]
fn signature_checks_in_order() {
    let base = json!({"bomFormat": "CycloneDX", "specVersion": "1.5",
        "components": [lib("a", "", "p", "1")], "vulnerabilities": [vuln("V", &["high"], &["a"])]});
    for v in ["1.4", "1.5", "1.6", "1.7"] {
        let mut b = base.clone();
        b["specVersion"] = json!(v);
        assert_eq!(read(&bom(&b), false, false).unwrap().summary.findings, 1);
    }
    // 1. specVersion, before anything else.
    for (sv, shown) in [
        (json!("1.3"), "a CycloneDX 1.3 document"),
        (json!("2.0"), "a CycloneDX 2.0 document"),
        (json!(1.4), "specVersion is a number"),
        (Value::Null, "specVersion is null"),
    ] {
        let mut b = base.clone();
        b["specVersion"] = sv;
        b["vulnerabilities"] = json!([]);
        let e = read(&bom(&b), false, false).unwrap_err();
        assert!(matches!(e, ReportError::Refused { .. }), "{e}");
        assert!(e.to_string().contains(shown), "{e}");
    }
    let mut b = base.clone();
    b.as_object_mut().unwrap().remove("specVersion");
    assert!(err_text(read(&bom(&b), false, false)).contains("without specVersion"));
    // 2. vulnerabilities: absent, null and [] are an SBOM; another type is malformed.
    for vulns in [None, Some(Value::Null), Some(json!([]))] {
        let mut b = base.clone();
        match vulns {
            None => {
                b.as_object_mut().unwrap().remove("vulnerabilities");
            }
            Some(v) => b["vulnerabilities"] = v,
        }
        b.as_object_mut().unwrap().remove("components");
        assert!(err_text(read(&bom(&b), false, false)).contains(SBOM));
    }
    for bad in [json!({"id": "V"}), json!("V"), json!(3)] {
        let mut b = base.clone();
        b["vulnerabilities"] = bad;
        let e = read(&bom(&b), false, false).unwrap_err();
        assert!(matches!(e, ReportError::Malformed { .. }), "{e}");
    }
    // 3. something scanned: metadata.component or a non-empty components.
    let mut b = base;
    b["components"] = json!([]);
    assert!(err_text(read(&bom(&b), false, false)).contains("VEX without components"));
    b["metadata"] = json!({"component": {"name": "x"}});
    assert_eq!(read(&bom(&b), false, false).unwrap().summary.findings, 1);
    b["metadata"] = json!({"component": "x"});
    assert!(err_text(read(&bom(&b), false, false)).contains("VEX without components"));
}

#[test]
fn wrong_types_are_malformed_with_their_path() {
    let cases: &[(Value, &str)] = &[
        (
            json!(["V"]),
            "vulnerabilities[0] is a string, expected an object",
        ),
        (
            json!([{"id": 7}]),
            "vulnerabilities[0].id is a number, expected a string",
        ),
        (
            json!([{"id": "V", "ratings": {"severity": "high"}}]),
            "vulnerabilities[0].ratings is an object, expected an array",
        ),
        (
            json!([{"id": "V", "ratings": [{"severity": 9}]}]),
            "vulnerabilities[0].ratings[0].severity is a number, expected a string",
        ),
        (
            json!([{"id": "V", "ratings": ["high"]}]),
            "vulnerabilities[0].ratings[0] is a string, expected an object",
        ),
        (
            json!([{"id": "V", "affects": "a"}]),
            "vulnerabilities[0].affects is a string, expected an array",
        ),
        (
            json!([{"id": "V", "affects": [{"ref": {"x": 1}}]}]),
            "vulnerabilities[0].affects[0].ref is an object, expected a string",
        ),
        (
            json!([{"id": "V", "analysis": "not_affected"}]),
            "vulnerabilities[0].analysis is a string, expected an object",
        ),
        (
            json!([{"id": "V", "analysis": {"state": true}}]),
            "vulnerabilities[0].analysis.state is a boolean, expected a string",
        ),
        // Types are checked where nothing counts too: suppressed, and in later elements.
        (
            json!([{"id": "V", "analysis": {"state": "not_affected"}, "affects": [1]}]),
            "vulnerabilities[0].affects[0] is a number, expected an object",
        ),
        (
            json!([vuln("V", &["high"], &["a"]), {"id": "W", "ratings": 1}]),
            "vulnerabilities[1].ratings is a number, expected an array",
        ),
    ];
    for (vulns, msg) in cases {
        let b = bom_with(json!([lib("a", "", "p", "1")]), vulns.clone());
        for unique in [false, true] {
            let e = read(&b, unique, false).unwrap_err();
            assert!(matches!(e, ReportError::Malformed { .. }), "{e}");
            assert_eq!(e.to_string(), format!("malformed cyclonedx report: {msg}"));
        }
    }
}

#[test]
fn key_case_variants_are_refused() {
    let cases: &[(Value, &str)] = &[
        (
            json!([{"id": "V", "Ratings": [{"severity": "high"}]}]),
            "`Ratings`",
        ),
        (
            json!([{"id": "V", "ratings": [{"Severity": "high"}]}]),
            "`Severity`",
        ),
        (json!([{"ID": "V"}]), "`ID`"),
        (json!([{"id": "V", "Affects": [{"ref": "a"}]}]), "`Affects`"),
        (json!([{"id": "V", "affects": [{"Ref": "a"}]}]), "`Ref`"),
        (
            json!([{"id": "V", "analysis": {"State": "not_affected"}}]),
            "`State`",
        ),
        (
            json!([{"id": "V", "Analysis": {"state": "not_affected"}}]),
            "`Analysis`",
        ),
    ];
    for (vulns, key) in cases {
        let b = bom_with(json!([lib("a", "", "p", "1")]), vulns.clone());
        for unique in [false, true] {
            let e = err_text(read(&b, unique, false));
            assert!(e.contains(key) && e.contains("only in letter case"), "{e}");
        }
    }
    // In components (the unique key reads them): refused in every mode.
    let b = bom_with(
        json!([{"Bom-Ref": "a", "name": "p"}]),
        json!([vuln("V", &["high"], &["a"])]),
    );
    for unique in [false, true] {
        let e = err_text(read(&b, unique, false));
        assert!(
            e.contains("components[0]") && e.contains("`Bom-Ref`"),
            "{e}"
        );
    }
    // At the top level.
    let text = br#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"bom-ref":"a"}],
        "Vulnerabilities":[{"id":"V","ratings":[{"severity":"high"}],"affects":[{"ref":"a"}]}]}"#;
    let e = err_text(read(text, false, false));
    assert!(
        e.contains("`Vulnerabilities`") && e.contains("only in letter case"),
        "{e}"
    );
}

#[test]
fn truncated_and_invalid_json_name_line_and_column() {
    let full = corpus("trivy/trivy-head__fluentd-multiple-lockfiles-short.cdx.json.golden");
    for cut in [full.len() / 3, full.len() / 2, full.len() - 2] {
        let e = read(&full[..cut], false, false).unwrap_err();
        match &e {
            ReportError::Json(j) => assert!(j.location().is_some(), "{e}"),
            other => panic!("cut at {cut}: {other}"),
        }
        assert!(e.to_string().contains("line"), "{e}");
    }
    let mut bad = full;
    let at = bad.windows(9).position(|w| w == b"\"ratings\"").unwrap();
    bad[at + 10] = b'#'; // after `"ratings":` comes a value
    let e = read(&bad, false, false).unwrap_err();
    assert!(e.to_string().contains("line"), "{e}");
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    // Deeper than the reader's limit: a JSON error with its position.
    let mut comp = json!({"bom-ref": "leaf", "name": "leaf"});
    for i in 0..200 {
        comp = json!({"bom-ref": format!("c{i}"), "components": [comp]});
    }
    let b = bom_with(json!([comp]), json!([vuln("V", &["high"], &["leaf"])]));
    let e = read(&b, true, false).unwrap_err();
    assert!(e.to_string().contains("line"), "{e}");

    // Within the limit: the deepest component is still found.
    let mut comp = json!({"bom-ref": "leaf", "name": "leaf", "version": "1"});
    for i in 0..50 {
        comp = json!({"bom-ref": format!("c{i}"), "components": [comp]});
    }
    let b = bom_with(
        json!([comp, lib("other", "", "leaf", "1")]),
        json!([vuln("V", &["high"], &["leaf", "other"])]),
    );
    assert_eq!(counts(&read(&b, true, false).unwrap()), [0, 1, 0, 0, 0]);
}

#[test]
fn huge_arrays_count_or_hit_the_capture_limit() {
    let n = 20_000;
    let comps: Vec<Value> = (0..n)
        .map(|i| lib(&format!("r{i}"), "", "p", &format!("{}", i % 100)))
        .collect();
    let vulns: Vec<Value> = (0..n)
        .map(|i| {
            vuln(
                &format!("CVE-{}", i % 7),
                &[["critical", "low"][i % 2]],
                &[&format!("r{i}")],
            )
        })
        .collect();
    let b = bom_with(Value::Array(comps), Value::Array(vulns));
    let r = read(&b, false, false).unwrap();
    assert_eq!(counts(&r), [10_000, 0, 0, 10_000, 0]);
    // Unique keys: (CVE-(i%7), p, i%100) has 700 distinct values.
    assert_eq!(read(&b, true, false).unwrap().summary.findings, 700);
    let small = ReadOptions {
        capture_limit: Some(64 * 1024),
        ..ReadOptions::default()
    };
    let e = read_with(&b, false, false, Want::default(), &small).unwrap_err();
    assert!(e.to_string().contains("larger than"), "{e}");
}

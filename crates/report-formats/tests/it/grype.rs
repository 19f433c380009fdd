//! Grype JSON (`specs/scanner-formats.md` §6): the corpus files with what they record, the
//! counting rules on small reports built here, and hostile inputs.

use findings::{CountOptions, Severity, Want};
use report_formats::{Format, ReadOptions, Report, ReportError, read_report};
use serde_json::{Value, json};

fn read_with(bytes: &[u8], opts: &CountOptions, want: Want) -> Result<Report, ReportError> {
    read_report(bytes, opts, want, &ReadOptions::default())
}

fn read(bytes: &[u8], unique: bool, fixable_only: bool) -> Result<Report, ReportError> {
    let opts = CountOptions {
        unique,
        fixable_only,
        ..CountOptions::default()
    };
    read_with(bytes, &opts, Want::default())
}

/// C/H/M/L/U.
fn counts(r: &Report) -> [u64; 5] {
    Severity::ALL.map(|s| r.summary.counts.get(s))
}

fn report(matches: Value) -> Vec<u8> {
    let mut doc = json!({
        "source": {"type": "image", "target": {"userInput": "alpine:3.14", "tags": ["alpine:3.14"]}},
        "distro": {"name": "alpine", "version": "3.14.2"},
        "descriptor": {"name": "grype", "version": "0.80.0",
                       "db": {"status": {"built": "2026-11-30T01:02:03Z", "schemaVersion": "v6.0.2"}}},
    });
    doc["matches"] = matches;
    serde_json::to_vec(&doc).unwrap()
}

fn m(id: &str, severity: &str, name: &str, version: &str, fix: Value) -> Value {
    let mut v = json!({"id": id, "severity": severity});
    if !fix.is_null() {
        v["fix"] = fix;
    }
    json!({"vulnerability": v, "artifact": {"name": name, "version": version}})
}

fn err_text(r: Result<Report, ReportError>) -> String {
    match r {
        Ok(r) => panic!("expected an error, got {:?}", counts(&r)),
        Err(e) => e.to_string(),
    }
}

fn corpus(path: &str) -> Vec<u8> {
    std::fs::read(crate::workspace_fixture("corpus").join(path)).unwrap()
}

#[test]
fn corpus_files_record_scanner_db_and_artifact() {
    let r = read(&corpus("grype/grype-0.66.0-keycloak.json"), false, false).unwrap();
    assert_eq!(r.format, Format::GrypeJson);
    let scanner = r.summary.input.scanner.as_ref().unwrap();
    assert_eq!(
        (scanner.name.as_str(), scanner.version.as_deref()),
        ("grype", Some("0.66.0"))
    );
    assert!(
        r.summary.input.db.is_some(),
        "schema-5 `descriptor.db.built` is read"
    );
    assert!(r.summary.artifact_name().is_some());

    let empty = read(
        &corpus("grype/grype-presenter-empty.golden.json"),
        false,
        false,
    )
    .unwrap();
    assert_eq!(counts(&empty), [0; 5]);
    assert_eq!(empty.summary.artifact_name(), Some("unknown"));

    let image = read(
        &corpus("grype/grype-presenter-image.golden.json"),
        false,
        false,
    )
    .unwrap();
    assert_eq!(image.summary.artifact_name(), Some("user-input"));
}

#[test]
fn severity_words_and_negligible() {
    let matches = json!([
        m("CVE-1", "Critical", "a", "1", Value::Null),
        m("CVE-2", "HIGH", "a", "1", Value::Null),
        m("CVE-3", "medium", "a", "1", Value::Null),
        m("CVE-4", "Low", "a", "1", Value::Null),
        m("CVE-5", "Negligible", "a", "1", Value::Null),
        m("CVE-6", "Unknown", "a", "1", Value::Null),
        m("CVE-7", "", "a", "1", Value::Null),
        m("CVE-8", "severe", "a", "1", Value::Null),
        {"vulnerability": {"id": "CVE-9"}, "artifact": {"name": "a", "version": "1"}},
    ]);
    let r = read(&report(matches), false, false).unwrap();
    assert_eq!(counts(&r), [1, 1, 1, 2, 4]);
    assert_eq!(r.summary.input.negligible, Some(1));
    let db = r.summary.input.db.as_ref().unwrap();
    assert_eq!(db.schema.as_deref(), Some("v6.0.2"));
    assert_eq!(r.summary.artifact_name(), Some("alpine:3.14"));
}

#[test]
fn fix_state_decides_fixable_and_fixed_in_version_only_without_fix() {
    let matches = json!([
        m("CVE-1", "High", "a", "1", json!({"state": "fixed", "versions": ["2"]})),
        m("CVE-2", "High", "a", "1", json!({"state": "not-fixed", "versions": ["2"]})),
        m("CVE-3", "High", "a", "1", json!({"state": "wont-fix"})),
        m("CVE-4", "High", "a", "1", json!({"state": "unknown"})),
        m("CVE-5", "High", "a", "1", json!({"state": ""})),
        m("CVE-6", "High", "a", "1", json!({"state": "Fixed"})),
        // grype before 0.13
        {"vulnerability": {"id": "CVE-7", "severity": "High", "fixedInVersion": "2"},
         "artifact": {"name": "a", "version": "1"}},
        {"vulnerability": {"id": "CVE-8", "severity": "High", "fixedInVersion": ""},
         "artifact": {"name": "a", "version": "1"}},
        // a fix object wins over fixedInVersion
        {"vulnerability": {"id": "CVE-9", "severity": "High", "fixedInVersion": "2",
                           "fix": {"state": "not-fixed"}},
         "artifact": {"name": "a", "version": "1"}},
    ]);
    let r = read(&report(matches), false, true).unwrap();
    assert_eq!(counts(&r), [0, 2, 0, 0, 0]);
}

#[test]
fn unique_key_is_id_name_version_and_the_first_severity_wins() {
    let matches = json!([
        m("CVE-1", "Low", "a", "1", Value::Null),
        m("CVE-1", "Critical", "a", "1", Value::Null),
        m("CVE-1", "Low", "a", "2", Value::Null),
        m("CVE-1", "Low", "b", "1", Value::Null),
    ]);
    let r = read(&report(matches.clone()), true, false).unwrap();
    assert_eq!(counts(&r), [0, 0, 0, 3, 0]);
    let r = read(&report(matches), false, false).unwrap();
    assert_eq!(counts(&r), [1, 0, 0, 3, 0]);
}

#[test]
fn ignored_and_related_never_count() {
    let mut doc: Value = serde_json::from_slice(&report(json!([]))).unwrap();
    doc["ignoredMatches"] = json!([m("CVE-1", "Critical", "a", "1", Value::Null)]);
    let mut related = m("CVE-2", "Low", "a", "1", Value::Null);
    related["relatedVulnerabilities"] = json!([{"id": "CVE-3", "severity": "Critical"}]);
    doc["matches"] = json!([related]);
    let r = read(&serde_json::to_vec(&doc).unwrap(), false, false).unwrap();
    assert_eq!(counts(&r), [0, 0, 0, 1, 0]);
}

#[test]
fn findings_carry_details() {
    let mut one = m(
        "CVE-1",
        "High",
        "openssl",
        "1.1",
        json!({"state": "fixed", "versions": ["1.2", "1.3"]}),
    );
    one["vulnerability"]["cvss"] =
        json!([{"metrics": {"baseScore": 7.5}}, {"metrics": {"baseScore": 8.1}}]);
    one["vulnerability"]["knownExploited"] = json!([{"cve": "CVE-1"}]);
    one["vulnerability"]["epss"] = json!([{"cve": "CVE-1", "epss": 0.42}]);
    one["artifact"]["purl"] = json!("pkg:apk/alpine/openssl@1.1");
    one["artifact"]["locations"] = json!([{"path": "/lib/apk/db/installed"}]);
    let opts = CountOptions::default();
    let want = Want {
        findings: true,
        ..Want::default()
    };
    let r = read_with(&report(json!([one])), &opts, want).unwrap();
    let f = &r.summary.kept[0];
    assert_eq!(
        (f.id.as_str(), f.package.as_str(), f.installed.as_str()),
        ("CVE-1", "openssl", "1.1")
    );
    assert_eq!(f.fixed_version.as_deref(), Some("1.2, 1.3"));
    assert!(f.fixable);
    assert_eq!(f.cvss, Some(8.1));
    assert_eq!(f.known_exploited, Some(true));
    assert_eq!(f.epss, Some(0.42));
    assert_eq!(f.purl.as_deref(), Some("pkg:apk/alpine/openssl@1.1"));
    assert_eq!(f.pkg_path.as_deref(), Some("/lib/apk/db/installed"));
    assert_eq!(f.severity_word, "High");
}

#[test]
fn descriptor_after_the_matches_is_still_the_signature() {
    // grype writes `descriptor` last; a key order with `matches` last works too.
    let doc = br#"{"descriptor":{"name":"grype"},"matches":[{"vulnerability":{"id":"X","severity":"High"},"artifact":{"name":"a","version":"1"}}]}"#;
    assert_eq!(counts(&read(doc, false, false).unwrap()), [0, 1, 0, 0, 0]);
}

#[test]
fn malformed_matches_are_refused_with_the_place() {
    let cases: &[(&str, &str)] = &[
        (r#"{"matches":{},"descriptor":{}}"#, "`matches`"),
        (r#"{"matches":[1],"descriptor":{}}"#, "a match"),
        (r#"{"matches":[null],"descriptor":{}}"#, "a match"),
        (
            r#"{"matches":[{"artifact":{}}],"descriptor":{}}"#,
            "`vulnerability`",
        ),
        (
            r#"{"matches":[{"vulnerability":{}}],"descriptor":{}}"#,
            "`artifact`",
        ),
        (
            r#"{"matches":[{"vulnerability":[],"artifact":{}}],"descriptor":{}}"#,
            "`vulnerability`",
        ),
        (
            r#"{"matches":[{"vulnerability":{"severity":3},"artifact":{}}],"descriptor":{}}"#,
            "`severity`",
        ),
        (
            r#"{"matches":[{"vulnerability":{"fix":"fixed"},"artifact":{}}],"descriptor":{}}"#,
            "`fix`",
        ),
        (
            r#"{"matches":[{"vulnerability":{"fix":{"state":true}},"artifact":{}}],"descriptor":{}}"#,
            "`state`",
        ),
        (
            r#"{"matches":[{"vulnerability":{"id":5},"artifact":{}}],"descriptor":{}}"#,
            "`id`",
        ),
        (
            r#"{"matches":[{"vulnerability":{},"artifact":{"name":[]}}],"descriptor":{}}"#,
            "string",
        ),
        (
            r#"{"matches":[{"vulnerability":{"Severity":"High"},"artifact":{}}],"descriptor":{}}"#,
            "letter case",
        ),
    ];
    for (doc, needle) in cases {
        let e = err_text(read(doc.as_bytes(), false, false));
        assert!(e.starts_with("malformed grype-json report"), "{doc}: {e}");
        assert!(e.contains(needle), "{doc}: {e}");
    }
}

#[test]
fn a_bare_array_of_old_grype_is_refused() {
    // grype before v0.1.0 wrote a bare array: no signature.
    let doc = br#"[{"vulnerability":{"id":"X"},"artifact":{"name":"a"}}]"#;
    assert!(read(doc, false, false).is_err());
}

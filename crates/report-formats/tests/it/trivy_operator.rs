//! Trivy Operator `VulnerabilityReport`s (`specs/scanner-formats.md` §5): the corpus `List`
//! files with their expected results (`shared/corpus/README.md`), the single-object and
//! bare-array shapes built from the `List` (one item; `.items`), and hostile inputs.

use std::path::PathBuf;

use findings::{CountOptions, Severity, Want};
use report_formats::{Format, ReadOptions, Report, ReportError, read_report};
use serde_json::{Value, json};

const LIST: &str = "trivy/trivy-operator-ea1dc5f__workload.vulnerabilityReportList.json";
const CONFIG_AUDIT: &str = "trivy/trivy-operator-2547c4e__compliance.configAuditReportList.json";

fn corpus(path: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/corpus")
        .join(path);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn corpus_json(path: &str) -> Value {
    serde_json::from_slice(&corpus(path)).expect("corpus file is JSON")
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

fn to_vec(v: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(v).expect("serialise")
}

fn err_text(r: Result<Report, ReportError>) -> String {
    match r {
        Ok(r) => panic!("expected an error, got {:?}", counts(&r)),
        Err(e) => e.to_string(),
    }
}

/// An independent count of one report's list by the §5 rules, for the shapes built here:
/// (plain, fixable) as C/H/M/L/U.
fn oracle(item: &Value) -> ([u64; 5], [u64; 5]) {
    let (mut plain, mut fixable) = ([0; 5], [0; 5]);
    for v in item["report"]["vulnerabilities"].as_array().unwrap() {
        let i = match v["severity"].as_str().unwrap_or("") {
            "CRITICAL" => 0,
            "HIGH" => 1,
            "MEDIUM" => 2,
            "LOW" => 3,
            _ => 4,
        };
        plain[i] += 1;
        if v["fixedVersion"].as_str().is_some_and(|f| !f.is_empty()) {
            fixable[i] += 1;
        }
    }
    (plain, fixable)
}

fn add(a: [u64; 5], b: [u64; 5]) -> [u64; 5] {
    std::array::from_fn(|i| a[i] + b[i])
}

/// Plain, unique and fixable counts of one shape, all as expected.
fn check(bytes: &[u8], what: &str, plain: [u64; 5], unique: [u64; 5], fixable: [u64; 5]) {
    let r = read(bytes, false, false).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(r.format, Format::TrivyOperator, "{what}");
    assert_eq!(r.summary.input.format, "trivy-operator", "{what}");
    assert_eq!(counts(&r), plain, "{what}: plain");
    let u = read(bytes, true, false).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(counts(&u), unique, "{what}: --unique");
    let f = read(bytes, false, true).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(counts(&f), fixable, "{what}: --fixable-only");
    // The details path counts the same and keeps every counted finding.
    let want = Want {
        keys: true,
        findings: true,
        fixes: false,
    };
    let d = read_with(bytes, false, false, want, &ReadOptions::default())
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(counts(&d), plain, "{what}: details");
    assert_eq!(d.summary.kept.len() as u64, d.summary.findings, "{what}");
}

#[test]
fn corpus_list_gives_the_expected_results() {
    let bytes = corpus(LIST);
    check(
        &bytes,
        LIST,
        [40, 86, 99, 170, 3],
        [40, 86, 99, 170, 3],
        [39, 53, 79, 45, 3],
    );
    let r = read(&bytes, false, false).unwrap();
    let s = r.summary.input.scanner.as_ref().unwrap();
    assert_eq!(
        (s.name.as_str(), s.version.as_deref()),
        ("Trivy", Some("0.31.3"))
    );
    // From the first counted report: registry.server/repository:tag.
    assert_eq!(
        r.summary.artifact_name(),
        Some("index.docker.io/josedonizetti/trivy:secrettest")
    );
    assert_eq!(r.summary.input.db, None);
}

#[test]
fn corpus_list_of_other_kinds_is_refused_naming_them() {
    let bytes = corpus(CONFIG_AUDIT);
    for (unique, fixable) in [(false, false), (true, false), (false, true)] {
        match read(&bytes, unique, fixable) {
            Err(e @ ReportError::Refused { .. }) => assert!(
                e.to_string()
                    .starts_with("Trivy Operator ConfigAuditReport: not a vulnerability report"),
                "{e}"
            ),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
}

#[test]
fn single_object_and_bare_array_built_from_the_list() {
    let list = corpus_json(LIST);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let mut total = ([0; 5], [0; 5]);
    for (i, item) in items.iter().enumerate() {
        // `kubectl get vulnerabilityreport NAME -o json`: one item.
        let (plain, fixable) = oracle(item);
        assert!(plain.iter().sum::<u64>() > 0);
        check(
            &to_vec(item),
            &format!("items[{i}] alone"),
            plain,
            plain,
            fixable,
        );
        total = (add(total.0, plain), add(total.1, fixable));
    }
    // The two items together are the whole List (the corpus README's numbers).
    assert_eq!(total.0, [40, 86, 99, 170, 3]);
    assert_eq!(total.1, [39, 53, 79, 45, 3]);
    // `jq .items`: the bare array.
    let bare = to_vec(&list["items"]);
    check(
        &bare,
        "bare array",
        [40, 86, 99, 170, 3],
        [40, 86, 99, 170, 3],
        [39, 53, 79, 45, 3],
    );
    let r = read(&bare, false, false).unwrap();
    assert_eq!(
        r.summary.artifact_name(),
        Some("index.docker.io/josedonizetti/trivy:secrettest")
    );
    // The second item alone records its own artifact.
    let r = read(&to_vec(&items[1]), false, false).unwrap();
    assert_eq!(
        r.summary.artifact_name(),
        Some("index.docker.io/library/nginx:1.16.1")
    );
    // The API server's VulnerabilityReportList (an aquasecurity apiVersion) reads as a List.
    let mut api_list = list.clone();
    api_list["apiVersion"] = json!("aquasecurity.github.io/v1alpha1");
    api_list["kind"] = json!("VulnerabilityReportList");
    check(
        &to_vec(&api_list),
        "VulnerabilityReportList",
        [40, 86, 99, 170, 3],
        [40, 86, 99, 170, 3],
        [39, 53, 79, 45, 3],
    );
}

fn report(kind: &str, vulns: Value) -> Value {
    let mut r = json!({
        "apiVersion": "aquasecurity.github.io/v1alpha1",
        "kind": kind,
        "metadata": {"name": "r", "namespace": "ns"},
        "report": {
            "artifact": {"repository": "library/app", "tag": "1", "digest": "sha256:ab"},
            "registry": {"server": ""},
            "scanner": {"name": "Trivy", "version": "0.50.0"},
            "summary": {"criticalCount": 0},
        }
    });
    r["report"]["vulnerabilities"] = vulns;
    r
}

fn v(id: &str, resource: &str, installed: &str, fixed: Value, severity: &str) -> Value {
    let mut v = json!({"vulnerabilityID": id, "resource": resource, "installedVersion": installed,
           "severity": severity});
    v["fixedVersion"] = fixed;
    v
}

fn list_of(items: Vec<Value>) -> Vec<u8> {
    let mut list = json!({"apiVersion": "v1", "kind": "List"});
    list["items"] = Value::Array(items);
    to_vec(&list)
}

#[test]
fn which_kinds_count_and_the_unique_key() {
    let a = report(
        "VulnerabilityReport",
        json!([
            v("CVE-1", "openssl", "1.0", json!("1.1"), "HIGH"),
            v("CVE-1", "openssl", "1.0", json!(""), "LOW"), // duplicate key, later
            v("CVE-1", "openssl", "2.0", Value::Null, "critical"),
            v("CVE-2", "zlib", "1.0", json!("1.2"), "Bogus"),
        ]),
    );
    let b = report(
        "ClusterVulnerabilityReport",
        json!([v("CVE-1", "openssl", "1.0", json!("1.1"), "MEDIUM")]),
    );
    let skipped = report(
        "ConfigAuditReport",
        json!([v("CVE-9", "x", "1", json!("2"), "CRITICAL")]),
    );
    let items = vec![a, skipped, b];
    for (bytes, what) in [
        (list_of(items.clone()), "List"),
        (to_vec(&Value::Array(items)), "bare array"),
    ] {
        check(
            &bytes,
            what,
            [1, 1, 1, 1, 1],
            // (CVE-1, openssl, 1.0) counts once, as its first occurrence (HIGH).
            [1, 1, 0, 0, 1],
            [0, 1, 1, 0, 1],
        );
        let r = read(&bytes, false, false).unwrap();
        assert_eq!(r.summary.artifact_name(), Some("library/app:1@sha256:ab"));
    }
    // The details of a finding.
    let want = Want {
        keys: false,
        findings: true,
        fixes: false,
    };
    let one = report(
        "VulnerabilityReport",
        json!([{"vulnerabilityID": "CVE-3", "resource": "curl", "installedVersion": "7",
                "fixedVersion": "8", "severity": "HIGH", "score": 7.5, "target": "",
                "publishedDate": "2024-01-01T00:00:00Z", "packagePURL": "pkg:apk/alpine/curl@7"}]),
    );
    let r = read_with(&to_vec(&one), false, false, want, &ReadOptions::default()).unwrap();
    let f = &r.summary.kept[0];
    assert_eq!(
        (f.id.as_str(), f.package.as_str(), f.installed.as_str()),
        ("CVE-3", "curl", "7")
    );
    assert_eq!(f.fixed_version.as_deref(), Some("8"));
    assert!(f.fixable);
    assert_eq!(f.cvss, Some(7.5));
    assert_eq!(f.purl.as_deref(), Some("pkg:apk/alpine/curl@7"));
    assert_eq!(f.target, "library/app:1@sha256:ab");
    assert_eq!(f.severity_word, "HIGH");
    assert_eq!(f.unique_key, None);
}

#[test]
fn objects_without_a_vulnerability_report_are_refused() {
    let single = report("ExposedSecretReport", json!([]));
    let e = err_text(read(&to_vec(&single), false, false));
    assert!(
        e.starts_with("Trivy Operator ExposedSecretReport: not a vulnerability report"),
        "{e}"
    );
    let bare = Value::Array(vec![
        report("ConfigAuditReport", json!([])),
        report("SbomReport", json!([])),
        report("ConfigAuditReport", json!([])),
    ]);
    let e = err_text(read(&to_vec(&bare), false, false));
    assert!(
        e.starts_with("Trivy Operator ConfigAuditReport, SbomReport: not"),
        "{e}"
    );
    // A report of a counted kind with an empty list (and a zero summary) is valid: 0.
    let r = read(
        &to_vec(&report("VulnerabilityReport", json!([]))),
        false,
        false,
    )
    .unwrap();
    assert_eq!(counts(&r), [0; 5]);
    let r = read(
        &to_vec(&report("VulnerabilityReport", Value::Null)),
        false,
        true,
    )
    .unwrap();
    assert_eq!(counts(&r), [0; 5]);
}

#[test]
fn lists_must_hold_only_trivy_operator_reports() {
    let good = report(
        "VulnerabilityReport",
        json!([v("C", "p", "1", json!(""), "HIGH")]),
    );
    let e = err_text(read(&list_of(vec![]), false, false));
    assert!(e.starts_with("an empty Kubernetes List"), "{e}");
    let e = err_text(read(
        &to_vec(&json!({"apiVersion": "v1", "kind": "List", "items": null})),
        false,
        false,
    ));
    assert!(e.starts_with("an empty Kubernetes List"), "{e}");
    let e = err_text(read(
        &to_vec(&json!({"apiVersion": "v1", "kind": "List", "items": {"a": 1}})),
        false,
        false,
    ));
    assert!(e.contains("items is an object"), "{e}");
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}});
    let e = err_text(read(&list_of(vec![good.clone(), pod]), false, false));
    assert!(
        e.starts_with("a List that does not hold only Trivy Operator reports"),
        "{e}"
    );
    assert!(e.contains("items[1]") && e.contains("Pod"), "{e}");
    let e = err_text(read(&list_of(vec![good, json!(3)]), false, false));
    assert!(
        e.contains("items[1] is a number, expected an object"),
        "{e}"
    );
}

#[test]
fn summary_guard() {
    for vulns in [json!([]), Value::Null] {
        let mut r = report("VulnerabilityReport", vulns);
        r["report"]["summary"] = json!({"criticalCount": 2, "highCount": 1, "noneCount": 40});
        for (unique, fixable) in [(false, false), (true, false), (false, true)] {
            let e = err_text(read(&list_of(vec![r.clone()]), unique, fixable));
            assert!(
                e.contains("items[0].report: its summary counts 3 vulnerabilities but lists none"),
                "{e}"
            );
        }
    }
    // noneCount is packages without vulnerabilities, and non-integers do not count.
    let mut r = report("VulnerabilityReport", json!([]));
    r["report"]["summary"] = json!({"noneCount": 40, "lowCount": "3", "highCount": 0.5});
    assert_eq!(counts(&read(&to_vec(&r), false, false).unwrap()), [0; 5]);
    // Both present and disagreeing: the list is counted.
    let mut r = report(
        "VulnerabilityReport",
        json!([v("C", "p", "1", json!(""), "LOW")]),
    );
    r["report"]["summary"] = json!({"criticalCount": 9});
    assert_eq!(
        counts(&read(&to_vec(&r), false, false).unwrap()),
        [0, 0, 0, 1, 0]
    );
}

#[test]
fn wrong_types_are_malformed_with_their_path() {
    let mut cases: Vec<(Value, String)> = Vec::new();
    let mut r = report("VulnerabilityReport", json!([]));
    r["report"] = json!("x");
    cases.push((r, "items[0].report is a string, expected an object".into()));
    let mut r = report("VulnerabilityReport", json!([]));
    r.as_object_mut().unwrap().remove("report");
    cases.push((r, "items[0] has no `report` object".into()));
    cases.push((
        report("VulnerabilityReport", json!({"a": 1})),
        "items[0].report.vulnerabilities is an object, expected an array".into(),
    ));
    cases.push((
        report("VulnerabilityReport", json!(["CVE-1"])),
        "items[0].report.vulnerabilities[0] is a string, expected an object".into(),
    ));
    for key in [
        "severity",
        "vulnerabilityID",
        "resource",
        "installedVersion",
        "fixedVersion",
    ] {
        let mut vuln = v("C", "p", "1", json!("2"), "HIGH");
        vuln[key] = json!(5);
        cases.push((
            report(
                "VulnerabilityReport",
                json!([v("A", "p", "1", json!(""), "LOW"), vuln]),
            ),
            format!("items[0].report.vulnerabilities[1].{key} is a number, expected a string"),
        ));
    }
    for (item, msg) in cases {
        for (unique, fixable) in [(false, false), (true, false), (false, true)] {
            let e = read(&list_of(vec![item.clone()]), unique, fixable).unwrap_err();
            assert!(matches!(e, ReportError::Malformed { .. }), "{e}");
            assert_eq!(
                e.to_string(),
                format!("malformed trivy-operator report: {msg}")
            );
        }
    }
    // A single object: the path starts at the top.
    let mut r = report("VulnerabilityReport", json!([]));
    r["report"] = json!(null);
    let e = err_text(read(&to_vec(&r), false, false));
    assert!(e.contains("report is null, expected an object"), "{e}");
    // In a bare array the report is named by its metadata.
    let bad = report("VulnerabilityReport", json!([{"severity": ["HIGH"]}]));
    let e = err_text(read(&to_vec(&json!([bad])), false, false));
    assert!(
        e.contains("`ns/r`.report.vulnerabilities[0].severity is an array"),
        "{e}"
    );
}

#[test]
fn key_case_variants_are_refused() {
    let good = v("C", "p", "1", json!("2"), "HIGH");
    let mut cases: Vec<(Value, &str)> = Vec::new();
    let mut vuln = good.clone();
    vuln["Severity"] = vuln["severity"].take();
    cases.push((report("VulnerabilityReport", json!([vuln])), "`Severity`"));
    let mut r = report("VulnerabilityReport", json!([good]));
    r["report"]["Vulnerabilities"] = r["report"]["vulnerabilities"].take();
    cases.push((r, "`Vulnerabilities`"));
    let mut r = report("VulnerabilityReport", json!([good]));
    r["Kind"] = r["kind"].take();
    cases.push((r, "`Kind`"));
    let mut r = report("VulnerabilityReport", json!([]));
    r["report"]["summary"] = json!({"CriticalCount": 4});
    cases.push((r, "`CriticalCount`"));
    for (item, key) in &cases {
        // In a List, in a bare array (streamed: with line and column), and alone.
        for bytes in [
            list_of(vec![item.clone()]),
            to_vec(&json!([item])),
            to_vec(item),
        ] {
            let e = err_text(read(&bytes, false, false));
            assert!(e.contains(key) && e.contains("only in letter case"), "{e}");
        }
    }
    let mut r = report("VulnerabilityReport", json!([good]));
    r["Kind"] = r["kind"].take();
    let e = err_text(read(&to_vec(&json!([r])), false, false));
    assert!(e.contains("(line "), "{e}");
    // The top level of a single object.
    let mut r = report("VulnerabilityReport", json!([]));
    r["Report"] = r["report"].take();
    let e = err_text(read(&to_vec(&r), false, false));
    assert!(e.contains("`Report`"), "{e}");
}

#[test]
fn truncated_and_deeply_nested_inputs_name_line_and_column() {
    let full = corpus(LIST);
    for cut in [10, full.len() / 2, full.len() - 3] {
        let e = read(&full[..cut], false, false).unwrap_err();
        match &e {
            ReportError::Json(j) => assert!(j.location().is_some(), "{e}"),
            other => panic!("cut at {cut}: {other}"),
        }
    }
    let bare = to_vec(&corpus_json(LIST)["items"]);
    let e = read(&bare[..bare.len() / 2], false, false).unwrap_err();
    assert!(e.to_string().contains("line"), "{e}");

    let mut deep = json!("x");
    for _ in 0..200 {
        deep = json!([deep]);
    }
    let mut r = report("VulnerabilityReport", json!([]));
    r["report"]["extra"] = deep;
    for bytes in [
        list_of(vec![r.clone()]),
        to_vec(&json!([r.clone()])),
        to_vec(&r),
    ] {
        let e = read(&bytes, false, false).unwrap_err();
        assert!(e.to_string().contains("line"), "{e}");
    }
}

#[test]
fn huge_lists_count_or_hit_the_capture_limit() {
    let n = 30_000;
    let vulns: Vec<Value> = (0..n)
        .map(|i| {
            v(
                &format!("CVE-{}", i % 11),
                "lib",
                &format!("{}", i % 13),
                if i % 3 == 0 { json!("9") } else { json!("") },
                ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"][i % 5],
            )
        })
        .collect();
    let item = report("VulnerabilityReport", Value::Array(vulns));
    let (plain, fixable) = oracle(&item);
    let bytes = list_of(vec![item]);
    // 11 × 13 distinct keys, each first met at i < 143 (i % 143).
    let r = read(&bytes, true, false).unwrap();
    assert_eq!(r.summary.findings, 143);
    let r = read(&bytes, false, false).unwrap();
    assert_eq!(counts(&r), plain);
    assert_eq!(counts(&r), [6000; 5]);
    assert_eq!(counts(&read(&bytes, false, true).unwrap()), fixable);
    let small = ReadOptions {
        capture_limit: Some(100 * 1024),
        ..ReadOptions::default()
    };
    let e = read_with(&bytes, false, false, Want::default(), &small).unwrap_err();
    assert!(e.to_string().contains("larger than"), "{e}");
}

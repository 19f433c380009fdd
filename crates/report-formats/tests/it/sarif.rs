//! SARIF 2.1.0 (`specs/scanner-formats.md` §7): the corpus files with what they record, the
//! counting rules on small logs built here, and hostile inputs.

use findings::{CountOptions, Severity, Want};
use report_formats::{Format, ReadOptions, Report, ReportError, read_report};
use serde_json::{Value, json};

fn read(bytes: &[u8], unique: bool, fixable_only: bool) -> Result<Report, ReportError> {
    let opts = CountOptions {
        unique,
        fixable_only,
        ..CountOptions::default()
    };
    read_report(bytes, &opts, Want::default(), &ReadOptions::default())
}

/// C/H/M/L/U.
fn counts(r: &Report) -> [u64; 5] {
    Severity::ALL.map(|s| r.summary.counts.get(s))
}

fn log(runs: Value) -> Vec<u8> {
    let mut doc =
        json!({"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json"});
    doc["runs"] = runs;
    serde_json::to_vec(&doc).unwrap()
}

fn run_with(rules: Value, results: Value) -> Value {
    let mut run = json!({"tool": {"driver": {"name": "scanner-x", "version": "1.2.3"}}});
    run["tool"]["driver"]["rules"] = rules;
    run["results"] = results;
    run
}

fn rule(id: &str, score: Value, tags: &[&str]) -> Value {
    let mut rule = json!({"id": id, "properties": {"tags": tags}});
    rule["properties"]["security-severity"] = score;
    rule
}

fn res(rule_id: &str, uri: &str) -> Value {
    json!({"ruleId": rule_id, "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}}}]})
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
fn trivy_sarif_records_scanner_and_image() {
    let r = read(
        &corpus("trivy/trivy-head__alpine-310.sarif.golden"),
        false,
        false,
    )
    .unwrap();
    assert_eq!(r.format, Format::Sarif);
    let s = r.summary.input.scanner.as_ref().unwrap();
    assert_eq!(s.name, "Trivy");
    assert_eq!(
        r.summary.artifact_name(),
        Some("testdata/fixtures/images/alpine-310.tar.gz")
    );
    assert!(r.summary.input.db.is_none());
    assert_eq!(r.summary.input.category, None);
}

#[test]
fn the_first_automation_id_is_recorded_as_the_category() {
    let mut first = run_with(
        json!([rule("R1", json!("9.0"), &[])]),
        json!([res("R1", "a")]),
    );
    first["automationDetails"] = json!({"id": "vulngate/image/"});
    let mut second = run_with(json!([]), json!([]));
    second["automationDetails"] = json!({"id": "other/"});
    let r = read(&log(json!([first, second])), false, false).unwrap();
    assert_eq!(r.summary.input.category.as_deref(), Some("vulngate/image/"));
    assert_eq!(counts(&r), [1, 0, 0, 0, 0]);
    // A category of the wrong type is no category, not an error.
    let mut odd = run_with(
        json!([rule("R1", json!("9.0"), &[])]),
        json!([res("R1", "a")]),
    );
    odd["automationDetails"] = json!({"id": 7});
    let r = read(&log(json!([odd])), false, false).unwrap();
    assert_eq!(r.summary.input.category, None);
}

#[test]
fn security_severity_bands() {
    let rules = json!([
        rule("R0", json!("9.0"), &[]),
        rule("R1", json!(8.9), &[]),
        rule("R2", json!(" 7 "), &[]),
        rule("R3", json!("6.99"), &[]),
        rule("R4", json!("4.0"), &[]),
        rule("R5", json!("0.1"), &[]),
        rule("R6", json!("0.0"), &[]),
        rule("R7", json!("10.5"), &[]),
        rule("R8", json!("high"), &[]),
        rule("R9", json!("1e1"), &[]),
        rule("R10", json!(".5"), &[]),
        rule("R11", json!("5."), &[]),
        rule("R12", json!("0x5"), &[]),
        rule("R13", Value::Null, &[]),
        rule("R14", json!(-3), &[]),
    ]);
    let results: Vec<Value> = (0..15).map(|i| res(&format!("R{i}"), "a")).collect();
    let r = read(&log(json!([run_with(rules, json!(results))])), false, false).unwrap();
    // C: 9.0, 1e1; H: 8.9, 7; M: 6.99, 4.0, 5.; L: 0.1, .5; U: 0.0, 10.5, high, 0x5, null, -3
    assert_eq!(counts(&r), [2, 2, 3, 2, 6]);
}

#[test]
fn the_result_score_wins_over_the_rule_and_level_is_never_used() {
    let rules = json!([rule("R", json!("2.0"), &[])]);
    let mut own = res("R", "a");
    own["properties"] = json!({"security-severity": "9.8"});
    own["level"] = json!("note");
    let mut unparsable = res("R", "b");
    unparsable["properties"] = json!({"security-severity": "critical"});
    unparsable["level"] = json!("error");
    let r = read(
        &log(json!([run_with(rules, json!([own, unparsable]))])),
        false,
        false,
    )
    .unwrap();
    assert_eq!(counts(&r), [1, 0, 0, 1, 0]);
}

#[test]
fn rule_lookup_by_index_then_id() {
    let rules = json!([rule("A", json!("9.5"), &[]), rule("B", json!("2.0"), &[])]);
    let mut by_index = res("B", "x");
    by_index["ruleIndex"] = json!(0); // index wins over the id
    let mut out_of_range = res("B", "y");
    out_of_range["ruleIndex"] = json!(7); // falls back to the id
    let reference = json!({"rule": {"index": 1}});
    let by_ref_id = json!({"rule": {"id": "A"}});
    let none = res("C", "z");
    let results = json!([by_index, out_of_range, reference, by_ref_id, none]);
    let r = read(&log(json!([run_with(rules, results)])), false, false).unwrap();
    assert_eq!(counts(&r), [2, 0, 0, 2, 1]);
}

#[test]
fn kinds_suppressions_and_tags_exclude_results() {
    let rules = json!([
        rule(
            "V",
            json!("9.5"),
            &["vulnerability", "security", "CRITICAL"]
        ),
        rule("M", json!("9.5"), &["Misconfiguration"]),
        rule("S", json!("9.5"), &["secret"]),
        rule("L", json!("9.5"), &["LICENSE"]),
    ]);
    let with = |id: &str, key: &str, v: Value| {
        let mut r = res(id, "a");
        r[key] = v;
        r
    };
    let results = json!([
        res("V", "1"),
        res("M", "2"),
        res("S", "3"),
        res("L", "4"),
        with("V", "kind", json!("pass")),
        with("V", "kind", json!("notApplicable")),
        with("V", "kind", json!("informational")),
        with("V", "kind", json!("review")),
        with("V", "kind", json!("fail")),
        with(
            "V",
            "suppressions",
            json!([{"kind": "external", "status": "accepted"}])
        ),
        with("V", "suppressions", json!([{"kind": "inSource"}])),
        with(
            "V",
            "suppressions",
            json!([{"status": "accepted"}, {"status": "underReview"}])
        ),
        with("V", "suppressions", json!([{"status": "rejected"}])),
        with("V", "suppressions", json!([])),
        with("V", "properties", json!({"tags": ["secret"]})),
    ]);
    let r = read(&log(json!([run_with(rules, results)])), false, false).unwrap();
    // V plain, review, fail, underReview, rejected, empty suppressions
    assert_eq!(counts(&r), [6, 0, 0, 0, 0]);
}

#[test]
fn unique_is_rule_and_first_uri() {
    let rules = json!([rule("R", json!("5.0"), &[]), rule("Q", json!("9.5"), &[])]);
    let results = json!([res("R", "a"), res("R", "a"), res("R", "b"), res("Q", "a"), {"ruleId": "R"}, {"ruleId": "R"}]);
    let r = read(
        &log(json!([run_with(rules.clone(), results.clone())])),
        true,
        false,
    )
    .unwrap();
    assert_eq!(counts(&r), [1, 0, 3, 0, 0]);
    let r = read(&log(json!([run_with(rules, results)])), false, false).unwrap();
    assert_eq!(counts(&r), [1, 0, 5, 0, 0]);
}

#[test]
fn results_before_tool_are_counted_in_order() {
    let doc = br#"{"version":"2.1.0","runs":[{"results":[{"ruleId":"A"},{"ruleIndex":0}],"tool":{"driver":{"name":"x","rules":[{"id":"A","properties":{"security-severity":"9.9"}}]}}}]}"#;
    assert_eq!(counts(&read(doc, false, false).unwrap()), [2, 0, 0, 0, 0]);
}

#[test]
fn runs_are_summed_and_rules_only_runs_skipped() {
    let rules = json!([rule("R", json!("7.5"), &[])]);
    let runs = json!([
        run_with(rules.clone(), json!([res("R", "a")])),
        {"tool": {"driver": {"name": "rules-only", "rules": rules}}},
        run_with(rules, json!([res("R", "a")])),
    ]);
    let r = read(&log(runs), false, false).unwrap();
    assert_eq!(counts(&r), [0, 2, 0, 0, 0]);
    assert_eq!(r.summary.input.scanner.as_ref().unwrap().name, "scanner-x");
}

#[test]
fn refusals() {
    let rules = json!([rule("R", json!("7.5"), &[])]);
    let rules_only = log(json!([{"tool": {"driver": {"name": "x", "rules": rules}}}]));
    assert!(err_text(read(&rules_only, false, false)).contains("not a scan"));

    let mut failed = run_with(rules.clone(), json!([]));
    failed["invocations"] = json!([{"executionSuccessful": false}]);
    assert!(err_text(read(&log(json!([failed])), false, false)).contains("failed run"));

    let v = br#"{"version":"2.0.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[]}]}"#;
    assert!(err_text(read(v, false, false)).contains("2.0.0"));
    let no_version = br#"{"$schema":"https://x/sarif-2.1.0.json","runs":[{"tool":{"driver":{"name":"x"}},"results":[]}]}"#;
    assert!(err_text(read(no_version, false, false)).contains("version"));

    let ok = log(json!([run_with(rules, json!([]))]));
    assert_eq!(counts(&read(&ok, false, false).unwrap()), [0; 5]);
    let e = err_text(read(&ok, false, true));
    assert_eq!(
        e,
        "--fixable-only needs fix data, and a SARIF report has none"
    );
}

#[test]
fn malformed_logs_are_refused() {
    let cases: &[(&str, &str)] = &[
        (r#"{"version":"2.1.0","runs":{}}"#, "`runs`"),
        (r#"{"version":"2.1.0","runs":[1]}"#, "a run"),
        (
            r#"{"version":"2.1.0","runs":[{"results":[]}]}"#,
            "tool.driver",
        ),
        (
            r#"{"version":"2.1.0","runs":[{"tool":5,"results":[]}]}"#,
            "tool.driver",
        ),
        (
            r#"{"version":"2.1.0","runs":[{"tool":{"driver":{}},"results":[3]}]}"#,
            "a result",
        ),
        (
            r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"rules":{}}},"results":[]}]}"#,
            "rules",
        ),
        (
            r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"rules":["x"]}},"results":[]}]}"#,
            "a rule",
        ),
        (
            r#"{"version":"2.1.0","runs":[{"tool":{"driver":{}},"invocations":{},"results":[]}]}"#,
            "invocations",
        ),
        (
            r#"{"version":"2.1.0","runs":[{"tool":{"driver":{}},"results":[{"suppressions":"x"}]}]}"#,
            "suppressions",
        ),
    ];
    for (doc, needle) in cases {
        let e = err_text(read(doc.as_bytes(), false, false));
        assert!(e.starts_with("malformed sarif report"), "{doc}: {e}");
        assert!(e.contains(needle), "{doc}: {e}");
    }
    // Fields other than the named containers are treated as absent when mistyped.
    let lenient = br#"{"version":"2.1.0","runs":[{"tool":{"driver":{"rules":[{"id":5,"properties":"x"}]}},"results":[{"ruleId":7,"ruleIndex":"0","kind":3,"properties":[],"locations":"x"}]}]}"#;
    assert_eq!(
        counts(&read(lenient, false, false).unwrap()),
        [0, 0, 0, 0, 1]
    );
}

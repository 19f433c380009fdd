//! Ignore files in both formats, on the generated alpine report (29 findings).

use crate::compat::{
    CountOptions, IgnoreError, IgnoreRules, RuleUse, Severity, parse_trivyignore,
    parse_trivyignore_yaml, summarize,
};
use jiff::civil::date;

const TODAY: jiff::civil::Date = date(2026, 1, 1);

fn count(rules: IgnoreRules, unique: bool) -> crate::compat::Summary {
    let bytes = crate::report_bytes("generated-0.76-rootfs-alpine-3.14.json");
    summarize(
        &bytes[..],
        &CountOptions {
            unique,
            fixable_only: false,
            ignore: Some(rules),
            vex: None,
        },
    )
    .unwrap()
}

fn uses(s: &crate::compat::Summary) -> Vec<(String, u64)> {
    s.suppressed
        .iter()
        .map(|RuleUse { rule, count }| (rule.clone(), *count))
        .collect()
}

const LINES: &str = "# suppressed after review
CVE-2021-3711

CVE-2022-28391 exp:2020-01-01
CVE-2099-0001
   CVE-2021-33503 exp:2999-01-01 # until upstream releases
";

#[test]
fn trivyignore_lines() {
    let rules = parse_trivyignore(LINES, TODAY).unwrap();
    assert_eq!(
        rules.expired_rules,
        ["CVE-2022-28391 (.trivyignore line 4)"]
    );
    let s = count(rules.clone(), false);
    assert_eq!(
        uses(&s),
        [
            ("CVE-2021-3711 (.trivyignore line 2)".to_owned(), 2),
            ("CVE-2099-0001 (.trivyignore line 5)".to_owned(), 0),
            ("CVE-2021-33503 (.trivyignore line 6)".to_owned(), 2),
        ]
    );
    assert_eq!(s.findings, 25);
    assert_eq!(s.counts.get(Severity::Critical), 4);
    assert_eq!(s.counts.get(Severity::High), 7);
    assert_eq!(s.expired_rules, ["CVE-2022-28391 (.trivyignore line 4)"]);
    assert_eq!(
        rules.rules[2].statement.as_deref(),
        Some("until upstream releases")
    );
    // Before the expiry date the rule applies: 2 more CRITICAL suppressed.
    let early = parse_trivyignore(LINES, date(2019, 12, 31)).unwrap();
    assert!(early.expired_rules.is_empty());
    assert_eq!(count(early, false).counts.get(Severity::Critical), 2);
    // Unique: urllib3's duplicate is suppressed by the rule, other duplicates still merge.
    let u = count(rules, true);
    assert_eq!(u.findings, 27 - 2 - 1);
}

const YAML: &str = r#"vulnerabilities:
  - id: CVE-2021-33503
    paths:
      - "opt/app/venv/**"
    statement: venv is not shipped
  - id: CVE-2023-45803
    purls:
      - pkg:pypi/urllib3@1.26.4
  - id: CVE-2022-0778
    purls: ["pkg:apk/alpine/libssl1.1"]
  - id: CVE-2021-42374
    paths: ["alpine-3.14-vulnerable/rootfs (alpine 3.14.0)"]
  - id: CVE-2021-3712
    expired_at: 2025-06-01
  - id: CVE-2023-5752
    paths: ["nowhere/**"]
misconfigurations:
  - id: AVD-DS-0002
    paths: ["Dockerfile"]
secrets: []
licenses:
  - id: GPL-3.0
"#;

#[test]
fn trivyignore_yaml_paths_purls_expiry() {
    let rules = parse_trivyignore_yaml(YAML, TODAY).unwrap();
    assert_eq!(
        rules.expired_rules,
        ["CVE-2021-3712 (.trivyignore.yaml line 13)"]
    );
    let s = count(rules, false);
    assert_eq!(
        uses(&s),
        [
            ("CVE-2021-33503 (.trivyignore.yaml line 2)".to_owned(), 1),
            ("CVE-2023-45803 (.trivyignore.yaml line 6)".to_owned(), 2),
            ("CVE-2022-0778 (.trivyignore.yaml line 9)".to_owned(), 1),
            ("CVE-2021-42374 (.trivyignore.yaml line 11)".to_owned(), 2),
            ("CVE-2023-5752 (.trivyignore.yaml line 15)".to_owned(), 0),
        ]
    );
    assert_eq!(s.findings, 23);
    let c: Vec<u64> = s.counts.iter().map(|(_, n)| n).collect();
    assert_eq!(c, [6, 7, 6, 2, 2]);
    // Before expiry, the CVE-2021-3712 rule takes 2 HIGH more.
    let early = parse_trivyignore_yaml(YAML, date(2025, 5, 31)).unwrap();
    assert_eq!(count(early, false).counts.get(Severity::High), 5);
}

#[test]
fn load_chooses_format_by_extension() {
    let dir = tempfile::tempdir().unwrap();
    let y = dir.path().join("ignore.yml");
    std::fs::write(&y, YAML).unwrap();
    let r = IgnoreRules::load(&y, TODAY).unwrap();
    assert_eq!(r.rules.len(), 5);
    assert!(r.rules[0].description.ends_with("(ignore.yml line 2)"));
    let t = dir.path().join(".trivyignore");
    std::fs::write(&t, LINES).unwrap();
    let r = IgnoreRules::load(&t, TODAY).unwrap();
    assert_eq!(
        r.rules[0].description,
        "CVE-2021-3711 (.trivyignore line 2)"
    );
    let e = IgnoreRules::load(&dir.path().join("missing"), TODAY).unwrap_err();
    assert!(matches!(e, IgnoreError::Io(_)), "{e:?}");
    // A device is read up to the limit and refused, never whole.
    let e = IgnoreRules::load(std::path::Path::new("/dev/zero"), TODAY).unwrap_err();
    assert!(e.to_string().contains("larger than 4 MiB"), "{e}");
}

#[test]
fn load_drops_a_byte_order_mark_in_both_formats() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        (".trivyignore", "CVE-2021-3711\n"),
        ("i.yaml", "vulnerabilities:\n  - id: CVE-2021-3711\n"),
    ] {
        let p = dir.path().join(name);
        std::fs::write(&p, format!("\u{feff}{text}")).unwrap();
        let r = IgnoreRules::load(&p, TODAY).unwrap();
        assert_eq!(r.rules.len(), 1, "{name}");
        assert_eq!(
            r.rules[0].id, "CVE-2021-3711",
            "{name}: the mark is not part of the id"
        );
    }
}

#[test]
fn ignore_errors_carry_the_line() {
    let e = parse_trivyignore("CVE-1\nCVE-2 exp:2024-02-30\n", TODAY).unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 2: invalid expiry date `2024-02-30` for CVE-2: expected exp:YYYY-MM-DD"
    );
    let e = parse_trivyignore_yaml(
        "vulnerabilities:\n  - id: CVE-1\n    purls: [\"npm/x\"]\n",
        TODAY,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 2: invalid purl `npm/x` for CVE-1: must start with `pkg:`"
    );
    let e = parse_trivyignore_yaml(
        "vulnerabilities:\n  - id: CVE-1\n    paths: [\"a/{b\"]\n",
        TODAY,
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("line 2: invalid path pattern `a/{b`"),
        "{e}"
    );
    let e = parse_trivyignore_yaml(
        "vulnerabilities:\n  - id: CVE-1\n    expired_at: soon\n",
        TODAY,
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("line 2: invalid expired_at `soon`"),
        "{e}"
    );
    let e = parse_trivyignore_yaml("vulnerabilities:\n  - paths: [x]\n", TODAY).unwrap_err();
    let IgnoreError::Yaml { line, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(*line, 2, "{e}");
    let e = parse_trivyignore_yaml("vulnerabilities: [\n", TODAY).unwrap_err();
    assert!(matches!(e, IgnoreError::Yaml { .. }), "{e:?}");
    assert!(!e.to_string().contains('\n'), "one line: {e}");
    assert!(parse_trivyignore_yaml("", TODAY).unwrap().is_empty());
}

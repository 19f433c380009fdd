//! Every fixture report with its expected counts (from tests/fixtures/trivy-reports/README.md).

use std::collections::HashSet;

use crate::compat::{
    CountOptions, Severity, SeverityCounts, finding_keys, for_each_finding, summarize,
    summarize_slice,
};
use serde_json::Value;

use crate::{report_bytes, report_path};

/// (file, all C/H/M/L/U, dedup C/H/M/L/U)
const EXPECTED: &[(&str, [u64; 5], [u64; 5])] = &[
    ("alpine-3.10-image.json", [0, 0, 4, 0, 0], [0, 0, 4, 0, 0]),
    (
        "alpine-3.9-image-critical.json",
        [2, 0, 4, 0, 0],
        [2, 0, 4, 0, 0],
    ),
    ("debian-10-image.json", [1, 0, 0, 1, 0], [1, 0, 0, 1, 0]),
    ("ubuntu-18.04-image.json", [0, 0, 4, 1, 0], [0, 0, 4, 1, 0]),
    (
        "centos-7-image-large-v0.20.json",
        [0, 26, 279, 406, 0],
        [0, 26, 279, 406, 0],
    ),
    ("npm-lockfile-repo.json", [0, 0, 1, 0, 0], [0, 0, 1, 0, 0]),
    (
        "pip-requirements-repo.json",
        [0, 1, 1, 0, 0],
        [0, 1, 1, 0, 0],
    ),
    (
        "gomod-multi-module-unknown.json",
        [0, 0, 1, 0, 4],
        [0, 0, 1, 0, 2],
    ),
    (
        "jar-in-debian-image-spring4shell.json",
        [1, 0, 0, 0, 0],
        [1, 0, 0, 0, 0],
    ),
    (
        "sbom-debian-and-gems.json",
        [1, 1, 0, 1, 0],
        [1, 1, 0, 1, 0],
    ),
    (
        "npm-with-suppressed-findings.json",
        [0, 1, 0, 0, 0],
        [0, 1, 0, 0, 0],
    ),
    ("secrets-only-repo.json", [0; 5], [0; 5]),
    ("helm-misconfig-only.json", [0; 5], [0; 5]),
    ("sbom-licenses-only.json", [0; 5], [0; 5]),
    ("slmicro-image-zero-vulns.json", [0; 5], [0; 5]),
    (
        "legacy-array-debian-9-v0.19.json",
        [12, 24, 20, 104, 0],
        [12, 24, 20, 104, 0],
    ),
    ("legacy-array-null-vulns-v0.17.json", [0; 5], [0; 5]),
    (
        "generated-0.76-rootfs-alpine-3.14.json",
        [6, 9, 10, 2, 2],
        [6, 8, 9, 2, 2],
    ),
    (
        "generated-0.76-image-alpine-3.14.json",
        [6, 9, 10, 2, 2],
        [6, 8, 9, 2, 2],
    ),
    (
        "ubi-7-image-with-python-pkgs.json",
        [0, 1, 0, 1, 0],
        [0, 1, 0, 1, 0],
    ),
    (
        "opensuse-leap-15.1-image-v0.20.json",
        [0, 4, 13, 0, 1],
        [0, 4, 13, 0, 1],
    ),
    (
        "legacy-array-distroless-python27-v0.1.7.json",
        [0, 14, 68, 4, 3],
        [0, 14, 68, 4, 3],
    ),
    (
        "busybox-cargo-lockfile-unknown-v0.20.json",
        [0, 0, 0, 0, 8],
        [0, 0, 0, 0, 8],
    ),
];

fn arr(c: &SeverityCounts) -> [u64; 5] {
    let mut a = [0; 5];
    for (i, (_, n)) in c.iter().enumerate() {
        a[i] = n;
    }
    a
}

fn counts_of(a: [u64; 5]) -> SeverityCounts {
    let mut c = SeverityCounts::new();
    for (s, n) in Severity::ALL.into_iter().zip(a) {
        c.set(s, n);
    }
    c
}

#[test]
fn every_fixture_is_listed() {
    let dir = crate::workspace_fixture("trivy-reports");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = EXPECTED.iter().map(|e| e.0.to_owned()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

#[test]
fn all_fixtures_both_modes_reader_and_slice() {
    for &(name, all, dedup) in EXPECTED {
        let bytes = report_bytes(name);
        let plain = CountOptions::default();
        let uniq = CountOptions {
            unique: true,
            ..Default::default()
        };
        let s = summarize(std::fs::File::open(report_path(name)).unwrap(), &plain).unwrap();
        assert_eq!(arr(&s.counts), all, "{name} (all, reader)");
        assert_eq!(s.findings, all.iter().sum::<u64>(), "{name}");
        assert!(s.suppressed.is_empty() && s.expired_rules.is_empty());
        let s = summarize_slice(&bytes, &plain).unwrap();
        assert_eq!(arr(&s.counts), all, "{name} (all, slice)");
        let s = summarize(&bytes[..], &uniq).unwrap();
        assert_eq!(arr(&s.counts), dedup, "{name} (dedup, reader)");
        let s = summarize_slice(&bytes, &uniq).unwrap();
        assert_eq!(arr(&s.counts), dedup, "{name} (dedup, slice)");
    }
}

/// Independent computation over `serde_json::Value`.
fn reference(bytes: &[u8], fixable_only: bool, unique: bool) -> [u64; 5] {
    let v: Value = serde_json::from_slice(bytes).unwrap();
    let results = match &v {
        Value::Array(a) => a.clone(),
        Value::Object(o) => o
            .get("Results")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        _ => panic!("bad fixture"),
    };
    let mut seen = HashSet::new();
    let mut c = [0u64; 5];
    for r in &results {
        for v in r
            .get("Vulnerabilities")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let fixed = v.get("FixedVersion").and_then(Value::as_str).unwrap_or("");
            if fixable_only && fixed.is_empty() {
                continue;
            }
            let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
            if unique && !seen.insert((s("VulnerabilityID"), s("PkgName"), s("InstalledVersion"))) {
                continue;
            }
            let idx = match s("Severity").as_str() {
                "CRITICAL" => 0,
                "HIGH" => 1,
                "MEDIUM" => 2,
                "LOW" => 3,
                _ => 4,
            };
            c[idx] += 1;
        }
    }
    c
}

#[test]
fn fixable_only_matches_an_independent_count() {
    let mut nonzero_difference = false;
    for &(name, all, _) in EXPECTED {
        let bytes = report_bytes(name);
        for unique in [false, true] {
            let opts = CountOptions {
                fixable_only: true,
                unique,
                ..Default::default()
            };
            let want = reference(&bytes, true, unique);
            assert_eq!(
                arr(&summarize(&bytes[..], &opts).unwrap().counts),
                want,
                "{name}"
            );
            assert_eq!(
                arr(&summarize_slice(&bytes, &opts).unwrap().counts),
                want,
                "{name}"
            );
            if want != all {
                nonzero_difference = true;
            }
        }
        assert_eq!(
            reference(&bytes, false, false),
            all,
            "reference agrees with README: {name}"
        );
    }
    assert!(nonzero_difference, "some fixture has unfixed findings");
    // centos-7: 711 entries, 611 without a fix (README).
    let c = summarize_slice(
        &report_bytes("centos-7-image-large-v0.20.json"),
        &CountOptions {
            fixable_only: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(c.findings, 100);
}

#[test]
fn artifact_name_and_callback() {
    let bytes = report_bytes("generated-0.76-rootfs-alpine-3.14.json");
    let mut seen = Vec::new();
    let s = for_each_finding(&bytes[..], &CountOptions::default(), |f| {
        seen.push(f.clone())
    })
    .unwrap();
    assert_eq!(seen.len(), 29);
    assert_eq!(s.findings, 29);
    assert!(
        seen.iter()
            .all(|f| !f.target.is_empty() && !f.id.is_empty())
    );
    assert!(
        seen.iter()
            .any(|f| f.purl.as_deref().is_some_and(|p| p.starts_with("pkg:apk/")))
    );
    assert!(
        seen.iter().any(|f| f.fixed_version.is_none())
            || seen.iter().all(|f| f.fixed_version.is_some())
    );
    assert_eq!(s.scanner_version(), Some("0.76.0"));
    let legacy = summarize_slice(
        &report_bytes("legacy-array-debian-9-v0.19.json"),
        &CountOptions::default(),
    )
    .unwrap();
    assert_eq!(legacy.artifact_name(), None);
    assert_eq!(legacy.scanner_version(), None);
    let spring = summarize_slice(
        &report_bytes("jar-in-debian-image-spring4shell.json"),
        &CountOptions::default(),
    )
    .unwrap();
    assert!(spring.artifact_name().is_some());
    let mut jar = Vec::new();
    for_each_finding(
        &report_bytes("jar-in-debian-image-spring4shell.json")[..],
        &CountOptions::default(),
        |f| jar.push(f.clone()),
    )
    .unwrap();
    assert_eq!(jar.len(), 1);
    assert!(jar[0].pkg_path.is_some(), "{:?}", jar[0]);
}

#[test]
fn target_after_vulnerabilities_is_still_used() {
    let report = br#"[{"Vulnerabilities":[{"VulnerabilityID":"CVE-1","PkgName":"a","InstalledVersion":"1","Severity":"HIGH"}],"Target":"late"}]"#;
    let mut targets = Vec::new();
    for_each_finding(&report[..], &CountOptions::default(), |f| {
        targets.push(f.target.clone())
    })
    .unwrap();
    assert_eq!(targets, ["late"]);
}

#[test]
fn baseline_diff() {
    let current = br#"{"Results":[
      {"Target":"a","Vulnerabilities":[
        {"VulnerabilityID":"CVE-1","PkgName":"p","InstalledVersion":"1","Severity":"LOW"},
        {"VulnerabilityID":"CVE-2","PkgName":"p","InstalledVersion":"1","Severity":"HIGH"}]},
      {"Target":"b","Vulnerabilities":[
        {"VulnerabilityID":"CVE-1","PkgName":"p","InstalledVersion":"2","Severity":"CRITICAL"}]}]}"#;
    let baseline = br#"{"Results":[{"Target":"a","Vulnerabilities":[
        {"VulnerabilityID":"CVE-2","PkgName":"p","InstalledVersion":"1","Severity":"HIGH"},
        {"VulnerabilityID":"CVE-3","PkgName":"q","InstalledVersion":"1","Severity":"MEDIUM"}]}]}"#;
    let cur = finding_keys(&current[..], &CountOptions::default()).unwrap();
    let base = finding_keys(&baseline[..], &CountOptions::default()).unwrap();
    assert_eq!(cur.len(), 2);
    // CVE-1/p seen as LOW and CRITICAL: the max is kept.
    assert_eq!(cur.get("CVE-1", "p"), Some(Severity::Critical));
    assert_eq!(cur.new_since(&base), counts_of([1, 0, 0, 0, 0]));
    assert_eq!(cur.fixed_since(&base), counts_of([0, 0, 1, 0, 0]));
    let same = finding_keys(
        &report_bytes("generated-0.76-image-alpine-3.14.json")[..],
        &CountOptions::default(),
    )
    .unwrap();
    let rootfs = finding_keys(
        &report_bytes("generated-0.76-rootfs-alpine-3.14.json")[..],
        &CountOptions::default(),
    )
    .unwrap();
    assert_eq!(same.new_since(&rootfs).total(), 0);
    assert_eq!(same.fixed_since(&rootfs).total(), 0);
    assert!(!same.is_empty());
}

#[test]
fn null_and_missing_lists_and_lenient_fields() {
    // No signature (specs/scanner-formats.md §1.3 rows 2, 3, 22): refused, never 0.
    for bytes in [
        &b"[]"[..],
        b"{}",
        br#"[null,{"Target":"x"}]"#,
        br#"[{"Vulnerabilities":null}]"#,
    ] {
        assert!(
            summarize(bytes, &CountOptions::default()).is_err(),
            "{}",
            String::from_utf8_lossy(bytes)
        );
    }
    let cases: &[(&[u8], u64)] = &[
        (b"null", 0),
        (br#"{"Results":null}"#, 0),
        (br#"{"SchemaVersion":2}"#, 0),
        (br#"[{"Target":"w","Vulnerabilities":null},{"Target":"x"}]"#, 0),
        (br#"[{"Target":"t","Vulnerabilities":[{"Severity":"weird","Extra":{"a":[1,2]}},{},null]}]"#, 2),
        (br#"{"Results":[{"Misconfigurations":[{"Severity":"HIGH"}],"Secrets":[{"Severity":"CRITICAL"}],"Licenses":[{"Severity":"LOW"}],"ExperimentalModifiedFindings":[{"Finding":{"Severity":"LOW"}}]}]}"#, 0),
    ];
    for (bytes, n) in cases {
        let s = summarize(*bytes, &CountOptions::default()).unwrap();
        assert_eq!(s.findings, *n, "{}", String::from_utf8_lossy(bytes));
    }
    let s = summarize(
        &br#"[{"Target":"t","Vulnerabilities":[{"Severity":"weird"},{"Severity":"critical"}]}]"#[..],
        &CountOptions::default(),
    )
    .unwrap();
    assert_eq!(s.counts.get(Severity::Unknown), 1);
    assert_eq!(s.counts.get(Severity::Critical), 1);
}

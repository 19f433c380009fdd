//! The official schema and GitHub's requirements, on every kind of report we read.

use findings::Severity;
use sarif_out::{Gate, Objective, Options, sarif};
use serde_json::Value;
use test_support::fixtures::{fixture, report};
use test_support::sarif::{github_problems, validate_schema};

use crate::read;

fn gate() -> Gate {
    Gate {
        result: "fail".into(),
        score: 50.0,
        objectives: vec![
            Objective {
                sli: "vulnerabilities_critical".into(),
                name: "vulnerabilities_critical".into(),
                status: "fail".into(),
                value: Some(2.0),
                message: None,
                score: 0.0,
                key_sli: true,
            },
            Objective {
                sli: "epss_max".into(),
                name: "EPSS".into(),
                status: "fail".into(),
                value: None,
                message: Some("no such SLI in the report".into()),
                score: 0.0,
                key_sli: false,
            },
        ],
    }
}

/// Reports of every input format with findings, and ones without.
fn reports() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = [
        "alpine-3.10-image.json",
        "alpine-3.9-image-critical.json",
        "debian-10-image.json",
        "jar-in-debian-image-spring4shell.json",
        "gomod-multi-module-unknown.json",
        "npm-lockfile-repo.json",
        "generated-0.76-image-alpine-3.14.json",
        "generated-0.76-rootfs-alpine-3.14.json",
        "legacy-array-debian-9-v0.19.json",
        "slmicro-image-zero-vulns.json",
    ]
    .iter()
    .map(|n| report(n))
    .collect();
    v.extend(
        [
            "corpus/grype/grype-0.65.1-ghsa-java.json",
            "corpus/grype/grype-0.66.0-keycloak.json",
            "corpus/grype/grype-presenter-image.golden.json",
            "corpus/grype/grype-presenter-empty.golden.json",
            "corpus/grype/grype-presenter-sarif-image.golden.sarif",
            "corpus/trivy/trivy-head__alpine-310.sarif.golden",
            "corpus/trivy/trivy-head__pom-cyclonedx.json.golden",
        ]
        .iter()
        .map(|n| fixture(n)),
    );
    v
}

#[test]
fn every_report_gives_sarif_the_schema_and_github_accept() {
    let g = gate();
    for path in reports() {
        let summary = read(&path);
        for opts in [
            Options::default(),
            Options {
                gate: Some(&g),
                severities: &[Severity::Critical, Severity::High],
            },
        ] {
            let out = sarif(&summary.kept, &summary.input, &opts);
            let json = out.to_json();
            if let Err(e) = validate_schema(&json) {
                panic!("{}: not valid SARIF 2.1.0:\n{e}", path.display());
            }
            let problems = github_problems(&out.log);
            assert!(problems.is_empty(), "{}: {problems:#?}", path.display());
            let results = out.log["runs"][0]["results"].as_array().unwrap();
            let expected = summary
                .kept
                .iter()
                .filter(|f| opts.severities.is_empty() || opts.severities.contains(&f.severity))
                .count();
            assert_eq!(
                results.len(),
                expected,
                "{}: one result per finding",
                path.display()
            );
        }
    }
}

#[test]
fn the_checks_refuse_what_github_and_the_schema_refuse() {
    // Guards the guards: a validator that accepts everything would make the test above pass.
    let summary = read(&report("alpine-3.10-image.json"));
    let good = sarif(&summary.kept, &summary.input, &Options::default()).log;
    assert!(github_problems(&good).is_empty());
    let broken = |f: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        f(&mut v);
        v
    };
    let schema_bad = [
        broken(&|v| v["version"] = "2.0.0".into()),
        broken(&|v| v["runs"][0]["results"][0]["level"] = "fatal".into()),
        broken(&|v| {
            v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
                0.into()
        }),
        broken(&|v| v["runs"][0]["tool"]["driver"]["rules"][0]["id"] = Value::Null),
    ];
    for (i, doc) in schema_bad.iter().enumerate() {
        assert!(
            validate_schema(&doc.to_string()).is_err(),
            "schema case {i} accepted"
        );
    }
    let github_bad = [
        broken(&|v| v["runs"][0]["results"][0]["message"]["text"] = "".into()),
        broken(&|v| {
            v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
                "alpine:3.10".into()
        }),
        broken(&|v| v["runs"][0]["results"][0]["partialFingerprints"] = serde_json::json!({})),
        broken(&|v| v["runs"][0]["results"][0]["ruleIndex"] = 1.into()),
        broken(&|v| {
            v["runs"][0]["tool"]["driver"]["rules"][0]["fullDescription"]["text"] =
                "x".repeat(1025).into()
        }),
        broken(&|v| {
            v["runs"][0]["tool"]["driver"]["rules"][0]["properties"]["security-severity"] =
                9.5.into()
        }),
        broken(&|v| v["runs"][0]["tool"]["driver"]["rules"][0]["help"] = Value::Null),
        broken(&|v| {
            let run = v["runs"][0].clone();
            v["runs"].as_array_mut().unwrap().push(run);
        }),
    ];
    for (i, doc) in github_bad.iter().enumerate() {
        assert!(!github_problems(doc).is_empty(), "GitHub case {i} accepted");
    }
}

#[test]
fn rules_results_and_run_properties_carry_the_facts() {
    let summary = read(&report("alpine-3.10-image.json"));
    let g = gate();
    let log = sarif(
        &summary.kept,
        &summary.input,
        &Options {
            gate: Some(&g),
            ..Options::default()
        },
    )
    .log;
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    // The same two CVEs hit libcrypto1.1 and libssl1.1: two rules, four results.
    assert_eq!(rules.len(), 2);
    assert_eq!(run["results"].as_array().unwrap().len(), 4);
    for rule in rules {
        let tags = &rule["properties"]["tags"];
        assert_eq!(
            tags,
            &serde_json::json!(["vulnerability", "security", "MEDIUM"])
        );
        assert_eq!(rule["properties"]["precision"], "very-high");
    }
    // CVE-2019-1549 has an NVD CVSS v3 score of 5.3 in the report.
    assert_eq!(rules[0]["id"], "CVE-2019-1549");
    assert_eq!(rules[0]["properties"]["security-severity"], "5.3");
    let r0 = &run["results"][0];
    assert_eq!(r0["level"], "warning");
    let msg = r0["message"]["text"].as_str().unwrap();
    assert!(
        msg.contains("libcrypto1.1 1.1.1c-r0") && msg.contains("fixed in 1.1.1d-r0"),
        "{msg}"
    );
    assert_eq!(run["tool"]["driver"]["name"], "vulngate");
    assert_eq!(run["tool"]["extensions"][0]["name"], "trivy");
    assert_eq!(run["properties"]["gate"]["result"], "fail");
    assert_eq!(run["properties"]["gate"]["score"], 50.0);
    assert_eq!(
        run["properties"]["gate"]["objectives"][1]["message"],
        "no such SLI in the report"
    );
    assert_eq!(run["properties"]["counts"]["MEDIUM"], 4);
}

#[test]
fn without_cvss_the_severity_band_is_used() {
    // gomod: UNKNOWN findings without a CVSS score get the band 0.0 (GitHub: no severity).
    let summary = read(&report("gomod-multi-module-unknown.json"));
    let log = sarif(&summary.kept, &summary.input, &Options::default()).log;
    for rule in log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
    {
        let tag = rule["properties"]["tags"][2].as_str().unwrap();
        let score = rule["properties"]["security-severity"].as_str().unwrap();
        if tag == "UNKNOWN" {
            assert_eq!(score, "0.0", "{rule}");
            assert_eq!(rule["defaultConfiguration"]["level"], "note");
        }
    }
}

#[test]
fn fingerprints_are_stable_and_ignore_the_installed_version() {
    let summary = read(&report("generated-0.76-image-alpine-3.14.json"));
    let fp = |kept: &[findings::Finding]| -> Vec<Value> {
        sarif(kept, &summary.input, &Options::default()).log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["partialFingerprints"]["primaryLocationLineHash"].clone())
            .collect()
    };
    let first = fp(&summary.kept);
    assert_eq!(first, fp(&summary.kept));
    let mut bumped = summary.kept.clone();
    for f in &mut bumped {
        f.installed.push_str("-r99");
    }
    assert_eq!(
        first,
        fp(&bumped),
        "a version bump that fixes nothing keeps the alert"
    );
    let distinct: std::collections::HashSet<_> = first.iter().collect();
    assert!(distinct.len() > 1);
}

#[test]
fn vulngate_reads_its_own_sarif_back() {
    // Our SARIF reader (specs/scanner-formats.md §7) on our SARIF output: one finding per
    // result, buckets from `security-severity` (GitHub's bands).
    for name in [
        "alpine-3.9-image-critical.json",
        "generated-0.76-image-alpine-3.14.json",
    ] {
        let summary = read(&report(name));
        let out = sarif(&summary.kept, &summary.input, &Options::default());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.sarif");
        std::fs::write(&path, out.to_json()).unwrap();
        let back = read(&path);
        assert_eq!(back.input.format, "sarif");
        assert_eq!(back.input.scanner.as_ref().unwrap().name, "vulngate");
        assert_eq!(back.findings, summary.findings, "{name}");
        let rules = out.log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap();
        for f in &back.kept {
            let rule = rules.iter().find(|r| r["id"] == f.id.as_str()).unwrap();
            let score: f64 = rule["properties"]["security-severity"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            let bucket = match score {
                s if s >= 9.0 => Severity::Critical,
                s if s >= 7.0 => Severity::High,
                s if s >= 4.0 => Severity::Medium,
                s if s > 0.0 => Severity::Low,
                _ => Severity::Unknown,
            };
            assert_eq!(f.severity, bucket, "{name}: {}", f.id);
        }
    }
}

/// Findings with what adapters may leave empty or odd: no id, no package, whitespace,
/// colons, non-ASCII, Windows paths, image references with registries and digests.
fn odd_findings() -> Vec<findings::Finding> {
    let texts = [
        "",
        " ",
        "a:b",
        "C:\\app\\lib.dll",
        "ünïcödé pkg",
        "registry.example:5000/team/app:1.0@sha256:00ff (debian 12.5)",
        "/abs/path with space/x.jar",
        "pkg|with|pipes\nand newline",
    ];
    let mut out = Vec::new();
    for (i, t) in texts.iter().enumerate() {
        for (j, u) in texts.iter().enumerate() {
            out.push(findings::Finding {
                id: (*t).to_owned(),
                severity: Severity::ALL[(i + j) % 5],
                package: (*u).to_owned(),
                installed: (*t).to_owned(),
                fixed_version: (j % 2 == 0).then(|| (*u).to_owned()),
                pkg_path: (i % 3 == 0).then(|| (*u).to_owned()),
                target: (*t).to_owned(),
                cvss: [None, Some(0.0), Some(11.0), Some(7.2)][j % 4],
                ..findings::Finding::default()
            });
        }
    }
    out
}

#[test]
fn odd_findings_still_give_sarif_github_accepts() {
    let input = findings::InputInfo {
        artifact: Some("registry.example:5000/team/app:1.0@sha256:00ff".into()),
        scanner: Some(findings::Scanner {
            name: String::new(),
            version: None,
        }),
        ..findings::InputInfo::default()
    };
    let out = sarif(&odd_findings(), &input, &Options::default());
    if let Err(e) = validate_schema(&out.to_json()) {
        panic!("not valid SARIF 2.1.0:\n{e}");
    }
    let problems = github_problems(&out.log);
    assert!(problems.is_empty(), "{problems:#?}");
    // An empty scanner name is no extension (a tool component needs a name).
    assert!(out.log["runs"][0]["tool"].get("extensions").is_none());
    // CVSS 0 and 11 are no scores: the band is used.
    for rule in out.log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
    {
        let s: f64 = rule["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..=10.0).contains(&s), "{rule}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Whatever strings a report holds, every required field is there and every location is
    /// a relative reference without whitespace.
    #[test]
    fn any_findings_meet_githubs_requirements(
        rows in proptest::collection::vec(
            (".{0,12}", ".{0,12}", ".{0,12}", proptest::option::of(".{0,16}"), 0usize..5, proptest::option::of(-1.0f64..12.0)),
            0..40,
        ),
        artifact in proptest::option::of(".{0,20}"),
    ) {
        let findings: Vec<findings::Finding> = rows
            .into_iter()
            .map(|(id, package, target, pkg_path, sev, cvss)| findings::Finding {
                id,
                package,
                target,
                pkg_path,
                severity: Severity::ALL[sev],
                cvss,
                ..findings::Finding::default()
            })
            .collect();
        let input = findings::InputInfo { artifact, ..findings::InputInfo::default() };
        let out = sarif(&findings, &input, &Options::default());
        let problems = github_problems(&out.log);
        proptest::prop_assert!(problems.is_empty(), "{:#?}", problems);
        proptest::prop_assert_eq!(out.log["runs"][0]["results"].as_array().unwrap().len(), findings.len());
    }
}

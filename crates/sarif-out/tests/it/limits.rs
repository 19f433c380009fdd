//! GitHub's hard limits on a run: 25,000 results; 10 MB gzip-compressed.

use std::io::Write as _;
use std::process::{Command, Stdio};

use findings::{Finding, InputInfo, Severity};
use sarif_out::{Options, limits, sarif};
use test_support::sarif::github_problems;

/// `n` findings, each with its own id (one rule each: the largest file per result), long
/// package names and paths, severities cycling.
fn many(n: usize) -> Vec<Finding> {
    (0..n)
        .map(|i| Finding {
            id: format!("CVE-2026-{i:06}"),
            severity: Severity::ALL[i % 5],
            package: format!("lib-with-a-rather-long-package-name-{i}"),
            installed: "1.2.3-r4".into(),
            fixed_version: (i % 2 == 0).then(|| "1.2.4-r0".into()),
            fixable: i % 2 == 0,
            pkg_path: Some(format!(
                "usr/lib/python3.12/site-packages/some_package_{i}/METADATA"
            )),
            target: "registry.example:5000/team/service:1.0 (debian 12.5)".into(),
            cvss: (i % 3 == 0).then_some(7.5),
            ..Finding::default()
        })
        .collect()
}

fn gzip_len(bytes: &[u8]) -> u64 {
    let mut child = Command::new("gzip")
        .arg("-c")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("gzip");
    let mut stdin = child.stdin.take().unwrap();
    let data = bytes.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success());
    out.stdout.len() as u64
}

#[test]
fn a_run_never_exceeds_the_result_limit_and_keeps_the_most_severe() {
    let n = limits::RESULTS_PER_RUN + 1_000;
    let findings = many(n);
    let input = InputInfo::default();
    let out = sarif(&findings, &input, &Options::default());
    let run = &out.log["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), limits::RESULTS_PER_RUN);
    assert_eq!(out.omitted, 1_000);
    assert_eq!(run["properties"]["omittedResults"], 1_000);
    // The 1,000 left out are UNKNOWN ones (the least severe), and report order is kept.
    assert_eq!(
        run["properties"]["counts"]["UNKNOWN"],
        (n / 5) as u64 - 1_000
    );
    assert_eq!(run["properties"]["counts"]["CRITICAL"], (n / 5) as u64);
    let ids: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted);
    assert!(github_problems(&out.log).is_empty());

    let json = out.to_json();
    let gz = gzip_len(json.as_bytes());
    assert!(
        gz < limits::GZIP_BYTES,
        "{gz} bytes gzip-compressed at the result limit ({} uncompressed)",
        json.len()
    );
}

#[test]
fn descriptions_are_cut_to_githubs_length() {
    let findings: Vec<Finding> = (0..200)
        .map(|i| Finding {
            id: "CVE-2026-0001".into(),
            severity: Severity::High,
            package: format!("{}-{i}", "p".repeat(40)),
            installed: "1".into(),
            ..Finding::default()
        })
        .collect();
    let out = sarif(&findings, &InputInfo::default(), &Options::default());
    let rule = &out.log["runs"][0]["tool"]["driver"]["rules"][0];
    for field in ["shortDescription", "fullDescription"] {
        let t = rule[field]["text"].as_str().unwrap();
        assert_eq!(t.chars().count(), limits::DESCRIPTION_CHARS, "{field}");
        assert!(t.ends_with('…'));
    }
    assert!(github_problems(&out.log).is_empty());
}

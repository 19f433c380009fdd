//! trivy-scan end to end: the seed's interface, real trivy three ways, and bad input.

use std::path::PathBuf;
use std::process::Output;

use assert_cmd::Command;
use test_support::fixtures::report;
use test_support::trivy::{
    FIXTURE_COUNTS, Registry, TrivyCache, fixture_image_tar, fixture_rootfs, trivy_bin,
};

/// The binary with a clean environment: no seed variables leaking in from the developer's
/// shell, and no metrics backend unless a test sets one.
fn trivy_scan() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("trivy-scan"));
    for var in test_support::cli::CALLER_ENV {
        cmd.env_remove(var);
    }
    cmd
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json_of(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON object ({e}): {}\nstderr: {}",
            stdout(o),
            stderr(o)
        )
    })
}

fn assert_fixture_counts(v: &serde_json::Value) {
    let c = &v["counts"];
    let got = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"].map(|s| c[s].as_u64().unwrap());
    assert_eq!(got, FIXTURE_COUNTS, "{v:#}");
    assert_eq!(v["total"], 29, "{v:#}");
}

#[test]
fn seed_lines_for_trivy_security_critical() {
    let out = trivy_scan()
        .env("TRIVY_SECURITY", "CRITICAL")
        .env("IMAGE", "fixture/alpine-vulnerable")
        .env("TAG", "3.14")
        .arg("--report")
        .arg(report("generated-0.76-image-alpine-3.14.json"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "METRICS_ENDPOINT and/or METRICS_API_TOKEN environment variables not set. Tool will still work but metrics will not be pushed to a backend.\n\
         Checking 1 security levels: ['CRITICAL']\n\
         Finished. Total Vulnerability Count: 6\n"
    );
}

#[test]
fn an_explicit_stdout_sink_does_not_say_metrics_will_not_be_pushed() {
    let out = trivy_scan()
        .args(["--sink", "stdout", "--report"])
        .arg(report("generated-0.76-image-alpine-3.14.json"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(!text.contains("will not be pushed"), "{text}");
    assert!(
        text.starts_with(
            "Checking 5 security levels: ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN']\n"
        ),
        "{text}"
    );
    assert!(
        text.ends_with("Finished. Total Vulnerability Count: 29\n"),
        "{text}"
    );
    assert!(
        stderr(&out).contains("metrics: stdout accepted 6 metrics"),
        "{}",
        stderr(&out)
    );
}

/// Every file trivy-scan reads, with a UTF-8 byte-order mark in front, gives the same
/// output as without it.
#[test]
fn every_input_file_may_start_with_a_byte_order_mark() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The marked copy keeps the file's name (the output names ignore files).
    let marked_dir = d.join("marked");
    std::fs::create_dir(&marked_dir).unwrap();
    let bom = |src: &std::path::Path| {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend(std::fs::read(src).unwrap());
        test_support::cli::write(
            &marked_dir,
            &src.file_name().unwrap().to_string_lossy(),
            bytes,
        )
    };
    let rep = report("alpine-3.9-image-critical.json");
    let slo = write(d, "slo.yaml", &SEED_SLO.replace("LIMIT", "2"));
    let sli = write(d, "sli.yaml", SEED_SLI);
    let ignore = write(d, "trivyignore", "CVE-2019-14697\n");
    let ignore_yaml = write(
        d,
        "trivyignore.yaml",
        "vulnerabilities:\n  - id: CVE-2019-14697\n",
    );
    let run = |report: &std::path::Path, extra: &[&std::ffi::OsStr]| {
        let out = trivy_scan()
            .args(["--format", "json", "--report"])
            .arg(report)
            .args(extra)
            .output()
            .unwrap();
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
        (out.status.code(), stdout(&out))
    };
    // Each case: the flag, the file, and the other arguments it needs.
    let cases: Vec<(&str, PathBuf, Vec<&std::ffi::OsStr>)> = vec![
        ("--report", rep.clone(), vec![]),
        (
            "--input-format trivy",
            rep.clone(),
            vec!["--input-format".as_ref(), "trivy".as_ref()],
        ),
        (
            "--ignore-file",
            ignore.clone(),
            vec!["--ignore-file".as_ref()],
        ),
        (
            "--ignore-file (YAML)",
            ignore_yaml.clone(),
            vec!["--ignore-file".as_ref()],
        ),
        (
            "--slo",
            slo.clone(),
            vec!["--sli".as_ref(), sli.as_os_str(), "--slo".as_ref()],
        ),
        (
            "--sli",
            sli.clone(),
            vec!["--slo".as_ref(), slo.as_os_str(), "--sli".as_ref()],
        ),
    ];
    for (what, file, args) in cases {
        let marked = bom(&file);
        let (plain, bommed) = if what.starts_with("--report") || what.starts_with("--input") {
            (run(&file, &args), run(&marked, &args))
        } else {
            let mut a = args.clone();
            a.push(file.as_os_str());
            let mut b = args.clone();
            b.push(marked.as_os_str());
            (run(&rep, &a), run(&rep, &b))
        };
        assert_eq!(bommed, plain, "{what} with a BOM");
    }
    // The marked ignore files really ignore the finding on their first line.
    let all = run(&rep, &[]).1;
    for f in [&ignore, &ignore_yaml] {
        let marked = bom(f);
        let (_, out) = run(&rep, &["--ignore-file".as_ref(), marked.as_os_str()]);
        assert_ne!(out, all, "{} with a BOM ignores nothing", f.display());
    }
}

#[test]
fn seed_lines_list_several_levels_like_python() {
    let out = trivy_scan()
        .env("TRIVY_SECURITY", "critical,High")
        .arg("--report")
        .arg(report("alpine-3.9-image-critical.json"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("Checking 2 security levels: ['CRITICAL', 'HIGH']\n"),
        "{text}"
    );
    assert!(
        text.ends_with("Finished. Total Vulnerability Count: 2\n"),
        "{text}"
    );
}

#[test]
fn json_has_all_five_counts_and_the_selected_total() {
    let out = trivy_scan()
        .args([
            "--format",
            "json",
            "--severity",
            "HIGH,CRITICAL",
            "myimage:1",
        ])
        .arg("--report")
        .arg(report("generated-0.76-rootfs-alpine-3.14.json"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json_of(&out);
    assert_eq!(v["image"], "myimage:1");
    assert_eq!(v["severities"], serde_json::json!(["HIGH", "CRITICAL"]));
    assert_eq!(v["counts"]["MEDIUM"], 10);
    assert_eq!(v["total"], 15);
    assert_eq!(v["trivy"], serde_json::Value::Null);
}

#[test]
fn report_from_stdin_is_named_by_its_artifact() {
    let out = trivy_scan()
        .args(["--format", "json", "--report", "-", "--unique"])
        .pipe_stdin(report("generated-0.76-image-alpine-3.14.json"))
        .unwrap()
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json_of(&out);
    assert!(v["image"].as_str().unwrap().contains("alpine"), "{v}");
    assert_eq!(v["total"], 27);
    assert_eq!(v["counting"]["mode"], "unique");
}

// ---- real trivy, offline, against the fixture DB ------------------------------------------

fn real_trivy(args: &[&str], cache: &TrivyCache) -> Output {
    let bin = trivy_bin().unwrap_or_else(|e| panic!("{e}"));
    trivy_scan()
        .arg("--trivy-bin")
        .arg(bin)
        .arg("--offline")
        .arg("--cache-dir")
        .arg(cache.path())
        .args(["--format", "json"])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn real_trivy_on_the_docker_save_tar() {
    let cache = TrivyCache::new();
    let tar = fixture_image_tar();
    let saved = tempfile::tempdir().unwrap();
    let saved_report = saved.path().join("report.json");
    let out = real_trivy(
        &[
            "fixture/alpine-vulnerable:3.14",
            "--input",
            tar.to_str().unwrap(),
            "--save-report",
            saved_report.to_str().unwrap(),
        ],
        &cache,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json_of(&out);
    assert_fixture_counts(&v);
    assert_eq!(v["image"], "fixture/alpine-vulnerable:3.14");
    assert_eq!(v["trivy"]["version"], "0.76.0");
    assert_eq!(
        v["trivy"]["vulnerability_db"]["updated_at"],
        "2024-01-01T00:00:00Z"
    );
    // The saved report is trivy's own and counts the same.
    let again = trivy_scan()
        .args(["--format", "json", "--report"])
        .arg(&saved_report)
        .output()
        .unwrap();
    assert_fixture_counts(&json_of(&again));
}

#[test]
fn real_trivy_on_a_rootfs() {
    let cache = TrivyCache::new();
    let rootfs = fixture_rootfs();
    let out = real_trivy(&["--rootfs", rootfs.to_str().unwrap()], &cache);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_fixture_counts(&json_of(&out));
}

#[test]
fn real_trivy_against_a_real_registry() {
    let registry = Registry::start().unwrap_or_else(|e| panic!("{e}"));
    let reference = registry
        .push_fixture_image()
        .unwrap_or_else(|e| panic!("{e}"));
    let cache = TrivyCache::new();
    let out = real_trivy(&[&reference, "--insecure-registry"], &cache);
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json_of(&out);
    assert_fixture_counts(&v);
    assert_eq!(v["image"], reference);
}

#[test]
fn max_db_age_fails_on_the_old_fixture_db() {
    let cache = TrivyCache::new();
    let rootfs = fixture_rootfs();
    let out = real_trivy(
        &["--rootfs", rootfs.to_str().unwrap(), "--max-db-age", "7d"],
        &cache,
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("2024-01-01") && err.contains("--max-db-age"),
        "{err}"
    );
    assert!(
        out.stdout.is_empty(),
        "no verdict on a stale DB: {}",
        stdout(&out)
    );
    // Within the limit it scans.
    let out = real_trivy(
        &[
            "--rootfs",
            rootfs.to_str().unwrap(),
            "--max-db-age",
            "3650d",
        ],
        &cache,
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

// ---- trivy failing -----------------------------------------------------------------------

fn fake_trivy(dir: &std::path::Path, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("trivy");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn trivy_missing_is_exit_3() {
    let out = trivy_scan()
        .args(["nginx:1", "--trivy-bin", "/nonexistent/trivy"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(
        err.contains("trivy") && err.contains("/nonexistent/trivy"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}

#[test]
fn trivy_failing_is_exit_3_with_its_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_trivy(
        dir.path(),
        r#"if [ "$1" = version ]; then echo '{"Version":"0.76.0"}'; exit 0; fi
echo "FATAL image scan error: unable to find the specified image" >&2; exit 1"#,
    );
    let out = trivy_scan()
        .args(["nginx:1", "--trivy-bin"])
        .arg(&bin)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("unable to find the specified image"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn trivy_hanging_is_killed_at_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_trivy(
        dir.path(),
        r#"if [ "$1" = version ]; then echo '{"Version":"0.76.0"}'; exit 0; fi
sleep 30"#,
    );
    let start = std::time::Instant::now();
    let out = trivy_scan()
        .args(["nginx:1", "--timeout", "1s", "--trivy-bin"])
        .arg(&bin)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(start.elapsed() < std::time::Duration::from_secs(15));
    assert!(
        stderr(&out).contains("did not finish within 1s"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn trivy_printing_invalid_json_is_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_trivy(
        dir.path(),
        r#"if [ "$1" = version ]; then echo '{"Version":"0.76.0"}'; exit 0; fi
for a in "$@"; do case "$a" in --output=*) printf '{"Results": [' > "${a#--output=}";; esac; done; exit 0"#,
    );
    let out = trivy_scan()
        .args(["nginx:1", "--trivy-bin"])
        .arg(&bin)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("line 1"), "{}", stderr(&out));
}

// ---- bad input: exit 2 with a message a user can act on -----------------------------------

fn assert_usage_error(out: &Output, needle: &str) {
    assert_eq!(
        out.status.code(),
        Some(2),
        "stdout: {}\nstderr: {}",
        stdout(out),
        stderr(out)
    );
    let err = stderr(out);
    assert!(err.contains(needle), "expected `{needle}` in: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn malformed_truncated_and_empty_reports_name_the_file_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("empty.json", "", "empty"),
        (
            "truncated.json",
            "{\n  \"Results\": [\n    {\"Target\": \"x\",",
            "line 3",
        ),
        ("garbage.json", "{\n  \"Results\": nope\n}", "line 2"),
        ("number.json", "42", "report"),
    ];
    for (name, body, needle) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        let out = trivy_scan().arg("--report").arg(&path).output().unwrap();
        assert_usage_error(&out, name);
        assert_usage_error(&out, needle);
    }
    let out = trivy_scan()
        .args(["--report", "/nonexistent/report.json"])
        .output()
        .unwrap();
    assert_usage_error(&out, "/nonexistent/report.json");
    let out = trivy_scan()
        .arg("--report")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_usage_error(&out, "directory");
}

#[test]
fn bad_references_are_refused_before_anything_runs() {
    let out = trivy_scan().args(["--", "-rf"]).output().unwrap();
    assert_usage_error(&out, "starts with `-`");
    let out = trivy_scan().arg("nginx latest").output().unwrap();
    assert_usage_error(&out, "whitespace");
    let out = trivy_scan()
        .env("IMAGE", "nginx")
        .env("TAG", "1;rm -rf /")
        .output()
        .unwrap();
    assert_usage_error(&out, "TAG");
    let out = trivy_scan().output().unwrap();
    assert_usage_error(&out, "no image to scan");
}

#[test]
fn unknown_severities_are_refused() {
    let out = trivy_scan()
        .args(["--severity", "CRITICAL,SEVERE", "--report"])
        .arg(report("debian-10-image.json"))
        .output()
        .unwrap();
    assert_usage_error(&out, "SEVERE");
    let out = trivy_scan()
        .env("TRIVY_SECURITY", "bogus")
        .arg("--report")
        .arg(report("debian-10-image.json"))
        .output()
        .unwrap();
    assert_usage_error(&out, "TRIVY_SECURITY");
}

#[test]
fn help_is_fast_to_print_and_names_the_contract_flags() {
    let out = trivy_scan().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = stdout(&out);
    for flag in [
        "--severity",
        "--report",
        "--trivy-bin",
        "--cache-dir",
        "--offline",
        "--server",
        "--input",
        "--timeout",
        "--save-report",
        "--max-db-age",
        "--unique",
        "--fixable-only",
        "--ignore-file",
        "--format",
        "--sink",
        "--slo",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
}

// ---- inline gate (--slo) ------------------------------------------------------------------

fn write(dir: &std::path::Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const SEED_SLO: &str = "---\nspec_version: \"0.1.0\"\nfilter: {}\ncomparison:\n  compare_with: single_result\n  include_result_with_score: pass\n  number_of_comparison_results: 1\n  aggregate_function: avg\nobjectives:\n- sli: trivy_vulns\n  pass:\n    - criteria:\n      - \"<LIMIT\"\ntotal_score:\n  pass: 90%\n  warning: 75%\n";
const SEED_SLI: &str =
    "---\nindicators:\n  trivy_vulns: \"metricSelector=trivy.vulnerabilities.CRITICAL\"\n";

#[test]
fn inline_gate_with_the_seeds_own_files_passes_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let sli = write(dir.path(), "sli.yaml", SEED_SLI);
    for (limit, code, verdict) in [("10", 0, "pass"), ("5", 1, "fail")] {
        let slo = write(dir.path(), "slo.yaml", &SEED_SLO.replace("LIMIT", limit));
        let out = trivy_scan()
            .args(["--format", "json", "--severity", "CRITICAL", "--report"])
            .arg(report("generated-0.76-image-alpine-3.14.json"))
            .arg("--slo")
            .arg(&slo)
            .arg("--sli")
            .arg(&sli)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{}", stderr(&out));
        let v = json_of(&out);
        assert_eq!(v["gate"]["result"], verdict, "{v:#}");
        assert_eq!(
            v["gate"]["evaluation"]["indicatorResults"][0]["value"]["value"],
            6.0
        );
    }
}

#[test]
fn inline_gate_text_follows_the_seed_lines() {
    let out = trivy_scan()
        .arg("--report")
        .arg(report("generated-0.76-image-alpine-3.14.json"))
        .arg("--slo")
        .arg(test_support::fixtures::workspace_root().join("examples/slo.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let finished = text
        .find("Finished. Total Vulnerability Count: 29")
        .unwrap();
    let table = text.find("vulnerabilities_critical").unwrap();
    assert!(finished < table, "{text}");
    assert!(text.contains("pass"), "{text}");
}

#[test]
fn a_missing_or_broken_slo_fails_before_any_scan() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_trivy(dir.path(), "echo 'trivy must not run' >&2; exit 99");
    let out = trivy_scan()
        .args(["nginx:1", "--slo", "/nonexistent/slo.yaml", "--trivy-bin"])
        .arg(&bin)
        .output()
        .unwrap();
    assert_usage_error(&out, "/nonexistent/slo.yaml");
    assert!(!stderr(&out).contains("must not run"));
    let broken = write(
        dir.path(),
        "slo.yaml",
        "objectives:\n  - sli: x\n    weight: heavy\n",
    );
    let out = trivy_scan()
        .args(["nginx:1", "--trivy-bin"])
        .arg(&bin)
        .arg("--slo")
        .arg(&broken)
        .output()
        .unwrap();
    assert_usage_error(&out, "slo.yaml");
    assert_usage_error(&out, "line");
    // Lighthouse would fail the evaluation on an unusable criterion; a gate refuses the file.
    let bad_criterion = write(
        dir.path(),
        "criterion.yaml",
        "objectives:\n  - sli: vulnerabilities_critical\n    pass:\n      - criteria: [\"<<5\"]\n",
    );
    let out = trivy_scan()
        .args(["nginx:1", "--trivy-bin"])
        .arg(&bin)
        .arg("--slo")
        .arg(&bad_criterion)
        .output()
        .unwrap();
    assert_usage_error(&out, "criterion `<<5`");
    assert!(!stderr(&out).contains("must not run"));
    // Empty SLO: an error unless the user accepts lighthouse's silent pass.
    let empty = write(dir.path(), "empty.yaml", "");
    let out = trivy_scan()
        .arg("--report")
        .arg(report("debian-10-image.json"))
        .arg("--slo")
        .arg(&empty)
        .output()
        .unwrap();
    assert_usage_error(&out, "--allow-missing-slo");
    let out = trivy_scan()
        .arg("--report")
        .arg(report("debian-10-image.json"))
        .arg("--slo")
        .arg(&empty)
        .arg("--allow-missing-slo")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn ignore_file_suppresses_counts_and_says_how_many_per_rule() {
    let dir = tempfile::tempdir().unwrap();
    let ignore = write(
        dir.path(),
        ".trivyignore",
        "# accepted until the base image moves\nCVE-2021-3711\nCVE-2021-33503 exp:2020-01-01\n",
    );
    let out = trivy_scan()
        .args(["--format", "json", "--report"])
        .arg(report("generated-0.76-image-alpine-3.14.json"))
        .arg("--ignore-file")
        .arg(&ignore)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json_of(&out);
    assert_eq!(v["counts"]["CRITICAL"], 4, "{v:#}");
    assert_eq!(
        v["counts"]["HIGH"], 9,
        "the expired rule must not apply: {v:#}"
    );
    assert_eq!(v["total"], 27);
    let rules = v["ignored"]["rules"].as_array().unwrap();
    assert!(
        rules
            .iter()
            .any(|r| r["rule"].as_str().unwrap().contains("CVE-2021-3711") && r["suppressed"] == 2),
        "{v:#}"
    );
    assert!(
        v["ignored"]["expired_rules"]
            .to_string()
            .contains("CVE-2021-33503"),
        "{v:#}"
    );
    // Text mode says it too.
    let out = trivy_scan()
        .arg("--report")
        .arg(report("generated-0.76-image-alpine-3.14.json"))
        .arg("--ignore-file")
        .arg(&ignore)
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(
        text.contains("Ignored 2 finding(s) by rule") && text.contains("CVE-2021-3711"),
        "{text}"
    );
    assert!(text.contains("expired"), "{text}");
}

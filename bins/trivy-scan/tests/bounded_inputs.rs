//! Bounded inputs and a gate that never opens on missing data (issue 12 items 1, 2, 5),
//! through the `trivy-scan` binary. Every run is measured: exit code, wall time (generous
//! for a loaded machine) and the child's peak RSS, which GNU `time` reads from `wait4`'s
//! rusage.
#![allow(clippy::print_stderr)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use test_support::cli::{Measured, write};
use test_support::fixtures::report;

/// Wall-time bound per run: far above the ~10 ms these take, for a loaded CI machine.
const WALL: Duration = Duration::from_secs(10);
/// Peak resident memory bound, in KiB (issue 12: under 64 MB).
const MAX_RSS_KB: u64 = 64 * 1000;

fn measured(args: &[&OsStr]) -> Measured {
    Measured::run(Path::new(assert_cmd::cargo::cargo_bin!("trivy-scan")), args)
}

fn assert_bounded(m: &Measured) {
    assert!(m.elapsed < WALL, "took {:?}: {m:#?}", m.elapsed);
    assert!(
        m.peak_rss_kb < MAX_RSS_KB,
        "peak RSS {} KiB: {m:#?}",
        m.peak_rss_kb
    );
}

/// Exit 2, one error line naming every needle, within time and memory.
fn assert_refused(m: &Measured, needles: &[&str]) {
    assert_eq!(m.code, Some(2), "{m:#?}");
    assert!(!m.stderr.contains("panicked"), "{m:#?}");
    assert_eq!(
        m.stderr.matches("trivy-scan: error:").count(),
        1,
        "one error line: {m:#?}"
    );
    for n in needles {
        assert!(m.stderr.contains(n), "`{n}` not named: {m:#?}");
    }
    assert_bounded(m);
}

fn a_report() -> PathBuf {
    report("legacy-array-distroless-python27-v0.1.7.json")
}

fn slo(dir: &Path) -> PathBuf {
    write(
        dir,
        "slo.yaml",
        "objectives:\n- sli: vulnerabilities_critical\n  pass:\n  - criteria: [\"<1000\"]\ntotal_score:\n  pass: 90%\n",
    )
}

#[test]
fn dev_zero_as_every_file_input_is_refused_promptly_in_little_memory() {
    let dir = tempfile::tempdir().unwrap();
    let rep = a_report();
    let slo = slo(dir.path());
    let zero = Path::new("/dev/zero");
    let cases: Vec<(&str, Vec<&Path>)> = vec![
        ("--report", vec![Path::new("--report"), zero]),
        (
            "--slo",
            vec![Path::new("--report"), &rep, Path::new("--slo"), zero],
        ),
        (
            "--sli",
            vec![
                Path::new("--report"),
                &rep,
                Path::new("--slo"),
                &slo,
                Path::new("--sli"),
                zero,
            ],
        ),
        (
            "--ignore-file",
            vec![
                Path::new("--report"),
                &rep,
                Path::new("--ignore-file"),
                zero,
            ],
        ),
    ];
    for (flag, args) in cases {
        eprintln!("{flag} /dev/zero");
        let args: Vec<&OsStr> = args.iter().map(|p| p.as_os_str()).collect();
        let m = measured(&args);
        assert_refused(&m, &["/dev/zero"]);
    }
}

#[test]
fn pathological_ignore_patterns_match_quickly_or_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let target = vec!["a"; 1500].join("/") + "/" + &"a".repeat(2000);
    let rep = write(
        dir.path(),
        "report.json",
        format!(
            r#"{{"SchemaVersion": 2, "ArtifactName": "x", "ArtifactType": "container_image", "Results": [{{"Target": "{target}", "Class": "os-pkgs", "Type": "debian", "Vulnerabilities": [{{"VulnerabilityID": "CVE-2021-0001", "PkgName": "p", "InstalledVersion": "1", "Severity": "CRITICAL"}}]}}]}}"#
        ),
    );
    let slow = write(
        dir.path(),
        ".trivyignore.yaml",
        format!(
            "vulnerabilities:\n- id: CVE-2021-0001\n  paths:\n  - \"{}b\"\n  - \"{}b\"\n",
            "a*".repeat(200),
            "**/a*/".repeat(100)
        ),
    );
    let m = measured(&[
        OsStr::new("--report"),
        rep.as_os_str(),
        OsStr::new("--ignore-file"),
        slow.as_os_str(),
        OsStr::new("--format"),
        OsStr::new("json"),
    ]);
    assert_eq!(m.code, Some(0), "{m:#?}");
    let v: serde_json::Value = serde_json::from_str(&m.stdout).unwrap();
    assert_eq!(v["counts"]["CRITICAL"], 1, "not ignored: {v}");
    assert_bounded(&m);
    let bomb = write(
        dir.path(),
        "bomb.yaml",
        format!(
            "vulnerabilities:\n- id: CVE-2021-0001\n  paths: [\"{}\"]\n",
            "{a,{b,c}}".repeat(12)
        ),
    );
    let m = measured(&[
        OsStr::new("--report"),
        rep.as_os_str(),
        OsStr::new("--ignore-file"),
        bomb.as_os_str(),
    ]);
    assert_refused(&m, &["invalid path pattern", "more than 256"]);
}

#[test]
fn an_informational_only_slo_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let slo = write(
        dir.path(),
        "slo.yaml",
        "objectives:\n- sli: vulnerabilities_critical\n  Pass:\n  - criteria: [\"=0\"]\ntotal_score:\n  pass: 90%\n",
    );
    let rep = a_report();
    let args = [
        OsStr::new("--report"),
        rep.as_os_str(),
        OsStr::new("--slo"),
        slo.as_os_str(),
    ];
    let m = measured(&args);
    assert_refused(
        &m,
        &[
            "no objective with pass criteria",
            "did you mean `pass`",
            "--allow-informational-only",
        ],
    );
    assert!(m.stdout.is_empty(), "refused before counting: {m:#?}");
    let mut allowed = args.to_vec();
    allowed.push(OsStr::new("--allow-informational-only"));
    let m = measured(&allowed);
    assert_eq!(m.code, Some(0), "lighthouse's pass when intended: {m:#?}");
}

#[test]
fn a_key_sli_without_a_value_fails_the_inline_gate() {
    let dir = tempfile::tempdir().unwrap();
    let slo = write(
        dir.path(),
        "slo.yaml",
        "objectives:\n- sli: no_such_sli\n  key_sli: true\n- sli: vulnerabilities_critical\n  pass:\n  - criteria: [\"<100000\"]\ntotal_score:\n  pass: 90%\n",
    );
    let rep = a_report();
    let m = measured(&[
        OsStr::new("--report"),
        rep.as_os_str(),
        OsStr::new("--slo"),
        slo.as_os_str(),
    ]);
    assert_eq!(m.code, Some(1), "{m:#?}");
    assert!(m.stdout.contains("no_such_sli"), "{m:#?}");
}

//! Bounded inputs, a gate that never opens on missing data, safe output files (issue 12
//! items 1, 2, 5, 7, 9), through the `slo-gate` binary. Every run is measured: exit code,
//! wall time (generous for a loaded machine) and the child's peak RSS, which GNU `time`
//! reads from `wait4`'s rusage.
#![allow(clippy::print_stderr)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use test_support::cli::{CALLER_ENV, Measured, write};
use test_support::fixtures::report;
use test_support::process::find_program;

/// Wall-time bound per run: far above the ~10 ms these take, for a loaded CI machine.
const WALL: Duration = Duration::from_secs(10);
/// Peak resident memory bound, in KiB (issue 12: under 64 MB).
const MAX_RSS_KB: u64 = 64 * 1000;

fn measured(args: &[&OsStr]) -> Measured {
    Measured::run(Path::new(assert_cmd::cargo::cargo_bin!("slo-gate")), args)
}

fn os<'a>(args: &'a [&'a str]) -> Vec<&'a OsStr> {
    args.iter().map(OsStr::new).collect()
}

/// Exit 2, one error line naming every needle, nothing on stdout, within time and memory.
fn assert_refused(m: &Measured, needles: &[&str]) {
    assert_eq!(m.code, Some(2), "{m:#?}");
    assert!(!m.stderr.contains("panicked"), "{m:#?}");
    assert_eq!(
        m.stderr.matches("slo-gate: error:").count(),
        1,
        "one error line: {m:#?}"
    );
    for n in needles {
        assert!(m.stderr.contains(n), "`{n}` not named: {m:#?}");
    }
    assert!(m.stdout.is_empty(), "a verdict was printed: {m:#?}");
    assert_bounded(m);
}

fn assert_bounded(m: &Measured) {
    assert!(m.elapsed < WALL, "took {:?}: {m:#?}", m.elapsed);
    assert!(
        m.peak_rss_kb < MAX_RSS_KB,
        "peak RSS {} KiB: {m:#?}",
        m.peak_rss_kb
    );
}

fn worked(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/worked-example")
        .join(name)
        .display()
        .to_string()
}

fn a_report() -> String {
    report("legacy-array-distroless-python27-v0.1.7.json")
        .display()
        .to_string()
}

#[test]
fn dev_zero_as_every_file_input_is_refused_promptly_in_little_memory() {
    let slo = worked("slo.yaml");
    let values = worked("values.json");
    let rep = a_report();
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("--slo", vec!["--slo", "/dev/zero", "--sli-values", &values]),
        (
            "--sli-values",
            vec!["--slo", &slo, "--sli-values", "/dev/zero"],
        ),
        (
            "--history",
            vec![
                "--slo",
                &slo,
                "--sli-values",
                &values,
                "--history",
                "/dev/zero",
            ],
        ),
        ("--report", vec!["--slo", &slo, "--report", "/dev/zero"]),
        (
            "--baseline",
            vec!["--slo", &slo, "--report", &rep, "--baseline", "/dev/zero"],
        ),
        (
            "--ignore-file",
            vec![
                "--slo",
                &slo,
                "--report",
                &rep,
                "--ignore-file",
                "/dev/zero",
            ],
        ),
        (
            "--sli",
            vec!["--slo", &slo, "--report", &rep, "--sli", "/dev/zero"],
        ),
        (
            "--record",
            vec![
                "--slo",
                &slo,
                "--sli-values",
                &values,
                "--record",
                "/dev/zero",
            ],
        ),
    ];
    for (flag, args) in cases {
        eprintln!("{flag} /dev/zero");
        let m = measured(&os(&args));
        assert_refused(&m, &["/dev/zero"]);
    }
}

#[test]
fn a_file_over_its_kind_limit_is_refused_as_too_large() {
    let dir = tempfile::tempdir().unwrap();
    // 5 MiB of valid YAML comments: over the 4 MiB limit for SLO files.
    let big = write(dir.path(), "slo.yaml", "# padding\n".repeat(520 * 1024));
    let values = worked("values.json");
    let m = measured(&[
        OsStr::new("--slo"),
        big.as_os_str(),
        OsStr::new("--sli-values"),
        OsStr::new(&values),
    ]);
    assert_refused(&m, &["too large", "4 MiB"]);
}

#[test]
fn a_large_yaml_document_is_refused_as_large_not_as_an_alias_bomb() {
    let dir = tempfile::tempdir().unwrap();
    // 200 001 list items (no alias anywhere), well under the byte limit.
    let slo = write(dir.path(), "slo.yaml", "- x\n".repeat(200_001));
    let values = worked("values.json");
    let m = measured(&[
        OsStr::new("--slo"),
        slo.as_os_str(),
        OsStr::new("--sli-values"),
        OsStr::new(&values),
    ]);
    assert_refused(&m, &["too large: more than 200000 nodes"]);
    assert!(!m.stderr.contains("alias"), "{m:#?}");
}

/// A Trivy report whose one finding sits in a target with a very long path.
fn long_target_report(dir: &Path) -> PathBuf {
    let target = vec!["a"; 1500].join("/") + "/" + &"a".repeat(2000);
    let json = format!(
        r#"{{"SchemaVersion": 2, "ArtifactName": "x", "ArtifactType": "container_image", "Results": [{{"Target": "{target}", "Class": "os-pkgs", "Type": "debian", "Vulnerabilities": [{{"VulnerabilityID": "CVE-2021-0001", "PkgName": "p", "InstalledVersion": "1", "Severity": "CRITICAL"}}]}}]}}"#
    );
    write(dir, "report.json", json)
}

#[test]
fn pathological_ignore_patterns_match_quickly_or_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let rep = long_target_report(dir.path());
    let slo = write(
        dir.path(),
        "slo.yaml",
        "objectives:\n- sli: vulnerabilities_critical\n  pass:\n  - criteria: [\"=0\"]\ntotal_score:\n  pass: 90%\n",
    );
    // Exponential for a backtracking matcher: many stars, then a byte the path lacks, and
    // many `**` segments; neither matches, so the finding counts and the gate fails.
    let slow = format!(
        "vulnerabilities:\n- id: CVE-2021-0001\n  paths:\n  - \"{}b\"\n  - \"{}b\"\n",
        "a*".repeat(200),
        "**/a*/".repeat(100)
    );
    let ignore = write(dir.path(), ".trivyignore.yaml", slow);
    let args = [
        OsStr::new("--slo"),
        slo.as_os_str(),
        OsStr::new("--report"),
        rep.as_os_str(),
        OsStr::new("--ignore-file"),
        ignore.as_os_str(),
    ];
    let m = measured(&args);
    assert_eq!(m.code, Some(1), "not ignored, so the gate fails: {m:#?}");
    assert_bounded(&m);
    // A matching star pattern ignores the finding: the gate passes.
    let star = write(
        dir.path(),
        "match.yaml",
        "vulnerabilities:\n- id: CVE-2021-0001\n  paths: [\"**/a*a*a*a\"]\n",
    );
    let m = measured(&[
        args[0],
        args[1],
        args[2],
        args[3],
        args[4],
        star.as_os_str(),
    ]);
    assert_eq!(m.code, Some(0), "ignored, so the gate passes: {m:#?}");
    assert_bounded(&m);
    // Nested braces that would expand to 2^12 patterns: refused with the reason.
    let bomb = write(
        dir.path(),
        "bomb.yaml",
        format!(
            "vulnerabilities:\n- id: CVE-2021-0001\n  paths: [\"{}\"]\n",
            "{a,{b,c}}".repeat(12)
        ),
    );
    let m = measured(&[
        args[0],
        args[1],
        args[2],
        args[3],
        args[4],
        bomb.as_os_str(),
    ]);
    assert_refused(&m, &["invalid path pattern", "more than 256"]);
}

const MISSPELT: &str = "objectives:\n- sli: vulnerabilities_critical\n  pas:\n  - criteria: [\"=0\"]\ntotal_score:\n  pass: 90%\n";

#[test]
fn an_informational_only_slo_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let slo = write(dir.path(), "slo.yaml", MISSPELT);
    let rep = a_report();
    let args = [
        OsStr::new("--slo"),
        slo.as_os_str(),
        OsStr::new("--report"),
        OsStr::new(&rep),
    ];
    let m = measured(&args);
    assert_refused(
        &m,
        &[
            "no objective with pass criteria",
            "line 3",
            "did you mean `pass`",
            "--allow-informational-only",
        ],
    );
    // The unknown key is also reported as a warning naming key, line and likely key.
    assert!(
        m.stderr.contains("objectives[0].pas: unknown key"),
        "{m:#?}"
    );
    let mut allowed = args.to_vec();
    allowed.push(OsStr::new("--allow-informational-only"));
    let m = measured(&allowed);
    assert_eq!(m.code, Some(0), "lighthouse's pass when intended: {m:#?}");
}

#[test]
fn a_key_sli_without_a_value_fails_whatever_its_criteria() {
    let dir = tempfile::tempdir().unwrap();
    let values = write(
        dir.path(),
        "values.json",
        r#"{"vulnerabilities_critical": 0}"#,
    );
    for (kind, slo) in [
        (
            "informational",
            "objectives:\n- sli: missing_sli\n  key_sli: true\n- sli: vulnerabilities_critical\n  pass:\n  - criteria: [\"=0\"]\ntotal_score:\n  pass: 90%\n",
        ),
        (
            "with pass criteria",
            "objectives:\n- sli: missing_sli\n  key_sli: true\n  pass:\n  - criteria: [\"<1\"]\n- sli: vulnerabilities_critical\n  pass:\n  - criteria: [\"=0\"]\ntotal_score:\n  pass: 10%\n",
        ),
    ] {
        let slo = write(dir.path(), "slo.yaml", slo);
        let m = measured(&[
            OsStr::new("--slo"),
            slo.as_os_str(),
            OsStr::new("--sli-values"),
            values.as_os_str(),
            OsStr::new("--format"),
            OsStr::new("json"),
        ]);
        assert_eq!(m.code, Some(1), "{kind}: {m:#?}");
        let v: serde_json::Value = serde_json::from_str(&m.stdout).unwrap();
        assert_eq!(v["result"], "fail", "{kind}");
        // Lighthouse's own message names the display name (empty here); the first record,
        // in objective order, is the key SLI's.
        let failed = &v["evaluation"]["indicatorResults"][0];
        assert_eq!(failed["status"], "fail", "{kind}: {v}");
        assert!(
            v["message"].as_str().unwrap().contains("key"),
            "{kind}: {v}"
        );
    }
}

fn record_args<'a>(slo: &'a str, values: &'a str, record: &'a Path) -> Vec<&'a OsStr> {
    vec![
        OsStr::new("--slo"),
        OsStr::new(slo),
        OsStr::new("--sli-values"),
        OsStr::new(values),
        OsStr::new("--record"),
        record.as_os_str(),
    ]
}

#[test]
fn record_writes_through_a_symlink_and_refuses_fifos_and_directories() {
    let dir = tempfile::tempdir().unwrap();
    let (slo, values) = (worked("slo.yaml"), worked("values.json"));
    // A symlink: the file it points to gets the record, the link stays a link.
    let real = dir.path().join("history.json");
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink("history.json", &link).unwrap();
    for round in 1..=2 {
        let m = measured(&record_args(&slo, &values, &link));
        assert!(matches!(m.code, Some(0 | 1)), "{m:#?}");
        let items: Vec<serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(&real).unwrap()).unwrap();
        assert_eq!(items.len(), round);
    }
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    // A directory, and a FIFO (which would block a reader): refused, nothing replaced.
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    let m = measured(&record_args(&slo, &values, &sub));
    assert_refused(&m, &["is a directory"]);
    assert!(sub.is_dir());
    let fifo = dir.path().join("fifo");
    let mkfifo = find_program("mkfifo").expect("mkfifo (coreutils)");
    assert!(Command::new(mkfifo).arg(&fifo).status().unwrap().success());
    let m = measured(&record_args(&slo, &values, &fifo));
    assert_refused(&m, &["is a FIFO"]);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn an_endless_text_stream_on_stdin_stops_at_the_limit() {
    use std::io::Write as _;
    let time = find_program("time").expect("GNU time (Debian package `time`)");
    let dir = tempfile::tempdir().unwrap();
    let usage = dir.path().join("rusage");
    let slo = worked("slo.yaml");
    let mut cmd = Command::new(time);
    cmd.arg("-o")
        .arg(&usage)
        .arg("-f")
        .arg("%M")
        .arg(assert_cmd::cargo::cargo_bin!("slo-gate"))
        .args(["--slo", &slo, "--sli-values", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for v in CALLER_ENV {
        cmd.env_remove(v);
    }
    let start = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Like `yes`, but bounded: at most 64 MiB, stopping when the reader hangs up.
    let writer = std::thread::spawn(move || {
        let line = "y\n".repeat(32 * 1024);
        for _ in 0..1024 {
            if stdin.write_all(line.as_bytes()).is_err() {
                return;
            }
        }
    });
    let out = child.wait_with_output().unwrap();
    let elapsed = start.elapsed();
    writer.join().unwrap();
    let text = std::fs::read_to_string(&usage).unwrap();
    let m = Measured {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed,
        peak_rss_kb: text.lines().last().unwrap().trim().parse().unwrap(),
    };
    assert_refused(&m, &["standard input", "too large: over 16 MiB"]);
}

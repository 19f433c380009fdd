//! Hardening (issue 7): bad input, failing dependencies, secrets and the gate, tried
//! systematically through the `trivy-scan` binary. Test names are `<area>::<case>`; the areas
//! are `bad_input`, `fault`, `secret`, `gate_closed` and `prop`. `scripts/reliability-report.py`
//! turns the results into `docs/reliability.md`.
//!
//! Cases already covered by `tests/cli.rs` (empty/garbage report, missing file, directory,
//! missing trivy, trivy exiting non-zero or printing invalid JSON, stale DB) are not repeated.
#![allow(clippy::print_stderr)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use test_support::cli::{Run, assert_error, write};
use test_support::fixtures::report;
use test_support::raw_http::{Act, RawServer};

/// Secret marker: must never show up anywhere the user or a log can see.
const MARKER: &str = "dt0c01.MARKER7f3a9.HARDENINGSECRET";

fn trivy_scan() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("trivy-scan"));
    for var in test_support::cli::CALLER_ENV {
        cmd.env_remove(var);
    }
    cmd.timeout(Duration::from_secs(120));
    cmd
}

fn run(cmd: &mut Command) -> Run {
    Run::capture(|| cmd.output())
}

/// Exit 2, one `trivy-scan: error:` line naming the problem (every needle, case-insensitive),
/// no panic, no verdict on stdout.
fn assert_input_error(r: &Run, needles: &[&str]) {
    assert_error(r, "trivy-scan", 2, needles);
    assert!(
        !r.stdout.contains("Finished. Total Vulnerability Count"),
        "a count was printed despite the error: {r:#?}"
    );
}

fn assert_external_error(r: &Run, needles: &[&str]) {
    assert_error(r, "trivy-scan", 3, needles);
}

fn run_null_stdin(args: &[&std::ffi::OsStr]) -> Run {
    Run::null_stdin(Path::new(assert_cmd::cargo::cargo_bin!("trivy-scan")), args)
}

fn report_run(path: &Path) -> Run {
    run(trivy_scan().arg("--report").arg(path))
}

// ---- bad input -----------------------------------------------------------------------------

mod bad_input {
    use super::*;

    #[test]
    fn truncated_report_every_1k_boundary() {
        // The whole 47 KB 0.76 report through the binary, every 1 KB; the 1.4 MB centos
        // report through the library at every 1 KB and through the binary every 64 KB.
        let dir = tempfile::tempdir().unwrap();
        let small = std::fs::read(report("generated-0.76-image-alpine-3.14.json")).unwrap();
        let big = std::fs::read(report("centos-7-image-large-v0.20.json")).unwrap();
        for (bytes, step) in [(&small, 1024), (&big, 64 * 1024)] {
            let end = bytes.trim_ascii_end().len();
            for cut in (0..end).step_by(step) {
                let p = write(dir.path(), "cut.json", &bytes[..cut]);
                let r = report_run(&p);
                let want = if cut == 0 { "empty" } else { "ends early" };
                assert_input_error(&r, &["cut.json", want]);
            }
        }
        let opts = findings::CountOptions::default();
        let read = report_formats::ReadOptions::default();
        let end = big.trim_ascii_end().len();
        for cut in (1..end).step_by(1024) {
            let e =
                report_formats::read_report(&big[..cut], &opts, findings::Want::default(), &read)
                    .expect_err("a truncated report never counts");
            assert!(
                matches!(
                    e,
                    report_formats::ReportError::Json(json_stream::Error::Truncated { .. })
                ),
                "cut at {cut}: {e}"
            );
        }
    }

    #[test]
    fn not_utf8() {
        let dir = tempfile::tempdir().unwrap();
        // Latin-1 inside a string, and raw binary at the top level.
        let latin1 = b"{\"ArtifactName\": \"caf\xe9\", \"Results\": []}".to_vec();
        let p = write(dir.path(), "latin1.json", latin1);
        assert_input_error(&report_run(&p), &["latin1.json"]);
        let p = write(dir.path(), "binary.json", [0xff, 0xfe, 0x00, 0x7b, 0x80]);
        assert_input_error(&report_run(&p), &["binary.json", "line 1"]);
        // UTF-16 with a BOM, as PowerShell's `>` writes it.
        let utf16: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain("{\"Results\":[]}".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let p = write(dir.path(), "utf16.json", utf16);
        assert_input_error(&report_run(&p), &["utf16.json"]);
    }

    #[test]
    fn nested_10000_deep() {
        let dir = tempfile::tempdir().unwrap();
        let deep = |open: &str, close: &str| -> String {
            format!("{}{}", open.repeat(10_000), close.repeat(10_000))
        };
        let cases = [
            ("top.json", deep("[", "]")),
            (
                "in-vulns.json",
                format!(
                    "{{\"Results\":[{{\"Target\":\"x\",\"Vulnerabilities\":[{{\"VulnerabilityID\":\"CVE-1\",\"Severity\":\"HIGH\",\"Extra\":{}}}]}}]}}",
                    deep("[", "]")
                ),
            ),
            (
                "objects.json",
                format!(
                    "{{\"Results\":[],\"Metadata\":{}null{}}}",
                    "{\"a\":".repeat(10_000),
                    "}".repeat(10_000)
                ),
            ),
        ];
        for (name, text) in cases {
            let p = write(dir.path(), name, text);
            let r = report_run(&p);
            assert!(r.elapsed < Duration::from_secs(30), "{name}: {r:#?}");
            assert_input_error(&r, &[name, "recursion limit"]);
        }
    }

    #[test]
    fn numbers_that_overflow() {
        // Where a number stands for a counted list it is an input error naming the position.
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (
                "vulns-number.json",
                "{\"Results\": [{\"Target\": \"x\", \"Vulnerabilities\": 1e999}]}",
            ),
            ("results-number.json", "{\"Results\": -1e999}"),
        ];
        for (name, text) in cases {
            let p = write(dir.path(), name, text);
            assert_input_error(&report_run(&p), &[name, "line 1"]);
        }
        // Where nothing is counted from it (the schema version, a CVSS score) the report
        // either still counts exactly (one HIGH) or is refused with the position.
        for (name, text) in [
            (
                "cvss.json",
                "{\"Results\": [{\"Target\": \"x\", \"Vulnerabilities\": [{\"VulnerabilityID\": \"CVE-1\", \"Severity\": \"HIGH\", \"CVSS\": {\"nvd\": {\"V3Score\": 1e999, \"V2Score\": 99999999999999999999999}}}]}]}",
            ),
            (
                "schema.json",
                "{\"SchemaVersion\": 99999999999999999999999, \"Results\": [{\"Target\": \"x\", \"Vulnerabilities\": [{\"VulnerabilityID\": \"CVE-1\", \"Severity\": \"HIGH\"}]}]}",
            ),
        ] {
            let p = write(dir.path(), name, text);
            let r = run(trivy_scan().args(["--format", "json", "--report"]).arg(&p));
            if r.code == Some(0) {
                let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
                assert_eq!(v["counts"]["HIGH"], 1, "{name}: {r:#?}");
                assert_eq!(v["total"], 1, "{name}: {r:#?}");
            } else if name == "schema.json" {
                // scanner-formats §1.3 row 20: a SchemaVersion other than the integer 2 is
                // refused by name, before any finding is read.
                assert_input_error(&r, &[name, "unsupported Trivy SchemaVersion"]);
            } else {
                assert_input_error(&r, &[name, "line 1"]);
            }
        }
    }

    #[test]
    fn wrong_top_level_type() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [
            ("string.json", "\"Results\""),
            ("bool.json", "true"),
            ("numbers.json", "[1, 2, 3]"),
            ("results-object.json", "{\"Results\": {\"Target\": \"x\"}}"),
            (
                "vulns-string.json",
                "{\"Results\": [{\"Vulnerabilities\": \"CVE-1\"}]}",
            ),
            ("two-docs.json", "{\"Results\": []} {\"Results\": []}"),
        ] {
            let p = write(dir.path(), name, text);
            assert_input_error(&report_run(&p), &[name]);
        }
        // A bare `null` is trivy < 0.20's empty scan (scanner-formats §3 row 1): zero findings.
        let p = write(dir.path(), "null.json", "null");
        let r = run(trivy_scan().args(["--format", "json", "--report"]).arg(&p));
        assert_eq!(r.code, Some(0), "{r:#?}");
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(v["total"], 0, "{r:#?}");
        assert_eq!(v["input"]["format"], "trivy-json-legacy", "{r:#?}");
    }

    /// Peak RSS (KiB) and outcome of one run under /usr/bin/time, with a 1 GiB address-space
    /// cap so a regression fails this test instead of the machine.
    fn measured(args: &[&std::ffi::OsStr], stdin: Option<&Path>) -> (Run, u64) {
        let dir = tempfile::tempdir().unwrap();
        let rss_file = dir.path().join("rss");
        let mut cmd = Command::new("/usr/bin/time");
        cmd.arg("-f")
            .arg("%M")
            .arg("-o")
            .arg(&rss_file)
            .args(["prlimit", "--as=1073741824", "--"])
            .arg(assert_cmd::cargo::cargo_bin!("trivy-scan"))
            .args(args)
            .env_remove("METRICS_ENDPOINT")
            .env_remove("METRICS_API_TOKEN")
            .timeout(Duration::from_secs(90));
        if let Some(p) = stdin {
            cmd.pipe_stdin(p).unwrap();
        }
        let r = run(&mut cmd);
        let rss = std::fs::read_to_string(&rss_file)
            .ok()
            .and_then(|t| t.lines().last().and_then(|l| l.trim().parse().ok()))
            .unwrap_or(u64::MAX);
        (r, rss)
    }

    #[test]
    fn sparse_2gb_report() {
        let dir = tempfile::tempdir().unwrap();
        // A plausible start, then 2 GB of holes (zero bytes).
        let p = dir.path().join("sparse.json");
        let mut f = std::fs::File::create(&p).unwrap();
        f.write_all(b"{\"SchemaVersion\": 2, \"Results\": [")
            .unwrap();
        f.set_len(2 * 1024 * 1024 * 1024).unwrap();
        drop(f);
        for stdin in [false, true] {
            let (r, rss_kib) = if stdin {
                measured(&["--report".as_ref(), "-".as_ref()], Some(&p))
            } else {
                measured(&["--report".as_ref(), p.as_os_str()], None)
            };
            assert!(r.elapsed < Duration::from_secs(60), "{r:#?}");
            assert!(rss_kib < 200 * 1024, "peak RSS {rss_kib} KiB: {r:#?}");
            let name = if stdin {
                "standard input"
            } else {
                "sparse.json"
            };
            assert_input_error(&r, &[name]);
        }
    }

    #[test]
    fn sparse_2gb_slo() {
        // `--slo` is read before the scan: a 2 GB file must be refused for what it holds, in
        // bounded memory, not read whole (under the 1 GiB cap that shows as "out of memory").
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big-slo.yaml");
        let mut f = std::fs::File::create(&p).unwrap();
        f.write_all(b"objectives:\n").unwrap();
        f.set_len(2 * 1024 * 1024 * 1024).unwrap();
        drop(f);
        let rep = report("debian-10-image.json");
        let (r, rss_kib) = measured(
            &[
                "--report".as_ref(),
                rep.as_os_str(),
                "--slo".as_ref(),
                p.as_os_str(),
            ],
            None,
        );
        assert!(r.elapsed < Duration::from_secs(60), "{r:#?}");
        assert!(rss_kib < 200 * 1024, "peak RSS {rss_kib} KiB: {r:#?}");
        assert!(!r.stderr.contains("out of memory"), "read whole: {r:#?}");
        assert!(
            !r.stderr.contains("memory allocation"),
            "read whole: {r:#?}"
        );
        assert_input_error(&r, &["big-slo.yaml"]);
    }

    #[test]
    fn stdin_closed_early() {
        // Nothing at all on stdin, and half a report from a writer that went away.
        let r = run(trivy_scan()
            .args(["--report", "-"])
            .write_stdin(Vec::<u8>::new()));
        assert_input_error(&r, &["standard input", "empty"]);
        let bytes = std::fs::read(report("debian-10-image.json")).unwrap();
        let r = run(trivy_scan()
            .args(["--report", "-"])
            .write_stdin(bytes[..bytes.len() / 2].to_vec()));
        assert_input_error(&r, &["standard input", "ends early"]);
        // stdin closed outright (not even a pipe): still an input error, no hang.
        let r = run_null_stdin(&["--report".as_ref(), "-".as_ref()]);
        assert_input_error(&r, &["standard input"]);
    }

    #[test]
    fn unknown_severities() {
        let rep = report("debian-10-image.json");
        for list in [
            "CRITICAL,,HIGH",
            "critical;high",
            "",
            "ALL",
            "CRITICAL,HIGH,",
            "НIGH",
        ] {
            let r = run(trivy_scan()
                .args(["--severity", list, "--report"])
                .arg(&rep));
            assert_input_error(&r, &["severity"]);
        }
        for var in ["TRIVY_SECURITY", "TRIVY_SEVERITY"] {
            let r = run(trivy_scan()
                .env(var, "HIGH,SEVERE")
                .arg("--report")
                .arg(&rep));
            assert_input_error(&r, &[var, "SEVERE"]);
        }
    }

    #[test]
    fn image_reference_shell_metacharacters() {
        // A fake trivy that records its argument vector proves nothing reached a shell and
        // bad references never reach trivy at all.
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("argv.log");
        let bin = fake_trivy(
            dir.path(),
            &format!(
                "for a in \"$@\"; do printf '%s\\n' \"$a\" >> '{}'; done\n{}",
                log.display(),
                WRITE_EMPTY_REPORT
            ),
        );
        for bad in [
            "nginx latest",
            "nginx\nid",
            "nginx\tx",
            "-rf",
            "--help",
            "nginx\u{7}",
        ] {
            let r = run(trivy_scan().arg("--trivy-bin").arg(&bin).arg("--").arg(bad));
            assert_input_error(&r, &["image reference"]);
        }
        let r = run(trivy_scan().arg("--trivy-bin").arg(&bin).env("IMAGE", "-x"));
        assert_input_error(&r, &["IMAGE"]);
        assert!(!log.exists(), "trivy ran for a refused reference");
        // Metacharacters without whitespace are legal bytes for trivy to refuse; they must
        // arrive as one argument after `--`, unexpanded.
        for odd in ["nginx;rm", "$(id)", "`id`", "a|b&&c", "x>y"] {
            let _ = std::fs::remove_file(&log);
            let r = run(trivy_scan()
                .arg("--trivy-bin")
                .arg(&bin)
                .args(["--format", "json", "--"])
                .arg(odd));
            assert_eq!(r.code, Some(0), "{r:#?}");
            let argv = std::fs::read_to_string(&log).unwrap();
            // The scan's argument vector ends with `--` and the reference, verbatim.
            let args: Vec<&str> = argv.lines().collect();
            let at = args
                .iter()
                .position(|a| *a == odd)
                .unwrap_or_else(|| panic!("{argv}"));
            assert_eq!(args[at - 1], "--", "{argv}");
            assert_eq!(args[0], "image", "{argv}");
        }
    }

    #[test]
    fn slo_duplicate_keys_wrong_types_negative_weight() {
        let dir = tempfile::tempdir().unwrap();
        let rep = report("debian-10-image.json");
        let cases = [
            (
                "dup.yaml",
                "objectives:\n  - sli: vulnerabilities_critical\n    pass:\n      - criteria: [\"<=0\"]\ntotal_score:\n  pass: \"90%\"\ntotal_score:\n  pass: \"10%\"\n",
                "total_score",
            ),
            (
                "types.yaml",
                "objectives: \"vulnerabilities_critical\"\ntotal_score:\n  pass: \"90%\"\n",
                "objectives",
            ),
            (
                "weight.yaml",
                "objectives:\n  - sli: vulnerabilities_critical\n    weight: -2\n    pass:\n      - criteria: [\"<=0\"]\n  - sli: vulnerabilities_low\n    pass:\n      - criteria: [\">=0\"]\ntotal_score:\n  pass: \"90%\"\n  warning: \"75%\"\n",
                "weight",
            ),
        ];
        for (name, text, needle) in cases {
            let slo = write(dir.path(), name, text);
            let r = run(trivy_scan()
                .arg("--report")
                .arg(&rep)
                .arg("--slo")
                .arg(&slo));
            assert_input_error(&r, &[name, needle]);
        }
    }

    #[test]
    fn slo_criteria_every_error_form() {
        // slo_eval's criteria grammar has two error forms reachable from a string
        // (`invalid criteria string`, `could not parse criteria target value`); lighthouse
        // fails the evaluation on either. A gate must refuse the file (exit 2) instead.
        let dir = tempfile::tempdir().unwrap();
        let rep = report("debian-10-image.json");
        for (i, criterion) in [
            "5", "pass", "!=5", "<=", "<=abc", "|5", "<=10%%", "<=1e400", "<=5ms",
        ]
        .into_iter()
        .enumerate()
        {
            let name = format!("crit{i}.yaml");
            let slo = write(
                dir.path(),
                &name,
                format!(
                    "objectives:\n  - sli: vulnerabilities_critical\n    pass:\n      - criteria:\n          - \"{criterion}\"\ntotal_score:\n  pass: \"90%\"\n  warning: \"75%\"\n"
                ),
            );
            let r = run(trivy_scan()
                .arg("--report")
                .arg(&rep)
                .arg("--slo")
                .arg(&slo));
            assert_input_error(&r, &[&name, "criteri"]);
        }
    }
}

// ---- faults in dependencies ----------------------------------------------------------------

/// Writes `{"Results": []}` to trivy's `--output=` file.
const WRITE_EMPTY_REPORT: &str = r#"if [ "$1" = version ]; then echo '{"Version":"0.76.0"}'; exit 0; fi
for a in "$@"; do case "$a" in --output=*) printf '{"SchemaVersion":2,"ArtifactName":"x","Results":[]}' > "${a#--output=}";; esac; done
exit 0"#;

fn fake_trivy(dir: &Path, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("trivy");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn pid_alive(pid: u32) -> bool {
    // A zombie is gone for our purposes (its parent, reparented to init, reaps it).
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            !s.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(false)
}

fn wait_gone(pid: u32) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if !pid_alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

fn read_pid(path: &Path) -> u32 {
    let start = Instant::now();
    loop {
        if let Ok(t) = std::fs::read_to_string(path)
            && let Ok(p) = t.trim().parse()
        {
            return p;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "no pid file");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A tiny HTTP/1.1 server on 127.0.0.1 that misbehaves on purpose.
#[derive(Debug, Clone)]
enum Mode {
    /// Read the request, send half a response, close.
    ResetMidResponse,
    /// Read the request, close without a byte.
    CloseEarly,
    /// Answer this status with a JSON error body, every time.
    Status(u16),
    /// Wait this long before answering 202.
    Slow(Duration),
    /// Answer this status, content type and body.
    Body(u16, &'static str, &'static str),
}

/// A raw server answering every request as `mode` says.
fn server(mode: Mode) -> RawServer {
    RawServer::start(move |_, _| mode.act())
}

impl Mode {
    fn act(&self) -> Act {
        match self {
            Self::CloseEarly => Act::Close,
            // Cut inside the status line: whether the backend stored anything is unknown.
            Self::ResetMidResponse => Act::Cut(b"HTTP/1.1 2"),
            Self::Status(s) => Act::Reply(
                *s,
                "application/json",
                format!("{{\"error\":{{\"code\":{s},\"message\":\"backend unavailable\"}}}}"),
            ),
            Self::Slow(d) => Act::Delay(
                *d,
                Box::new(Act::Reply(
                    202,
                    "application/json",
                    "{\"linesOk\":6,\"linesInvalid\":0,\"error\":null}".to_owned(),
                )),
            ),
            Self::Body(s, ctype, body) => Act::Reply(*s, ctype, (*body).to_owned()),
        }
    }
}

mod fault {
    use super::*;

    #[test]
    fn trivy_hanging_past_timeout_leaves_no_orphan() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("child.pid");
        let bin = fake_trivy(
            dir.path(),
            &format!(
                r#"if [ "$1" = version ]; then echo '{{"Version":"0.76.0"}}'; exit 0; fi
sleep 300 &
echo $! > '{}'
echo "scanning..." >&2
wait"#,
                pidfile.display()
            ),
        );
        let r = run(trivy_scan()
            .args(["nginx:1", "--timeout", "1s", "--trivy-bin"])
            .arg(&bin));
        assert_external_error(&r, &["did not finish within 1s"]);
        assert!(r.elapsed < Duration::from_secs(20), "{r:#?}");
        let pid = read_pid(&pidfile);
        assert!(wait_gone(pid), "trivy's child {pid} survived the timeout");
    }

    #[test]
    fn trivy_leaving_a_helper_behind_is_not_waited_for() {
        // trivy exits 0 but a helper keeps its stderr open: the scan still ends promptly
        // and the helper goes with trivy's process group.
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("helper.pid");
        let bin = fake_trivy(
            dir.path(),
            &format!(
                "sleep 300 &\necho $! > '{}'\n{WRITE_EMPTY_REPORT}",
                pidfile.display()
            ),
        );
        let r = run(trivy_scan()
            .args([
                "nginx:1",
                "--timeout",
                "60s",
                "--format",
                "json",
                "--trivy-bin",
            ])
            .arg(&bin));
        assert_eq!(r.code, Some(0), "{r:#?}");
        assert!(r.elapsed < Duration::from_secs(20), "{r:#?}");
        assert!(wait_gone(read_pid(&pidfile)), "helper survived");
    }

    #[test]
    fn trivy_killed_by_signal() {
        let dir = tempfile::tempdir().unwrap();
        let bin = fake_trivy(
            dir.path(),
            r#"if [ "$1" = version ]; then echo '{"Version":"0.76.0"}'; exit 0; fi
echo "about to be killed" >&2
kill -9 $$"#,
        );
        let r = run(trivy_scan().args(["nginx:1", "--trivy-bin"]).arg(&bin));
        assert_external_error(&r, &["signal 9", "about to be killed"]);
    }

    #[test]
    fn trivy_version_probe_garbage() {
        let dir = tempfile::tempdir().unwrap();
        // A report without trivy's version (as old releases wrote) makes trivy-scan ask
        // `trivy version`, which answers garbage.
        let bin = fake_trivy(
            dir.path(),
            r#"if [ "$1" = version ]; then echo 'Version: not json'; exit 0; fi
for a in "$@"; do case "$a" in --output=*) printf '{"SchemaVersion":2,"ArtifactName":"x","Results":[]}' > "${a#--output=}";; esac; done"#,
        );
        let r = run(trivy_scan().args(["nginx:1", "--trivy-bin"]).arg(&bin));
        assert_external_error(&r, &["trivy version", "not json"]);
    }

    #[test]
    fn trivy_not_executable() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "trivy", "#!/bin/sh\nexit 0\n");
        let r = run(trivy_scan().args(["nginx:1", "--trivy-bin"]).arg(&p));
        assert_external_error(&r, &["trivy"]);
        let r = run(trivy_scan()
            .args(["nginx:1", "--trivy-bin"])
            .arg(dir.path()));
        assert_external_error(&r, &["trivy"]);
    }

    fn sink_args(sink: &str, url: &str) -> Vec<String> {
        let mut a: Vec<String> = ["--sink", sink, "--metrics-required", "--retries", "1"]
            .map(String::from)
            .to_vec();
        a.extend(["--metrics-timeout".into(), "2s".into()]);
        a.extend(["--metrics-connect-timeout".into(), "2s".into()]);
        match sink {
            "dynatrace" => a.extend([
                "--dynatrace-url".into(),
                url.into(),
                "--dynatrace-token".into(),
                MARKER.into(),
            ]),
            "pushgateway" => a.extend(["--pushgateway-url".into(), url.into()]),
            _ => a.extend(["--otlp-endpoint".into(), url.into()]),
        }
        a
    }

    /// Runs a push of the CRITICAL and HIGH counts against `url` and checks: exit 3, the
    /// failure named, every unsent metric named, the token nowhere.
    fn push_fails(sink: &str, url: &str, needles: &[&str]) -> Run {
        let r = run(trivy_scan()
            .args(["-vvv", "--severity", "CRITICAL,HIGH", "--report"])
            .arg(report("generated-0.76-image-alpine-3.14.json"))
            .args(sink_args(sink, url)));
        assert_external_error(&r, &["--metrics-required"]);
        let lower = r.stderr.to_lowercase();
        for n in needles {
            assert!(lower.contains(&n.to_lowercase()), "`{n}` missing: {r:#?}");
        }
        let line = r
            .stderr
            .lines()
            .find(|l| l.contains(&format!("metrics push to {sink}")))
            .unwrap_or_else(|| panic!("no outcome line for {sink}: {r:#?}"));
        let unsent = line
            .split_once("not sent:")
            .map(|(_, s)| s.to_lowercase())
            .unwrap_or_else(|| panic!("unsent metrics not named: {line}"));
        for sev in ["critical", "high"] {
            assert!(unsent.contains(sev), "{sev} not named as unsent: {line}");
        }
        assert!(
            !r.stderr.contains(MARKER) && !r.stdout.contains(MARKER),
            "{r:#?}"
        );
        r
    }

    const SINKS: [&str; 3] = ["dynatrace", "pushgateway", "otlp"];

    #[test]
    fn metrics_backend_refusing_connections() {
        let addr = test_support::net::refused_addr();
        for sink in SINKS {
            push_fails(sink, &format!("http://{addr}"), &["failed"]);
        }
    }

    #[test]
    fn metrics_backend_reset_mid_response() {
        for sink in SINKS {
            let s = server(Mode::ResetMidResponse);
            push_fails(sink, &s.url(), &["failed"]);
            let s = server(Mode::CloseEarly);
            push_fails(sink, &s.url(), &["failed"]);
        }
    }

    #[test]
    fn metrics_backend_5xx_forever() {
        for sink in SINKS {
            let s = server(Mode::Status(503));
            push_fails(sink, &s.url(), &["503"]);
            // --retries 1: the first try and one retry, then give up.
            assert_eq!(s.hits(), 2, "{sink}: {:?}", s.requests());
        }
    }

    #[test]
    fn metrics_backend_answering_slowly() {
        for sink in SINKS {
            let s = server(Mode::Slow(Duration::from_secs(30)));
            let r = push_fails(sink, &s.url(), &["failed"]);
            assert!(r.elapsed < Duration::from_secs(25), "{sink}: {r:#?}");
        }
    }

    #[test]
    fn metrics_backend_unexpected_body() {
        // A proxy's login page with 200 is not an acknowledgement from the backend.
        let mut failures = Vec::new();
        for sink in SINKS {
            let s = server(Mode::Body(
                200,
                "text/html",
                "<html><body>Please log in to the proxy</body></html>",
            ));
            // Every sink is tried; the failures are listed together.
            let url = s.url();
            if let Err(e) = std::panic::catch_unwind(|| push_fails(sink, &url, &["failed"])) {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .unwrap_or_else(|| "panicked".to_owned());
                failures.push(format!(
                    "{sink}: {}",
                    msg.lines().take(8).collect::<Vec<_>>().join(" ")
                ));
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[test]
    fn trivy_and_metrics_failing_together_names_trivy() {
        // Nothing is pushed when the scan failed: no metric "sent" with a made-up 0.
        let dir = tempfile::tempdir().unwrap();
        let bin = fake_trivy(
            dir.path(),
            r#"if [ "$1" = version ]; then echo '{"Version":"0.76.0"}'; exit 0; fi
echo boom >&2; exit 2"#,
        );
        let s = server(Mode::Status(202));
        let r = run(trivy_scan()
            .args(["nginx:1", "--trivy-bin"])
            .arg(&bin)
            .args(sink_args("dynatrace", &s.url())));
        assert_external_error(&r, &["trivy failed", "boom"]);
        assert_eq!(s.hits(), 0, "metrics were pushed for a failed scan");
    }
}

// ---- secrets -------------------------------------------------------------------------------

mod secret {
    use super::*;

    fn no_marker(r: &Run) {
        assert!(!r.stdout.contains(MARKER), "marker on stdout: {r:#?}");
        assert!(!r.stderr.contains(MARKER), "marker on stderr: {r:#?}");
        assert!(
            !r.stderr.contains("HARDENINGSECRET"),
            "part of the marker: {r:#?}"
        );
    }

    #[test]
    fn token_never_shown_on_any_error_path() {
        let rep = report("generated-0.76-image-alpine-3.14.json");
        let refused = test_support::net::refused_addr();
        let s401 = server(Mode::Body(
            401,
            "application/json",
            "{\"error\":{\"code\":401,\"message\":\"Token Authentication failed\"}}",
        ));
        let s500 = server(Mode::Status(500));
        let urls = [
            format!("http://{refused}"),
            s401.url(),
            s500.url(),
            "http://tenant.example.invalid".to_owned(),
            "ht!tp://bad url".to_owned(),
            format!("http://user:{MARKER}@127.0.0.1:{}", refused.port()),
        ];
        for url in &urls {
            for via_env in [false, true] {
                for format in ["text", "json"] {
                    let mut cmd = trivy_scan();
                    cmd.args(["-vvv", "--format", format, "--retries", "0", "--report"])
                        .arg(&rep)
                        .args(["--sink", "dynatrace", "--metrics-required"]);
                    if via_env {
                        cmd.env("METRICS_ENDPOINT", url)
                            .env("METRICS_API_TOKEN", MARKER);
                    } else {
                        cmd.args(["--dynatrace-url", url, "--dynatrace-token", MARKER]);
                    }
                    let r = run(&mut cmd);
                    assert!(matches!(r.code, Some(2 | 3)), "{url}: {r:#?}");
                    no_marker(&r);
                }
            }
        }
        assert!(
            s401.requests().iter().any(|q| q.contains(MARKER)),
            "the token did reach the backend (so the paths above really carried it)"
        );
        // Plain http to a non-loopback host is refused before anything is sent.
        let r = run(trivy_scan()
            .arg("--report")
            .arg(&rep)
            .args([
                "--sink",
                "dynatrace",
                "--dynatrace-url",
                "http://tenant.example.invalid",
            ])
            .args(["--dynatrace-token", MARKER]));
        assert_input_error(&r, &["http"]);
        no_marker(&r);
        // The pushgateway and OTLP URLs with credentials in them.
        for args in [
            vec![
                "--sink".to_owned(),
                "pushgateway".into(),
                "--pushgateway-url".into(),
                format!("http://u:{MARKER}@gateway.example.invalid"),
            ],
            vec![
                "--sink".to_owned(),
                "pushgateway".into(),
                "--pushgateway-url".into(),
                format!("http://u:{MARKER}@127.0.0.1:{}", refused.port()),
                "--metrics-required".into(),
                "--retries".into(),
                "0".into(),
            ],
        ] {
            let r = run(trivy_scan()
                .arg("-vvv")
                .arg("--report")
                .arg(&rep)
                .args(&args));
            assert!(matches!(r.code, Some(2 | 3)), "{r:#?}");
            no_marker(&r);
        }
        let r = run(trivy_scan()
            .args(["-vvv", "--report"])
            .arg(&rep)
            .args(["--sink", "otlp", "--metrics-required", "--retries", "0"])
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", s401.url())
            .env(
                "OTEL_EXPORTER_OTLP_HEADERS",
                format!("authorization=Bearer {MARKER}"),
            ));
        assert_eq!(r.code, Some(3), "{r:#?}");
        no_marker(&r);
    }

    #[test]
    fn token_echoed_by_the_backend_is_not_repeated() {
        // A backend or proxy that echoes the request headers in its error body: the message
        // printed is built from that body, so the token must be scrubbed from it.
        let echo = server(Mode::Body(
            400,
            "application/json",
            "{\"error\":{\"code\":400,\"message\":\"bad header Authorization: Api-Token dt0c01.MARKER7f3a9.HARDENINGSECRET\"}}",
        ));
        let r = run(trivy_scan()
            .args(["-vvv", "--retries", "0", "--report"])
            .arg(report("debian-10-image.json"))
            .args(["--sink", "dynatrace", "--metrics-required"])
            .args(["--dynatrace-url", &echo.url(), "--dynatrace-token", MARKER]));
        assert_eq!(r.code, Some(3), "{r:#?}");
        no_marker(&r);
    }

    #[test]
    fn token_not_in_saved_report_or_debug() {
        let dir = tempfile::tempdir().unwrap();
        let bin = fake_trivy(dir.path(), WRITE_EMPTY_REPORT);
        let saved = dir.path().join("saved.json");
        let s500 = server(Mode::Status(500));
        let r = run(trivy_scan()
            .args(["-vvv", "nginx:1", "--retries", "0", "--trivy-bin"])
            .arg(&bin)
            .arg("--save-report")
            .arg(&saved)
            .env("METRICS_ENDPOINT", s500.url())
            .env("METRICS_API_TOKEN", MARKER));
        assert_eq!(r.code, Some(0), "warn-only by default: {r:#?}");
        no_marker(&r);
        let text = std::fs::read_to_string(&saved).unwrap();
        assert!(!text.contains(MARKER), "{text}");

        // The parsed command line, printed with {:?}.
        use clap::Parser;
        let cli = trivy_scan::Cli::try_parse_from([
            "trivy-scan",
            "nginx:1",
            "--sink",
            "dynatrace",
            "--dynatrace-url",
            "https://t.example",
            "--dynatrace-token",
            MARKER,
        ])
        .unwrap();
        let shown = format!("{cli:?} {cli:#?}");
        assert!(!shown.contains(MARKER), "{shown}");
    }
}

// ---- the gate never opens by mistake -------------------------------------------------------

mod gate_closed {
    use super::*;

    #[test]
    fn trivy_exit_0_with_empty_output_file() {
        // trivy "succeeded" but wrote nothing: no scan result, so no pass (exit 3, not 0).
        let dir = tempfile::tempdir().unwrap();
        let slo = write(
            dir.path(),
            "slo.yaml",
            "objectives:\n  - sli: vulnerabilities_critical\n    pass:\n      - criteria: [\"<=0\"]\ntotal_score:\n  pass: \"90%\"\n",
        );
        for (name, body) in [
            (
                "empty",
                r#"if [ "$1" = version ]; then echo '{"Version":"0.76.0"}'; exit 0; fi
for a in "$@"; do case "$a" in --output=*) : > "${a#--output=}";; esac; done; exit 0"#,
            ),
            (
                "no-file",
                r#"if [ "$1" = version ]; then echo '{"Version":"0.76.0"}'; exit 0; fi
for a in "$@"; do case "$a" in --output=*) rm -f "${a#--output=}";; esac; done; exit 0"#,
            ),
        ] {
            let sub = dir.path().join(name);
            std::fs::create_dir(&sub).unwrap();
            let bin = fake_trivy(&sub, body);
            let r = run(trivy_scan()
                .args(["nginx:1", "--trivy-bin"])
                .arg(&bin)
                .arg("--slo")
                .arg(&slo));
            assert_external_error(&r, &["trivy"]);
            assert!(!r.stdout.contains("pass"), "{name}: {r:#?}");
        }
    }

    #[test]
    fn empty_report_file_is_an_error_but_empty_results_pass() {
        let dir = tempfile::tempdir().unwrap();
        let slo = write(
            dir.path(),
            "slo.yaml",
            "objectives:\n  - sli: vulnerabilities_critical\n    pass:\n      - criteria: [\"<=0\"]\ntotal_score:\n  pass: \"90%\"\n",
        );
        let empty = write(dir.path(), "empty.json", "");
        let r = run(trivy_scan()
            .arg("--report")
            .arg(&empty)
            .arg("--slo")
            .arg(&slo));
        assert_input_error(&r, &["empty.json", "empty"]);
        let ws = write(dir.path(), "ws.json", " \n\t\n");
        let r = run(trivy_scan().arg("--report").arg(&ws).arg("--slo").arg(&slo));
        assert_input_error(&r, &["ws.json", "empty"]);
        // A real scan that found nothing is a legitimate pass.
        let none = write(
            dir.path(),
            "none.json",
            "{\"SchemaVersion\":2,\"Results\":[]}",
        );
        let r = run(trivy_scan()
            .args(["--format", "json", "--report"])
            .arg(&none)
            .arg("--slo")
            .arg(&slo));
        assert_eq!(r.code, Some(0), "{r:#?}");
    }

    #[test]
    fn missing_slo_and_unknown_sli() {
        let dir = tempfile::tempdir().unwrap();
        let rep = report("debian-10-image.json");
        let r = run(trivy_scan()
            .arg("--report")
            .arg(&rep)
            .args(["--slo", "/nonexistent/slo.yaml"]));
        assert_input_error(&r, &["/nonexistent/slo.yaml", "--allow-missing-slo"]);
        // An SLI the report cannot answer fails the gate (exit 1), never reads as 0.
        let slo = write(
            dir.path(),
            "slo.yaml",
            "objectives:\n  - sli: response_time_p95\n    pass:\n      - criteria: [\"<=600\"]\ntotal_score:\n  pass: \"90%\"\n  warning: \"75%\"\n",
        );
        let r = run(trivy_scan()
            .args(["--format", "json", "--report"])
            .arg(&rep)
            .arg("--slo")
            .arg(&slo));
        assert_eq!(r.code, Some(1), "{r:#?}");
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(v["gate"]["result"], "fail", "{v:#}");
    }
}

// ---- properties through the public library APIs ---------------------------------------------

/// A small deterministic generator (xorshift64*): the bins have no proptest dependency, and a
/// fixed seed keeps failures reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

mod prop {
    use super::*;

    #[test]
    fn ignore_file_parsers_never_panic() {
        let today = jiff::civil::date(2026, 11, 22);
        let atoms = [
            "CVE-2021-3711",
            "#",
            " ",
            "\n",
            "exp:",
            "2026-01-01",
            "2099-12-31",
            "exp:2024-13-40",
            "vulnerabilities:",
            "  - id: ",
            "    paths:",
            "      - \"**/*.jar\"",
            "    statement: x",
            "    expired_at: ",
            "misconfigurations:",
            "- ",
            "[",
            "]",
            "{",
            "}",
            "\"",
            "'",
            ":",
            "\t",
            "\u{feff}",
            "*",
            "**",
            "é",
            "\r\n",
            "&a",
            "*a",
            "<<:",
            "!!str",
            "---",
            "...",
        ];
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..4000 {
            let n = rng.below(24);
            let text: String = (0..n).map(|_| rng.pick(&atoms)).collect();
            let _ = findings::parse_trivyignore(&text, today);
            let _ = findings::parse_trivyignore_yaml(&text, today);
        }
    }

    #[test]
    fn severity_lists_parse_or_name_the_bad_entry() {
        let atoms = [
            "CRITICAL", "high", "Medium", "low", "UNKNOWN", ",", " ", "SEVERE", "", "ü",
        ];
        let mut rng = Rng(42);
        for _ in 0..4000 {
            let n = rng.below(8);
            let s: String = (0..n).map(|_| rng.pick(&atoms)).collect();
            match findings::parse_severity_list(&s) {
                Ok(list) => assert!(!list.is_empty(), "{s:?} parsed to nothing"),
                Err(e) => assert!(!e.to_string().is_empty(), "{s:?}"),
            }
        }
    }
}

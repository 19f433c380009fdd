//! Hardening (issue 7): bad input, failing backends, secrets and the gate, tried
//! systematically through the `slo-gate` binary. Test names are `<area>::<case>`; the areas are
//! `bad_input`, `fault`, `secret`, `gate_closed` and `prop`. `scripts/reliability-report.py`
//! turns the results into `docs/reliability.md`.
//!
//! Cases already covered by `tests/cli.rs` (missing/empty SLO, malformed SLO and values,
//! bad flags, Prometheus refused, Dynatrace 401, Dynatrace no data) are not repeated.
#![allow(clippy::print_stderr)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use test_support::cli::{Run, assert_error, write};
use test_support::fixtures::report;
use test_support::raw_http::{Act, RawServer};

const MARKER: &str = "dt0c01.MARKER7f3a9.SLOGATEHARDENING";

fn gate() -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin!("slo-gate"));
    for v in test_support::cli::CALLER_ENV {
        c.env_remove(v);
    }
    c.timeout(Duration::from_secs(120));
    c
}

fn run(cmd: &mut Command) -> Run {
    Run::capture(|| cmd.output())
}

fn assert_code_error(r: &Run, code: i32, needles: &[&str]) {
    assert_error(r, "slo-gate", code, needles);
    assert!(
        r.stdout.is_empty(),
        "a verdict was printed despite the error: {r:#?}"
    );
}

fn assert_input_error(r: &Run, needles: &[&str]) {
    assert_code_error(r, 2, needles);
}

fn assert_external_error(r: &Run, needles: &[&str]) {
    assert_code_error(r, 3, needles);
}

fn run_null_stdin(args: &[&std::ffi::OsStr]) -> Run {
    Run::null_stdin(Path::new(assert_cmd::cargo::cargo_bin!("slo-gate")), args)
}

const CRIT_SLO: &str = "spec_version: \"1.0\"\nobjectives:\n  - sli: vulnerabilities_critical\n    pass:\n      - criteria: [\"<=100\"]\ntotal_score:\n  pass: \"90%\"\n  warning: \"75%\"\n";

fn slo_file(dir: &Path) -> PathBuf {
    write(dir, "slo.yaml", CRIT_SLO)
}

fn on_report(slo: &Path, report: &Path) -> Run {
    run(gate().arg("--slo").arg(slo).arg("--report").arg(report))
}

// ---- bad input -----------------------------------------------------------------------------

mod bad_input {
    use super::*;

    #[test]
    fn truncated_report_every_1k_boundary() {
        let dir = tempfile::tempdir().unwrap();
        let slo = slo_file(dir.path());
        for name in [
            "generated-0.76-image-alpine-3.14.json",
            "legacy-array-debian-9-v0.19.json",
        ] {
            let bytes = std::fs::read(report(name)).unwrap();
            let end = bytes.trim_ascii_end().len();
            let step = if bytes.len() > 100_000 {
                16 * 1024
            } else {
                1024
            };
            for cut in (0..end).step_by(step) {
                let p = write(dir.path(), "cut.json", &bytes[..cut]);
                let r = on_report(&slo, &p);
                let want = if cut == 0 { "empty" } else { "ends early" };
                assert_input_error(&r, &["cut.json", want]);
            }
        }
    }

    #[test]
    fn report_not_utf8_deep_overflow_wrong_type() {
        let dir = tempfile::tempdir().unwrap();
        let slo = slo_file(dir.path());
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            (
                "latin1.json",
                b"{\"ArtifactName\":\"caf\xe9\",\"Results\":[]}".to_vec(),
                "latin1.json",
            ),
            ("binary.json", vec![0xff, 0xfe, 0, 0x7b], "line 1"),
            ("deep.json", deep.into_bytes(), "deep"),
            (
                "overflow.json",
                b"{\"Results\":[{\"Target\":\"x\",\"Vulnerabilities\":1e999}]}".to_vec(),
                "line 1",
            ),
            ("string.json", b"\"Results\"".to_vec(), "string.json"),
            (
                "object-results.json",
                b"{\"Results\":{}}".to_vec(),
                "Results",
            ),
        ];
        for (name, bytes, needle) in cases {
            let p = write(dir.path(), name, bytes);
            let r = on_report(&slo, &p);
            assert!(r.elapsed < Duration::from_secs(30), "{name}: {r:#?}");
            assert_input_error(&r, &[name, needle]);
        }
        // A bare `null` is what trivy < 0.20 wrote for an empty scan (scanner-formats §3):
        // read as zero findings, so the criticals SLO passes on it.
        let p = write(dir.path(), "null.json", b"null");
        let r = on_report(&slo, &p);
        assert_eq!(r.code, Some(0), "{r:#?}");
    }

    #[test]
    fn report_directory_and_missing() {
        let dir = tempfile::tempdir().unwrap();
        let slo = slo_file(dir.path());
        let r = on_report(&slo, dir.path());
        assert_input_error(&r, &["directory"]);
        let r = on_report(&slo, Path::new("/nonexistent/report.json"));
        assert_input_error(&r, &["/nonexistent/report.json"]);
    }

    #[test]
    fn stdin_closed_early() {
        let dir = tempfile::tempdir().unwrap();
        let slo = slo_file(dir.path());
        let r = run(gate()
            .arg("--slo")
            .arg(&slo)
            .args(["--report", "-"])
            .write_stdin(Vec::<u8>::new()));
        assert_input_error(&r, &["empty"]);
        let bytes = std::fs::read(report("debian-10-image.json")).unwrap();
        let r = run(gate()
            .arg("--slo")
            .arg(&slo)
            .args(["--report", "-"])
            .write_stdin(bytes[..bytes.len() / 3].to_vec()));
        assert_input_error(&r, &["ends early"]);
        let r = run_null_stdin(&[
            "--slo".as_ref(),
            slo.as_os_str(),
            "--report".as_ref(),
            "-".as_ref(),
        ]);
        assert_input_error(&r, &["report"]);
    }

    /// Runs slo-gate under /usr/bin/time with a 1 GiB address-space cap; returns the run and
    /// its peak RSS in KiB.
    fn measured(args: &[&std::ffi::OsStr]) -> (Run, u64) {
        let dir = tempfile::tempdir().unwrap();
        let rss_file = dir.path().join("rss");
        let mut cmd = Command::new("/usr/bin/time");
        cmd.arg("-f")
            .arg("%M")
            .arg("-o")
            .arg(&rss_file)
            .args(["prlimit", "--as=1073741824", "--"])
            .arg(assert_cmd::cargo::cargo_bin!("slo-gate"))
            .args(args)
            .timeout(Duration::from_secs(90));
        let r = run(&mut cmd);
        let rss = std::fs::read_to_string(&rss_file)
            .ok()
            .and_then(|t| t.lines().last().and_then(|l| l.trim().parse().ok()))
            .unwrap_or(u64::MAX);
        (r, rss)
    }

    fn sparse(dir: &Path, name: &str, prefix: &[u8]) -> PathBuf {
        let p = dir.join(name);
        let mut f = std::fs::File::create(&p).unwrap();
        f.write_all(prefix).unwrap();
        f.set_len(2 * 1024 * 1024 * 1024).unwrap();
        p
    }

    #[test]
    fn sparse_2gb_report() {
        let dir = tempfile::tempdir().unwrap();
        let slo = slo_file(dir.path());
        let rep = sparse(dir.path(), "sparse.json", b"{\"Results\": [");
        let (r, rss) = measured(&[
            "--slo".as_ref(),
            slo.as_os_str(),
            "--report".as_ref(),
            rep.as_os_str(),
        ]);
        assert!(r.elapsed < Duration::from_secs(60), "{r:#?}");
        assert!(rss < 200 * 1024, "peak RSS {rss} KiB: {r:#?}");
        assert_input_error(&r, &["sparse.json"]);
    }

    #[test]
    fn sparse_2gb_slo_values_history() {
        // Every other file slo-gate reads, 2 GB of holes each: an input error in bounded
        // time and memory (not a 2 GB read_to_string).
        let dir = tempfile::tempdir().unwrap();
        let slo = slo_file(dir.path());
        let big_slo = sparse(dir.path(), "big-slo.yaml", b"objectives:\n");
        let big_values = sparse(dir.path(), "big-values.json", b"{\"x\": ");
        let big_history = sparse(dir.path(), "big-history.json", b"[");
        let values = write(
            dir.path(),
            "values.json",
            "{\"vulnerabilities_critical\": 1}",
        );
        let rep = report("debian-10-image.json");
        let cases: Vec<(&str, Vec<&std::ffi::OsStr>)> = vec![
            (
                "big-slo.yaml",
                vec![
                    "--slo".as_ref(),
                    big_slo.as_os_str(),
                    "--report".as_ref(),
                    rep.as_os_str(),
                ],
            ),
            (
                "big-values.json",
                vec![
                    "--slo".as_ref(),
                    slo.as_os_str(),
                    "--sli-values".as_ref(),
                    big_values.as_os_str(),
                ],
            ),
            (
                "big-history.json",
                vec![
                    "--slo".as_ref(),
                    slo.as_os_str(),
                    "--sli-values".as_ref(),
                    values.as_os_str(),
                    "--history".as_ref(),
                    big_history.as_os_str(),
                ],
            ),
        ];
        let mut problems = Vec::new();
        for (name, args) in cases {
            let (r, rss) = measured(&args);
            // Failing because the read ran out of (capped) memory does not count: the file
            // must be refused for what it holds, without reading 2 GB first.
            let ok = r.code == Some(2)
                && r.stderr.contains(name)
                && !r.stderr.contains("out of memory")
                && !r.stderr.contains("memory allocation")
                && !r.stderr.contains("panicked")
                && rss < 200 * 1024
                && r.elapsed < Duration::from_secs(60);
            if !ok {
                problems.push(format!(
                    "{name}: exit {:?}, peak RSS {rss} KiB, {:?}, stderr: {}",
                    r.code,
                    r.elapsed,
                    r.stderr.trim()
                ));
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }

    fn slo_case(dir: &Path, name: &str, text: &str, needles: &[&str]) {
        let slo = write(dir, name, text);
        let r = on_report(&slo, &report("debian-10-image.json"));
        let mut all = vec![name];
        all.extend_from_slice(needles);
        assert_input_error(&r, &all);
    }

    #[test]
    fn slo_duplicate_keys() {
        let dir = tempfile::tempdir().unwrap();
        slo_case(
            dir.path(),
            "dup-top.yaml",
            &format!("{CRIT_SLO}total_score:\n  pass: \"10%\"\n"),
            &["total_score"],
        );
        slo_case(
            dir.path(),
            "dup-objective.yaml",
            "objectives:\n  - sli: vulnerabilities_critical\n    sli: vulnerabilities_high\n    pass:\n      - criteria: [\"<=0\"]\ntotal_score:\n  pass: \"90%\"\n",
            &["sli"],
        );
    }

    #[test]
    fn slo_wrong_types() {
        let dir = tempfile::tempdir().unwrap();
        let mut problems = Vec::new();
        for (i, (text, needle)) in [
            ("objectives: 5\ntotal_score:\n  pass: \"90%\"\n", "objectives"),
            ("objectives:\n  - sli: [a, b]\ntotal_score:\n  pass: \"90%\"\n", "sli"),
            (
                "objectives:\n  - sli: vulnerabilities_critical\n    weight: 1.5\n    pass:\n      - criteria: [\"<=0\"]\ntotal_score:\n  pass: \"90%\"\n",
                "weight",
            ),
            (
                "objectives:\n  - sli: vulnerabilities_critical\n    key_sli: maybe\ntotal_score:\n  pass: \"90%\"\n",
                "key_sli",
            ),
            (
                "objectives:\n  - sli: vulnerabilities_critical\n    pass: \"<=0\"\ntotal_score:\n  pass: \"90%\"\n",
                "pass",
            ),
            ("- just\n- a list\n", "cannot unmarshal"),
            (
                "objectives:\n  - sli: vulnerabilities_critical\n    weight: 99999999999999999999999\ntotal_score:\n  pass: \"90%\"\n",
                "weight",
            ),
            ("total_score: [90]\nobjectives: []\n", "total_score"),
        ]
        .into_iter()
        .enumerate()
        {
            let name = format!("types{i}.yaml");
            let slo = write(dir.path(), &name, text);
            let r = on_report(&slo, &report("debian-10-image.json"));
            assert!(!r.stderr.contains("panicked"), "{r:#?}");
            if r.code != Some(2) || !r.stderr.contains(&name) || !r.stderr.contains(needle) {
                problems.push(format!(
                    "{text:?}: exit {:?}, want 2 naming `{needle}`; stderr: {}",
                    r.code,
                    r.stderr.trim()
                ));
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn slo_negative_weight() {
        // lighthouse keeps negative weights; a failing objective with one *raises* the score
        // of the others, so a gate can open because something failed. Refuse the file.
        let dir = tempfile::tempdir().unwrap();
        slo_case(
            dir.path(),
            "negative.yaml",
            "objectives:\n  - sli: vulnerabilities_critical\n    weight: -1\n    pass:\n      - criteria: [\"<=0\"]\n  - sli: vulnerabilities_low\n    pass:\n      - criteria: [\">=0\"]\ntotal_score:\n  pass: \"90%\"\n  warning: \"75%\"\n",
            &["weight"],
        );
    }

    #[test]
    fn slo_criteria_every_error_form() {
        // Both error forms of the criteria grammar (invalid criteria string, could not parse
        // criteria target value), in pass and in warning: lighthouse fails (pass) or silently
        // ignores (warning) them; a gate must refuse the file with exit 2.
        let dir = tempfile::tempdir().unwrap();
        let forms = [
            ("invalid criteria string", "5"),
            ("invalid criteria string", "!=5"),
            ("invalid criteria string", "≤5"),
            ("could not parse criteria target value", "<="),
            ("could not parse criteria target value", "<=abc"),
            ("could not parse criteria target value", "|5"),
            ("could not parse criteria target value", "<=10%%"),
            ("could not parse criteria target value", "<=1e400"),
            ("could not parse criteria target value", "=>5"),
        ];
        let mut problems = Vec::new();
        for (i, (why, criterion)) in forms.into_iter().enumerate() {
            for list in ["pass", "warning"] {
                let name = format!("crit{i}-{list}.yaml");
                let other = if list == "pass" { "warning" } else { "pass" };
                let slo = write(
                    dir.path(),
                    &name,
                    format!(
                        "objectives:\n  - sli: vulnerabilities_critical\n    {list}:\n      - criteria: [\"{criterion}\"]\n    {other}:\n      - criteria: [\"<=1000\"]\ntotal_score:\n  pass: \"90%\"\n  warning: \"75%\"\n"
                    ),
                );
                let r = on_report(&slo, &report("debian-10-image.json"));
                if r.code != Some(2) || !r.stderr.contains(why) || !r.stderr.contains(&name) {
                    problems.push(format!(
                        "{list} `{criterion}`: exit {:?}, stderr: {}",
                        r.code,
                        r.stderr.trim()
                    ));
                }
                assert!(!r.stderr.contains("panicked"), "{r:#?}");
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn sli_values_bad() {
        let dir = tempfile::tempdir().unwrap();
        let slo = slo_file(dir.path());
        let mut problems = Vec::new();
        for (name, text, needle) in [
            (
                "string.json",
                "{\"vulnerabilities_critical\": \"3\"}",
                "vulnerabilities_critical",
            ),
            (
                "overflow.json",
                "{\"vulnerabilities_critical\": 1e999}",
                "line 1",
            ),
            ("array.json", "[1, 2]", "array.json"),
            ("empty.json", "", "empty.json"),
            (
                "deep.json",
                &format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
                "deep.json",
            ),
            (
                "dup.json",
                "{\"vulnerabilities_critical\": 0, \"vulnerabilities_critical\": 9}",
                "vulnerabilities_critical",
            ),
        ] {
            let p = write(dir.path(), name, text);
            let r = run(gate().arg("--slo").arg(&slo).arg("--sli-values").arg(&p));
            assert!(!r.stderr.contains("panicked"), "{r:#?}");
            if r.code != Some(2) || !r.stderr.contains(name) || !r.stderr.contains(needle) {
                problems.push(format!(
                    "{name} {text:?}: exit {:?}, want 2 naming `{needle}`; stderr: {}",
                    r.code,
                    r.stderr.trim()
                ));
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn bad_labels_timeframes_and_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let slo = slo_file(dir.path());
        let rep = report("debian-10-image.json");
        for (args, needle) in [
            (vec!["--label", "novalue"], "--label"),
            (vec!["--label", "=x"], "empty key"),
            (vec!["--timeframe", "5 weeks"], "duration"),
            (vec!["--timeframe", "0s"], "window"),
            (
                vec![
                    "--from",
                    "2026-11-22T07:05:00Z",
                    "--to",
                    "2026-11-22T07:00:00Z",
                ],
                "window",
            ),
            (vec!["--severity", "SEVERE"], "SEVERE"),
        ] {
            let r = run(gate()
                .arg("--slo")
                .arg(&slo)
                .arg("--report")
                .arg(&rep)
                .args(&args));
            assert_input_error(&r, &[needle]);
        }
    }
}

// ---- faults in backends --------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Mode {
    ResetMidResponse,
    CloseEarly,
    Status(u16),
    Slow(Duration),
    Body(u16, &'static str, String),
}

/// A raw server answering every request as `mode` says.
fn server(mode: Mode) -> RawServer {
    RawServer::start(move |_, _| mode.act())
}

impl Mode {
    fn act(&self) -> Act {
        match self {
            Self::CloseEarly => Act::Close,
            Self::ResetMidResponse => Act::Cut(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{\"status\":\"success\",\"data\":{\"result",
            ),
            Self::Status(s) => Act::Reply(
                *s,
                "application/json",
                format!(
                    "{{\"status\":\"error\",\"errorType\":\"internal\",\"error\":\"backend down {s}\"}}"
                ),
            ),
            Self::Slow(d) => Act::Delay(
                *d,
                Box::new(Act::Reply(200, "application/json", "{}".to_owned())),
            ),
            Self::Body(s, ctype, body) => Act::Reply(*s, ctype, body.clone()),
        }
    }
}

const PROM_SLI: &str = "spec_version: \"1.0\"\nindicators:\n  critical: 'sum(trivy_image_vulnerabilities{severity=\"Critical\"})'\n  high: 'sum(trivy_image_vulnerabilities{severity=\"High\"})'\n";
const DT_SLI: &str = "spec_version: \"1.0\"\nindicators:\n  critical: \"metricSelector=trivy.vulnerabilities.CRITICAL:splitBy():max\"\n  high: \"metricSelector=trivy.vulnerabilities.HIGH:splitBy():max\"\n";
const BACKEND_SLO: &str = "spec_version: \"1.0\"\nobjectives:\n  - sli: critical\n    pass:\n      - criteria: [\"<10\"]\n  - sli: high\ntotal_score:\n  pass: \"90%\"\n";

fn provider(provider: &str, url: &str, dir: &Path, extra: &[&str]) -> Run {
    let slo = write(dir, "backend-slo.yaml", BACKEND_SLO);
    let sli = write(
        dir,
        "backend-sli.yaml",
        if provider == "prometheus" {
            PROM_SLI
        } else {
            DT_SLI
        },
    );
    let mut c = gate();
    c.arg("-vvv")
        .arg("--slo")
        .arg(&slo)
        .arg("--sli")
        .arg(&sli)
        .args(["--provider", provider, "--retries", "1", "--timeout", "2s"])
        .args(["--format", "json"])
        .args([
            "--from",
            "2026-11-22T07:00:00Z",
            "--to",
            "2026-11-22T07:05:00Z",
        ]);
    if provider == "prometheus" {
        c.args(["--prometheus-url", url]);
    } else {
        c.args(["--dynatrace-url", url]).env("DT_API_TOKEN", MARKER);
    }
    c.args(extra);
    let r = run(&mut c);
    assert!(
        !r.stderr.contains(MARKER) && !r.stdout.contains(MARKER),
        "{r:#?}"
    );
    r
}

mod fault {
    use super::*;

    const PROVIDERS: [&str; 2] = ["prometheus", "dynatrace"];

    #[test]
    fn backend_refusing_connections() {
        let dir = tempfile::tempdir().unwrap();
        let addr = test_support::net::refused_addr();
        for p in PROVIDERS {
            let r = provider(p, &format!("http://{addr}"), dir.path(), &[]);
            assert_external_error(&r, &["metrics backend"]);
        }
    }

    #[test]
    fn backend_reset_mid_response() {
        let dir = tempfile::tempdir().unwrap();
        for p in PROVIDERS {
            for mode in [Mode::ResetMidResponse, Mode::CloseEarly] {
                let s = server(mode);
                let r = provider(p, &s.url(), dir.path(), &[]);
                assert_external_error(&r, &["metrics backend"]);
            }
        }
    }

    #[test]
    fn backend_5xx_forever() {
        let dir = tempfile::tempdir().unwrap();
        for p in PROVIDERS {
            let s = server(Mode::Status(503));
            let r = provider(p, &s.url(), dir.path(), &[]);
            assert_external_error(&r, &["503"]);
            // First try and one retry for the first SLI, then the run stops.
            assert_eq!(s.hits(), 2, "{p}: {:?}", s.requests());
        }
    }

    #[test]
    fn backend_answering_slowly() {
        let dir = tempfile::tempdir().unwrap();
        for p in PROVIDERS {
            let s = server(Mode::Slow(Duration::from_secs(30)));
            let r = provider(p, &s.url(), dir.path(), &[]);
            assert_external_error(&r, &["metrics backend"]);
            assert!(r.elapsed < Duration::from_secs(20), "{p}: {r:#?}");
        }
    }

    #[test]
    fn backend_unexpected_body() {
        let dir = tempfile::tempdir().unwrap();
        for p in PROVIDERS {
            for (ctype, body) in [
                ("text/html", "<html>proxy login</html>".to_owned()),
                ("application/json", "{\"unexpected\": true}".to_owned()),
                ("application/json", "[]".to_owned()),
            ] {
                let s = server(Mode::Body(200, ctype, body.clone()));
                let r = provider(p, &s.url(), dir.path(), &[]);
                assert_external_error(&r, &["metrics backend"]);
            }
        }
    }
}

// ---- secrets -------------------------------------------------------------------------------

mod secret {
    use super::*;

    #[test]
    fn token_never_shown_on_any_error_path() {
        let dir = tempfile::tempdir().unwrap();
        let refused = test_support::net::refused_addr();
        let s401 = server(Mode::Body(
            401,
            "application/json",
            "{\"error\":{\"code\":401,\"message\":\"Token Authentication failed\"}}".into(),
        ));
        let s500 = server(Mode::Status(500));
        let record = dir.path().join("history.json");
        for url in [
            format!("http://{refused}"),
            s401.url(),
            s500.url(),
            "ht!tp://bad url".to_owned(),
        ] {
            let r = provider(
                "dynatrace",
                &url,
                dir.path(),
                &["--record", record.to_str().unwrap()],
            );
            assert!(matches!(r.code, Some(2 | 3)), "{url}: {r:#?}");
        }
        assert!(
            s401.requests().iter().any(|q| q.contains(MARKER)),
            "the token reached the backend"
        );
        // Plain http off loopback: refused, nothing sent.
        let r = provider(
            "dynatrace",
            "http://tenant.example.invalid",
            dir.path(),
            &[],
        );
        assert_input_error(&r, &["http"]);
        // A token file that is a directory, and one that holds the marker plus junk.
        let tf = write(
            dir.path(),
            "token",
            format!("{MARKER}\nsecond line {MARKER}\n"),
        );
        let r = run(gate()
            .arg("-vvv")
            .arg("--slo")
            .arg(write(dir.path(), "s.yaml", BACKEND_SLO))
            .arg("--sli")
            .arg(write(dir.path(), "i.yaml", DT_SLI))
            .args(["--provider", "dynatrace", "--retries", "0"])
            .args(["--dynatrace-url", &s401.url()])
            .arg("--dynatrace-token-file")
            .arg(&tf));
        assert_eq!(r.code, Some(3), "{r:#?}");
        assert!(
            !r.stderr.contains(MARKER) && !r.stdout.contains(MARKER),
            "{r:#?}"
        );
        // Whatever was recorded holds no token.
        if let Ok(text) = std::fs::read_to_string(&record) {
            assert!(!text.contains(MARKER), "{text}");
        }
        // A successful run that records: the history file holds no token either.
        let values = write(
            dir.path(),
            "values.json",
            "{\"vulnerabilities_critical\": 1}",
        );
        let r = run(gate()
            .arg("-vvv")
            .arg("--slo")
            .arg(slo_file(dir.path()))
            .arg("--sli-values")
            .arg(&values)
            .arg("--record")
            .arg(&record)
            .env("DT_API_TOKEN", MARKER)
            .env("METRICS_API_TOKEN", MARKER));
        assert_eq!(r.code, Some(0), "{r:#?}");
        let text = std::fs::read_to_string(&record).unwrap();
        assert!(!text.contains(MARKER), "{text}");

        use clap::Parser;
        let cli = slo_gate::Cli::try_parse_from([
            "slo-gate",
            "--slo",
            "s.yaml",
            "--provider",
            "dynatrace",
            "--sli",
            "i.yaml",
            "--dynatrace-token",
            MARKER,
        ])
        .unwrap();
        let shown = format!("{cli:?} {cli:#?}");
        assert!(!shown.contains(MARKER), "{shown}");
    }

    #[test]
    fn token_echoed_by_the_backend_is_not_repeated() {
        // A backend or proxy that echoes the request headers in its error body.
        let dir = tempfile::tempdir().unwrap();
        let echo = server(Mode::Body(
            400,
            "application/json",
            format!("{{\"error\":{{\"code\":400,\"message\":\"bad header Api-Token {MARKER}\"}}}}"),
        ));
        let r = run(gate()
            .arg("-vvv")
            .arg("--slo")
            .arg(write(dir.path(), "s.yaml", BACKEND_SLO))
            .arg("--sli")
            .arg(write(dir.path(), "i.yaml", DT_SLI))
            .args(["--provider", "dynatrace", "--retries", "0"])
            .args(["--dynatrace-url", &echo.url()])
            .env("DT_API_TOKEN", MARKER));
        // A 400 on a query is a failed SLI (exit 1) or a failed backend (exit 3); never a pass.
        assert!(matches!(r.code, Some(1 | 3)), "{r:#?}");
        assert!(!r.stdout.contains(MARKER), "marker on stdout: {r:#?}");
        assert!(!r.stderr.contains(MARKER), "marker on stderr: {r:#?}");
    }
}

// ---- the gate never opens by mistake -------------------------------------------------------

mod gate_closed {
    use super::*;

    #[test]
    fn failed_query_is_exit_3() {
        let dir = tempfile::tempdir().unwrap();
        for p in ["prometheus", "dynatrace"] {
            let s = server(Mode::Status(500));
            let r = provider(p, &s.url(), dir.path(), &[]);
            assert_external_error(&r, &["500"]);
        }
    }

    #[test]
    fn no_data_fails_the_gate() {
        // Prometheus answers, but the query matches no series: the SLI fails, so does the gate.
        let dir = tempfile::tempdir().unwrap();
        let s = server(Mode::Body(
            200,
            "application/json",
            "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}".into(),
        ));
        let r = provider("prometheus", &s.url(), dir.path(), &[]);
        assert_eq!(r.code, Some(1), "{r:#?}");
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(v["result"], "fail", "{v:#}");
        assert_eq!(
            v["evaluation"]["indicatorResults"][0]["value"]["success"],
            false
        );
    }

    #[test]
    fn sli_the_source_cannot_answer() {
        let dir = tempfile::tempdir().unwrap();
        // From a report: an SLI that is no built-in name and has no query.
        let slo = write(
            dir.path(),
            "slo.yaml",
            "objectives:\n  - sli: response_time_p95\n    pass:\n      - criteria: [\"<=600\"]\ntotal_score:\n  pass: \"90%\"\n",
        );
        let r = run(gate()
            .arg("--slo")
            .arg(&slo)
            .arg("--report")
            .arg(report("debian-10-image.json"))
            .args(["--format", "json"]));
        assert_eq!(r.code, Some(1), "{r:#?}");
        // From a values file that lacks the SLI.
        let values = write(dir.path(), "v.json", "{\"something_else\": 0}");
        let r = run(gate()
            .arg("--slo")
            .arg(slo_file(dir.path()))
            .arg("--sli-values")
            .arg(&values)
            .args(["--format", "json"]));
        assert_eq!(r.code, Some(1), "{r:#?}");
        // From a get-sli.finished whose retrieval errored: the evaluation did not run.
        let errored = write(
            dir.path(),
            "errored.json",
            "{\"status\":\"errored\",\"result\":\"fail\",\"message\":\"could not reach Dynatrace\",\"get-sli\":{\"indicatorValues\":[]}}",
        );
        let r = run(gate()
            .arg("--slo")
            .arg(slo_file(dir.path()))
            .arg("--sli-values")
            .arg(&errored));
        assert!(matches!(r.code, Some(1 | 3)), "never a pass: {r:#?}");
    }

    #[test]
    fn empty_report_file_is_exit_2_but_empty_results_pass() {
        let dir = tempfile::tempdir().unwrap();
        let slo = slo_file(dir.path());
        let empty = write(dir.path(), "empty.json", "");
        assert_input_error(&on_report(&slo, &empty), &["empty.json", "empty"]);
        let none = write(
            dir.path(),
            "none.json",
            "{\"SchemaVersion\":2,\"Results\":[]}",
        );
        let r = on_report(&slo, &none);
        assert_eq!(r.code, Some(0), "{r:#?}");
    }

    #[test]
    fn slo_with_no_objectives_or_no_total_score() {
        // A file that parses but gates on nothing must not pass silently.
        let dir = tempfile::tempdir().unwrap();
        for (i, text) in [
            "spec_version: \"1.0\"\n",
            "objectives: []\ntotal_score:\n  pass: \"90%\"\n",
            "objectives:\n  - sli: vulnerabilities_critical\n    pass:\n      - criteria: [\"<=0\"]\n",
        ]
        .into_iter()
        .enumerate()
        {
            let slo = write(dir.path(), &format!("hollow{i}.yaml"), text);
            let r = on_report(&slo, &report("debian-10-image.json"));
            assert_ne!(r.code, Some(0), "a hollow SLO passed: {text}\n{r:#?}");
            assert!(!r.stderr.contains("panicked"), "{r:#?}");
        }
    }
}

// ---- properties through the public library APIs ---------------------------------------------

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

    const YAML_ATOMS: &[&str] = &[
        "objectives:",
        "\n",
        "  ",
        "- ",
        "sli: ",
        "x",
        "pass:",
        "warning:",
        "criteria:",
        "[",
        "]",
        "\"<=10%\"",
        "\"<5\"",
        "\">=+2\"",
        "\"|5\"",
        "weight: ",
        "-1",
        "2",
        "1.5",
        "key_sli: ",
        "true",
        "total_score:",
        "pass: ",
        "\"90%\"",
        "comparison:",
        "compare_with: ",
        "several_results",
        "number_of_comparison_results: ",
        "99999999999999999999",
        "aggregate_function: ",
        "p95",
        "filter:",
        "{",
        "}",
        ",",
        ":",
        "&a ",
        "*a",
        "<<: ",
        "!!int ",
        "~",
        "null",
        "'",
        "\"",
        "#",
        "\t",
        "---",
        "\u{feff}",
        "indicators:",
        "spec_version: ",
        "é",
        "\r",
    ];

    #[test]
    fn slo_and_sli_parsers_never_panic() {
        let mut rng = Rng(0xDEAD_BEEF_CAFE_F00D);
        for _ in 0..6000 {
            let n = rng.below(40);
            let text: String = (0..n).map(|_| rng.pick(YAML_ATOMS)).collect();
            match slo_eval::parse_slo(&text) {
                Ok(slo) => {
                    for o in &slo.objectives {
                        assert_ne!(o.weight, 0, "weight 0 becomes 1: {text:?}");
                    }
                }
                Err(e) => {
                    assert!(!e.problems.is_empty(), "{text:?}");
                    assert!(e.line() >= 1 && e.column() >= 1, "{text:?}: {e}");
                }
            }
            let _ = slo_eval::parse_slo_strict(&text);
            let _ = slo_eval::parse_sli(&text);
        }
    }

    #[test]
    fn criteria_parse_or_fail_with_a_known_error() {
        let atoms = [
            "<", "<=", "=", ">=", ">", "|", "+", "-", "%", " ", "5", "0", ".", "e", "E", "x", "p",
            "_", "inf", "nan", "1e400", "0x1p-2", "\t", "≤",
        ];
        let mut rng = Rng(7);
        for _ in 0..20_000 {
            let n = rng.below(8);
            let s: String = (0..n).map(|_| rng.pick(&atoms)).collect();
            match slo_eval::parse_criterion(&s) {
                Ok(c) => {
                    assert_ne!(c.operator, slo_eval::Operator::Empty, "{s:?}");
                    let stripped: String = s.chars().filter(|&ch| ch != ' ').collect();
                    assert!(
                        matches!(stripped.as_bytes().first(), Some(b'<' | b'=' | b'>')),
                        "{s:?}"
                    );
                }
                Err(e) => assert!(
                    matches!(
                        e,
                        slo_eval::CriteriaError::InvalidCriteriaString
                            | slo_eval::CriteriaError::CouldNotParseTargetValue
                    ),
                    "{s:?}: {e}"
                ),
            }
        }
    }

    #[test]
    fn sli_values_and_history_never_panic() {
        let atoms = [
            "{",
            "}",
            "[",
            "]",
            "\"a\"",
            "\"vulnerabilities_critical\"",
            ":",
            ",",
            "1",
            "-0",
            "1e999",
            "null",
            "true",
            "\"status\"",
            "\"errored\"",
            "\"get-sli\"",
            "\"indicatorValues\"",
            "\"metric\"",
            "\"value\"",
            "\"success\"",
            " ",
            "\"result\"",
            "\"evaluation\"",
            "\"score\"",
        ];
        let mut rng = Rng(99);
        for _ in 0..6000 {
            let n = rng.below(24);
            let s: String = (0..n).map(|_| rng.pick(&atoms)).collect();
            let _ = sli_provider::values::parse_sli_values(&s);
            let _ = slo_eval::parse_history(&s);
        }
    }
}

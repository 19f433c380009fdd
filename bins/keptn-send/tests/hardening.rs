//! Hardening (issue 7): bad input, a failing Keptn API, and secrets, tried systematically
//! through the `keptn-send` binary. Test names are `<area>::<case>`; the areas are
//! `bad_input`, `fault`, `secret`, `gate_closed` and `prop`. `scripts/reliability-report.py`
//! turns the results into `docs/reliability.md`.
//!
//! Cases already covered by `tests/cli.rs` (three invalid names, --set without `=`, a
//! missing --data file, refused connection, 401, client timeout) are not repeated.
#![allow(clippy::print_stderr)]

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use test_support::cli::{Run, assert_error, write};
use test_support::keptn::{FOREIGN_CONTEXT, FakeEvaluation, FakeKeptn, FakeKeptnConfig, Scenario};
use test_support::raw_http::{Act, RawServer};

const MARKER: &str = "kt-MARKER7f3a9-KEPTNSENDHARDENING";
const CONTEXT: &str = "7d1c3f5e-2b8e-4a4f-9d3e-5c6b7a8d9e01";

fn cmd() -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin!("keptn-send"));
    for var in test_support::cli::CALLER_ENV {
        c.env_remove(var);
    }
    c.timeout(Duration::from_secs(120));
    c
}

const NAMES: &[&str] = &[
    "--project",
    "trivyintegration",
    "--stage",
    "main",
    "--service",
    "trivyservice",
    "--sequence",
    "demosequence",
];

/// NAMES with `flag` set to `value`.
fn names_with(flag: &str, value: &str) -> Vec<String> {
    let mut v: Vec<String> = NAMES.iter().map(|s| (*s).to_owned()).collect();
    let i = v.iter().position(|a| a == flag).expect("a name flag");
    // `--flag=value`, so a value starting with `-` is still a value.
    v[i] = format!("{flag}={value}");
    v.remove(i + 1);
    v
}

fn run(c: &mut Command) -> Run {
    Run::capture(|| c.output())
}

fn assert_code_error(r: &Run, code: i32, needles: &[&str]) {
    assert_error(r, "keptn-send", code, needles);
    // With --wait the keptnContext line comes first (the event was sent); never a verdict.
    let rest: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| !l.starts_with("keptnContext: "))
        .collect();
    assert!(rest.is_empty(), "output despite the error: {r:#?}");
}

fn assert_input_error(r: &Run, needles: &[&str]) {
    assert_code_error(r, 2, needles);
}

fn assert_external_error(r: &Run, needles: &[&str]) {
    assert_code_error(r, 3, needles);
    assert!(!r.stderr.contains(MARKER), "token leaked: {r:#?}");
}

fn run_null_stdin(args: &[&std::ffi::OsStr]) -> Run {
    Run::null_stdin(Path::new(assert_cmd::cargo::cargo_bin!("keptn-send")), args)
}

fn dry_run(args: &[String]) -> Run {
    run(cmd().args(args).arg("--dry-run"))
}

// ---- bad input -----------------------------------------------------------------------------

mod bad_input {
    use super::*;

    #[test]
    fn names_that_break_keptn_rules() {
        let long_project = format!("p{}", "a".repeat(200));
        let long_service = format!("s{}", "a".repeat(43));
        let cases: Vec<(&str, String)> = vec![
            ("--project", "TrivyIntegration".into()),
            ("--project", "1project".into()),
            ("--project", "-project".into()),
            ("--project", "project-".into()),
            ("--project", "pro ject".into()),
            ("--project", "pro.ject".into()),
            ("--project", "proj$(id)".into()),
            ("--project", "projé".into()),
            ("--project", String::new()),
            ("--project", long_project),
            ("--stage", "Prod".into()),
            ("--stage", "9stage".into()),
            ("--stage", "stage.one".into()),
            ("--stage", "st;age".into()),
            ("--stage", String::new()),
            ("--service", long_service),
            ("--service", "..".into()),
            ("--service", ".".into()),
            ("--service", "svc:8080".into()),
            ("--service", "a>b".into()),
            ("--service", "a|b".into()),
            ("--service", "a&b".into()),
            ("--service", "a<b".into()),
            ("--sequence", "demo.sequence".into()),
            ("--sequence", String::new()),
        ];
        for (flag, value) in cases {
            let r = dry_run(&names_with(flag, &value));
            assert_eq!(r.code, Some(2), "{flag} {value:?}: {r:#?}");
            assert!(!r.stderr.contains("panicked"), "{r:#?}");
            assert!(
                r.stdout.is_empty(),
                "{flag} {value:?}: an event was printed: {r:#?}"
            );
            let what = flag.trim_start_matches("--");
            let lower = r.stderr.to_lowercase();
            assert!(
                lower.contains(what) || lower.contains("event type"),
                "{flag} {value:?}: the problem is not named: {}",
                r.stderr
            );
        }
        // The limits themselves are fine.
        let r = dry_run(&names_with("--project", &"a".repeat(200)));
        assert_eq!(r.code, Some(0), "{r:#?}");
        let r = dry_run(&names_with("--service", &"s".repeat(43)));
        assert_eq!(r.code, Some(0), "{r:#?}");
    }

    #[test]
    fn bad_set() {
        let dir = tempfile::tempdir().unwrap();
        let data = write(dir.path(), "d.json", "{\"scan\": [1, 2], \"n\": null}");
        let mut base: Vec<String> = NAMES.iter().map(|s| (*s).to_owned()).collect();
        base.extend(["--data".into(), data.display().to_string()]);
        for (set, needle) in [
            ("=1", "empty segment"),
            ("a..b=1", "empty segment"),
            (".a=1", "empty segment"),
            ("a.=1", "empty segment"),
            ("scan.level=1", "`scan` already holds an array"),
            ("n.x=1", "`n` already holds null"),
            ("project.x=1", "`project` already holds a string"),
        ] {
            let mut args = base.clone();
            args.extend(["--set".into(), set.into()]);
            let r = dry_run(&args);
            assert_input_error(&r, &["--set", needle]);
        }
    }

    #[test]
    fn bad_label() {
        let dir = tempfile::tempdir().unwrap();
        let data = write(dir.path(), "d.json", "{\"labels\": \"not-an-object\"}");
        for (extra, needle) in [
            (vec!["--label".to_owned(), "=x".into()], "empty key"),
            (vec!["--label".to_owned(), "nokey".into()], "key=value"),
            (
                vec![
                    "--data".to_owned(),
                    data.display().to_string(),
                    "--label".into(),
                    "a=b".into(),
                ],
                "labels",
            ),
        ] {
            let mut args: Vec<String> = NAMES.iter().map(|s| (*s).to_owned()).collect();
            args.extend(extra);
            assert_input_error(&dry_run(&args), &[needle]);
        }
    }

    #[test]
    fn unreadable_data() {
        let dir = tempfile::tempdir().unwrap();
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("empty.json", vec![], "not valid JSON"),
            (
                "latin1.json",
                b"{\"a\": \"caf\xe9\"}".to_vec(),
                "latin1.json",
            ),
            ("deep.json", deep.into_bytes(), "deep.json"),
            ("overflow.json", b"{\"a\": 1e999}".to_vec(), "overflow.json"),
            (
                "truncated.json",
                b"{\"a\": [1, 2".to_vec(),
                "not valid JSON",
            ),
            ("string.json", b"\"data\"".to_vec(), "JSON object"),
            ("yaml.json", b"a: 1\n".to_vec(), "not valid JSON"),
        ];
        for (name, bytes, needle) in cases {
            let p = write(dir.path(), name, bytes);
            let mut args: Vec<String> = NAMES.iter().map(|s| (*s).to_owned()).collect();
            args.extend(["--data".into(), p.display().to_string()]);
            let r = dry_run(&args);
            assert!(r.elapsed < Duration::from_secs(30), "{r:#?}");
            assert_input_error(&r, &["--data", needle]);
        }
        // A directory, and stdin that is closed at once.
        let mut args: Vec<String> = NAMES.iter().map(|s| (*s).to_owned()).collect();
        args.extend(["--data".into(), dir.path().display().to_string()]);
        assert_input_error(&dry_run(&args), &["cannot read --data"]);
        let mut args: Vec<&std::ffi::OsStr> = NAMES.iter().map(|s| s.as_ref()).collect();
        args.extend(["--data", "-", "--dry-run"].map(std::ffi::OsStr::new));
        let r = run_null_stdin(&args);
        assert_input_error(&r, &["--data"]);
    }

    #[test]
    fn sparse_2gb_data_file() {
        // Bounded memory and time: not a 2 GB read into memory before the first parse error.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.json");
        let mut f = std::fs::File::create(&p).unwrap();
        f.write_all(b"{\"a\": ").unwrap();
        f.set_len(2 * 1024 * 1024 * 1024).unwrap();
        drop(f);
        let rss_file = dir.path().join("rss");
        let r = run(Command::new("/usr/bin/time")
            .arg("-f")
            .arg("%M")
            .arg("-o")
            .arg(&rss_file)
            .args(["prlimit", "--as=1073741824", "--"])
            .arg(assert_cmd::cargo::cargo_bin!("keptn-send"))
            .args(NAMES)
            .arg("--data")
            .arg(&p)
            .arg("--dry-run")
            .timeout(Duration::from_secs(90)));
        let rss: u64 = std::fs::read_to_string(&rss_file)
            .ok()
            .and_then(|t| t.lines().last().and_then(|l| l.trim().parse().ok()))
            .unwrap_or(u64::MAX);
        assert!(r.elapsed < Duration::from_secs(60), "{r:#?}");
        assert!(rss < 200 * 1024, "peak RSS {rss} KiB: {r:#?}");
        // Refused for what it holds, not because reading 2 GB hit the (capped) memory.
        assert!(!r.stderr.contains("out of memory"), "read whole: {r:#?}");
        assert!(
            !r.stderr.contains("memory allocation"),
            "read whole: {r:#?}"
        );
        assert_input_error(&r, &["big.json"]);
    }

    #[test]
    fn bad_urls_contexts_and_types() {
        for (extra, needle) in [
            (vec!["--api-url", "ht!tp://x/api"], "--api-url"),
            (
                vec!["--api-url", "ftp://keptn.example.org/api"],
                "--api-url",
            ),
            (vec!["--api-url", ""], "--api-url"),
        ] {
            let r = run(cmd()
                .args(NAMES)
                .args(&extra)
                .env("KEPTN_API_TOKEN", MARKER));
            assert_input_error(&r, &[needle]);
            assert!(!r.stderr.contains(MARKER), "{r:#?}");
        }
        for (extra, needle) in [
            (vec!["--keptn-context", "not-a-uuid"], "not-a-uuid"),
            (vec!["--source", ""], "source"),
        ] {
            let mut args: Vec<String> = NAMES.iter().map(|s| (*s).to_owned()).collect();
            args.extend(extra.iter().map(|s| (*s).to_owned()));
            assert_input_error(&dry_run(&args), &[needle]);
        }
        for ty in [
            "sh.keptn.event.main.demo.sequence.triggered",
            "sh.keptn.event..triggered",
            "sh.keptn.event.evaluation.exploded",
            "sh.keptn.event.evaluation.triggered\n",
        ] {
            let r = run(cmd().args([
                "--project",
                "p",
                "--stage",
                "s",
                "--service",
                "x",
                "--type",
                ty,
                "--dry-run",
            ]));
            assert_input_error(&r, &[]);
            assert!(
                r.stderr.contains("event type") || r.stderr.contains("name"),
                "{ty:?}: {r:#?}"
            );
        }
    }
}

// ---- a failing Keptn API -------------------------------------------------------------------

/// What the raw server does with one request (by method and path).
/// The answer keptn-send's POST expects, after a delay.
fn slow_accept(d: Duration) -> Act {
    Act::Delay(
        d,
        Box::new(Act::Reply(
            200,
            "application/json",
            format!("{{\"keptnContext\":\"{CONTEXT}\"}}"),
        )),
    )
}

fn api_url(s: &RawServer) -> String {
    format!("{}/api", s.url())
}

fn keptn_error(status: u16) -> Act {
    Act::Reply(
        status,
        "application/json",
        format!("{{\"code\":{status},\"message\":\"control plane unavailable\"}}"),
    )
}

fn accepted() -> Act {
    Act::Reply(
        200,
        "application/json",
        format!("{{\"keptnContext\":\"{CONTEXT}\"}}"),
    )
}

fn send(server_url: &str, extra: &[&str]) -> Run {
    run(cmd()
        .arg("-vvv")
        .env("KEPTN_API_URL", server_url)
        .env("KEPTN_API_TOKEN", MARKER)
        .args(NAMES)
        .args(if extra.contains(&"--retries") {
            &[][..]
        } else {
            &["--retries", "1"][..]
        })
        .args(if extra.contains(&"--request-timeout") {
            &[][..]
        } else {
            &["--request-timeout", "2s"][..]
        })
        .args(extra))
}

mod fault {
    use super::*;

    #[test]
    fn keptn_reset_mid_response() {
        for act in [Act::Cut(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 300\r\n\r\n{\"keptnCon"), Act::Close] {
            let s = RawServer::always(act);
            let r = send(&api_url(&s), &[]);
            assert_external_error(&r, &["Keptn API"]);
        }
    }

    #[test]
    fn keptn_5xx_forever() {
        for status in [500, 502, 503] {
            let s = RawServer::always(keptn_error(status));
            let r = send(&api_url(&s), &[]);
            assert_external_error(&r, &[&status.to_string()]);
            assert_eq!(s.hits(), 2, "one retry, then stop");
        }
        // The event went in, but every poll of the sequence fails.
        let s = RawServer::start(|m, _| {
            if m == "POST" {
                accepted()
            } else {
                keptn_error(503)
            }
        });
        let r = send(
            &api_url(&s),
            &["--wait", "--poll-interval", "100ms", "--timeout", "20s"],
        );
        assert_external_error(&r, &["503"]);
    }

    #[test]
    fn keptn_answering_slowly() {
        let s = RawServer::always(slow_accept(Duration::from_secs(30)));
        let r = send(&api_url(&s), &[]);
        assert_external_error(&r, &["Keptn API"]);
        assert!(r.elapsed < Duration::from_secs(20), "{r:#?}");
        // Slow polls: --timeout bounds the whole wait.
        let s = RawServer::start(|m, _| {
            if m == "POST" {
                accepted()
            } else {
                slow_accept(Duration::from_secs(30))
            }
        });
        let r = send(
            &api_url(&s),
            &[
                "--wait",
                "--poll-interval",
                "100ms",
                "--timeout",
                "3s",
                "--request-timeout",
                "20s",
            ],
        );
        assert_eq!(r.code, Some(3), "{r:#?}");
        assert!(
            r.elapsed < Duration::from_secs(15),
            "--timeout not honoured: {r:#?}"
        );
    }

    #[test]
    fn keptn_unexpected_body() {
        for body in [
            "<html>proxy login</html>".to_owned(),
            "{}".to_owned(),
            "{\"keptnContext\": 42}".to_owned(),
            "[]".to_owned(),
            String::new(),
        ] {
            let s = RawServer::always(Act::Reply(200, "application/json", body.clone()));
            let r = send(&api_url(&s), &[]);
            assert_external_error(&r, &["Keptn API"]);
        }
        // Polls that answer garbage: an error, or at worst the --timeout; never a verdict.
        let s = RawServer::start(|m, _| {
            if m == "POST" {
                accepted()
            } else {
                Act::Reply(200, "text/html", "<html>proxy login</html>".into())
            }
        });
        let r = send(
            &api_url(&s),
            &["--wait", "--poll-interval", "100ms", "--timeout", "5s"],
        );
        assert_external_error(&r, &[]);
    }
}

// ---- secrets -------------------------------------------------------------------------------

mod secret {
    use super::*;

    fn no_marker(r: &Run) {
        assert!(!r.stdout.contains(MARKER), "marker on stdout: {r:#?}");
        assert!(!r.stderr.contains(MARKER), "marker on stderr: {r:#?}");
        assert!(!r.stderr.contains("KEPTNSENDHARDENING"), "{r:#?}");
    }

    #[test]
    fn token_never_shown_on_any_error_path() {
        let refused = test_support::net::refused_addr();
        let s401 = RawServer::always(Act::Reply(
            401,
            "application/json",
            "{\"code\":401,\"message\":\"Invalid API key\"}".into(),
        ));
        let s500 = RawServer::always(keptn_error(500));
        let reset = RawServer::always(Act::Cut(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 300\r\n\r\n{\"keptnCon"));
        let urls = [
            format!("http://{refused}/api"),
            api_url(&s401),
            api_url(&s500),
            api_url(&reset),
            "ht!tp://bad url".to_owned(),
            "http://keptn.example.invalid/api".to_owned(),
            format!("http://user:{MARKER}@127.0.0.1:{}/api", refused.port()),
        ];
        let dir = tempfile::tempdir().unwrap();
        let tf = write(dir.path(), "token", format!("{MARKER}\n"));
        for url in &urls {
            for wait in [false, true] {
                for via_file in [false, true] {
                    let mut c = cmd();
                    c.args(["-vvv", "--retries", "0", "--api-url", url])
                        .args(NAMES);
                    if via_file {
                        c.arg("--api-token-file").arg(&tf);
                    } else {
                        c.env("KEPTN_API_TOKEN", MARKER);
                    }
                    if wait {
                        c.args([
                            "--wait",
                            "--timeout",
                            "2s",
                            "--poll-interval",
                            "100ms",
                            "--format",
                            "json",
                        ]);
                    }
                    let r = run(&mut c);
                    assert!(matches!(r.code, Some(2 | 3)), "{url}: {r:#?}");
                    no_marker(&r);
                }
            }
        }
        assert!(
            s401.requests().iter().any(|q| q.contains(MARKER)),
            "the token reached the API"
        );
        // Token given as a flag, and both flag and file.
        let r = run(cmd()
            .args([
                "-vvv",
                "--api-url",
                "http://keptn.example.invalid/api",
                "--api-token",
                MARKER,
            ])
            .args(NAMES));
        assert_input_error(&r, &["plain http"]);
        no_marker(&r);
        let r = run(cmd()
            .args([
                "-vvv",
                "--api-url",
                &api_url(&s401),
                "--api-token",
                MARKER,
                "--api-token-file",
            ])
            .arg(&tf)
            .args(NAMES));
        assert_input_error(&r, &["not both"]);
        no_marker(&r);

        use clap::Parser;
        let cli = keptn_send::Cli::try_parse_from([
            "keptn-send",
            "--api-url",
            "https://keptn.example.org/api",
            "--api-token",
            MARKER,
            "--project",
            "p",
            "--stage",
            "s",
            "--sequence",
            "q",
        ])
        .unwrap();
        let shown = format!("{cli:?} {cli:#?}");
        assert!(!shown.contains(MARKER), "{shown}");
    }

    #[test]
    fn token_echoed_by_the_server_is_not_repeated() {
        // A proxy or API that echoes the request headers in its error body: the message we
        // print is built from that body, so the token must be scrubbed from it.
        let s = RawServer::always(Act::Reply(
            400,
            "application/json",
            format!("{{\"code\":400,\"message\":\"bad request, headers: x-token: {MARKER}\"}}"),
        ));
        let r = send(&api_url(&s), &["--retries", "0"]);
        assert_eq!(r.code, Some(3), "{r:#?}");
        no_marker(&r);
    }
}

// ---- the gate never opens by mistake -------------------------------------------------------

mod gate_closed {
    use super::*;

    #[test]
    fn sequence_finished_without_our_evaluation() {
        // The control plane reports a finished sequence but no evaluation.finished event
        // exists for our context: no verdict, exit 3 (never a pass).
        let s = RawServer::start(|m, path| {
            if m == "POST" {
                accepted()
            } else if path.contains("/controlPlane/") {
                Act::Reply(
                    200,
                    "application/json",
                    format!(
                        "{{\"states\":[{{\"name\":\"demosequence\",\"project\":\"trivyintegration\",\"shkeptncontext\":\"{CONTEXT}\",\"state\":\"finished\",\"stages\":[]}}],\"totalCount\":1}}"
                    ),
                )
            } else {
                Act::Reply(
                    200,
                    "application/json",
                    "{\"events\":[],\"totalCount\":0}".into(),
                )
            }
        });
        let r = send(
            &api_url(&s),
            &["--wait", "--poll-interval", "100ms", "--timeout", "10s"],
        );
        assert_external_error(&r, &[]);
        assert!(!r.stdout.contains("pass"), "{r:#?}");
    }
}

/// `keptn-send --wait` against the strict fake on an API that ignores the `keptnContext` filter
/// and already holds another run that finished with `foreign`.
fn follow_on_unfiltered_api(own: Scenario, foreign: FakeEvaluation, timeout: &str) -> Run {
    let fake = FakeKeptn::start(
        FakeKeptnConfig::seed(MARKER)
            .with_scenario(own)
            .ignoring_context_filter(foreign),
    );
    let mut c = cmd();
    c.env("KEPTN_API_URL", fake.api_url())
        .env("KEPTN_API_TOKEN", MARKER)
        .args(NAMES)
        .args(["--wait", "--poll-interval", "100ms", "--timeout", timeout]);
    let r = run(&mut c);
    // The fake really served the other run's state and verdict to this client.
    let served_foreign = fake
        .requests()
        .iter()
        .any(|q| q.path.ends_with("/mongodb-datastore/event") || q.path.contains("/controlPlane/"));
    assert!(served_foreign, "{r:#?}");
    assert!(!fake.stored_events(FOREIGN_CONTEXT).is_empty());
    r
}

mod own_context_only {
    use super::*;

    #[test]
    fn another_runs_verdict_never_ends_an_unfinished_run() {
        // Ours never finishes; the other run failed (and passed, below): exit 3 at the
        // timeout, and no verdict printed.
        for foreign in [FakeEvaluation::fail(), FakeEvaluation::pass()] {
            let r = follow_on_unfiltered_api(Scenario::NeverFinishes, foreign, "2s");
            assert_external_error(&r, &["did not finish within 2s", "other keptnContexts"]);
            assert!(!r.stdout.contains("result:"), "{r:#?}");
            assert!(!r.stdout.contains(FOREIGN_CONTEXT), "{r:#?}");
        }
    }

    #[test]
    fn our_verdict_is_read_even_when_a_newer_foreign_one_is_served() {
        // The other run's evaluation.finished is dated later than ours and served first.
        let r = follow_on_unfiltered_api(
            Scenario::Evaluation(FakeEvaluation::pass()),
            FakeEvaluation::fail(),
            "20s",
        );
        assert_eq!(r.code, Some(0), "{r:#?}");
        assert!(r.stdout.contains("result: pass (score 100"), "{r:#?}");
        let r = follow_on_unfiltered_api(
            Scenario::Evaluation(FakeEvaluation::fail()),
            FakeEvaluation::pass(),
            "20s",
        );
        assert_eq!(r.code, Some(1), "{r:#?}");
        assert!(r.stdout.contains("result: fail (score 0"), "{r:#?}");
    }

    #[test]
    fn another_runs_abort_message_is_not_ours() {
        // Ours is aborted; the other run's finished events carry other messages that must not
        // be quoted as the reason.
        let r = follow_on_unfiltered_api(Scenario::Aborted, FakeEvaluation::fail(), "20s");
        assert_external_error(&r, &["was aborted (sequence aborted)"]);
    }
}

// ---- properties ----------------------------------------------------------------------------

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
    fn cloudevent_deserialization_never_panics() {
        let atoms = [
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            " ",
            "\"specversion\"",
            "\"1.0\"",
            "\"id\"",
            "\"x\"",
            "\"source\"",
            "\"type\"",
            "\"sh.keptn.event.main.demo.triggered\"",
            "\"data\"",
            "\"shkeptncontext\"",
            "\"time\"",
            "\"2026-11-22T07:00:00Z\"",
            "\"project\"",
            "null",
            "1e999",
            "-1",
            "true",
            "\"triggeredid\"",
            "\"labels\"",
            "\"\\u0000\"",
            "\"é\"",
        ];
        let mut rng = Rng(0x1234_5678);
        for _ in 0..8000 {
            let n = rng.below(30);
            let s: String = (0..n).map(|_| rng.pick(&atoms)).collect();
            if let Ok(ev) = serde_json::from_str::<keptn_events::CloudEvent<serde_json::Value>>(&s)
            {
                // Whatever deserialises serialises again, and its type either parses or errs.
                let back = serde_json::to_string(&ev).expect("serialises");
                let _ = ev.event_type();
                let again: keptn_events::CloudEvent<serde_json::Value> =
                    serde_json::from_str(&back).expect("round trip");
                assert_eq!(serde_json::to_string(&again).unwrap(), back);
            }
        }
    }

    #[test]
    fn set_and_label_never_panic() {
        let atoms = [
            "a", ".", "=", "b", "\"", "1", "true", "null", "-", "é", " ", "labels", "",
        ];
        let mut rng = Rng(5);
        for _ in 0..8000 {
            let mut data = serde_json::Map::new();
            for _ in 0..rng.below(4) {
                let n = rng.below(8);
                let s: String = (0..n).map(|_| rng.pick(&atoms)).collect();
                if rng.below(2) == 0 {
                    let _ = keptn_send::apply_set(&mut data, &s);
                } else {
                    let _ = keptn_send::apply_label(&mut data, &s);
                }
            }
            let _ = keptn_send::typed_value(
                &(0..rng.below(6))
                    .map(|_| rng.pick(&atoms))
                    .collect::<String>(),
            );
        }
    }
}

//! Secrets through the `keptn-send` binary (issue 12, item 4): a Keptn API on 127.0.0.1 that
//! echoes every credential it receives in its body and headers; the token given as flag, env
//! var, file, with a leading `-`, and in the API URL's userinfo, at `-vvv`. The marker must
//! appear nowhere in stdout or stderr.

use std::time::Duration;

use assert_cmd::Command;
use test_support::cli::{Run, write};
use test_support::echo::EchoServer;

/// In every secret below; must never be printed.
const MARK: &str = "SEKRIT9q7";
const TOKEN: &str = "kt.TOKEN-SEKRIT9q7";

fn keptn_send() -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin!("keptn-send"));
    for var in test_support::cli::CALLER_ENV {
        c.env_remove(var);
    }
    c.timeout(Duration::from_secs(120));
    c.args([
        "-vvv",
        "--retries",
        "0",
        "--project",
        "p",
        "--stage",
        "main",
    ])
    .args(["--service", "s", "--sequence", "delivery"]);
    c
}

fn run(c: &mut Command) -> Run {
    Run::capture(|| c.output())
}

fn assert_redacted(r: &Run, server: &EchoServer) {
    assert!(!r.stdout.contains(MARK), "marker on stdout: {r:#?}");
    assert!(!r.stderr.contains(MARK), "marker on stderr: {r:#?}");
    assert!(server.hits() > 0, "the server was never asked: {r:#?}");
    assert!(
        r.stderr.contains("[REDACTED]"),
        "the echo did not reach the output: {r:#?}"
    );
}

#[test]
fn token_as_flag_env_file_and_leading_dash_echoed_in_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "token", format!("  {TOKEN}  \nsecond\n"));
    let echo = EchoServer::start(
        400,
        "application/json",
        r#"{"code":400,"message":"{ECHO}"}"#,
    );
    let api = format!("{}/api", echo.url());
    let dash = format!("-{TOKEN}");
    let base = || {
        let mut c = keptn_send();
        c.args(["--api-url", &api]);
        c
    };
    for r in [
        run(base().args(["--api-token", TOKEN])),
        run(base().env("KEPTN_API_TOKEN", TOKEN)),
        run(base().arg("--api-token-file").arg(&file)),
        run(base().args(["--api-token", &dash])),
    ] {
        assert_eq!(r.code, Some(3), "{r:#?}");
        assert_redacted(&r, &echo);
    }
}

#[test]
fn an_answer_without_a_context_that_echoes_the_token() {
    let echo = EchoServer::start(200, "application/json", r#"{"echo":"{ECHO}"}"#);
    let r = run(keptn_send()
        .args(["--api-url", &format!("{}/api", echo.url())])
        .env("KEPTN_API_TOKEN", TOKEN));
    assert_eq!(r.code, Some(3), "{r:#?}");
    assert!(r.stderr.contains("no keptnContext"), "{r:#?}");
    assert_redacted(&r, &echo);
}

#[test]
fn api_url_userinfo() {
    let echo = EchoServer::start(
        400,
        "application/json",
        r#"{"code":400,"message":"{ECHO}"}"#,
    );
    let url = format!("{}/api", echo.url_with_userinfo("gw", "gw-SEKRIT9q7"));
    let r = run(keptn_send()
        .args(["--api-url", &url])
        .env("KEPTN_API_TOKEN", TOKEN));
    assert_eq!(r.code, Some(3), "{r:#?}");
    assert_redacted(&r, &echo);
    let basic = EchoServer::basic_credentials("gw", "gw-SEKRIT9q7");
    assert!(
        !r.stdout.contains(&basic) && !r.stderr.contains(&basic),
        "{r:#?}"
    );
}

#[test]
fn userinfo_over_plain_http_to_another_host_is_refused_before_connecting() {
    // 192.0.2.1 is TEST-NET-1: nothing answers there; exit 2 means no connection was tried
    // (a failed connection is exit 3).
    let r = run(keptn_send()
        .args(["--api-url", "http://gw:gw-SEKRIT9q7@192.0.2.1/api"])
        .env("KEPTN_API_TOKEN", TOKEN));
    assert_eq!(r.code, Some(2), "{r:#?}");
    assert!(r.stderr.contains("--allow-insecure-http"), "{r:#?}");
    assert!(
        !r.stderr.contains(MARK) && !r.stdout.contains(MARK),
        "{r:#?}"
    );
}

#[test]
fn clap_errors_never_echo_the_token() {
    // A token given twice and a misspelt flag after a token: clap's messages name flags only.
    for args in [
        vec!["--api-token", TOKEN, "--api-token", TOKEN],
        vec!["--api-token", TOKEN, "--no-such-flag", "x"],
        vec!["--api-token", TOKEN, "--retries", "many"],
    ] {
        let r = run(keptn_send().args(&args));
        assert_eq!(r.code, Some(2), "{args:?}: {r:#?}");
        assert!(
            !r.stderr.contains(MARK) && !r.stdout.contains(MARK),
            "{r:#?}"
        );
    }
}

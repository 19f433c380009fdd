//! Polling and retries are bounded from below and above (issue 12 item 3), through the binary:
//! absurd intervals and counts are refused with exit 2 naming the flag and its range, and the
//! requests a run sends are counted against the documented ceiling (10 per second per loop).
#![allow(clippy::print_stderr)]

use std::time::Duration;

use assert_cmd::Command;
use test_support::cli::{Run, assert_error};
use test_support::keptn::{FakeKeptn, FakeKeptnConfig, Scenario};
use test_support::raw_http::{Act, RawServer};

const TOKEN: &str = "kt-MARKER-bounded-polling-5c1e";
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

fn cmd() -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin!("keptn-send"));
    for var in test_support::cli::CALLER_ENV {
        c.env_remove(var);
    }
    c.timeout(Duration::from_secs(60));
    c.env("KEPTN_API_TOKEN", TOKEN).args(NAMES);
    c
}

#[test]
fn zero_tiny_and_huge_values_are_refused_naming_the_flag_and_range() {
    let cases: &[(&str, &str, &str)] = &[
        ("--poll-interval", "0s", "100ms to 1h"),
        ("--poll-interval", "0", "100ms to 1h"),
        ("--poll-interval", "99ms", "100ms to 1h"),
        ("--poll-interval", "2h", "100ms to 1h"),
        ("--timeout", "0s", "1s to 7d"),
        ("--timeout", "999ms", "1s to 7d"),
        ("--timeout", "30d", "1s to 7d"),
        ("--request-timeout", "0ms", "100ms to 1h"),
        ("--request-timeout", "1000000000", "100ms to 1h"),
        ("--retries", "11", "0..=10"),
        ("--retries", "4294967295", "0..=10"),
    ];
    // Refused before anything is sent: the URL points at an address nobody answers.
    let refused = test_support::net::refused_addr();
    for (flag, value, range) in cases {
        let r = Run::capture(|| {
            cmd()
                .args(["--api-url", &format!("http://{refused}/api"), "--wait"])
                .arg(format!("{flag}={value}"))
                .output()
        });
        // clap's own one-line error: exit 2, naming the flag and the accepted range.
        assert_eq!(r.code, Some(2), "{flag}={value}: {r:#?}");
        assert!(r.stderr.starts_with("error: invalid value"), "{r:#?}");
        assert!(
            r.stderr.contains(flag) && r.stderr.contains(range),
            "{r:#?}"
        );
        assert!(!r.stderr.contains(TOKEN) && r.stdout.is_empty(), "{r:#?}");
    }
}

#[test]
fn the_smallest_interval_is_accepted_and_polls_at_most_ten_times_a_second() {
    let fake =
        FakeKeptn::start(FakeKeptnConfig::seed(TOKEN).with_scenario(Scenario::NeverFinishes));
    let r = Run::capture(|| {
        cmd()
            .args(["--api-url", fake.api_url()])
            .args(["--wait", "--poll-interval", "100ms", "--timeout", "2s"])
            .output()
    });
    assert_error(&r, "keptn-send", 3, &["did not finish within 2s"]);
    let polls = fake
        .requests()
        .iter()
        .filter(|q| q.path.contains("/controlPlane/"))
        .count();
    // 2s at one poll per 100ms at most, plus the first poll; and it did poll repeatedly.
    assert!((3..=21).contains(&polls), "{polls} polls: {r:#?}");
}

#[test]
fn a_throttling_api_gets_exactly_retries_plus_one_requests() {
    // Every answer 429: the retry loop stops after --retries (the 100ms floor under a zero
    // delay or `Retry-After: 0` is counted in http-policy's own tests).
    let s = RawServer::start(|_, _| {
        Act::Reply(
            429,
            "application/json",
            "{\"code\":429,\"message\":\"too many requests\"}".into(),
        )
    });
    let r = Run::capture(|| {
        cmd()
            .args(["--api-url", &format!("{}/api", s.url()), "--retries", "2"])
            .output()
    });
    assert_error(&r, "keptn-send", 3, &["429", "3 attempts"]);
    assert_eq!(s.hits(), 3, "{r:#?}");
}

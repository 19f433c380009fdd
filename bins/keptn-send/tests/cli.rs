//! End-to-end tests of the keptn-send binary against the stateful fake Keptn API.

use std::time::Duration;

use assert_cmd::Command;
use serde_json::{Value, json};
use test_support::keptn::{FakeEvaluation, FakeKeptn, FakeKeptnConfig, Scenario};

const TOKEN: &str = "kt-SECRET-7f3a9c";

fn cmd() -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin!("keptn-send"));
    for var in test_support::cli::CALLER_ENV {
        c.env_remove(var);
    }
    c.timeout(Duration::from_secs(60));
    c
}

const SEED_FLAGS: &[&str] = &[
    "--project",
    "trivyintegration",
    "--stage",
    "main",
    "--service",
    "trivyservice",
    "--sequence",
    "demosequence",
    "--label",
    "runBy=agardner.net",
    "--set",
    "scan.level=CRITICAL",
    "--set",
    "scan.image=mysql",
    "--set",
    "scan.tag=8.0.26",
    "--set",
    "evaluation.timeframe=5m",
];

/// The seed's flags with single-valued flags replaced (repeatable ones are appended).
fn seed_with(extra: &[String]) -> Vec<String> {
    let mut args: Vec<String> = SEED_FLAGS.iter().map(|s| (*s).to_owned()).collect();
    for pair in extra.chunks(2) {
        let single =
            ["--project", "--stage", "--service", "--sequence"].contains(&pair[0].as_str());
        match args.iter().position(|a| *a == pair[0]) {
            Some(i) if single && pair.len() == 2 => args[i + 1] = pair[1].clone(),
            _ => args.extend(pair.iter().cloned()),
        }
    }
    args
}

/// A command against the fake, following the sequence with fast polls.
fn follow(fake: &FakeKeptn, timeout: &str) -> Command {
    let mut c = cmd();
    c.env("KEPTN_API_URL", fake.api_url())
        .env("KEPTN_API_TOKEN", TOKEN)
        .args(SEED_FLAGS)
        .args(["--wait", "--poll-interval", "100ms", "--timeout", timeout]);
    c
}

fn against(fake: &FakeKeptn) -> Command {
    follow(fake, "30s")
}

fn output(c: &mut Command) -> (i32, String, String) {
    let out = c.output().unwrap();
    (
        out.status.code().expect("exited normally, not by a signal"),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn assert_no_token(fake: &FakeKeptn, texts: &[&str]) {
    for t in texts {
        assert!(!t.contains(TOKEN), "token leaked: {t}");
    }
    assert!(fake.requests().iter().all(|r| r.had_token));
}

#[test]
fn dry_run_reproduces_the_seed_payload() {
    let seed: Value = serde_json::from_str(include_str!("fixtures/seed_payload.json")).unwrap();
    let (code, stdout, stderr) = output(cmd().args(SEED_FLAGS).args([
        "--set",
        "scan.metrics_endpoint=https://$DT_TENANT",
        "--set",
        "scan.metrics_token=$DT_API_TOKEN",
        "--source",
        "POSTMAN",
        "--dry-run",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let mut ev: Value = serde_json::from_str(&stdout).unwrap();
    // Added by keptn-send because CloudEvents 1.0 defines them (the seed relied on the API
    // to fill id and time): checked for form, then removed for the comparison.
    let id = ev.as_object_mut().unwrap().remove("id").unwrap();
    let id = uuid_v4(id.as_str().unwrap());
    assert!(id, "id is a UUID v4");
    let time = ev.as_object_mut().unwrap().remove("time").unwrap();
    let time = time.as_str().unwrap();
    assert!(time.ends_with('Z'), "UTC: {time}");
    let time: jiff::Timestamp = time.parse().unwrap();
    assert!(time <= jiff::Timestamp::now());
    assert_eq!(
        ev.as_object_mut()
            .unwrap()
            .remove("datacontenttype")
            .unwrap(),
        "application/json"
    );
    assert_eq!(ev, seed);
}

fn uuid_v4(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok_and(|u| u.get_version_num() == 4)
}

#[test]
fn default_source_is_keptn_send_and_the_token_is_not_needed_for_dry_run() {
    let (code, stdout, _) = output(cmd().args(SEED_FLAGS).arg("--dry-run"));
    assert_eq!(code, 0);
    let ev: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(ev["source"], "keptn-send");
    assert_eq!(ev["type"], "sh.keptn.event.main.demosequence.triggered");
    assert_eq!(ev["shkeptnspecversion"], "0.2.3");
}

#[test]
fn pass_prints_the_verdict_and_exits_0() {
    let fake = FakeKeptn::start(FakeKeptnConfig::seed(TOKEN));
    let (code, stdout, stderr) = output(against(&fake).arg("-vvv"));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.starts_with("keptnContext: "), "{stdout}");
    assert!(
        stdout.contains("result: pass (score 100, status succeeded)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Critical CVEs (trivy_vulns): 3 -> pass"),
        "{stdout}"
    );
    assert!(stdout.contains("pass: <10 (target 10, met)"), "{stdout}");
    assert!(stdout.contains("warning: <20 (target 20, met)"), "{stdout}");
    assert_no_token(&fake, &[&stdout, &stderr]);
    // What Keptn received is the seed's event (plus the CloudEvents members keptn-send adds).
    let received = fake.received();
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0]["data"],
        json!({"project": "trivyintegration", "stage": "main", "service": "trivyservice",
               "labels": {"runBy": "agardner.net"},
               "scan": {"level": "CRITICAL", "image": "mysql", "tag": "8.0.26"},
               "evaluation": {"timeframe": "5m"}})
    );
    let ctx = stdout
        .lines()
        .next()
        .unwrap()
        .trim_start_matches("keptnContext: ");
    assert!(fake.stored_events(ctx).len() >= 8);
}

#[test]
fn warning_passes_with_exit_0() {
    let fake = FakeKeptn::start(
        FakeKeptnConfig::seed(TOKEN).with_scenario(Scenario::Evaluation(FakeEvaluation::warning())),
    );
    let (code, stdout, stderr) = output(&mut against(&fake));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("result: warning (score 50"), "{stdout}");
    assert!(stdout.contains("12 -> warning"), "{stdout}");
    assert!(
        stdout.contains("pass: <10 (target 10, violated)"),
        "{stdout}"
    );
}

#[test]
fn fail_exits_1() {
    let fake = FakeKeptn::start(
        FakeKeptnConfig::seed(TOKEN).with_scenario(Scenario::Evaluation(FakeEvaluation::fail())),
    );
    let (code, stdout, stderr) = output(&mut against(&fake));
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(stdout.contains("result: fail (score 0"), "{stdout}");
    assert!(stdout.contains("25 -> fail"), "{stdout}");
}

#[test]
fn json_format_prints_the_evaluation_data() {
    let fake = FakeKeptn::start(
        FakeKeptnConfig::seed(TOKEN).with_scenario(Scenario::Evaluation(FakeEvaluation::fail())),
    );
    let (code, stdout, stderr) = output(against(&fake).args(["--format", "json"]));
    assert_eq!(code, 1, "{stderr}");
    let data: Value = serde_json::from_str(&stdout).expect("stdout is exactly one JSON document");
    let ctx = fake.received()[0].clone();
    assert!(ctx.get("shkeptncontext").is_none());
    let stored = fake
        .requests()
        .iter()
        .find_map(|r| r.query.get("keptnContext").cloned())
        .unwrap();
    let eval = fake
        .stored_events(&stored)
        .into_iter()
        .find(|e| e["type"] == "sh.keptn.event.evaluation.finished")
        .unwrap();
    assert_eq!(data, eval["data"]);
    assert_eq!(
        data["evaluation"]["indicatorResults"][0]["value"]["value"],
        25.0
    );
}

#[test]
fn throttled_polls_are_retried() {
    let fake = FakeKeptn::start(FakeKeptnConfig::seed(TOKEN).with_throttle(3));
    let (code, stdout, stderr) = output(&mut against(&fake));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(fake.throttled() >= 1, "the fake threw 429s");
    assert!(stdout.contains("result: pass"), "{stdout}");
}

#[test]
fn aborted_sequence_exits_3() {
    let fake = FakeKeptn::start(FakeKeptnConfig::seed(TOKEN).with_scenario(Scenario::Aborted));
    let (code, stdout, stderr) = output(&mut against(&fake));
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("the sequence demosequence was aborted (sequence aborted)"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
}

#[test]
fn finished_without_evaluation_names_the_failed_task() {
    let fake = FakeKeptn::start(
        FakeKeptnConfig::seed(TOKEN).with_scenario(Scenario::ScanFailed {
            message: "Job job-executor-service-job-1 failed: image pull error\nlogs: none".into(),
        }),
    );
    let (code, stdout, stderr) = output(&mut against(&fake));
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    assert!(stderr.contains("finished without an evaluation: task `securityscan` failed (status succeeded, result fail): Job job-executor-service-job-1 failed: image pull error logs: none"), "{stderr}");
}

#[test]
fn keptn_timed_out_sequence_exits_3() {
    let fake = FakeKeptn::start(FakeKeptnConfig::seed(TOKEN).with_scenario(Scenario::TimedOut));
    let (code, _, stderr) = output(&mut against(&fake));
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains(
            "Keptn timed the sequence demosequence out: no service started task `securityscan`"
        ),
        "{stderr}"
    );
}

#[test]
fn client_timeout_exits_3() {
    let fake =
        FakeKeptn::start(FakeKeptnConfig::seed(TOKEN).with_scenario(Scenario::NeverFinishes));
    let started = std::time::Instant::now();
    let (code, _, stderr) = output(&mut follow(&fake, "1s"));
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("did not finish within 1s (last state: started)"),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn bad_token_exits_3_without_retry_or_leak() {
    let fake = FakeKeptn::start(FakeKeptnConfig::seed("the-right-token"));
    let (code, stdout, stderr) = output(&mut against(&fake));
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("the Keptn API rejected the token (401)"),
        "{stderr}"
    );
    assert_no_token(&fake, &[&stdout, &stderr]);
    let posts = fake
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v1/event")
        .count();
    assert_eq!(posts, 1, "a 401 is not retried");
    assert!(fake.received().is_empty());
}

#[test]
fn token_from_a_file() {
    let fake = FakeKeptn::start(FakeKeptnConfig::seed(TOKEN));
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("token");
    std::fs::write(&f, format!("{TOKEN}\n")).unwrap();
    let mut c = cmd();
    c.env("KEPTN_API_URL", fake.api_url())
        .args(SEED_FLAGS)
        .arg("--api-token-file")
        .arg(&f);
    let (code, stdout, stderr) = output(&mut c);
    assert_eq!(code, 0, "{stderr}");
    // Without --wait: the bare keptnContext.
    let ctx = stdout.trim();
    assert!(uuid_v4(ctx), "{stdout}");
    assert_eq!(fake.received().len(), 1);
}

#[test]
fn unreachable_api_exits_3() {
    let addr = test_support::net::refused_addr();
    let (code, stdout, stderr) = output(
        cmd()
            .env("KEPTN_API_TOKEN", TOKEN)
            .args(["--api-url", &format!("http://{addr}/api"), "--retries", "1"])
            .args(SEED_FLAGS),
    );
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("the Keptn API is not available"),
        "{stderr}"
    );
    assert!(stderr.contains("could not connect"), "{stderr}");
    assert!(!stderr.contains(TOKEN));
}

#[test]
fn input_errors_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let not_object = dir.path().join("array.json");
    std::fs::write(&not_object, "[1]").unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--project".into(), "Trivy_Integration".into()],
            "invalid project name `Trivy_Integration`",
        ),
        (
            vec!["--stage".into(), "Main".into()],
            "invalid stage name `Main`",
        ),
        (
            vec!["--service".into(), "a/b".into()],
            "invalid service name `a/b`",
        ),
        (
            vec!["--set".into(), "novalue".into()],
            "--set `novalue` must have the form",
        ),
        (
            vec!["--set".into(), "scan.level.x=1".into()],
            "`scan.level` already holds a string",
        ),
        (vec!["--label".into(), "nokey".into()], "--label `nokey`"),
        (
            vec!["--data".into(), "/nonexistent/data.json".into()],
            "cannot read --data file /nonexistent/data.json",
        ),
        (
            vec!["--data".into(), not_object.display().to_string()],
            "must hold a JSON object",
        ),
        (vec!["--set".into(), "stage=other".into()], "do not match"),
        (
            vec!["--source".into(), "has space".into()],
            "not a URI reference",
        ),
    ];
    for (extra, want) in cases {
        let (code, stdout, stderr) = output(cmd().args(seed_with(&extra)).arg("--dry-run"));
        assert_eq!(code, 2, "{extra:?}: {stderr}");
        assert!(stderr.contains(want), "{extra:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{extra:?}: {stderr}");
        assert!(stdout.is_empty());
    }
}

#[test]
fn setup_errors_exit_2_before_any_network() {
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![], "the Keptn API URL is missing"),
        (
            vec!["--api-url", "http://127.0.0.1:9/api"],
            "the Keptn API token is missing",
        ),
        (
            vec![
                "--api-url",
                "http://keptn.example.org/api",
                "--api-token",
                TOKEN,
            ],
            "refusing to send a token over plain http",
        ),
        (
            vec![
                "--api-url",
                "https://keptn.example.org/api",
                "--api-token",
                TOKEN,
                "--type",
                "sh.keptn.event.securityscan.started",
                "--wait",
                "--triggered-id",
                "x",
            ],
            "--wait follows a sequence",
        ),
    ];
    for (extra, want) in cases {
        let mut c = cmd();
        if extra.contains(&"--type") {
            c.args([
                "--project",
                "trivyintegration",
                "--stage",
                "main",
                "--service",
                "trivyservice",
            ]);
        } else {
            c.args(SEED_FLAGS);
        }
        let (code, _, stderr) = output(c.args(&extra));
        assert_eq!(code, 2, "{extra:?}: {stderr}");
        assert!(stderr.contains(want), "{extra:?}: {stderr}");
        assert!(!stderr.contains(TOKEN));
    }
    // clap: neither --sequence nor --type, and a bad type.
    let (code, _, _) = output(cmd().args(["--project", "p", "--dry-run"]));
    assert_eq!(code, 2);
    let (code, _, stderr) =
        output(cmd().args(["--type", "sh.keptn.event.a.b.c.triggered", "--dry-run"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("is not a Keptn event type"), "{stderr}");
}

#[test]
fn type_flag_sends_task_events_like_invalidation() {
    let (code, stdout, stderr) = output(cmd().args([
        "--type",
        "sh.keptn.event.evaluation.invalidated",
        "--project",
        "trivyintegration",
        "--stage",
        "main",
        "--service",
        "trivyservice",
        "--keptn-context",
        "7d1c3f5e-2b8e-4a4f-9d3e-5c6b7a8d9e01",
        "--triggered-id",
        "3e2d1c0b-9a8f-4e7d-6c5b-4a3f2e1d0c9b",
        "--dry-run",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let ev: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(ev["triggeredid"], "3e2d1c0b-9a8f-4e7d-6c5b-4a3f2e1d0c9b");
    assert_eq!(ev["shkeptncontext"], "7d1c3f5e-2b8e-4a4f-9d3e-5c6b7a8d9e01");
    let (code, _, stderr) = output(cmd().args([
        "--type",
        "sh.keptn.event.evaluation.invalidated",
        "--project",
        "trivyintegration",
        "--stage",
        "main",
        "--service",
        "trivyservice",
        "--dry-run",
    ]));
    assert_eq!(code, 2);
    assert!(stderr.contains("need a triggeredid"), "{stderr}");
}

#[test]
fn help_never_shows_the_token_from_the_environment() {
    let (code, stdout, _) = output(cmd().env("KEPTN_API_TOKEN", TOKEN).arg("--help"));
    assert_eq!(code, 0);
    assert!(stdout.contains("--api-token-file"), "{stdout}");
    assert!(stdout.contains("KEPTN_API_TOKEN"), "{stdout}");
    assert!(!stdout.contains(TOKEN), "{stdout}");
}

#[test]
fn an_errored_evaluation_is_an_infrastructure_failure() {
    // lighthouse's answer to a bad total_score: status errored, result fail (spec §5.3).
    let mut eval = FakeEvaluation::fail();
    eval.status = "errored".into();
    eval.message = "no target score defined".into();
    eval.indicator_results = Value::Null;
    let fake =
        FakeKeptn::start(FakeKeptnConfig::seed(TOKEN).with_scenario(Scenario::Evaluation(eval)));
    let (code, stdout, stderr) = output(&mut against(&fake));
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("result: fail (score 0, status errored)"),
        "{stdout}"
    );
    assert!(stdout.contains("indicators: none"), "{stdout}");
    assert!(
        stderr
            .contains("the evaluation did not complete (status errored): no target score defined"),
        "{stderr}"
    );
}

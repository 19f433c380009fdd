//! The seed's container, for real: the image `scripts/build-image.sh` built (`VULNGATE_IMAGE`,
//! default `vulngate:dev`) run by the real Docker engine. No registry is reachable here, so
//! images come from a local `docker-registry` on the host (reached with `--network host`) or
//! from the engine itself (`docker load`), and trivy's DB is the offline fixture DB in a volume.
//!
//! A test that needs the engine and does not find it fails, saying so.
//!
//! The last part plays the seed's whole Keptn flow: `keptn-send` (from the image) sends
//! `sh.keptn.event.main.demosequence.triggered` to the Keptn fake, a job-executor stand-in
//! reads the seed's job config and runs the image with the env the event gives, and a
//! lighthouse stand-in runs `slo-gate` (from the image) on the seed's slo.yaml and sli.yaml
//! against the fake Dynatrace the scan pushed to.

use std::ffi::{OsStr, OsString};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};
use test_support::cli::Run;
use test_support::docker::{
    CACHE_DIR, ContainerName, SOCKET, Volume, docker, docker_ok, image_under_test,
    load_fixture_image, run_with_env, socket_group,
};
use test_support::dynatrace::{FakeDynatrace, TOKEN};
use test_support::fixtures::fixture;
use test_support::keptn::{FakeKeptn, FakeKeptnConfig, Scenario};
use test_support::trivy::{FIXTURE_COUNTS, FIXTURE_IMAGE, Registry, TrivyCache, trivy_bin};

/// The seed's first two lines, verbatim from the seed post; the third carries the count.
const SEED_NO_METRICS: &str = "METRICS_ENDPOINT and/or METRICS_API_TOKEN environment variables not set. Tool will still work but metrics will not be pushed to a backend.";
const SEED_CHECKING: &str = "Checking 1 security levels: ['CRITICAL']";

/// The part of Dynatrace's token that must never be printed.
const TOKEN_SECRET: &str = "FAKESECRETPART";

fn os(s: impl AsRef<OsStr>) -> OsString {
    s.as_ref().to_owned()
}

/// `docker run --rm` as the seed's users run it, hardened the way docs/deployment.md says:
/// a read-only root file system, a tmpfs for trivy's temp files, the cache in `volume`.
fn run_args(volume: &Volume) -> Vec<OsString> {
    [
        "run",
        "--rm",
        "--read-only",
        "--tmpfs",
        "/tmp",
        "-v",
        &volume.mount(CACHE_DIR),
    ]
    .map(os)
    .to_vec()
}

/// Offline use of the DB in the cache volume, through trivy's own variables (the seed's
/// interface has no flags).
const OFFLINE_ENV: [&str; 4] = [
    "-e",
    "TRIVY_SKIP_DB_UPDATE=true",
    "-e",
    "TRIVY_OFFLINE_SCAN=true",
];

fn run(args: &[OsString], env: &[(&str, &str)]) -> Run {
    let refs: Vec<&OsStr> = args.iter().map(OsString::as_os_str).collect();
    run_with_env(&refs, env)
}

fn json_of(r: &Run) -> Value {
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON object ({e}): {r:#?}"))
}

fn assert_fixture_counts(v: &Value) {
    let c = &v["counts"];
    let got = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"].map(|s| c[s].as_u64().unwrap());
    assert_eq!(got, FIXTURE_COUNTS, "{v:#}");
    assert_eq!(v["total"], 29, "{v:#}");
}

/// The fixture image in a registry on the host's loopback: (registry, `HOST:PORT/fixture/alpine-vulnerable`).
fn registry_with_fixture() -> (Registry, String) {
    let registry = Registry::start().unwrap_or_else(|e| panic!("{e}"));
    let reference = registry
        .push_fixture_image()
        .unwrap_or_else(|e| panic!("{e}"));
    let repo = reference
        .strip_suffix(":3.14")
        .expect("the fixture tag")
        .to_owned();
    (registry, repo)
}

// ---- the image itself ------------------------------------------------------------------

#[test]
fn the_image_runs_as_a_non_root_user_with_trivy_0_76_and_ca_certificates() {
    let image = image_under_test();
    let user = docker_ok(["image", "inspect", "--format", "{{.Config.User}}", &image]);
    assert_eq!(user.trim(), "10001");
    let id = docker_ok(["run", "--rm", "--read-only", "--entrypoint", "id", &image]);
    assert!(
        id.starts_with("uid=10001(vulngate) gid=10001(vulngate)"),
        "{id}"
    );
    let version = docker_ok([
        "run",
        "--rm",
        "--read-only",
        "--entrypoint",
        "trivy",
        &image,
        "--version",
    ]);
    assert!(version.contains("Version: 0.76.0"), "{version}");
    let certs = docker_ok([
        "run",
        "--rm",
        "--read-only",
        "--entrypoint",
        "cat",
        &image,
        "/etc/ssl/certs/ca-certificates.crt",
    ]);
    assert!(
        certs.matches("BEGIN CERTIFICATE").count() > 50,
        "no CA bundle in the image"
    );
    for bin in ["trivy-scan", "keptn-send", "slo-gate"] {
        let v = docker_ok([
            "run",
            "--rm",
            "--read-only",
            "--entrypoint",
            bin,
            &image,
            "--version",
        ]);
        assert!(v.starts_with(bin), "{bin} --version: {v}");
    }
    // The root file system is read-only indeed: only the cache and /tmp mounts are writable.
    let r = run(
        &[
            "run",
            "--rm",
            "--read-only",
            "--entrypoint",
            "touch",
            &image,
            "/home/vulngate/x",
        ]
        .map(os),
        &[],
    );
    assert_ne!(r.code, Some(0), "{r:#?}");
}

// ---- the seed's interface ----------------------------------------------------------------

#[test]
fn docker_run_with_the_seed_variables_prints_the_seed_lines_exactly() {
    let image = image_under_test();
    let (_registry, repo) = registry_with_fixture();
    let cache = Volume::with_fixture_db(&image);
    let mut args = run_args(&cache);
    args.extend(["--network", "host", "-e", "TRIVY_INSECURE=true"].map(os));
    args.extend(OFFLINE_ENV.map(os));
    // The seed's command: `docker run --rm -e TRIVY_SECURITY=CRITICAL -e IMAGE=… -e TAG=… IMAGE`.
    args.extend(["-e", "TRIVY_SECURITY", "-e", "IMAGE", "-e", "TAG", &image].map(os));
    let r = run(
        &args,
        &[
            ("TRIVY_SECURITY", "CRITICAL"),
            ("IMAGE", &repo),
            ("TAG", "3.14"),
        ],
    );
    assert_eq!(r.code, Some(0), "{r:#?}");
    assert_eq!(
        r.stdout,
        format!("{SEED_NO_METRICS}\n{SEED_CHECKING}\nFinished. Total Vulnerability Count: 6\n"),
        "{r:#?}"
    );
}

#[test]
fn metrics_reach_dynatrace_on_the_host_and_the_token_is_never_printed() {
    let image = image_under_test();
    let (_registry, repo) = registry_with_fixture();
    let dt = FakeDynatrace::start();
    let cache = Volume::with_fixture_db(&image);
    let mut args = run_args(&cache);
    args.extend(["--network", "host", "-e", "TRIVY_INSECURE=true"].map(os));
    args.extend(OFFLINE_ENV.map(os));
    args.extend(
        [
            "-e",
            "TRIVY_SECURITY",
            "-e",
            "IMAGE",
            "-e",
            "TAG",
            "-e",
            "METRICS_ENDPOINT",
            "-e",
            "METRICS_API_TOKEN",
            &image,
        ]
        .map(os),
    );
    let endpoint = dt.url();
    let r = run(
        &args,
        &[
            ("TRIVY_SECURITY", "CRITICAL"),
            ("IMAGE", &repo),
            ("TAG", "3.14"),
            ("METRICS_ENDPOINT", &endpoint),
            ("METRICS_API_TOKEN", TOKEN),
        ],
    );
    assert_eq!(r.code, Some(0), "{r:#?}");
    assert_eq!(
        r.stdout,
        format!("{SEED_CHECKING}\nFinished. Total Vulnerability Count: 6\n"),
        "{r:#?}"
    );
    assert!(
        r.stderr.starts_with("metrics: dynatrace accepted "),
        "{r:#?}"
    );
    let critical: Vec<_> = dt
        .stored()
        .into_iter()
        .filter(|d| d.key == "trivy.vulnerabilities.CRITICAL")
        .collect();
    assert_eq!(critical.len(), 1, "{:?}", dt.lines());
    assert_eq!(critical[0].value, 6.0);
    assert_eq!(critical[0].dimensions["tag"], "3.14");
    assert!(
        !r.stdout.contains(TOKEN_SECRET) && !r.stderr.contains(TOKEN_SECRET),
        "the token leaked: {r:#?}"
    );
}

#[test]
fn exit_codes_pass_through_docker_run() {
    let image = image_under_test();
    let (_registry, repo) = registry_with_fixture();
    let cache = Volume::with_fixture_db(&image);
    let keptn = fixture("keptn-seed");
    let base = |extra: &[&str]| {
        let mut args = run_args(&cache);
        args.extend(["--network", "host", "-e", "TRIVY_INSECURE=true"].map(os));
        args.extend(OFFLINE_ENV.map(os));
        args.extend(["-v".into(), os(format!("{}:/keptn:ro", keptn.display()))]);
        args.extend(["-e", "TRIVY_SECURITY", "-e", "IMAGE", "-e", "TAG", &image].map(os));
        args.extend(extra.iter().map(os));
        args
    };
    let env = |security: &'static str, tag: &'static str| {
        [
            ("TRIVY_SECURITY", security),
            ("IMAGE", repo.as_str()),
            ("TAG", tag),
        ]
    };
    // 0: the seed's gate passes (6 critical < 10).
    let ok = run(
        &base(&["--slo", "/keptn/slo.yaml", "--sli", "/keptn/sli.yaml"]),
        &env("CRITICAL", "3.14"),
    );
    assert_eq!(ok.code, Some(0), "{ok:#?}");
    // 1: the stricter gate fails (6 critical, not < 5).
    let fail = run(
        &base(&[
            "--slo",
            "/keptn/slo-strict.yaml",
            "--sli",
            "/keptn/sli.yaml",
        ]),
        &env("CRITICAL", "3.14"),
    );
    assert_eq!(fail.code, Some(1), "{fail:#?}");
    // 2: a bad severity, refused before trivy runs.
    let usage = run(&base(&[]), &env("CRITICAL,NOPE", "3.14"));
    test_support::cli::assert_error(&usage, "trivy-scan", 2, &["NOPE"]);
    // 3: trivy fails (no such tag in the registry).
    let missing = run(&base(&[]), &env("CRITICAL", "0.0-missing"));
    test_support::cli::assert_error(&missing, "trivy-scan", 3, &["trivy"]);
}

#[test]
fn the_db_cache_volume_works_offline() {
    let image = image_under_test();
    let tar = test_support::trivy::fixture_image_tar();
    let cache = Volume::with_fixture_db(&image);
    let scan = |volume: &Volume| {
        let mut args = run_args(volume);
        args.extend(["--network", "none", "-v"].map(os));
        args.push(os(format!("{}:/in/image.tar:ro", tar.display())));
        args.extend(
            [
                &image,
                FIXTURE_IMAGE,
                "--input",
                "/in/image.tar",
                "--offline",
                "--format",
                "json",
            ]
            .map(os),
        );
        run(&args, &[])
    };
    // No network at all: the DB can only come from the volume. Twice: the volume keeps it.
    for _ in 0..2 {
        let r = scan(&cache);
        assert_eq!(r.code, Some(0), "{r:#?}");
        let v = json_of(&r);
        assert_fixture_counts(&v);
        assert_eq!(v["trivy"]["version"], "0.76.0");
        assert_eq!(
            v["trivy"]["vulnerability_db"]["updated_at"],
            "2024-01-01T00:00:00Z"
        );
    }
    // An empty volume has no DB to use offline: trivy fails, and so does the run.
    let empty = Volume::new();
    let r = scan(&empty);
    test_support::cli::assert_error(&r, "trivy-scan", 3, &["trivy"]);
}

// ---- images from the local Docker engine ---------------------------------------------------

#[test]
fn an_image_loaded_into_the_engine_is_scanned_through_trivys_docker_source() {
    test_support::docker::engine().unwrap_or_else(|e| panic!("{e}"));
    let reference = load_fixture_image();
    let cache = TrivyCache::new();
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin!("trivy-scan"))
        .env_remove("IMAGE")
        .env_remove("TAG")
        .env_remove("TRIVY_SECURITY")
        .env_remove("TRIVY_SEVERITY")
        .env("TRIVY_IMAGE_SRC", "docker") // the engine only: no registry fallback
        .arg("--trivy-bin")
        .arg(trivy_bin().unwrap_or_else(|e| panic!("{e}")))
        .arg("--offline")
        .arg("--cache-dir")
        .arg(cache.path())
        .args(["--format", "json", reference])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_fixture_counts(&v);
    assert_eq!(v["image"], reference);
}

#[test]
fn inside_the_container_with_the_engines_socket_mounted() {
    let image = image_under_test();
    let reference = load_fixture_image();
    let cache = Volume::with_fixture_db(&image);
    let mut args = run_args(&cache);
    // No network: the image can only come from the engine, through its socket. The image's
    // user needs the socket's group (see the security caveat in docs/deployment.md).
    args.extend(["--network", "none", "-v"].map(os));
    args.push(os(format!("{SOCKET}:{SOCKET}")));
    args.push(os("--group-add"));
    args.push(os(socket_group().to_string()));
    args.extend(["-e", "TRIVY_IMAGE_SRC=docker"].map(os));
    args.extend([&image, reference, "--offline", "--format", "json"].map(os));
    let r = run(&args, &[]);
    assert_eq!(r.code, Some(0), "{r:#?}");
    let v = json_of(&r);
    assert_fixture_counts(&v);
    assert_eq!(v["image"], reference);
}

// ---- the seed's Keptn flow, end to end ---------------------------------------------------

/// The image the seed's job config names; the drop-in promise is that only this line changes.
const SEED_IMAGE: &str = "gardnera/trivy:v1.0";

/// The Keptn API token of the fake (not a real secret).
const KEPTN_TOKEN: &str = "keptn-api-token-of-the-fake";

/// The job-executor-service's `config.yaml` (apiVersion v2), the parts the seed uses.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct JobConfig {
    api_version: String,
    actions: Vec<JobAction>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JobAction {
    name: String,
    events: Vec<JobEvent>,
    tasks: Vec<JobTask>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JobEvent {
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JobTask {
    name: String,
    image: String,
    #[serde(default)]
    env: Vec<JobEnv>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct JobEnv {
    name: String,
    value: String,
    value_from: String,
}

/// A JSONPath of the form the seed uses (`$.data.scan.level`) evaluated on the event, and the
/// value as the job-executor puts it into the environment (strings as they are, other scalars
/// as their JSON text).
fn json_path(event: &Value, path: &str) -> Result<String, String> {
    let rest = path
        .strip_prefix("$.")
        .ok_or_else(|| format!("unsupported JSONPath `{path}`"))?;
    let mut at = event;
    for key in rest.split('.') {
        at = at
            .get(key)
            .ok_or_else(|| format!("the event has no value at `{path}`"))?;
    }
    match at {
        Value::String(s) => Ok(s.clone()),
        Value::Number(_) | Value::Bool(_) => Ok(at.to_string()),
        _ => Err(format!("the value at `{path}` is not a scalar: {at}")),
    }
}

/// A Keptn service's reply to a `.triggered` event: same context, its `triggeredid`.
fn reply(triggered: &Value, kind: &str, source: &str, extra: Value) -> Value {
    let ty = triggered["type"]
        .as_str()
        .and_then(|t| t.strip_suffix(".triggered"))
        .expect("a .triggered event");
    let d = &triggered["data"];
    let mut data = json!({"project": d["project"], "stage": d["stage"], "service": d["service"]});
    if let (Value::Object(to), Value::Object(from)) = (&mut data, extra) {
        to.extend(from);
    }
    json!({
        "specversion": "1.0", "source": source, "type": format!("{ty}.{kind}"),
        "contenttype": "application/json", "shkeptnspecversion": "0.2.4",
        "shkeptncontext": triggered["shkeptncontext"], "triggeredid": triggered["id"],
        "data": data
    })
}

fn post(keptn: &FakeKeptn, event: &Value) {
    keptn
        .post_event(KEPTN_TOKEN, event)
        .unwrap_or_else(|(status, body)| panic!("Keptn refused {event}: {status} {body}"));
}

/// The job-executor-service, as far as the seed uses it: for each event an action subscribes
/// to, it runs each task's image with the env its JSONPaths take from the event, and reports
/// `.started`, then `.finished` with the container's logs.
struct JobExecutor {
    config: JobConfig,
    /// The vulngate image, run where the config names the seed's image.
    image: String,
    /// What the test's "cluster" gives every job and the job config does not: the host's
    /// network (the registry and Dynatrace listen on its loopback), the offline DB in a
    /// volume, and trust in the plain-http test registry.
    cluster_args: Vec<OsString>,
    jobs: u32,
}

impl JobExecutor {
    fn handle(&mut self, keptn: &FakeKeptn, event: &Value) {
        let ty = event["type"].as_str().unwrap_or_default();
        for action in &self.config.actions {
            if !action.events.iter().any(|e| e.name == ty) {
                continue;
            }
            for task in &action.tasks {
                post(
                    keptn,
                    &reply(
                        event,
                        "started",
                        "job-executor-service",
                        json!({"status": "succeeded"}),
                    ),
                );
                self.jobs += 1;
                let job = format!("job-executor-service-job-{}", self.jobs);
                let finished = match self.run_task(task, event) {
                    Ok(r) if r.code == Some(0) => json!({
                        "status": "succeeded", "result": "pass",
                        "message": format!("Job {job} finished successfully!\n\nLogs:\n{}{}", r.stdout, r.stderr)
                    }),
                    Ok(r) => json!({
                        "status": "errored", "result": "fail",
                        "message": format!("Job {job} failed: exit code {:?}\n\nLogs:\n{}{}", r.code, r.stdout, r.stderr)
                    }),
                    Err(e) => json!({
                        "status": "errored", "result": "fail",
                        "message": format!("Task '{}' of action '{}' failed: {e}", task.name, action.name)
                    }),
                };
                post(
                    keptn,
                    &reply(event, "finished", "job-executor-service", finished),
                );
            }
        }
    }

    fn run_task(&self, task: &JobTask, event: &Value) -> Result<Run, String> {
        assert_eq!(
            task.image, SEED_IMAGE,
            "the seed's job config names the seed's image"
        );
        let mut values = Vec::new();
        for var in &task.env {
            if var.value_from != "event" {
                return Err(format!(
                    "valueFrom `{}` is not supported here",
                    var.value_from
                ));
            }
            values.push((var.name.as_str(), json_path(event, &var.value)?));
        }
        let mut args = self.cluster_args.clone();
        for (name, _) in &values {
            args.extend([os("-e"), os(name)]);
        }
        args.push(os(&self.image));
        let env: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Ok(run(&args, &env))
    }
}

/// Keptn's lighthouse and dynatrace-service for the `evaluation` task: `slo-gate` from the
/// image evaluates the SLO file on the SLIs of sli.yaml, queried from Dynatrace over the
/// event's timeframe, and its JSON (the `evaluation.finished` data) is sent back.
fn evaluate(keptn: &FakeKeptn, event: &Value, image: &str, dynatrace: &str, slo: &str) {
    post(
        keptn,
        &reply(
            event,
            "started",
            "lighthouse-service",
            json!({"status": "succeeded"}),
        ),
    );
    let timeframe = event["data"]["evaluation"]["timeframe"]
        .as_str()
        .unwrap_or("5m");
    let keptn_files = fixture("keptn-seed");
    let args = [
        os("run"),
        os("--rm"),
        os("--read-only"),
        os("--network"),
        os("host"),
        os("-v"),
        os(format!("{}:/keptn:ro", keptn_files.display())),
        os("-e"),
        os("DT_TENANT"),
        os("-e"),
        os("DT_API_TOKEN"),
        os("--entrypoint"),
        os("slo-gate"),
        os(image),
        os("--slo"),
        os(format!("/keptn/{slo}")),
        os("--sli"),
        os("/keptn/sli.yaml"),
        os("--provider"),
        os("dynatrace"),
        os("--timeframe"),
        os(timeframe),
        os("--format"),
        os("json"),
    ];
    let r = run(&args, &[("DT_TENANT", dynatrace), ("DT_API_TOKEN", TOKEN)]);
    let data = match r.code {
        Some(0 | 1) => json_of(&r),
        _ => json!({"status": "errored", "result": "fail", "message": r.stderr}),
    };
    post(keptn, &reply(event, "finished", "lighthouse-service", data));
}

/// What one run of the seed's flow left behind.
struct Flow {
    keptn_send: Run,
    keptn: FakeKeptn,
    dynatrace: FakeDynatrace,
}

/// The seed's flow with `slo` as the project's slo.yaml: `keptn-send --wait` (from the image)
/// sends the seed's sequence event; this thread plays the job-executor and lighthouse until
/// keptn-send ends.
fn seed_flow(slo: &str) -> Flow {
    let image = image_under_test();
    let (_registry, repo) = registry_with_fixture();
    let dynatrace = FakeDynatrace::start();
    let keptn =
        FakeKeptn::start(FakeKeptnConfig::seed(KEPTN_TOKEN).with_scenario(Scenario::External));
    let cache = Volume::with_fixture_db(&image);
    let config: JobConfig = serde_saphyr::from_str(
        &std::fs::read_to_string(fixture("keptn-seed/job-config.yaml")).unwrap(),
    )
    .unwrap_or_else(|e| panic!("the seed's job config: {e}"));
    assert_eq!(config.api_version, "v2");
    let mut cluster_args = run_args(&cache);
    cluster_args.extend(["--network", "host", "-e", "TRIVY_INSECURE=true"].map(os));
    cluster_args.extend(OFFLINE_ENV.map(os));
    let mut executor = JobExecutor {
        config,
        image: image.clone(),
        cluster_args,
        jobs: 0,
    };

    // The seed's curl, as keptn-send (docs/keptn.md), following the sequence to its verdict.
    let sender = ContainerName::unique("vulngate-keptn-send");
    let endpoint = dynatrace.url();
    let sets = [
        "scan.level=CRITICAL".to_owned(),
        format!("scan.image={repo}"),
        "scan.tag=3.14".to_owned(),
        format!("scan.metrics_endpoint={endpoint}"),
        format!("scan.metrics_token={TOKEN}"),
        "evaluation.timeframe=5m".to_owned(),
    ];
    let mut cmd = docker([
        "run",
        "--rm",
        "--name",
        sender.as_str(),
        "--read-only",
        "--network",
        "host",
    ]);
    cmd.args([
        "-e",
        "KEPTN_API_URL",
        "-e",
        "KEPTN_API_TOKEN",
        "--entrypoint",
        "keptn-send",
        &image,
    ]);
    // The seed's names and label (docs/keptn.md, section 4).
    for (flag, value) in [
        ("--project", "trivyintegration"),
        ("--stage", "main"),
        ("--service", "trivyservice"),
        ("--sequence", "demosequence"),
        ("--label", "runBy=agardner.net"),
    ] {
        cmd.args([flag, value]);
    }
    for set in &sets {
        cmd.args(["--set", set]);
    }
    cmd.args(["--wait", "--poll-interval", "300ms", "--timeout", "3m"]);
    cmd.env("KEPTN_API_URL", keptn.api_url())
        .env("KEPTN_API_TOKEN", KEPTN_TOKEN)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child: Child = cmd.spawn().expect("docker run keptn-send");

    let mut handled: Vec<Value> = Vec::new();
    let deadline = Duration::from_secs(200);
    while child.try_wait().expect("keptn-send's status").is_none() {
        assert!(
            start.elapsed() < deadline,
            "keptn-send did not end within {deadline:?}"
        );
        for ty in [
            "sh.keptn.event.securityscan.triggered",
            "sh.keptn.event.evaluation.triggered",
        ] {
            for event in keptn.events_of_type(ty) {
                if handled.iter().any(|h| h["id"] == event["id"]) {
                    continue;
                }
                if ty.contains("securityscan") {
                    executor.handle(&keptn, &event);
                } else {
                    evaluate(&keptn, &event, &image, &endpoint, slo);
                }
                handled.push(event);
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let keptn_send = Run::capture(|| child.wait_with_output());
    Flow {
        keptn_send,
        keptn,
        dynatrace,
    }
}

/// The one event of `ty` (the fake holds only this flow's run).
fn only(keptn: &FakeKeptn, ty: &str) -> Value {
    let events = keptn.events_of_type(ty);
    assert_eq!(events.len(), 1, "{ty}: {events:#?}");
    events.into_iter().next().unwrap()
}

fn assert_common(flow: &Flow) {
    let r = &flow.keptn_send;
    // The seed's sequence event, as keptn-send sent it.
    let sent = flow.keptn.received();
    assert_eq!(
        sent[0]["type"],
        "sh.keptn.event.main.demosequence.triggered"
    );
    assert_eq!(sent[0]["data"]["scan"]["level"], "CRITICAL");
    assert_eq!(sent[0]["data"]["labels"]["runBy"], "agardner.net");
    // The job ran the image with the event's env and the seed's lines came back to Keptn.
    let scan = only(&flow.keptn, "sh.keptn.event.securityscan.finished");
    assert_eq!(scan["data"]["result"], "pass", "{scan:#}");
    let message = scan["data"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!(
            "{SEED_CHECKING}\nFinished. Total Vulnerability Count: 6\n"
        )),
        "{message}"
    );
    assert!(
        !message.contains(SEED_NO_METRICS),
        "metrics were configured: {message}"
    );
    // The metrics the job pushed are what the evaluation read.
    let critical: Vec<_> = flow
        .dynatrace
        .stored()
        .into_iter()
        .filter(|d| d.key == "trivy.vulnerabilities.CRITICAL")
        .collect();
    assert_eq!(critical.len(), 1);
    assert_eq!(critical[0].value, 6.0);
    let eval = only(&flow.keptn, "sh.keptn.event.evaluation.finished");
    assert_eq!(
        eval["data"]["evaluation"]["indicatorResults"][0]["value"]["value"],
        6.0
    );
    assert_eq!(
        eval["data"]["evaluation"]["indicatorResults"][0]["value"]["metric"],
        "trivy_vulns"
    );
    only(&flow.keptn, "sh.keptn.event.main.demosequence.finished");
    // The Dynatrace token rides in the event, as in the seed, but is never printed.
    for text in [r.stdout.as_str(), r.stderr.as_str(), message] {
        assert!(!text.contains(TOKEN_SECRET), "the token leaked: {text}");
    }
    assert!(
        flow.keptn.rejected().is_empty(),
        "{:?}",
        flow.keptn.rejected()
    );
}

/// keptn-send's exit code and verdict lines, then what every run checks.
fn assert_verdict(flow: &Flow, code: i32, result: &str, sli: &str) {
    let r = &flow.keptn_send;
    assert_eq!(r.code, Some(code), "{r:#?}");
    assert!(r.stdout.contains(result), "{result}: {r:#?}");
    assert!(r.stdout.contains(sli), "{sli}: {r:#?}");
    assert_common(flow);
}

#[test]
fn the_seeds_keptn_flow_passes_on_the_seeds_slo() {
    let flow = seed_flow("slo.yaml");
    assert_verdict(
        &flow,
        0,
        "result: pass (score 100, status succeeded)",
        "trivy_vulns: 6 -> pass",
    );
}

#[test]
fn the_seeds_keptn_flow_fails_on_a_stricter_slo() {
    let flow = seed_flow("slo-strict.yaml");
    assert_verdict(
        &flow,
        1,
        "result: fail (score 0, status succeeded)",
        "trivy_vulns: 6 -> fail",
    );
}

#[test]
fn the_job_config_reads_the_event_like_the_job_executor() {
    let event = json!({"data": {"scan": {"level": "CRITICAL", "tag": 8, "nested": {}}}});
    assert_eq!(json_path(&event, "$.data.scan.level").unwrap(), "CRITICAL");
    assert_eq!(json_path(&event, "$.data.scan.tag").unwrap(), "8");
    assert!(
        json_path(&event, "$.data.scan.image")
            .unwrap_err()
            .contains("no value")
    );
    assert!(
        json_path(&event, "$.data.scan.nested")
            .unwrap_err()
            .contains("not a scalar")
    );
    assert!(
        json_path(&event, "data.scan")
            .unwrap_err()
            .contains("unsupported")
    );
}

#[test]
fn the_keptn_fake_plays_the_seeds_shipyard() {
    let shipyard: Value = serde_saphyr::from_str(
        &std::fs::read_to_string(fixture("keptn-seed/shipyard.yaml")).unwrap(),
    )
    .unwrap();
    let fake = FakeKeptnConfig::seed(KEPTN_TOKEN);
    let stages = shipyard["spec"]["stages"].as_array().unwrap();
    assert_eq!(stages.len(), fake.stages.len());
    for (theirs, ours) in stages.iter().zip(&fake.stages) {
        assert_eq!(theirs["name"], ours.name.as_str());
        let sequences: Vec<(String, Vec<String>)> = theirs["sequences"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let tasks = s["tasks"].as_array().unwrap();
                (
                    s["name"].as_str().unwrap().to_owned(),
                    tasks
                        .iter()
                        .map(|t| t["name"].as_str().unwrap().to_owned())
                        .collect(),
                )
            })
            .collect();
        assert_eq!(sequences, ours.sequences);
    }
}

//! A fleet through one real `trivy server` 0.76 (offline, fixture DB, with a token) scanning
//! the fixture image pushed to a real `docker-registry` under several names: the right counts
//! for each; a wrong token, no server, and a server killed in the middle of the batch each end
//! with per-image errors and exit 3, while every image scanned before is printed and published.

use std::process::{Command, Output};

use test_support::dynatrace::{FakeDynatrace, TOKEN as DT_TOKEN};
use test_support::trivy::{FIXTURE_COUNTS, Registry, TrivyServer};

const SERVER_TOKEN: &str = "fleet-server-token-MARK";

/// The registry with the fixture image under `n` names (`team-K/app:K`).
fn fleet(n: usize) -> (Registry, Vec<String>) {
    let registry = Registry::start().unwrap_or_else(|e| panic!("{e}"));
    let images = (0..n)
        .map(|i| {
            registry
                .push_fixture_image_as(&format!("team-{i}/app:{i}"))
                .unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    (registry, images)
}

/// trivy-scan in client mode against `server`, JSON lines, publishing to `dt`.
fn client(
    server: &str,
    token: &str,
    dt: &FakeDynatrace,
    client_cache: &std::path::Path,
) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("trivy-scan"));
    for var in test_support::cli::CALLER_ENV {
        cmd.env_remove(var);
    }
    cmd.env_remove("TRIVY_TOKEN")
        .args([
            "--format",
            "json",
            "--insecure-registry",
            "--timeout",
            "60s",
        ])
        .args(["--server", server, "--token", token])
        .arg("--cache-dir")
        .arg(client_cache)
        .args([
            "--sink",
            "dynatrace",
            "--dynatrace-token",
            DT_TOKEN,
            "--retries",
            "0",
        ])
        .arg("--dynatrace-url")
        .arg(dt.url());
    cmd
}

fn all(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn objects(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn assert_fixture_counts(v: &serde_json::Value) {
    let got: Vec<u64> = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"]
        .iter()
        .map(|s| v["counts"][s].as_u64().unwrap())
        .collect();
    assert_eq!(got, FIXTURE_COUNTS, "{v}");
    assert_eq!(v["total"], FIXTURE_COUNTS.iter().sum::<u64>());
}

/// The Dynatrace lines that name `image` (`repo:tag`).
fn published(dt: &FakeDynatrace, image: &str) -> Vec<String> {
    let (repo, tag) = image.rsplit_once(':').unwrap();
    let dims = format!("image=\"{repo}\",tag=\"{tag}\"");
    dt.lines()
        .into_iter()
        .filter(|l| l.contains(&dims))
        .collect()
}

#[test]
fn a_batch_through_one_server_counts_every_image() {
    let (_registry, images) = fleet(4);
    let server = TrivyServer::start(SERVER_TOKEN).unwrap_or_else(|e| panic!("{e}"));
    let dt = FakeDynatrace::start();
    let cache = tempfile::tempdir().unwrap();
    let out = client(&server.url(), SERVER_TOKEN, &dt, cache.path())
        .args(&images)
        .args(["--jobs", "2"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\nserver: {}",
        all(&out),
        server.log()
    );
    let lines = objects(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(lines.len(), 5, "{}", all(&out));
    for image in &images {
        let v = lines
            .iter()
            .find(|v| v["image"] == image.as_str())
            .unwrap_or_else(|| panic!("no result for {image}"));
        assert_fixture_counts(v);
        assert_eq!(v["exit"], 0);
        assert_eq!(published(&dt, image).len(), 6, "{image}: {:?}", dt.lines());
    }
    assert_eq!(lines[4]["summary"]["ok"], 4);
    // One request carried every image's series.
    assert_eq!(dt.request_count(), 1);
    assert!(!all(&out).contains(SERVER_TOKEN));
}

/// Two images through `url` with `token`: each is its own error holding every one of
/// `needles`, the run exits 3, and nothing is published.
fn every_image_fails(url: &str, token: &str, needles: &[&str]) {
    let (_registry, images) = fleet(2);
    let dt = FakeDynatrace::start();
    let cache = tempfile::tempdir().unwrap();
    let out = client(url, token, &dt, cache.path())
        .args(&images)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", all(&out));
    let lines = objects(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(lines.len(), 3, "{}", all(&out));
    for v in &lines[..2] {
        assert_eq!(v["exit"], 3);
        let e = v["error"].as_str().unwrap();
        assert!(needles.iter().all(|n| e.contains(n)), "{e}");
        assert!(!e.contains(token), "{e}");
    }
    assert_eq!(lines[2]["summary"]["errors"], 2);
    assert!(
        dt.lines().is_empty(),
        "nothing was scanned, nothing published"
    );
}

#[test]
fn a_wrong_token_is_each_image_s_error_and_exit_3() {
    let server = TrivyServer::start(SERVER_TOKEN).unwrap_or_else(|e| panic!("{e}"));
    every_image_fails(
        &server.url(),
        "not-the-token",
        &["trivy failed", "invalid token"],
    );
}

#[test]
fn no_server_is_each_image_s_error_and_exit_3() {
    let url = format!("http://{}", test_support::net::refused_addr());
    every_image_fails(&url, SERVER_TOKEN, &["trivy failed", "connection refused"]);
}

#[test]
fn a_server_killed_mid_batch_keeps_what_was_scanned() {
    let (_registry, images) = fleet(6);
    let mut server = TrivyServer::start(SERVER_TOKEN).unwrap_or_else(|e| panic!("{e}"));
    let dt = FakeDynatrace::start();
    let cache = tempfile::tempdir().unwrap();
    let mut cmd = client(&server.url(), SERVER_TOKEN, &dt, cache.path());
    cmd.args(&images).args(["--jobs", "1"]);
    // The first result, then the server dies.
    let (stdout, out) = test_support::cli::run_interrupted(cmd, || server.stop());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stdout}{err}");
    let lines = objects(&stdout);
    assert_eq!(lines.len(), 7, "{stdout}{err}");
    let scanned: Vec<&serde_json::Value> = lines[..6].iter().filter(|v| v["exit"] == 0).collect();
    let failed: Vec<&serde_json::Value> = lines[..6].iter().filter(|v| v["exit"] == 3).collect();
    assert!(!scanned.is_empty() && !failed.is_empty(), "{stdout}");
    assert_eq!(scanned.len() + failed.len(), 6);
    for v in &scanned {
        assert_fixture_counts(v);
        // Printed, and published although later images failed.
        let image = v["image"].as_str().unwrap();
        assert_eq!(published(&dt, image).len(), 6, "{image}: {:?}", dt.lines());
    }
    for v in &failed {
        let e = v["error"].as_str().unwrap();
        assert!(e.contains("trivy failed"), "{e}");
        assert!(published(&dt, v["image"].as_str().unwrap()).is_empty());
    }
    let summary = &lines[6]["summary"];
    assert_eq!(summary["ok"], scanned.len());
    assert_eq!(summary["errors"], failed.len());
    assert_eq!(summary["exit"], 3);
}

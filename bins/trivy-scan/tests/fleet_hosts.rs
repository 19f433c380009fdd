//! Several hosts: the trivy server in one container and two scanner containers (the image
//! `scripts/build-image.sh` builds, `VULNGATE_IMAGE`, default `vulngate:dev`) on a private
//! Docker network, reaching the server by its container name with a token. The scanners read
//! the images from the engine through its socket (no registry is reachable from the private
//! network), each scanning its own part of the fleet at once. Then the server is stopped in
//! the middle of a batch: the same guarantees as on one host (`fleet_server.rs`).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use test_support::cli::run_interrupted;
use test_support::docker::{
    CACHE_DIR, ContainerName, Network, SOCKET, Tag, Volume, docker, docker_ok, image_under_test,
    load_fixture_image, socket_group,
};
use test_support::trivy::FIXTURE_COUNTS;

const TOKEN: &str = "fleet-hosts-token-MARK";

/// The trivy server: the vulngate image's trivy, on `network` as `name`, the fixture DB in
/// `cache`, the token from the environment (`-e TRIVY_TOKEN` without a value on the command
/// line).
fn start_server(image: &str, network: &Network, name: &ContainerName, cache: &Volume) {
    let mut cmd = docker([
        "run",
        "-d",
        "--read-only",
        "--tmpfs",
        "/tmp",
        "--name",
        name.as_str(),
        "--network",
        network.name(),
        "-v",
        &cache.mount(CACHE_DIR),
        "-e",
        "TRIVY_TOKEN",
        "--entrypoint",
        "trivy",
        image,
        "server",
        "--listen=0.0.0.0:4954",
        "--skip-db-update",
        "--no-progress",
    ]);
    cmd.env("TRIVY_TOKEN", TOKEN);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Listening once its log says so.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let logs = docker(["logs", name.as_str()]).output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&logs.stdout),
            String::from_utf8_lossy(&logs.stderr)
        );
        if text.contains("Listening") {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the trivy server did not start: {text}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `docker run` of one scanner container on `network`, scanning `images` through `server`.
fn scanner(
    image: &str,
    network: &Network,
    name: &ContainerName,
    server: &ContainerName,
    images: &[&str],
    jobs: &str,
) -> Command {
    let mut cmd = docker([
        "run",
        "--rm",
        "--read-only",
        "--tmpfs",
        "/tmp",
        "--tmpfs",
        CACHE_DIR,
        "--name",
        name.as_str(),
        "--network",
        network.name(),
        "-v",
        &format!("{SOCKET}:{SOCKET}"),
        "--group-add",
        &socket_group().to_string(),
        "-e",
        "TRIVY_IMAGE_SRC=docker",
        "-e",
        "TRIVY_TOKEN",
        image,
    ]);
    cmd.args(images)
        .args(["--server", &format!("http://{}:4954", server.as_str())])
        // Plain http on the private network, with a token: allowed explicitly.
        .args(["--allow-insecure-http", "--jobs", jobs, "--format", "json"])
        .args(["--sink", "stdout"])
        .env("TRIVY_TOKEN", TOKEN)
        .stdin(Stdio::null());
    for var in test_support::cli::CALLER_ENV {
        cmd.env_remove(var);
    }
    cmd
}

fn results(stdout: &str) -> (Vec<Value>, Vec<Value>, Value) {
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let images = lines
        .iter()
        .filter(|v| v.get("exit").is_some())
        .cloned()
        .collect();
    let metrics = lines
        .iter()
        .filter(|v| v.get("name").is_some())
        .cloned()
        .collect();
    let summary = lines
        .iter()
        .find_map(|v| v.get("summary").cloned())
        .unwrap_or_else(|| panic!("no summary: {stdout}"));
    (images, metrics, summary)
}

fn assert_fixture_counts(v: &Value) {
    let got: Vec<u64> = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"]
        .iter()
        .map(|s| v["counts"][s].as_u64().unwrap())
        .collect();
    assert_eq!(got, FIXTURE_COUNTS, "{v}");
}

/// The stdout sink's series of `image` (`repo:tag`): published.
fn published(metrics: &[Value], image: &str) -> usize {
    let (repo, tag) = image.rsplit_once(':').unwrap();
    metrics
        .iter()
        .filter(|m| m["image"] == repo && m["tag"] == tag)
        .count()
}

#[test]
fn two_scanner_hosts_share_one_server_host_and_survive_its_loss() {
    let image = image_under_test();
    let fixture = load_fixture_image();
    let tags: Vec<Tag> = (0..6)
        .map(|i| {
            Tag::new(
                fixture,
                &format!("vulngate-fleet-{}/app-{i}:1", std::process::id()),
            )
        })
        .collect();
    let names: Vec<&str> = tags.iter().map(Tag::as_str).collect();
    // Dropped in reverse order: the containers go before the volume and the network they use.
    let network = Network::new();
    let cache = Volume::with_fixture_db(&image);
    let server = ContainerName::unique("vulngate-trivy-server");
    start_server(&image, &network, &server, &cache);

    // Two scanner hosts at once, three images each.
    let (a, b) = (
        ContainerName::unique("vulngate-scan-a"),
        ContainerName::unique("vulngate-scan-b"),
    );
    let mut first = scanner(&image, &network, &a, &server, &names[..3], "2");
    let mut second = scanner(&image, &network, &b, &server, &names[3..], "2");
    let first = first
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let second = second
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    for (child, part) in [(first, &names[..3]), (second, &names[3..])] {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
        assert!(!stderr.contains(TOKEN) && !stdout.contains(TOKEN));
        let (images, metrics, summary) = results(&stdout);
        assert_eq!(summary["ok"], 3, "{stdout}");
        for name in part {
            let v = images.iter().find(|v| v["image"] == *name).unwrap();
            assert_fixture_counts(v);
            assert_eq!(published(&metrics, name), 6, "{name}: {stdout}");
        }
    }

    // The server host goes away after the first result of a batch.
    let c = ContainerName::unique("vulngate-scan-c");
    let (stdout, out) =
        run_interrupted(scanner(&image, &network, &c, &server, &names, "1"), || {
            docker_ok(["stop", "--time", "0", server.as_str()]);
        });
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stdout}{stderr}");
    let (images, metrics, summary) = results(&stdout);
    assert_eq!(images.len(), 6, "{stdout}");
    let scanned: Vec<&Value> = images.iter().filter(|v| v["exit"] == 0).collect();
    let failed: Vec<&Value> = images.iter().filter(|v| v["exit"] == 3).collect();
    assert!(!scanned.is_empty() && !failed.is_empty(), "{stdout}");
    for v in &scanned {
        assert_fixture_counts(v);
        assert_eq!(
            published(&metrics, v["image"].as_str().unwrap()),
            6,
            "{stdout}"
        );
    }
    for v in &failed {
        assert!(v["error"].as_str().unwrap().contains("trivy failed"), "{v}");
        assert_eq!(published(&metrics, v["image"].as_str().unwrap()), 0);
    }
    assert_eq!(summary["exit"], 3);
    assert_eq!(summary["errors"], failed.len());
}

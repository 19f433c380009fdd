//! The real Docker engine, for the container tests: the image under test, named volumes
//! removed on drop, the fixture image loaded into the engine.
//!
//! A test that needs the engine and does not find it fails with a message saying so; nothing
//! here skips. Every `docker` call takes its arguments as a list (no shell).

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use crate::cli::Run;
use crate::fixtures::fixture;
use crate::trivy::{FIXTURE_IMAGE, fixture_image_tar};

/// The image tag `scripts/build-image.sh` builds when `VULNGATE_IMAGE` is unset.
pub const DEFAULT_IMAGE: &str = "vulngate:dev";

/// Where the image keeps trivy's cache (`TRIVY_CACHE_DIR`, owned by its user 10001).
pub const CACHE_DIR: &str = "/home/vulngate/.cache/trivy";

/// The engine's socket, as mounted into a container that scans the engine's images.
pub const SOCKET: &str = "/var/run/docker.sock";

/// A `docker` command with the given arguments.
#[must_use]
pub fn docker<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = Command::new("docker");
    cmd.args(args);
    cmd
}

/// Runs `docker` with `args` and returns what it printed; panics when it fails.
///
/// # Panics
/// When docker cannot be started or exits non-zero (the message has its stderr).
pub fn docker_ok<I, S>(args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = docker(args);
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("could not run docker ({cmd:?}): {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Checks that a Docker engine answers.
///
/// # Errors
/// When the client is missing or no engine answers (the message says what to do).
pub fn engine() -> Result<String, String> {
    let out = docker(["version", "--format", "{{.Server.Version}}"])
        .output()
        .map_err(|e| {
            format!(
                "the container tests need a Docker engine, and the docker client cannot run: {e}"
            )
        })?;
    if !out.status.success() {
        return Err(format!(
            "the container tests need a Docker engine, and none answers (is dockerd running?): {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The image under test (`VULNGATE_IMAGE`, else [`DEFAULT_IMAGE`]), after checking that the
/// engine answers and holds it.
///
/// # Panics
/// When there is no engine or no such image: the test fails and says so.
#[must_use]
pub fn image_under_test() -> String {
    engine().unwrap_or_else(|e| panic!("{e}"));
    let image = std::env::var("VULNGATE_IMAGE")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_IMAGE.to_owned());
    let found = docker(["image", "inspect", "--format", "{{.Id}}", &image])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "the Docker engine has no image {image}: build it with `bash scripts/build-image.sh` \
         (scripts/test.sh does before the tests)"
    );
    image
}

/// Runs `docker` with `args` (usually `run …`) and records what it did. Variables named in
/// `env` are set on the docker client only, so `-e NAME` (no value) passes them into the
/// container without putting secrets on a command line.
pub fn run_with_env(args: &[&OsStr], env: &[(&str, &str)]) -> Run {
    Run::capture(|| {
        let mut cmd = docker(args);
        for var in crate::cli::CALLER_ENV {
            cmd.env_remove(var);
        }
        cmd.envs(env.iter().copied())
            .stdin(std::process::Stdio::null())
            .output()
    })
}

/// A named volume, removed on drop.
#[derive(Debug)]
pub struct Volume {
    name: String,
}

impl Volume {
    /// Creates an empty volume with a unique name.
    ///
    /// # Panics
    /// When the engine refuses.
    #[must_use]
    pub fn new() -> Self {
        let name = unique_name("vulngate-test");
        docker_ok(["volume", "create", &name]);
        Self { name }
    }

    /// A volume holding the offline fixture DB in `db/`, as trivy's cache: filled by a container
    /// of `image` (so its user owns the files), from `tests/fixtures/trivy-db` mounted read-only.
    ///
    /// # Panics
    /// When the engine refuses or the copy fails.
    #[must_use]
    pub fn with_fixture_db(image: &str) -> Self {
        let volume = Self::new();
        let db = fixture("trivy-db");
        let mounts = [
            volume.mount(CACHE_DIR),
            format!("{}:/fixture-db:ro", db.display()),
        ];
        docker_ok([
            "run",
            "--rm",
            "--network=none",
            "-v",
            &mounts[0],
            "-v",
            &mounts[1],
            "--entrypoint",
            "sh",
            image,
            "-c",
            "mkdir -p \"$TRIVY_CACHE_DIR/db\" && cp /fixture-db/trivy.db /fixture-db/metadata.json \"$TRIVY_CACHE_DIR/db/\"",
        ]);
        volume
    }

    /// The volume's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `NAME:target`, for `-v`.
    #[must_use]
    pub fn mount(&self, target: &str) -> String {
        format!("{}:{target}", self.name)
    }
}

impl Default for Volume {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Volume {
    fn drop(&mut self) {
        let _ = docker(["volume", "rm", "-f", &self.name]).output();
    }
}

/// A private (bridge) network with a unique name, removed on drop: containers on it reach each
/// other by name and nothing on the host's loopback.
#[derive(Debug)]
pub struct Network {
    name: String,
}

impl Network {
    /// Creates the network.
    ///
    /// # Panics
    /// When the engine refuses.
    #[must_use]
    pub fn new() -> Self {
        let name = unique_name("vulngate-net");
        docker_ok(["network", "create", "--driver", "bridge", &name]);
        Self { name }
    }

    /// The network's name, for `--network`.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Default for Network {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        let _ = docker(["network", "rm", &self.name]).output();
    }
}

/// An extra tag on an image in the engine, removed on drop (the image itself stays).
#[derive(Debug)]
pub struct Tag(String);

impl Tag {
    /// `docker tag SOURCE NAME`.
    ///
    /// # Panics
    /// When the engine refuses.
    #[must_use]
    pub fn new(source: &str, name: &str) -> Self {
        docker_ok(["tag", source, name]);
        Self(name.to_owned())
    }

    /// The tagged name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Drop for Tag {
    fn drop(&mut self) {
        let _ = docker(["rmi", &self.0]).output();
    }
}

/// `PREFIX-<uuid>`: a container or volume name no other test (or concurrent run) uses.
fn unique_name(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// A container name, with the container removed on drop: the `docker run` client may be
/// killed (a timeout, a failed assertion) before the container ends.
#[derive(Debug)]
pub struct ContainerName(String);

impl ContainerName {
    /// A unique name starting with `prefix`.
    #[must_use]
    pub fn unique(prefix: &str) -> Self {
        Self(unique_name(prefix))
    }

    /// The name, for `docker run --name`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Drop for ContainerName {
    fn drop(&mut self) {
        let _ = docker(["rm", "-f", &self.0]).output();
    }
}

/// Loads the fixture image's docker-save tar into the engine (`docker load`), so it is there
/// as [`FIXTURE_IMAGE`]. Loading again is harmless (same content, same ID).
///
/// # Panics
/// When the engine refuses the tar.
pub fn load_fixture_image() -> &'static str {
    let tar = fixture_image_tar();
    let out = docker_ok([OsStr::new("load"), "--input".as_ref(), tar.as_os_str()]);
    assert!(out.contains(FIXTURE_IMAGE), "docker load said: {out}");
    FIXTURE_IMAGE
}

/// The group that owns the engine's socket, for `--group-add` (the image's user is not in it).
///
/// # Panics
/// When the socket is missing.
#[must_use]
pub fn socket_group() -> u32 {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata(Path::new(SOCKET))
        .unwrap_or_else(|e| panic!("the Docker engine's socket {SOCKET}: {e}"))
        .gid()
}

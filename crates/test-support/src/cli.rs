//! Running a binary under test and checking how it failed.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

/// Every environment variable the binaries read (`env_vars::NAMES`, the list clap's `env`
/// and the docs use). Tests remove them all from the command they build, so nothing leaks in
/// from the developer's shell or CI, and set what they test. Trivy's own variables
/// (`env_vars::trivy`) are left alone: the real trivy the tests run needs its cache.
pub const CALLER_ENV: &[&str] = env_vars::NAMES;

/// What one run of a binary produced.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    /// Runs `output` (e.g. `|| cmd.output()`) and records its result and wall time.
    ///
    /// # Panics
    /// When the process cannot be started at all.
    pub fn capture(output: impl FnOnce() -> std::io::Result<Output>) -> Self {
        let start = Instant::now();
        let out = output().expect("the binary under test starts");
        Self {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            elapsed: start.elapsed(),
        }
    }

    /// Runs `bin` with `args` and stdin closed outright (`/dev/null`, not a pipe: assert_cmd
    /// cannot set that), without any of [`CALLER_ENV`].
    pub fn null_stdin(bin: &Path, args: &[&std::ffi::OsStr]) -> Self {
        Self::capture(|| {
            let mut cmd = std::process::Command::new(bin);
            for var in CALLER_ENV {
                cmd.env_remove(var);
            }
            cmd.args(args).stdin(std::process::Stdio::null()).output()
        })
    }
}

/// One run of a binary with its peak resident memory, read by GNU `time` from `wait4`'s
/// rusage (the workspace forbids `unsafe`, so no direct `wait4` here).
#[derive(Debug)]
pub struct Measured {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    pub peak_rss_kb: u64,
}

impl Measured {
    /// Runs `bin` with `args` under GNU `time`, stdin closed, without any of [`CALLER_ENV`].
    ///
    /// # Panics
    /// When GNU `time` (Debian package `time`, installed by `scripts/install-deps.sh test`)
    /// is missing or the binary cannot be started.
    pub fn run(bin: &Path, args: &[&std::ffi::OsStr]) -> Self {
        let time = crate::process::find_program("time")
            .expect("GNU time (Debian package `time`) is needed to measure the child's peak RSS");
        let dir = tempfile::tempdir().expect("a temp dir");
        let usage = dir.path().join("rusage");
        let mut cmd = std::process::Command::new(time);
        cmd.arg("-o")
            .arg(&usage)
            .arg("-f")
            .arg("%M")
            .arg(bin)
            .args(args)
            .stdin(std::process::Stdio::null());
        for v in CALLER_ENV {
            cmd.env_remove(v);
        }
        let start = Instant::now();
        let out = cmd
            .output()
            .expect("the binary under test starts under time");
        let elapsed = start.elapsed();
        // `time` writes "Command exited with non-zero status N" first on failure; %M is last.
        let text = std::fs::read_to_string(&usage).expect("time's output file");
        let peak_rss_kb = text
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or_else(|| panic!("no %M in time's output: {text:?}"));
        Self {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            elapsed,
            peak_rss_kb,
        }
    }
}

/// Asserts exit `code` and one `<binary>: error:` line on stderr naming every needle
/// (case-insensitive), with no panic.
///
/// # Panics
/// When any of that does not hold (this is an assertion).
pub fn assert_error(r: &Run, binary: &str, code: i32, needles: &[&str]) {
    assert_eq!(r.code, Some(code), "want exit {code}: {r:#?}");
    assert!(!r.stderr.contains("panicked"), "panic: {r:#?}");
    assert!(!r.stderr.contains("RUST_BACKTRACE"), "panic: {r:#?}");
    assert!(
        r.stderr.contains(&format!("{binary}: error:")),
        "no error line: {r:#?}"
    );
    let lower = r.stderr.to_lowercase();
    for n in needles {
        assert!(lower.contains(&n.to_lowercase()), "`{n}` not named: {r:#?}");
    }
}

/// Writes `bytes` to `dir/name` and returns the path.
///
/// # Panics
/// When the file cannot be written.
pub fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write a test file");
    p
}

/// Runs `cmd` with stdout and stderr piped, calls `interrupt` once the first line of stdout
/// has arrived (a server killed in the middle of a batch), and returns the whole stdout and
/// the finished process's output (its `stdout` is empty: it was read here).
///
/// # Panics
/// When the command cannot be started or its output cannot be read.
pub fn run_interrupted(
    mut cmd: std::process::Command,
    interrupt: impl FnOnce(),
) -> (String, Output) {
    use std::io::{BufRead, Read};
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {cmd:?}: {e}"));
    let mut reader = std::io::BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut stdout = String::new();
    reader.read_line(&mut stdout).expect("read the first line");
    interrupt();
    reader.read_to_string(&mut stdout).expect("read stdout");
    let out = child.wait_with_output().expect("wait for the command");
    (stdout, out)
}

//! Child processes that are killed when the test is done, pass or fail.

use std::process::{Child, Command, Stdio};

/// A running server process; killed and reaped on drop. Its stderr goes to a file in the
/// guard's temp dir so a failed start can be explained.
#[derive(Debug)]
pub struct ChildGuard {
    child: Child,
    name: String,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl ChildGuard {
    /// Spawns `cmd` with stdout and stderr captured to a log file.
    ///
    /// # Errors
    /// When the program cannot be started (usually: not installed).
    pub fn spawn(name: &str, mut cmd: Command) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let log = dir.path().join(format!("{name}.log"));
        let file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let err = file.try_clone().map_err(|e| e.to_string())?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::from(file))
            .stderr(Stdio::from(err))
            .spawn()
            .map_err(|e| format!("could not start {name} ({cmd:?}): {e}"))?;
        Ok(Self {
            child,
            name: name.to_owned(),
            log,
            _dir: dir,
        })
    }

    /// The process's output so far (for assertion messages).
    #[must_use]
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The process name given at spawn.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// True while the process runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Finds an executable on PATH or in the usual Debian locations.
#[must_use]
pub fn find_program(name: &str) -> Option<std::path::PathBuf> {
    let mut dirs: Vec<std::path::PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(["/usr/bin", "/usr/sbin", "/usr/local/bin", "/bin"].map(Into::into));
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}

//! Child processes that are killed when the test is done, pass or fail, and the checks that the
//! server answering on a port is the child the test started.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

    /// The process id.
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// True while the process runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits until the child listens on exactly one loopback TCP port and returns it, at most
    /// `limit`. The child is started with port 0, so the kernel picked a port no other test
    /// holds; this reads it back from `/proc`.
    ///
    /// # Errors
    /// When the child exits, listens on several ports, or on none within `limit`.
    pub fn wait_for_listener(&mut self, limit: Duration) -> Result<SocketAddr, String> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if !self.is_running() {
                return Err(format!("{} exited early:\n{}", self.name, self.log()));
            }
            match listening_addrs(self.pid()).as_slice() {
                [] => {}
                [one] => return Ok(*one),
                many => {
                    return Err(format!(
                        "{} listens on several ports {many:?}; cannot tell which is its API",
                        self.name
                    ));
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!(
            "{} did not listen on a port within {limit:?}:\n{}",
            self.name,
            self.log()
        ))
    }

    /// Checks that this child is alive and owns the listening socket on `addr`, so whatever
    /// answers there is the server the test started (not a leftover or a parallel test's).
    ///
    /// # Errors
    /// When it does not (the message says who listens instead, when known).
    pub fn ensure_owns(&self, addr: SocketAddr) -> Result<(), String> {
        let ours = listening_addrs(self.pid());
        if ours.contains(&addr) {
            Ok(())
        } else {
            Err(format!(
                "{} (pid {}) does not own {addr} (it listens on {ours:?}); another process answers there",
                self.name,
                self.pid()
            ))
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The IPv4 addresses process `pid` listens on: the `LISTEN` rows of `/proc/net/tcp` whose socket
/// inode is one of `/proc/PID/fd`. Empty for a process that has exited (a zombie has no fds).
#[must_use]
pub fn listening_addrs(pid: u32) -> Vec<SocketAddr> {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return Vec::new();
    };
    let inodes: Vec<String> = fds
        .filter_map(Result::ok)
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .filter_map(|target| {
            let t = target.to_string_lossy();
            t.strip_prefix("socket:[")
                .and_then(|s| s.strip_suffix(']'))
                .map(str::to_owned)
        })
        .collect();
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    table
        .lines()
        .skip(1)
        .filter_map(parse_tcp_row)
        .filter(|(_, state, inode)| state == "0A" && inodes.contains(inode))
        .map(|(addr, _, _)| addr)
        .collect()
}

/// One `/proc/net/tcp` row: `(local address, state, inode)`.
fn parse_tcp_row(line: &str) -> Option<(SocketAddr, String, String)> {
    let cols: Vec<&str> = line.split_whitespace().collect();
    let (ip, port) = cols.get(1)?.split_once(':')?;
    // The kernel prints the network-order address as a host-order integer.
    let ip = Ipv4Addr::from(u32::from_str_radix(ip, 16).ok()?.to_ne_bytes());
    let port = u16::from_str_radix(port, 16).ok()?;
    Some((
        SocketAddr::from((ip, port)),
        (*cols.get(3)?).to_owned(),
        (*cols.get(9)?).to_owned(),
    ))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proc_net_tcp_row_parses() {
        let row = "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0";
        let (addr, state, inode) = parse_tcp_row(row).unwrap();
        assert_eq!(addr, "127.0.0.1:8080".parse::<SocketAddr>().unwrap());
        assert_eq!((state.as_str(), inode.as_str()), ("0A", "12345"));
    }

    #[test]
    fn this_process_owns_its_listener_and_not_another() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        assert!(listening_addrs(std::process::id()).contains(&addr));
        drop(l);
        assert!(!listening_addrs(std::process::id()).contains(&addr));
    }
}

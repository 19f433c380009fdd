//! The REAL Prometheus Pushgateway and Prometheus (Debian packages `prometheus-pushgateway`,
//! `prometheus`), started on loopback and killed on drop.
//!
//! Hermetic: each server gets every path it would write or read by default (Pushgateway's
//! `--persistence.file`, which Debian points at a shared `/var/lib/prometheus/pushgateway.data`;
//! Prometheus's config and TSDB) inside a temp dir the test owns; it listens on port 0, so the
//! kernel gives it a port no parallel test holds, read back from `/proc`; and every call checks
//! that the child is alive and still owns that port, so an answer never comes from another
//! process.
//!
//! ```no_run
//! use std::time::Duration;
//! use test_support::prometheus::{Prometheus, Pushgateway};
//! let pg = Pushgateway::start().unwrap();
//! pg.push_text("/metrics/job/demo", "# TYPE x gauge\nx 3\n").unwrap();
//! let prom = Prometheus::start_scraping(&pg).unwrap();
//! assert_eq!(prom.wait_for_value("x", Duration::from_secs(30)).unwrap(), 3.0);
//! ```
//!
//! Calls are blocking (plain HTTP/1.0 over a `TcpStream`), so they work from sync tests that
//! drive a binary and from async tests alike; every wait is bounded.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::process::{ChildGuard, find_program};

const START_LIMIT: Duration = Duration::from_secs(30);

/// A blocking HTTP/1.0 exchange with a loopback server: `(status, body)`.
///
/// # Errors
/// Connection or protocol failures, as one line.
pub fn http(
    method: &str,
    addr: SocketAddr,
    path: &str,
    body: Option<&str>,
) -> Result<(u16, String), String> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))
        .map_err(|e| format!("connect {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let body = body.unwrap_or("");
    let req = format!(
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(req.as_bytes())
        .map_err(|e| format!("write to {addr}: {e}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("read from {addr}: {e}"))?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            format!(
                "no HTTP status from {addr}: {}",
                head.lines().next().unwrap_or("")
            )
        })?;
    Ok((status, body.to_owned()))
}

/// Percent-encodes a query parameter value.
#[must_use]
pub fn encode_query(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Starts `cmd` (which must listen on `127.0.0.1:0`), reads the port it got back and waits
/// until `/-/ready` answers 200 from that child.
fn start_ready(name: &str, cmd: Command) -> Result<(ChildGuard, SocketAddr), String> {
    let mut child = ChildGuard::spawn(name, cmd)?;
    let start = Instant::now();
    let addr = child.wait_for_listener(START_LIMIT)?;
    let mut last = String::new();
    while start.elapsed() < START_LIMIT {
        if !child.is_running() {
            return Err(format!("{} exited early:\n{}", child.name(), child.log()));
        }
        child.ensure_owns(addr)?;
        match http("GET", addr, "/-/ready", None) {
            Ok((200, _)) => return Ok((child, addr)),
            Ok((s, b)) => last = format!("HTTP {s} {b}"),
            Err(e) => last = e,
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!(
        "{} not ready on {addr} within {START_LIMIT:?} ({last}):\n{}",
        child.name(),
        child.log()
    ))
}

/// The loopback listen address every server here is started with: port 0, chosen by the kernel.
const LISTEN_ANY_PORT: &str = "--web.listen-address=127.0.0.1:0";

/// A running Pushgateway.
#[derive(Debug)]
pub struct Pushgateway {
    addr: SocketAddr,
    child: ChildGuard,
    dir: tempfile::TempDir,
}

impl Pushgateway {
    /// Starts `prometheus-pushgateway` on a kernel-chosen loopback port, persisting to a file in
    /// its own temp dir, and waits until it is ready and empty.
    ///
    /// # Errors
    /// When it is not installed, does not become ready, or already holds pushed series (state
    /// it did not get from this test).
    pub fn start() -> Result<Self, String> {
        let bin = find_program("prometheus-pushgateway").ok_or(
            "prometheus-pushgateway is not installed (Debian package prometheus-pushgateway)",
        )?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let mut cmd = Command::new(bin);
        cmd.arg(LISTEN_ANY_PORT)
            .arg(format!(
                "--persistence.file={}",
                dir.path().join("pushgateway.data").display()
            ))
            .current_dir(dir.path());
        let (child, addr) = start_ready("prometheus-pushgateway", cmd)?;
        let pg = Self { addr, child, dir };
        let groups = pg.series("push_time_seconds")?;
        if !groups.is_empty() {
            return Err(format!(
                "a fresh pushgateway already holds pushed groups (state it does not own): {groups:?}"
            ));
        }
        Ok(pg)
    }

    /// The persistence file this gateway owns (inside its temp dir).
    #[must_use]
    pub fn persistence_file(&self) -> std::path::PathBuf {
        self.dir.path().join("pushgateway.data")
    }

    /// The child's process id.
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.child.pid()
    }

    /// `http://127.0.0.1:<port>`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The listen address.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// PUTs a text-format body to `path` (`/metrics/job/<job>/…`).
    ///
    /// # Errors
    /// When the gateway does not answer 200/202.
    pub fn push_text(&self, path: &str, body: &str) -> Result<(), String> {
        self.child.ensure_owns(self.addr)?;
        match http("PUT", self.addr, path, Some(body))? {
            (200 | 202, _) => Ok(()),
            (s, b) => Err(format!("pushgateway answered HTTP {s}: {b}")),
        }
    }

    /// The gateway's own `/metrics` exposition.
    ///
    /// # Errors
    /// When it cannot be read.
    pub fn metrics_text(&self) -> Result<String, String> {
        self.child.ensure_owns(self.addr)?;
        let answer = http("GET", self.addr, "/metrics", None)?;
        // Checked again after the answer: the port was ours for the whole exchange.
        self.child.ensure_owns(self.addr)?;
        match answer {
            (200, b) => Ok(b),
            (s, b) => Err(format!("pushgateway /metrics answered HTTP {s}: {b}")),
        }
    }

    /// The sample lines (no comments) of `metric` in `/metrics`, sorted.
    ///
    /// # Errors
    /// When `/metrics` cannot be read.
    pub fn series(&self, metric: &str) -> Result<Vec<String>, String> {
        let text = self.metrics_text()?;
        let mut v: Vec<String> = text
            .lines()
            .filter(|l| {
                l.starts_with(&format!("{metric}{{")) || l.starts_with(&format!("{metric} "))
            })
            .map(str::to_owned)
            .collect();
        v.sort();
        Ok(v)
    }

    /// The process log (for assertion messages).
    #[must_use]
    pub fn log(&self) -> String {
        self.child.log()
    }
}

/// A running Prometheus scraping a [`Pushgateway`] every second with `honor_labels: true`.
#[derive(Debug)]
pub struct Prometheus {
    addr: SocketAddr,
    child: ChildGuard,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    /// Starts `prometheus` with a temporary config and TSDB, scraping `pg`.
    ///
    /// # Errors
    /// When it is not installed or does not become ready.
    pub fn start_scraping(pg: &Pushgateway) -> Result<Self, String> {
        let bin = find_program("prometheus")
            .ok_or("prometheus is not installed (Debian package prometheus)")?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: pushgateway\n    honor_labels: true\n    static_configs:\n      - targets: ['{}']\n",
                pg.addr()
            ),
        )
        .map_err(|e| e.to_string())?;
        let mut cmd = Command::new(bin);
        cmd.arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(LISTEN_ANY_PORT)
            .current_dir(dir.path());
        let (child, addr) = start_ready("prometheus", cmd)?;
        Ok(Self {
            addr,
            child,
            _dir: dir,
        })
    }

    /// The child's process id.
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.child.pid()
    }

    /// `http://127.0.0.1:<port>`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The raw `/api/v1/query` JSON for `promql`.
    ///
    /// # Errors
    /// When Prometheus does not answer 200 with JSON.
    pub fn query_json(&self, promql: &str) -> Result<serde_json::Value, String> {
        let path = format!("/api/v1/query?query={}", encode_query(promql));
        self.child.ensure_owns(self.addr)?;
        let answer = http("GET", self.addr, &path, None)?;
        self.child.ensure_owns(self.addr)?;
        match answer {
            (200, b) => {
                serde_json::from_str(&b).map_err(|e| format!("bad JSON from prometheus: {e}"))
            }
            (s, b) => Err(format!("prometheus answered HTTP {s}: {b}")),
        }
    }

    /// The single value of an instant query: `None` for an empty result.
    ///
    /// # Errors
    /// When the query fails or returns several series.
    pub fn query(&self, promql: &str) -> Result<Option<f64>, String> {
        let v = self.query_json(promql)?;
        let data = &v["data"];
        let result = &data["result"];
        let sample = match data["resultType"].as_str() {
            Some("scalar") => result.get(1),
            Some("vector") => match result.as_array().map(Vec::as_slice) {
                Some([]) | None => return Ok(None),
                Some([one]) => one["value"].get(1),
                Some(many) => {
                    return Err(format!("{promql} returned {} series: {result}", many.len()));
                }
            },
            other => return Err(format!("unexpected result type {other:?}: {v}")),
        };
        sample
            .and_then(|s| s.as_str())
            .and_then(|s| s.parse().ok())
            .map(Some)
            .ok_or_else(|| format!("no numeric sample in {v}"))
    }

    /// Polls `query` until it has a value (scrapes are every second), at most `timeout`.
    ///
    /// # Errors
    /// When no value shows up in time (the last error or the log is included).
    pub fn wait_for_value(&self, promql: &str, timeout: Duration) -> Result<f64, String> {
        let start = Instant::now();
        let mut last = String::from("no result");
        while start.elapsed() < timeout {
            match self.query(promql) {
                Ok(Some(v)) => return Ok(v),
                Ok(None) => {}
                Err(e) => last = e,
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        Err(format!(
            "`{promql}` had no value within {timeout:?}: {last}"
        ))
    }

    /// Polls until `query` returns exactly `want` (for staleness checks), at most `timeout`.
    ///
    /// # Errors
    /// When it does not in time.
    pub fn wait_for(
        &self,
        promql: &str,
        want: Option<f64>,
        timeout: Duration,
    ) -> Result<(), String> {
        let start = Instant::now();
        let mut last = Ok(None);
        while start.elapsed() < timeout {
            last = self.query(promql);
            if last.as_ref().ok() == Some(&want) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        Err(format!(
            "`{promql}` never became {want:?} within {timeout:?}; last: {last:?}"
        ))
    }

    /// The process log.
    #[must_use]
    pub fn log(&self) -> String {
        self.child.log()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_gateway_owns_its_state_and_its_port() {
        let Ok(first) = Pushgateway::start() else {
            // Not installed: the suites that need it say so; install-deps installs it.
            return;
        };
        first
            .push_text("/metrics/job/hermetic", "# TYPE h gauge\nh 1\n")
            .unwrap();
        assert_eq!(first.series("h").unwrap().len(), 1);
        assert!(first.persistence_file().starts_with(first.dir.path()));
        let second = Pushgateway::start().unwrap();
        assert_ne!(first.addr(), second.addr());
        assert!(second.series("h").unwrap().is_empty(), "{}", second.log());
        assert!(second.child.ensure_owns(first.addr()).is_err());
    }
}

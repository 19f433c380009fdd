//! Loopback addresses and readiness waits. Servers bind port 0 and report the port they got;
//! nothing here hands out a port that is free "for now".

use std::net::{SocketAddr, TcpStream};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// An address where nothing listens (for connection-refused tests). The port stays bound (not
/// listening) until the test process ends, so no server of a parallel test can take it and
/// answer instead.
///
/// # Panics
/// When no loopback port can be bound (the test cannot run at all then).
#[must_use]
pub fn refused_addr() -> SocketAddr {
    static HELD: Mutex<Vec<tokio::net::TcpSocket>> = Mutex::new(Vec::new());
    let socket = tokio::net::TcpSocket::new_v4().expect("a TCP socket");
    socket
        .bind(([127, 0, 0, 1], 0).into())
        .expect("bind 127.0.0.1:0");
    let addr = socket.local_addr().expect("bound address");
    HELD.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(socket);
    addr
}

/// Waits until `addr` accepts TCP connections, at most `limit`. It cannot tell who listens: for
/// a child process the test started, use `ChildGuard::wait_for_listener` and `ensure_owns`.
///
/// # Errors
/// When it never does.
pub fn wait_for_port(addr: SocketAddr, limit: Duration) -> Result<(), String> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("nothing listened on {addr} within {limit:?}"))
}

/// Waits until `GET url` answers 2xx, at most `limit`.
///
/// # Errors
/// When it never does.
pub async fn wait_for_http(url: &str, limit: Duration) -> Result<(), String> {
    let client = http_policy::client_builder()
        .timeout(Duration::from_secs(2))
        .build()
        .map_err(|e| e.to_string())?;
    let start = Instant::now();
    let mut last = String::new();
    while start.elapsed() < limit {
        match client.get(url).send().await {
            Ok(r) if r.status().is_success() => return Ok(()),
            Ok(r) => last = format!("HTTP {}", r.status()),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("{url} not ready within {limit:?}: {last}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_refused_address_refuses_and_cannot_be_taken() {
        let addr = super::refused_addr();
        let err = std::net::TcpStream::connect(addr).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
        assert!(
            std::net::TcpListener::bind(addr).is_err(),
            "{addr} was free to take"
        );
    }
}

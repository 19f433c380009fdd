//! A hostile server for secret tests, on loopback: every answer repeats the credentials the
//! request carried (each header, and a `Basic` header decoded to `user:password`) in its body,
//! in a response header and wherever the test's body template puts `{ECHO}` (an error
//! message, a per-line error, a partial-success message).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine as _;

/// The server; it runs until the test process ends (threads, no cleanup needed).
#[derive(Debug)]
pub struct EchoServer {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
}

impl EchoServer {
    /// Answers every request with `status`, `content_type` and `template`, in which each
    /// `{ECHO}` becomes the request's headers and decoded credentials (JSON-string safe).
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub fn start(status: u16, content_type: &'static str, template: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("local addr");
        let hits = Arc::new(AtomicUsize::new(0));
        let h = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let h = h.clone();
                std::thread::spawn(move || answer(stream, status, content_type, template, &h));
            }
        });
        Self { addr, hits }
    }

    /// `http://127.0.0.1:PORT`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://user:password@127.0.0.1:PORT`.
    #[must_use]
    pub fn url_with_userinfo(&self, user: &str, password: &str) -> String {
        format!("http://{user}:{password}@{}", self.addr)
    }

    /// `base64(user:password)`, as an HTTP `Basic` header carries (and this server echoes)
    /// URL credentials: a form of the secret that must not be printed either.
    #[must_use]
    pub fn basic_credentials(user: &str, password: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    }

    /// Requests answered so far.
    #[must_use]
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// The request head, at most 64 KiB, read with a 10 s timeout; the body is not needed.
fn read_head(stream: &mut TcpStream) -> Option<String> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    while buf.len() < 64 * 1024 {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            buf.truncate(i);
            return Some(String::from_utf8_lossy(&buf).into_owned());
        }
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    None
}

/// Every header line of the request, plus `Basic` credentials decoded, on one line.
fn echo_of(head: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    for line in head.lines().skip(1) {
        parts.push(line.trim().to_owned());
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("authorization")
            && let Some(b64) = value.trim().strip_prefix("Basic ")
            && let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b64.trim())
        {
            parts.push(format!("decoded {}", String::from_utf8_lossy(&raw)));
        }
    }
    parts
        .join("; ")
        .chars()
        .filter(|c| !c.is_control() && *c != '"' && *c != '\\')
        .collect()
}

fn answer(
    mut stream: TcpStream,
    status: u16,
    content_type: &str,
    template: &str,
    hits: &AtomicUsize,
) {
    let Some(head) = read_head(&mut stream) else {
        return;
    };
    hits.fetch_add(1, Ordering::SeqCst);
    let echo = echo_of(&head);
    let body = template.replace("{ECHO}", &echo);
    let text = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\nx-echo: {echo}\r\nwww-authenticate: Basic realm=\"{echo}\"\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(text.as_bytes());
    let _ = stream.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_headers_and_decoded_basic_credentials() {
        let head = "POST / HTTP/1.1\r\nauthorization: Basic dXNlcjpwYXNzd29yZA==\r\nx-token: T0KEN";
        let e = echo_of(head);
        assert!(e.contains("decoded user:password"), "{e}");
        assert!(e.contains("x-token: T0KEN"), "{e}");
    }
}

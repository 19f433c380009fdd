//! A raw HTTP/1.1 server on loopback for fault tests: it can answer anything, including what
//! a well-behaved framework never sends (a response cut in the middle, a closed socket, an
//! HTML page with a 200).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Act {
    /// Answer this status, content type and body (`connection: close`).
    Reply(u16, &'static str, String),
    /// Write these bytes (the start of a response), then shut the socket down.
    Cut(&'static [u8]),
    /// Close the connection without a byte.
    Close,
    /// Wait, then do the inner act.
    Delay(Duration, Box<Act>),
    /// Answer this status and content type with a chunked body that never ends (the server
    /// stops after [`ENDLESS_CAP`] bytes or when the client hangs up).
    Endless(u16, &'static str),
    /// Answer this status and content type declaring this `Content-Length`, send a few bytes,
    /// then close.
    DeclaredLength(u16, &'static str, u64),
}

/// What an [`Act::Endless`] body sends at most: 8 GiB, far above any limit under test.
pub const ENDLESS_CAP: u64 = 8 << 30;

type Router = Arc<dyn Fn(&str, &str) -> Act + Send + Sync>;

/// The server; it runs until the test process ends (threads, no cleanup needed).
#[derive(Debug)]
pub struct RawServer {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl RawServer {
    /// Starts a server whose `router(method, path)` decides each answer.
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub fn start(router: impl Fn(&str, &str) -> Act + Send + Sync + 'static) -> Self {
        let router: Router = Arc::new(router);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("local addr");
        let hits = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (h, q) = (hits.clone(), requests.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (router, h, q) = (router.clone(), h.clone(), q.clone());
                std::thread::spawn(move || serve(stream, &router, &h, &q));
            }
        });
        Self {
            addr,
            hits,
            requests,
        }
    }

    /// Every request answered the same way.
    pub fn always(act: Act) -> Self {
        Self::start(move |_, _| act.clone())
    }

    /// `http://127.0.0.1:PORT`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests received so far.
    #[must_use]
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// The raw requests received so far (head and body).
    ///
    /// # Panics
    /// When a server thread panicked while holding the lock.
    #[must_use]
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("requests lock").clone()
    }
}

/// Reads one request (head, then `content-length` bytes of body), with a 10 s read timeout.
fn read_request(stream: &mut TcpStream) -> Option<String> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(String::from_utf8_lossy(&buf).into_owned())
}

fn serve(mut stream: TcpStream, router: &Router, hits: &AtomicUsize, q: &Mutex<Vec<String>>) {
    let Some(req) = read_request(&mut stream) else {
        return;
    };
    hits.fetch_add(1, Ordering::SeqCst);
    if let Ok(mut q) = q.lock() {
        q.push(req.clone());
    }
    let mut first = req.lines().next().unwrap_or("").split(' ');
    let (method, path) = (first.next().unwrap_or(""), first.next().unwrap_or(""));
    let mut act = router(method, path);
    loop {
        match act {
            Act::Delay(d, inner) => {
                std::thread::sleep(d);
                act = *inner;
            }
            Act::Close => return,
            Act::Cut(bytes) => {
                let _ = stream.write_all(bytes);
                let _ = stream.flush();
                let _ = stream.shutdown(std::net::Shutdown::Both);
                return;
            }
            Act::Endless(status, ctype) => {
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: {ctype}\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
                );
                if stream.write_all(head.as_bytes()).is_err() {
                    return;
                }
                let mut chunk = b"4000\r\n".to_vec();
                chunk.extend(std::iter::repeat_n(b'{', 0x4000));
                chunk.extend(b"\r\n");
                let mut sent = 0u64;
                while sent < ENDLESS_CAP && stream.write_all(&chunk).is_ok() {
                    sent += 0x4000;
                }
                return;
            }
            Act::DeclaredLength(status, ctype, len) => {
                let text = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: {ctype}\r\ncontent-length: {len}\r\nconnection: close\r\n\r\n{{\"a\":"
                );
                let _ = stream.write_all(text.as_bytes());
                return;
            }
            Act::Reply(status, ctype, body) => {
                let text = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(text.as_bytes());
                return;
            }
        }
    }
}

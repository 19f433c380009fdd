//! The TLS stack (rustls with ring, installed by `client_builder`) completes a real handshake.
//!
//! reqwest is built without a crypto provider, so a mistake in that wiring would only show up
//! on the first https URL a user gives. The server is a real one: `openssl s_server` with a
//! certificate made for this test.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn openssl(args: &[&str]) -> Command {
    let mut c = Command::new("openssl");
    c.args(args);
    c
}

/// A self-signed certificate for 127.0.0.1 and `openssl s_server -www` serving with it.
fn start_server(dir: &std::path::Path) -> (Server, u16, Vec<u8>) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let status = openssl(&["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        // A server certificate, not a CA (webpki refuses a CA certificate as the end entity).
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .args(["-addext", "extendedKeyUsage=serverAuth"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl must be installed (Debian package openssl) for the TLS test");
    assert!(status.success(), "openssl req failed");
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = openssl(&["s_server", "-www", "-quiet", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start openssl s_server");
    let server = Server(child);
    let start = Instant::now();
    while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "openssl s_server did not listen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (server, port, std::fs::read(&cert).unwrap())
}

#[tokio::test]
async fn https_handshake_with_ring_and_certificate_checks() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, port, cert) = start_server(dir.path());
    let url = format!("https://127.0.0.1:{port}/");

    // Trusting the test's certificate: the handshake completes and the page arrives.
    let trusting = http_policy::client_builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&cert).unwrap()])
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let body = trusting
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("s_server"), "unexpected page: {body:.200}");

    // The workspace's own client does not trust a self-signed certificate.
    let client = http_policy::HttpConfig::default().client().unwrap();
    let err = client.get(&url).send().await.unwrap_err();
    assert!(err.is_connect() || err.is_request(), "{err:?}");
}

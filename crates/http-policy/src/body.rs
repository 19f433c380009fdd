//! Bounded response bodies: the one place a response body is read.
//!
//! A body is read chunk by chunk and refused as soon as it would pass the limit of its use;
//! a `Content-Length` above the limit is refused before a byte is read. Memory is bounded by
//! the limit, time by the client's total timeout. Limits per use are the constants below
//! (listed in `docs/configuration.md`).

use reqwest::Response;

/// Answers of metrics backends (Dynatrace ingest, OTLP, Pushgateway): 4 MiB, OTLP's
/// recommended response limit.
pub const METRICS_RESPONSE_LIMIT: usize = 4 * 1024 * 1024;

/// Answers of query APIs (Prometheus, Dynatrace metrics query): 16 MiB, far above one instant
/// query or one SLI's data points.
pub const QUERY_RESPONSE_LIMIT: usize = 16 * 1024 * 1024;

/// Answers of the Keptn API: 16 MiB (a datastore page is 100 events of at most 64 KB).
pub const KEPTN_RESPONSE_LIMIT: usize = 16 * 1024 * 1024;

/// Bodies read only to quote them in an error message (retries exhausted): 64 KiB.
pub const ERROR_RESPONSE_LIMIT: usize = 64 * 1024;

/// A response body that could not be read within its limit.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// Larger than the limit of its use (declared in `Content-Length`, or seen while reading).
    #[error("the response body is larger than {}{}; refused", human(*limit as u64), declared.map_or_else(String::new, |n| format!(" (Content-Length {})", human(n))))]
    TooLarge {
        /// The limit of this use, in bytes.
        limit: usize,
        /// The `Content-Length` the server declared, when that was already too large.
        declared: Option<u64>,
    },
    /// The connection failed or timed out while reading.
    #[error("the response body could not be read: {0}")]
    Read(String),
}

fn human(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= 1024 && n.is_multiple_of(1024) {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

/// Reads `resp`'s body, at most `limit` bytes.
///
/// # Errors
/// [`BodyError::TooLarge`] when the declared or actual length passes `limit`,
/// [`BodyError::Read`] when the transfer fails.
pub async fn read_body(mut resp: Response, limit: usize) -> Result<Vec<u8>, BodyError> {
    let declared = resp.content_length();
    if let Some(n) = declared
        && n > limit as u64
    {
        return Err(BodyError::TooLarge {
            limit,
            declared: Some(n),
        });
    }
    // Reserve what was declared (already checked against the limit), never more.
    let mut out = Vec::with_capacity(declared.map_or(0, |n| usize::try_from(n).unwrap_or(0)));
    // Ends: each chunk is non-empty and the total is capped, or the client's timeout fires.
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| BodyError::Read(crate::retry::describe(&e)))?
    {
        if out.len().saturating_add(chunk.len()) > limit {
            return Err(BodyError::TooLarge {
                limit,
                declared: None,
            });
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// [`read_body`] as text (invalid UTF-8 replaced, as `reqwest`'s `text()` does).
///
/// # Errors
/// As [`read_body`].
pub async fn read_text(resp: Response, limit: usize) -> Result<String, BodyError> {
    let bytes = read_body(resp, limit).await?;
    Ok(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// A raw server that answers one request with `head` and then `chunk` repeated up to
    /// `max_bytes` (or until the client hangs up).
    fn serve_once(head: &'static str, chunk: impl Into<Vec<u8>>, max_bytes: usize) -> String {
        let chunk = chunk.into();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let Ok((mut s, _)) = listener.accept() else {
                return;
            };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            if s.write_all(head.as_bytes()).is_err() {
                return;
            }
            let mut sent = 0;
            while sent < max_bytes && s.write_all(&chunk).is_ok() {
                sent += chunk.len();
            }
        });
        format!("http://{addr}/")
    }

    async fn get(url: &str) -> Response {
        crate::HttpConfig::default()
            .client()
            .unwrap()
            .get(url)
            .send()
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_declared_length_over_the_limit_is_refused_before_reading() {
        let url = serve_once(
            "HTTP/1.1 200 OK\r\ncontent-length: 10000000000\r\n\r\n",
            b"x",
            1,
        );
        let err = read_body(get(&url).await, 1024).await.unwrap_err();
        assert!(
            matches!(
                err,
                BodyError::TooLarge {
                    declared: Some(10_000_000_000),
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("larger than 1 KiB"), "{err}");
    }

    #[tokio::test]
    async fn an_endless_chunked_body_is_refused_at_the_limit() {
        // 8 KiB chunks; the server would send 1 GiB, the reader stops after 64 KiB.
        let mut chunk = b"2000\r\n".to_vec();
        chunk.extend([b'a'; 8192]);
        chunk.extend(b"\r\n");
        let url = serve_once(
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n",
            chunk,
            1 << 30,
        );
        let err = read_body(get(&url).await, 64 * 1024).await.unwrap_err();
        assert!(
            matches!(
                err,
                BodyError::TooLarge {
                    declared: None,
                    limit: 65536
                }
            ),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_body_within_the_limit_is_read_whole() {
        let url = serve_once(
            "HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\n",
            b"h\xffllo",
            5,
        );
        assert_eq!(read_text(get(&url).await, 5).await.unwrap(), "h\u{fffd}llo");
    }
}

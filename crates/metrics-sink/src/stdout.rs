//! The stdout sink: metrics as text or JSON lines on an injected writer (vector's `WriterSink`).

use std::io::Write;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::{MetricsSink, PushReport, SinkError, SinkErrorKind, Snapshot};

/// How the stdout sink writes each metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdoutFormat {
    /// `trivy.image.vulnerabilities{image="nginx",tag="1.21.1",vulnerability.severity="CRITICAL"} 8`
    Text,
    /// One JSON object per line: `name`, `value`, `attributes`, `image`, `tag`, `timestamp`.
    JsonLines,
}

/// Writes metrics to stdout, or to any writer handed in (tests pass a [`SharedBuffer`]).
pub struct StdoutSink {
    format: StdoutFormat,
    out: Mutex<Box<dyn Write + Send>>,
}

impl std::fmt::Debug for StdoutSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StdoutSink")
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl StdoutSink {
    /// A sink writing to the process's stdout.
    #[must_use]
    pub fn stdout(format: StdoutFormat) -> Self {
        Self::to_writer(format, std::io::stdout())
    }

    /// A sink writing to `out`.
    #[must_use]
    pub fn to_writer(format: StdoutFormat, out: impl Write + Send + 'static) -> Self {
        Self {
            format,
            out: Mutex::new(Box::new(out)),
        }
    }

    /// Renders a snapshot in `format` (one line per metric, each ending in `\n`).
    #[must_use]
    pub fn render(format: StdoutFormat, snapshot: &Snapshot) -> String {
        let mut s = String::new();
        for m in &snapshot.metrics {
            match format {
                StdoutFormat::Text => {
                    let mut labels = vec![
                        format!("image={:?}", snapshot.image.name),
                        format!("tag={:?}", snapshot.image.tag_or_empty()),
                    ];
                    if let Some(scanner) = snapshot.non_default_scanner() {
                        labels.push(format!("scanner={scanner:?}"));
                    }
                    labels.extend(m.attributes.iter().map(|(k, v)| format!("{k}={v:?}")));
                    s.push_str(&format!("{}{{{}}} {}\n", m.name, labels.join(","), m.value));
                }
                StdoutFormat::JsonLines => {
                    let v = serde_json::json!({
                        "name": m.name,
                        "value": m.value,
                        "attributes": m.attributes,
                        "image": snapshot.image.name,
                        "tag": snapshot.image.tag,
                        "scanner": snapshot.scanner,
                        "timestamp": snapshot.observed_at.to_string(),
                    });
                    s.push_str(&v.to_string());
                    s.push('\n');
                }
            }
        }
        s
    }
}

#[async_trait]
impl MetricsSink for StdoutSink {
    fn name(&self) -> &'static str {
        "stdout"
    }

    async fn push(&self, snapshot: &Snapshot) -> Result<PushReport, SinkError> {
        let text = Self::render(self.format, snapshot);
        let names = || {
            snapshot
                .metrics
                .iter()
                .map(crate::Metric::identity)
                .collect()
        };
        let mut out = self.out.lock().map_err(|_| SinkError {
            sink: "stdout",
            kind: SinkErrorKind::Io,
            message: "output lock poisoned".into(),
            unsent: names(),
        })?;
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| SinkError {
                sink: "stdout",
                kind: SinkErrorKind::Io,
                message: format!("could not write metrics: {e}"),
                unsent: names(),
            })?;
        Ok(PushReport {
            accepted: names(),
            ..PushReport::default()
        })
    }
}

/// A cloneable in-memory writer, for tests and for callers that embed the output elsewhere.
#[derive(Debug, Clone, Default)]
pub struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl SharedBuffer {
    /// Everything written so far, as UTF-8 (lossy).
    #[must_use]
    pub fn contents(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().map(|b| b.clone()).unwrap_or_default()).into_owned()
    }

    /// Everything written so far, as UTF-8 (lossy), leaving the buffer empty: for callers
    /// that print the output in parts (a fleet run, batch by batch).
    #[must_use]
    pub fn take(&self) -> String {
        let bytes = self
            .0
            .lock()
            .map(|mut b| std::mem::take(&mut *b))
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("buffer lock poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ImageRef;

    #[test]
    fn text_lines_name_image_tag_and_severity() {
        let snap = Snapshot::vulnerability_counts(
            ImageRef::parse("nginx:1.21.1"),
            jiff::Timestamp::UNIX_EPOCH,
            [("CRITICAL", 8)],
        );
        assert_eq!(
            StdoutSink::render(StdoutFormat::Text, &snap),
            "trivy.image.vulnerabilities{image=\"nginx\",tag=\"1.21.1\",vulnerability.severity=\"CRITICAL\"} 8\n\
             trivy.image.vulnerabilities.total{image=\"nginx\",tag=\"1.21.1\"} 8\n"
        );
        let json = StdoutSink::render(StdoutFormat::JsonLines, &snap);
        let first: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
        assert_eq!(first["attributes"]["vulnerability.severity"], "CRITICAL");
        assert_eq!(first["value"], 8.0);
    }
}

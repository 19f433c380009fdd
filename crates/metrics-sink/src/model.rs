//! The backend-neutral metric model: one snapshot per scan, gauges only.

use std::collections::BTreeMap;

/// Neutral metric names and attribute keys. Backends map them to their own conventions
/// (see `docs/metrics.md`): Dynatrace puts the severity in the key, Prometheus uses
/// `trivy_image_vulnerabilities{severity="Critical"}`, OTLP keeps these names.
pub mod names {
    /// Gauge: vulnerabilities of one severity in the image. Attribute [`SEVERITY`].
    pub const VULNERABILITIES: &str = "trivy.image.vulnerabilities";
    /// Gauge: sum over the selected severities. Only backends that keep a total use it.
    pub const VULNERABILITIES_TOTAL: &str = "trivy.image.vulnerabilities.total";
    /// Attribute key holding the upper-case Trivy severity (`CRITICAL`).
    pub const SEVERITY: &str = "vulnerability.severity";
    /// The scanner that produced the counts (`trivy`, `grype`, a SARIF or CycloneDX tool).
    pub const SCANNER: &str = "scanner";
    /// The scanner when none is named: the seed's.
    pub const DEFAULT_SCANNER: &str = "trivy";
    /// Gauge: one exploitability or hygiene SLI of the scan (`kev_vulnerabilities_total`,
    /// `epss_max`, `os_eol`, …; `docs/exploitability.md`). Attribute [`SLI_NAME`].
    pub const SLI: &str = "vulngate.sli";
    /// Attribute key holding the SLI's name.
    pub const SLI_NAME: &str = "sli";
}

/// The scanned image, as the user named it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImageRef {
    /// Repository as given (`nginx`, `ghcr.io/org/app`, `127.0.0.1:5000/fixture/x`).
    pub name: String,
    /// Tag, if any (`1.21.1`).
    pub tag: Option<String>,
    /// Digest, if any (`sha256:…`).
    pub digest: Option<String>,
}

impl ImageRef {
    /// Splits `repo[:tag][@digest]`. A `:` that belongs to a registry port is not a tag.
    #[must_use]
    pub fn parse(reference: &str) -> Self {
        let (rest, digest) = match reference.split_once('@') {
            Some((r, d)) => (r, Some(d.to_owned())),
            None => (reference, None),
        };
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        match rest[last_slash..].rfind(':') {
            Some(i) => Self {
                name: rest[..last_slash + i].to_owned(),
                tag: Some(rest[last_slash + i + 1..].to_owned()),
                digest,
            },
            None => Self {
                name: rest.to_owned(),
                tag: None,
                digest,
            },
        }
    }

    /// The tag, or `""` when there is none (the seed sent an empty `tag` dimension then).
    #[must_use]
    pub fn tag_or_empty(&self) -> &str {
        self.tag.as_deref().unwrap_or("")
    }
}

impl std::fmt::Display for ImageRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// One gauge sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// Neutral dotted name, one of [`names`].
    pub name: &'static str,
    /// The value (counts are exact in `f64` up to 2^53).
    pub value: f64,
    /// Attributes, neutral keys (for example [`names::SEVERITY`] → `CRITICAL`).
    pub attributes: BTreeMap<&'static str, String>,
}

impl Metric {
    /// A readable identity for messages: `trivy.image.vulnerabilities{vulnerability.severity="CRITICAL"}`.
    #[must_use]
    pub fn identity(&self) -> String {
        if self.attributes.is_empty() {
            return self.name.to_owned();
        }
        let attrs: Vec<String> = self
            .attributes
            .iter()
            .map(|(k, v)| format!("{k}={v:?}"))
            .collect();
        format!("{}{{{}}}", self.name, attrs.join(","))
    }
}

/// Everything one scan publishes.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The image the counts belong to.
    pub image: ImageRef,
    /// When the scan finished.
    pub observed_at: jiff::Timestamp,
    /// Per-severity gauges in the user's order, then the total.
    pub metrics: Vec<Metric>,
    /// The scanner that produced the counts ([`names::DEFAULT_SCANNER`] unless set).
    pub scanner: String,
}

impl Snapshot {
    /// Builds the standard snapshot: one [`names::VULNERABILITIES`] gauge per selected
    /// severity (upper-case names, in the order given) and one [`names::VULNERABILITIES_TOTAL`].
    #[must_use]
    pub fn vulnerability_counts<'a>(
        image: ImageRef,
        observed_at: jiff::Timestamp,
        counts: impl IntoIterator<Item = (&'a str, u64)>,
    ) -> Self {
        let mut metrics = Vec::new();
        let mut total = 0u64;
        for (severity, count) in counts {
            total += count;
            #[allow(clippy::cast_precision_loss)] // counts never approach 2^53
            metrics.push(Metric {
                name: names::VULNERABILITIES,
                value: count as f64,
                attributes: BTreeMap::from([(names::SEVERITY, severity.to_ascii_uppercase())]),
            });
        }
        #[allow(clippy::cast_precision_loss)]
        metrics.push(Metric {
            name: names::VULNERABILITIES_TOTAL,
            value: total as f64,
            attributes: BTreeMap::new(),
        });
        Self {
            image,
            observed_at,
            metrics,
            scanner: names::DEFAULT_SCANNER.to_owned(),
        }
    }

    /// The same snapshot from another scanner (`grype`, a SARIF or CycloneDX tool name).
    #[must_use]
    pub fn with_scanner(mut self, scanner: impl Into<String>) -> Self {
        self.scanner = scanner.into();
        self
    }

    /// Adds one [`names::SLI`] gauge per (name, value), after the counts. Only measured
    /// values belong here: an SLI that could not be answered is left out, never sent as 0.
    #[must_use]
    pub fn with_slis(mut self, slis: impl IntoIterator<Item = (String, f64)>) -> Self {
        for (name, value) in slis {
            self.metrics.push(Metric {
                name: names::SLI,
                value,
                attributes: BTreeMap::from([(names::SLI_NAME, name)]),
            });
        }
        self
    }

    /// The [`names::SLI`] gauges with their SLI name.
    pub fn slis(&self) -> impl Iterator<Item = (&str, &Metric)> {
        self.metrics.iter().filter_map(|m| {
            (m.name == names::SLI)
                .then(|| m.attributes.get(names::SLI_NAME).map(|s| (s.as_str(), m)))
                .flatten()
        })
    }

    /// The scanner, when it is not the seed's Trivy: backends whose seed-compatible output
    /// must stay byte for byte (Dynatrace) add a dimension only then.
    #[must_use]
    pub fn non_default_scanner(&self) -> Option<&str> {
        (self.scanner != names::DEFAULT_SCANNER).then_some(self.scanner.as_str())
    }

    /// The per-severity gauges with their severity, skipping the total.
    pub fn by_severity(&self) -> impl Iterator<Item = (&str, &Metric)> {
        self.metrics.iter().filter_map(|m| {
            (m.name == names::VULNERABILITIES)
                .then(|| m.attributes.get(names::SEVERITY).map(|s| (s.as_str(), m)))
                .flatten()
        })
    }

    /// The total gauge's value, if present.
    #[must_use]
    pub fn total(&self) -> Option<f64> {
        self.metrics
            .iter()
            .find(|m| m.name == names::VULNERABILITIES_TOTAL)
            .map(|m| m.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_refs_split_like_docker() {
        let r = ImageRef::parse("127.0.0.1:5000/fixture/alpine-vulnerable:3.14");
        assert_eq!(r.name, "127.0.0.1:5000/fixture/alpine-vulnerable");
        assert_eq!(r.tag.as_deref(), Some("3.14"));
        let r = ImageRef::parse("registry:5000/app");
        assert_eq!((r.name.as_str(), r.tag), ("registry:5000/app", None));
        let r = ImageRef::parse("nginx:1.21.1@sha256:abc");
        assert_eq!(r.to_string(), "nginx:1.21.1@sha256:abc");
        assert_eq!(r.digest.as_deref(), Some("sha256:abc"));
    }

    #[test]
    fn snapshot_keeps_order_and_totals() {
        let s = Snapshot::vulnerability_counts(
            ImageRef::parse("nginx:1"),
            jiff::Timestamp::UNIX_EPOCH,
            [("HIGH", 2), ("critical", 3)],
        );
        let sev: Vec<_> = s
            .by_severity()
            .map(|(s, m)| (s.to_owned(), m.value))
            .collect();
        assert_eq!(
            sev,
            [("HIGH".to_owned(), 2.0), ("CRITICAL".to_owned(), 3.0)]
        );
        assert_eq!(s.total(), Some(5.0));
    }
}

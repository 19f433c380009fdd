//! The pure half of the Pushgateway sink: Trivy Operator's metric name and labels, the text
//! exposition format 0.0.4, and the grouping-key path.

use base64::Engine as _;

use crate::{ImageRef, Snapshot};

/// Trivy Operator's gauge name, so existing dashboards pick our series up.
pub const METRIC: &str = "trivy_image_vulnerabilities";
/// `# HELP` text (Trivy Operator's).
pub const HELP: &str = "Number of container image vulnerabilities";
/// The family of the exploitability and hygiene SLIs, one series per `sli` label.
pub const SLI_METRIC: &str = "vulngate_sli";
/// Its `# HELP` text.
pub const SLI_HELP: &str = "An exploitability or hygiene SLI of the image (see the sli label)";

/// The image labels, split the way Trivy Operator (go-containerregistry) does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageLabels {
    /// `index.docker.io` for Docker Hub, else the registry host (and port).
    pub registry: String,
    /// `library/nginx`, `org/app`.
    pub repository: String,
    /// The tag; `latest` when the reference has neither tag nor digest (as docker resolves it).
    pub tag: String,
    /// The digest, if known.
    pub digest: Option<String>,
}

impl ImageLabels {
    /// Splits an image reference: the first path component is a registry when it contains
    /// `.` or `:` or is `localhost`; Docker Hub (`docker.io`, `registry-1.docker.io`) becomes
    /// `index.docker.io`, and its one-component names get the `library/` prefix.
    #[must_use]
    pub fn from_image(image: &ImageRef) -> Self {
        let name = image.name.as_str();
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_owned(), rest.to_owned())
            }
            _ => ("index.docker.io".to_owned(), name.to_owned()),
        };
        let registry = match registry.as_str() {
            "docker.io" | "registry-1.docker.io" => "index.docker.io".to_owned(),
            _ => registry,
        };
        let repository = if registry == "index.docker.io" && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        let tag = match (&image.tag, &image.digest) {
            (Some(t), _) => t.clone(),
            (None, Some(_)) => String::new(),
            (None, None) => "latest".to_owned(),
        };
        Self {
            registry,
            repository,
            tag,
            digest: image.digest.clone(),
        }
    }

    /// The labels of every series, sorted by name (severity added per series).
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        let mut v = Vec::new();
        if let Some(d) = &self.digest {
            v.push(("image_digest", d.as_str()));
        }
        v.push(("image_registry", self.registry.as_str()));
        v.push(("image_repository", self.repository.as_str()));
        v.push(("image_tag", self.tag.as_str()));
        v
    }
}

/// Trivy Operator's severity label: `CRITICAL` → `Critical`; anything unrecognized → `Unknown`.
#[must_use]
pub fn severity_label(severity: &str) -> &'static str {
    match severity.to_ascii_uppercase().as_str() {
        "CRITICAL" => "Critical",
        "HIGH" => "High",
        "MEDIUM" => "Medium",
        "LOW" => "Low",
        _ => "Unknown",
    }
}

/// One series of the body, with the name messages use for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    /// `trivy_image_vulnerabilities{severity="Critical"}`.
    pub metric: String,
    /// The sample line, without LF.
    pub line: String,
}

/// The text-format body: `# HELP`, `# TYPE … gauge`, then one sample per severity (no total:
/// `sum()` gives it), every line ending in LF, no timestamps (the Pushgateway refuses them).
/// Severities that map to the same label (two unrecognized ones) are added up so no series
/// repeats.
#[must_use]
pub fn encode(snapshot: &Snapshot) -> (String, Vec<Series>) {
    let labels = ImageLabels::from_image(&snapshot.image);
    let mut per: Vec<(&'static str, f64)> = Vec::new();
    for (sev, m) in snapshot.by_severity() {
        let l = severity_label(sev);
        match per.iter_mut().find(|(s, _)| *s == l) {
            Some((_, v)) => *v += m.value,
            None => per.push((l, m.value)),
        }
    }
    let mut body = format!(
        "# HELP {METRIC} {}\n# TYPE {METRIC} gauge\n",
        escape_help(HELP)
    );
    let mut series = Vec::new();
    let sample = |metric: &str, key: &'static str, label: &str, value: f64| {
        let mut pairs = labels.pairs();
        pairs.push((key, label));
        pairs.push((crate::names::SCANNER, snapshot.scanner.as_str()));
        pairs.sort_by_key(|(k, _)| *k);
        let rendered: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", escape_label_value(v)))
            .collect();
        format!("{metric}{{{}}} {}", rendered.join(","), format_value(value))
    };
    for (sev, value) in per {
        let line = sample(METRIC, "severity", sev, value);
        body.push_str(&line);
        body.push('\n');
        series.push(Series {
            metric: format!("{METRIC}{{severity=\"{sev}\"}}"),
            line,
        });
    }
    let mut slis = snapshot.slis().peekable();
    if slis.peek().is_some() {
        body.push_str(&format!(
            "# HELP {SLI_METRIC} {}\n# TYPE {SLI_METRIC} gauge\n",
            escape_help(SLI_HELP)
        ));
    }
    for (sli, m) in slis {
        let line = sample(SLI_METRIC, crate::names::SLI_NAME, sli, m.value);
        body.push_str(&line);
        body.push('\n');
        series.push(Series {
            metric: format!("{SLI_METRIC}{{sli=\"{sli}\"}}"),
            line,
        });
    }
    (body, series)
}

/// Label values: `\` → `\\`, `"` → `\"`, newline → `\n`.
#[must_use]
pub fn escape_label_value(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_owned()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        format!("{v}")
    }
}

/// The grouping-key path segments after `/metrics`: `job/<job>` then the image labels. A value
/// holding `/`, or an empty value, goes as `<label>@base64/<URL-safe base64>` (`=` for empty),
/// as the Pushgateway README prescribes; others are percent-encoded by the URL builder.
#[must_use]
pub fn grouping_segments(job: &str, image: &ImageRef) -> Vec<String> {
    let labels = ImageLabels::from_image(image);
    let mut segs = Vec::new();
    let mut add = |name: &str, value: &str| {
        if value.is_empty() {
            segs.push(format!("{name}@base64"));
            segs.push("=".to_owned());
        } else if value.contains('/') {
            segs.push(format!("{name}@base64"));
            segs.push(base64::engine::general_purpose::URL_SAFE.encode(value));
        } else {
            segs.push(name.to_owned());
            segs.push(value.to_owned());
        }
    };
    add("job", job);
    add("image_registry", &labels.registry);
    add("image_repository", &labels.repository);
    add("image_tag", &labels.tag);
    segs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(image: &str, counts: &[(&str, u64)]) -> Snapshot {
        Snapshot::vulnerability_counts(
            ImageRef::parse(image),
            jiff::Timestamp::UNIX_EPOCH,
            counts.iter().copied(),
        )
    }

    #[test]
    fn registry_normalization_matches_trivy_operator() {
        let l = |s: &str| {
            let l = ImageLabels::from_image(&ImageRef::parse(s));
            (l.registry, l.repository, l.tag)
        };
        let t = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
        assert_eq!(
            l("nginx:1.21.1"),
            t("index.docker.io", "library/nginx", "1.21.1")
        );
        assert_eq!(
            l("docker.io/nginx"),
            t("index.docker.io", "library/nginx", "latest")
        );
        assert_eq!(
            l("rancher/coredns-coredns:1.8"),
            t("index.docker.io", "rancher/coredns-coredns", "1.8")
        );
        assert_eq!(l("ghcr.io/org/app:2"), t("ghcr.io", "org/app", "2"));
        assert_eq!(
            l("127.0.0.1:5000/fixture/alpine:3.14"),
            t("127.0.0.1:5000", "fixture/alpine", "3.14")
        );
        assert_eq!(l("localhost/app:1"), t("localhost", "app", "1"));
        assert_eq!(
            l("nginx@sha256:ab"),
            t("index.docker.io", "library/nginx", "")
        );
        assert_eq!(severity_label("critical"), "Critical");
        assert_eq!(severity_label("NEGLIGIBLE"), "Unknown");
    }

    #[test]
    fn hygiene_slis_are_one_family() {
        let s = snap("nginx:1.21.1", &[("CRITICAL", 8)]).with_slis([
            ("kev_vulnerabilities_total".to_owned(), 1.0),
            ("epss_max".to_owned(), 0.45),
            ("os_eol".to_owned(), 1.0),
        ]);
        let (body, series) = encode(&s);
        insta::assert_snapshot!("hygiene_slis_text", body);
        assert_eq!(series.len(), 4);
        assert_eq!(series[3].metric, "vulngate_sli{sli=\"os_eol\"}");
    }

    #[test]
    fn text_body_for_the_alpine_fixture() {
        let s = snap(
            "127.0.0.1:5000/fixture/alpine-vulnerable:3.14",
            &[
                ("CRITICAL", 6),
                ("HIGH", 9),
                ("MEDIUM", 10),
                ("LOW", 2),
                ("UNKNOWN", 2),
            ],
        );
        let (body, series) = encode(&s);
        insta::assert_snapshot!("alpine_fixture_text", body);
        assert_eq!(series.len(), 5);
        assert_eq!(
            series[0].metric,
            "trivy_image_vulnerabilities{severity=\"Critical\"}"
        );
    }

    #[test]
    fn label_values_are_escaped() {
        let (body, _) = encode(&snap("ghcr.io/a\"b\\c\nd:1", &[("HIGH", 1)]));
        insta::assert_snapshot!("escaped_labels", body);
    }

    #[test]
    fn grouping_key_uses_base64_for_slashes_and_empty_values() {
        let segs = grouping_segments("vulngate", &ImageRef::parse("ghcr.io/org/app:1.0"));
        assert_eq!(
            segs,
            [
                "job",
                "vulngate",
                "image_registry",
                "ghcr.io",
                "image_repository@base64",
                "b3JnL2FwcA==",
                "image_tag",
                "1.0"
            ]
        );
        let segs = grouping_segments("ci/job", &ImageRef::parse("nginx@sha256:ab"));
        assert_eq!(segs[0..2], ["job@base64".to_owned(), "Y2kvam9i".to_owned()]);
        assert_eq!(segs[6..8], ["image_tag@base64".to_owned(), "=".to_owned()]);
    }
}

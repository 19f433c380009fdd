#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

use std::fmt::Write as _;

/// One environment variable: its name, which program reads it, what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvVar {
    /// The variable's name, e.g. `METRICS_API_TOKEN`.
    pub name: &'static str,
    /// The programs that read it, e.g. `trivy-scan, slo-gate`.
    pub read_by: &'static str,
    /// One line of Markdown: what it means, and what wins over it.
    pub meaning: &'static str,
}

/// Defines each variable once: a constant named like the variable (whose value is its name,
/// documented with its meaning), and the lists [`ALL`] and [`NAMES`] in the same order, so
/// the constant, the list the docs are generated from and the test list cannot differ.
macro_rules! env_vars {
    ($($name:ident, read by $by:literal: $meaning:literal;)*) => {
        $(
            #[doc = concat!("`", stringify!($name), "`, read by ", $by, ": ", $meaning)]
            pub const $name: &str = stringify!($name);
        )*

        /// Every variable of this list, in order.
        pub const ALL: &[$crate::EnvVar] = &[$(
            $crate::EnvVar { name: $name, read_by: $by, meaning: $meaning },
        )*];

        /// The names of [`ALL`], in the same order.
        pub const NAMES: &[&str] = &[$($name),*];
    };
}

env_vars! {
    IMAGE, read by "trivy-scan":
        "image repository when no `IMAGE` argument is given (seed)";
    TAG, read by "trivy-scan":
        "image tag, appended as `IMAGE:TAG` (seed)";
    TRIVY_SECURITY, read by "trivy-scan, slo-gate":
        "severity list, e.g. `CRITICAL` or `CRITICAL,HIGH` (seed); `--severity` wins";
    TRIVY_SEVERITY, read by "trivy-scan, slo-gate":
        "same, read when `TRIVY_SECURITY` is unset (Trivy's own spelling)";
    TRIVY_BIN, read by "trivy-scan":
        "the trivy executable (`--trivy-bin`)";
    METRICS_ENDPOINT, read by "trivy-scan (also slo-gate as a Dynatrace fallback)":
        "Dynatrace environment URL or bare host; with `METRICS_API_TOKEN` set, enables the Dynatrace sink (seed); trivy-scan's `--provider dynatrace` queries it";
    METRICS_API_TOKEN, read by "trivy-scan (also slo-gate as a fallback)":
        "Dynatrace API token (`metrics.ingest`; `metrics.read` for slo-gate and trivy-scan's `--provider dynatrace`) (seed)";
    PUSHGATEWAY_URL, read by "trivy-scan":
        "Pushgateway base URL (`--pushgateway-url`)";
    OTEL_EXPORTER_OTLP_ENDPOINT, read by "trivy-scan":
        "OTLP base URL; `/v1/metrics` is appended";
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, read by "trivy-scan":
        "OTLP metrics URL, used as is";
    OTEL_EXPORTER_OTLP_HEADERS, read by "trivy-scan":
        "`k=v,k2=v2` headers for the OTLP receiver (URL-decoded; treated as secrets)";
    OTEL_EXPORTER_OTLP_METRICS_HEADERS, read by "trivy-scan":
        "same for metrics only; a key here wins over the same key in `OTEL_EXPORTER_OTLP_HEADERS`";
    OTEL_EXPORTER_OTLP_PROTOCOL, read by "trivy-scan":
        "`http/protobuf` (default) or `http/json`";
    OTEL_EXPORTER_OTLP_METRICS_PROTOCOL, read by "trivy-scan":
        "same for metrics only; wins over `OTEL_EXPORTER_OTLP_PROTOCOL`, `--otlp-protocol` wins over both";
    OTEL_RESOURCE_ATTRIBUTES, read by "trivy-scan":
        "extra resource attributes, `k=v,...`";
    OTEL_SERVICE_NAME, read by "trivy-scan":
        "`service.name` resource attribute (default `vulngate`)";
    PROMETHEUS_URL, read by "slo-gate, trivy-scan":
        "Prometheus base URL for `--provider prometheus`";
    DT_TENANT, read by "slo-gate":
        "Dynatrace environment URL for `--provider dynatrace` (then `METRICS_ENDPOINT`)";
    DT_API_TOKEN, read by "slo-gate":
        "Dynatrace token for `--provider dynatrace` (then `METRICS_API_TOKEN`)";
    KEPTN_API_URL, read by "keptn-send":
        "Keptn API base URL, e.g. `http://1.2.3.4/api`";
    KEPTN_API_TOKEN, read by "keptn-send":
        "Keptn API token, sent as `x-token`";
    CI, read by "trivy-scan":
        "set (to anything but empty) by CI systems: no live progress line on stderr for several images, even on a terminal";
    VULNGATE_LOG, read by "all":
        "log filter in tracing `EnvFilter` syntax; overrides `-v`/`-q`";
}

/// Trivy's own variables that the binaries read too. Every `TRIVY_*` variable also reaches
/// the trivy child process unchanged; these are the ones vulngate looks at itself. They are
/// not in the crate's [`ALL`](crate::ALL) list, which holds vulngate's own settings.
pub mod trivy {
    env_vars! {
        TRIVY_CACHE_DIR, read by "trivy-scan, trivy":
            "trivy's cache directory when `--cache-dir` is not given; `--max-db-age` and the reported DB version read the DB there";
        XDG_CACHE_HOME, read by "trivy-scan, trivy":
            "without `TRIVY_CACHE_DIR`, trivy's cache is `$XDG_CACHE_HOME/trivy`";
        HOME, read by "trivy-scan, trivy":
            "without both, trivy's cache is `$HOME/.cache/trivy`";
        TRIVY_PASSWORD, read by "trivy-scan, trivy":
            "registry password for trivy; trivy-scan treats it as a secret (redacted from everything it prints)";
        TRIVY_TOKEN, read by "trivy-scan, trivy":
            "trivy server token; treated as a secret";
        TRIVY_REGISTRY_TOKEN, read by "trivy-scan, trivy":
            "registry token for trivy; treated as a secret";
    }
}

/// The Markdown table of `vars` (`| variable | read by | meaning |`), one row per variable,
/// ending with a newline. `docs/configuration.md` holds [`ALL`] and then [`trivy::ALL`] in
/// this form, between markers that `scripts/gen-configuration-doc.sh` rewrites.
#[must_use]
pub fn markdown_table<'a>(vars: impl IntoIterator<Item = &'a EnvVar>) -> String {
    let mut s = String::from("| variable | read by | meaning |\n| --- | --- | --- |\n");
    for v in vars {
        // Writing to a String cannot fail.
        let _ = writeln!(s, "| `{}` | {} | {} |", v.name, v.read_by, v.meaning);
    }
    s
}

/// [`markdown_table`] of every variable: vulngate's own, then trivy's.
#[must_use]
pub fn reference_table() -> String {
    markdown_table(ALL.iter().chain(trivy::ALL))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_name_is_the_constant_s_own_value_and_listed_once() {
        assert_eq!(METRICS_API_TOKEN, "METRICS_API_TOKEN");
        assert_eq!(trivy::TRIVY_CACHE_DIR, "TRIVY_CACHE_DIR");
        let mut all: Vec<&str> = NAMES.iter().chain(trivy::NAMES).copied().collect();
        assert_eq!(all.len(), ALL.len() + trivy::ALL.len());
        all.sort_unstable();
        all.dedup();
        assert_eq!(
            all.len(),
            ALL.len() + trivy::ALL.len(),
            "a name is listed twice"
        );
        assert!(ALL.iter().zip(NAMES).all(|(v, n)| v.name == *n));
    }

    #[test]
    fn every_row_is_one_table_line() {
        let table = reference_table();
        assert_eq!(table.lines().count(), 2 + ALL.len() + trivy::ALL.len());
        for v in ALL.iter().chain(trivy::ALL) {
            // A `|` or a newline in a cell would break the Markdown table.
            assert!(!v.meaning.contains(['|', '\n']), "{}", v.name);
            assert!(!v.read_by.is_empty() && !v.meaning.is_empty(), "{}", v.name);
        }
        assert!(table.contains("| `DT_API_TOKEN` | slo-gate | Dynatrace token for"));
    }

    /// The reference in docs/configuration.md is this crate's table, not a copy edited by hand
    /// (`scripts/gen-configuration-doc.sh` regenerates it).
    #[test]
    fn the_configuration_doc_holds_the_generated_table() {
        let doc = include_str!("../../../docs/configuration.md");
        let begin = "<!-- env-vars table: generated by scripts/gen-configuration-doc.sh -->\n";
        let end = "<!-- end of the env-vars table -->";
        let start = doc.find(begin).expect("the begin marker") + begin.len();
        let stop = doc[start..].find(end).expect("the end marker") + start;
        assert_eq!(
            &doc[start..stop],
            format!("\n{}\n", reference_table()),
            "run scripts/gen-configuration-doc.sh"
        );
    }
}

//! Flags (DESIGN.md "trivy-scan"), and their validation into a [`Plan`] (ripgrep's two-stage
//! parse: raw clap values first, then checked values that know how to build the parts).

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use cli_support::files::limits;
use cli_support::{Failure, Format, LogArgs, Redactor, env, parse_duration, validate_reference};
use findings::{CountOptions, IgnoreRules, Severity, Want, parse_severity_list};
use http_policy::{EndpointRules, Redaction, RetryPolicy};
use metrics_sink::{FanOut, SharedBuffer};
use quality_gate::LoadedGate;
use quality_gate::cli::{
    Backend, ExplainArgs, FeedArgs, LoadedFeeds, PrometheusArgs, ProviderArg, WindowArgs,
};
use report_formats::{InputFormat, ReadOptions};
use secrecy::SecretString;
use sli_provider::AnyProvider;
use trivy_report::runner::{ScanTarget, TrivyCommand};

use crate::sinks::SinkArgs;

/// Scan a container image with Trivy, count vulnerabilities by severity, publish the counts,
/// and optionally gate on a Keptn slo.yaml.
///
/// Exit codes: 0 success / gate passed, 1 gate failed, 2 usage or input error,
/// 3 trivy, a metrics backend or another dependency failed.
#[derive(Debug, Parser)]
#[command(name = "trivy-scan", version, about, long_about = None)]
pub struct Cli {
    /// Image to scan, `repo[:tag][@digest]`; several scan as a batch (see --jobs). Default:
    /// the seed's env vars IMAGE and TAG. With --report, --input or --rootfs it only names
    /// the metrics.
    #[arg(value_name = "IMAGE")]
    pub images: Vec<String>,

    /// Scan the images listed in this file (`-` = stdin): one reference per line, `#` starts
    /// a comment, blank lines are skipped. Results are printed per image as each finishes,
    /// then a summary; the exit code is the worst image's.
    #[arg(long = "images", value_name = "FILE", conflicts_with_all = ["images", "report", "input", "rootfs", "save_report"])]
    pub images_file: Option<PathBuf>,

    /// Scan at most N images at once (with several images). Default: the number of CPUs.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,

    /// Severities to count, comma separated (CRITICAL,HIGH,MEDIUM,LOW,UNKNOWN; any case).
    /// Env: TRIVY_SECURITY, then TRIVY_SEVERITY. Default: all five.
    #[arg(long, value_name = "LIST")]
    pub severity: Option<String>,

    /// Read this report instead of running trivy (`-` = stdin): Trivy JSON, trivy k8s,
    /// Trivy Operator, Grype JSON, SARIF or CycloneDX, detected from the content.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["input", "rootfs", "server", "save_report"])]
    pub report: Option<PathBuf>,

    /// The format of --report: auto (detect), trivy, trivy-k8s, trivy-operator, grype, sarif,
    /// cyclonedx. A report of another format is refused.
    #[arg(long, value_name = "FORMAT", default_value = "auto", value_parser = parse_input_format, requires = "report")]
    pub input_format: InputFormat,

    /// Count a trivy k8s report some resources of which could not be scanned (the gap is
    /// reported on stderr and in the JSON output).
    #[arg(long, requires = "report")]
    pub allow_incomplete: bool,

    /// Scan an image tarball (docker save / OCI archive) instead of pulling IMAGE.
    #[arg(long, value_name = "TAR", conflicts_with = "rootfs")]
    pub input: Option<PathBuf>,

    /// Scan a root file system (a directory) instead of an image.
    #[arg(long, value_name = "DIR")]
    pub rootfs: Option<PathBuf>,

    /// The trivy executable.
    #[arg(long, env = env::TRIVY_BIN, value_name = "PATH", default_value = "trivy")]
    pub trivy_bin: PathBuf,

    /// Trivy's cache directory (holds the vulnerability DB).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Use the DB in the cache as it is: no DB download, no online lookups
    /// (trivy --skip-db-update --offline-scan).
    #[arg(long)]
    pub offline: bool,

    /// Trivy server URL (client/server mode: the server holds the DB, this run only sends
    /// the image's packages). A token or credentials in it need https, or a loopback host,
    /// or --allow-insecure-http.
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,

    /// The trivy server's token. It reaches trivy through its environment (TRIVY_TOKEN),
    /// never its argument list. Without it, a TRIVY_TOKEN in the environment is used.
    #[arg(
        long,
        value_name = "TOKEN",
        hide_env_values = true,
        allow_hyphen_values = true,
        requires = "server"
    )]
    pub token: Option<SecretString>,

    /// Read the trivy server's token from this file (its first line, trimmed; not together
    /// with --token).
    #[arg(long, value_name = "FILE", requires = "server")]
    pub token_file: Option<PathBuf>,

    /// The HTTP header the token travels in (trivy's default: Trivy-Token).
    #[arg(long, value_name = "HEADER", requires = "server")]
    pub token_header: Option<String>,

    /// Pull from a registry over plain http or with an unverified certificate
    /// (trivy --insecure; for local test registries).
    #[arg(long)]
    pub insecure_registry: bool,

    /// Kill trivy when it runs longer than this (e.g. 90s, 10m).
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Keep the report trivy wrote at this path.
    #[arg(long, value_name = "FILE")]
    pub save_report: Option<PathBuf>,

    /// Fail (exit 3) when the vulnerability DB was updated longer ago than this (e.g. 2d):
    /// trivy's cache, or the DB build time a report records (Grype; Trivy in client/server
    /// mode). A report without a DB date is refused (exit 2).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_db_age: Option<Duration>,

    /// Count distinct (VulnerabilityID, PkgName, InstalledVersion) instead of every entry.
    #[arg(long)]
    pub unique: bool,

    /// Count only findings that have a fixed version.
    #[arg(long)]
    pub fixable_only: bool,

    /// A .trivyignore or .trivyignore.yaml file; expired rules do not apply.
    #[arg(long, value_name = "FILE")]
    pub ignore_file: Option<PathBuf>,

    /// Output on stdout: the seed's text lines, one JSON object, or SARIF.
    #[arg(long, value_parser = Format::parser(FORMATS), default_value_t = Format::Text)]
    pub format: Format,

    /// Also write SARIF 2.1.0 for GitHub code scanning to FILE: the counted findings of the
    /// selected severities, with the --slo gate's verdict and score.
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,

    /// Evaluate this Keptn slo.yaml on the scan's counts (exit 1 when the gate fails).
    #[arg(long, value_name = "FILE")]
    pub slo: Option<PathBuf>,

    /// sli.yaml mapping SLI names to queries (`metricSelector=trivy.vulnerabilities.CRITICAL`
    /// is answered from the scan).
    #[arg(long, value_name = "FILE", requires = "slo")]
    pub sli: Option<PathBuf>,

    /// With --slo: a warning fails the run (exit 1).
    #[arg(long, requires = "slo")]
    pub fail_on_warning: bool,

    /// With --slo: run even when the SLO file is missing or empty (lighthouse's behaviour).
    #[arg(long, requires = "slo")]
    pub allow_missing_slo: bool,

    /// With --slo: accept an SLO whose objectives are all informational (no pass criteria),
    /// which passes whatever the counts are; without it such a file is refused.
    #[arg(long, requires = "slo")]
    pub allow_informational_only: bool,

    /// With --slo: --explain N (shared with slo-gate).
    #[command(flatten)]
    pub explain: ExplainArgs,

    // The gate's provider flags, shared with slo-gate (quality_gate::cli). Without
    // --provider the gate reads the scan's own counts; --provider dynatrace queries the
    // environment of --dynatrace-url with the Dynatrace token of the metrics flags.
    #[command(flatten)]
    pub choice: ProviderArg,

    #[command(flatten)]
    pub prometheus: PrometheusArgs,

    #[command(flatten)]
    pub window: WindowArgs,

    // --kev, --epss, --vex, --max-feed-age, --epss-threshold, --now, --expiring-within
    // (shared with slo-gate): VEX applies to the counts and metrics, the rest to the gate.
    #[command(flatten)]
    pub feeds: FeedArgs,

    #[command(flatten)]
    pub sinks: SinkArgs,

    #[command(flatten)]
    pub log: LogArgs,
}

/// What goes to stdout: the formats trivy-scan writes, with their `--help` lines.
const FORMATS: &[(Format, &str)] = &[
    (
        Format::Text,
        "The seed's lines: `Checking 1 security levels: ['CRITICAL']`, `Finished. Total Vulnerability Count: 8`",
    ),
    (
        Format::Json,
        "One JSON object: image, severities, counts (all five), total, trivy version, metrics, gate",
    ),
    (
        Format::Sarif,
        "SARIF 2.1.0 for GitHub code scanning: one result per counted finding, the gate's verdict in the run's properties",
    ),
];

/// Where the findings come from.
#[derive(Debug)]
pub(crate) enum Source {
    /// An existing report; `None` = stdin.
    Report(Option<PathBuf>),
    /// Run trivy.
    Trivy(Box<TrivyCommand>),
}

/// Several images to scan (DESIGN.md "Many images, one engine").
#[derive(Debug)]
pub(crate) struct Batch {
    /// The references, checked (none empty, none starting with `-`, no duplicates).
    pub(crate) images: Vec<String>,
    /// At most this many scans at once.
    pub(crate) jobs: usize,
    /// The trivy command every image's scan starts from (its target is replaced).
    pub(crate) trivy: TrivyCommand,
}

/// The checked plan of one run.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) image: Option<String>,
    /// Several images: scanned as a batch instead of the one `image`.
    pub(crate) batch: Option<Batch>,
    pub(crate) source: Source,
    pub(crate) severities: Vec<Severity>,
    pub(crate) count: CountOptions,
    /// What the walk keeps besides the counts: compact records when a gate on the scan's own
    /// counts will be rendered (its explanation names them), every detail when that gate
    /// reads one (`LoadedGate::want`), a feed is given (every hygiene SLI is published, the
    /// ages too) or SARIF is written.
    pub(crate) want: Want,
    /// The feeds, loaded and checked before the scan.
    pub(crate) feeds: LoadedFeeds,
    /// The feed flags (threshold, expiry horizon) the gate's hygiene SLIs use.
    pub(crate) feed_args: FeedArgs,
    pub(crate) read: ReadOptions,
    pub(crate) format: Format,
    /// `--sarif FILE`.
    pub(crate) sarif: Option<PathBuf>,
    pub(crate) sinks: Sinks,
    pub(crate) max_db_age: Option<Duration>,
    pub(crate) save_report: Option<PathBuf>,
    /// The gate's files, read and parsed up front (`None` without `--slo`).
    pub(crate) gate: Option<LoadedGate>,
    pub(crate) fail_on_warning: bool,
    pub(crate) allow_missing_slo: bool,
    pub(crate) allow_informational_only: bool,
    /// The gate's backend (`--provider`); `None`: the scan's own counts.
    pub(crate) provider: Option<AnyProvider>,
    /// The gate's window flags, checked up front and resolved when the gate runs (after the
    /// scan and the metrics push, so that "now" is then).
    pub(crate) window: WindowArgs,
    /// Removes every secret of this run from what is printed.
    pub(crate) redactor: Redactor,
    /// `--explain N`.
    pub(crate) explain: Option<usize>,
}

/// The secrets of one run, loaded once before anything else.
#[derive(Debug)]
pub(crate) struct Secrets {
    pub(crate) dynatrace_token: Option<SecretString>,
    /// `--token` / `--token-file` (else `TRIVY_TOKEN`, which trivy reads itself).
    pub(crate) server_token: Option<SecretString>,
    /// A token reaches the server: `--token`, `--token-file` or `TRIVY_TOKEN`.
    pub(crate) server_token_set: bool,
    pub(crate) redactor: Redactor,
}

/// Environment variables whose values are URLs that may carry credentials.
const URL_VARS: [&str; 4] = [
    env::METRICS_ENDPOINT,
    env::PUSHGATEWAY_URL,
    env::OTEL_EXPORTER_OTLP_ENDPOINT,
    env::OTEL_EXPORTER_OTLP_METRICS_ENDPOINT,
];

/// Secrets trivy reads from its environment (registry password, server token): trivy may
/// repeat them in the stderr we show.
const TRIVY_SECRET_VARS: [&str; 3] = [
    env::trivy::TRIVY_PASSWORD,
    env::trivy::TRIVY_TOKEN,
    env::trivy::TRIVY_REGISTRY_TOKEN,
];

/// Environment variables holding `k=v,k2=v2` header lists (tokens).
const HEADER_VARS: [&str; 2] = [
    env::OTEL_EXPORTER_OTLP_HEADERS,
    env::OTEL_EXPORTER_OTLP_METRICS_HEADERS,
];

/// The trivy server token as [`Cli::source`] needs it.
#[derive(Debug)]
struct ServerToken {
    /// From `--token` / `--token-file`; passed to trivy as `TRIVY_TOKEN`.
    value: Option<SecretString>,
    /// True also when only `TRIVY_TOKEN` is set (trivy reads it itself).
    set: bool,
}

/// The metrics sinks to push to.
#[derive(Debug)]
pub(crate) struct Sinks {
    pub(crate) fanout: FanOut,
    /// True when no remote backend is configured (the seed then printed a warning).
    pub(crate) no_backend: bool,
    pub(crate) metrics_required: bool,
    /// In JSON mode the stdout sink writes here, and the lines go into the JSON object.
    pub(crate) captured: Option<SharedBuffer>,
}

impl Plan {
    /// SARIF is asked for (`--format sarif` or `--sarif FILE`): the scan keeps its findings.
    pub(crate) fn wants_sarif(&self) -> bool {
        self.format == Format::Sarif || self.sarif.is_some()
    }
}

impl Cli {
    /// Loads the secrets and builds the run's [`Redactor`] from every secret and every URL the
    /// flags and env vars hold.
    ///
    /// # Errors
    /// A token given twice (flag and file), an unreadable or empty token file.
    pub(crate) fn secrets(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<Secrets, Failure> {
        let dynatrace_token = self.sinks.dynatrace_token(env).map_err(Failure::usage)?;
        let server_token = cli_support::load_secret(
            self.token.as_ref(),
            self.token_file.as_deref(),
            "trivy server token",
        )?;
        let server_token_set = server_token.is_some()
            || env(env::trivy::TRIVY_TOKEN).is_some_and(|t| !t.trim().is_empty());
        let mut b = Redactor::builder()
            .secret_opt(dynatrace_token.as_ref())
            .secret_opt(server_token.as_ref())
            .secret_opt(self.token.as_ref())
            .secret_opt(self.sinks.dynatrace_token.as_ref())
            .url_opt(self.sinks.dynatrace_url.as_deref())
            .url_opt(self.sinks.pushgateway_url.as_deref())
            .url_opt(self.sinks.otlp_endpoint.as_deref())
            .url_opt(self.prometheus.prometheus_url.as_deref())
            .url_opt(self.server.as_deref());
        for var in std::iter::once(env::METRICS_API_TOKEN).chain(TRIVY_SECRET_VARS) {
            if let Some(t) = env(var) {
                b = b.secret(&t);
            }
        }
        for var in URL_VARS {
            b = b.url_opt(env(var).as_deref());
        }
        for var in HEADER_VARS {
            if let Some(list) = env(var) {
                b = b.header_list(&list);
            }
        }
        Ok(Secrets {
            dynatrace_token,
            server_token,
            server_token_set,
            redactor: b.build(),
        })
    }

    /// Validates the flags and env vars into a [`Plan`].
    pub(crate) fn plan(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
        secrets: Secrets,
    ) -> Result<Plan, Failure> {
        let list = self.image_list()?;
        let image = match &list {
            Some(_) => None,
            None => self.image_reference(env)?,
        };
        let severities = self.severities(env)?;
        // Feeds fail in a second (exit 2 bad, exit 3 stale), not after a ten-minute scan.
        let feeds = self.feeds.load()?;
        let count = CountOptions {
            unique: self.unique,
            fixable_only: self.fixable_only,
            ignore: self.ignore_rules()?,
            vex: feeds.vex.clone(),
        };
        let token = ServerToken {
            value: secrets.server_token.clone(),
            set: secrets.server_token_set,
        };
        let (source, batch) = match list {
            Some(images) => {
                let placeholder = images.first().cloned().unwrap_or_default();
                let Source::Trivy(trivy) = self.source(Some(&placeholder), &token)? else {
                    return Err(Failure::usage(
                        "several images cannot be combined with --report",
                    ));
                };
                let jobs = self.jobs.map_or_else(
                    || std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
                    usize::from,
                );
                let batch = Batch {
                    images,
                    jobs,
                    trivy: (*trivy).clone(),
                };
                (Source::Trivy(trivy), Some(batch))
            }
            None => (self.source(image.as_deref(), &token)?, None),
        };
        if batch.is_some() && self.choice.provider.is_some() {
            return Err(Failure::usage(
                "--provider gates one image on a backend's data; with several images the gate reads each scan's own counts (leave out --provider)",
            ));
        }
        let redaction = {
            let r = secrets.redactor.clone();
            Redaction::new(move |t| r.redact(t))
        };
        let sinks = self.sinks_plan(env, secrets.dynatrace_token.clone(), &redaction)?;
        let gate = self.gate_files()?;
        let provider = self.gate_provider(env, secrets.dynatrace_token, &redaction)?;
        let gate_on_scan = gate.is_some() && provider.is_none();
        if self.window.given() {
            self.window.window()?;
        }
        // The gate's explanation reads compact records (every detail when an objective
        // reads one, `LoadedGate::want`). With a feed every hygiene SLI is published, the
        // ages too, which read the published dates; SARIF lists every detail.
        let gate_want = gate
            .as_ref()
            .filter(|_| gate_on_scan)
            .map_or_else(Want::default, LoadedGate::want);
        let want = Want {
            fixes: gate_want.fixes,
            findings: gate_want.findings
                || self.feeds.any()
                || self.format == Format::Sarif
                || self.sarif.is_some(),
            keys: false,
        };
        Ok(Plan {
            image,
            batch,
            source,
            severities,
            count,
            want,
            feeds,
            feed_args: self.feeds.clone(),
            read: ReadOptions {
                format: self.input_format,
                allow_incomplete: self.allow_incomplete,
                capture_limit: None,
            },
            format: self.format,
            sarif: self.sarif.clone(),
            sinks,
            max_db_age: self.max_db_age,
            save_report: self.save_report.clone(),
            gate,
            fail_on_warning: self.fail_on_warning,
            allow_missing_slo: self.allow_missing_slo,
            allow_informational_only: self.allow_informational_only,
            provider,
            window: self.window.clone(),
            redactor: secrets.redactor,
            explain: self.explain.explain,
        })
    }

    /// The images of a batch: several `IMAGE` arguments or `--images FILE`, checked; `None`
    /// for a run of at most one positional image (the single-image run, unchanged).
    fn image_list(&self) -> Result<Option<Vec<String>>, Failure> {
        if self.images_file.is_none() && self.images.len() < 2 {
            return Ok(None);
        }
        if self.report.is_some() || self.input.is_some() || self.rootfs.is_some() {
            return Err(Failure::usage(
                "several images scan several images; --report, --input and --rootfs take one (give one IMAGE to name it)",
            ));
        }
        if self.save_report.is_some() {
            return Err(Failure::usage(
                "--save-report keeps one report; with several images it would keep only the last (scan them one by one to keep each)",
            ));
        }
        if self.format == Format::Sarif || self.sarif.is_some() {
            return Err(Failure::usage(
                "SARIF describes one image (GitHub takes one run per tool and category); with several images use --format json, or scan them one by one for SARIF",
            ));
        }
        let Some(path) = &self.images_file else {
            return crate::batch::check_arguments(&self.images).map(Some);
        };
        let name = if path.as_os_str() == "-" {
            "the image list on standard input".to_owned()
        } else {
            format!("the image list {}", path.display())
        };
        let text = cli_support::read_text_limited(path, limits::IMAGE_LIST)
            .map_err(|e| Failure::usage(format!("cannot read {name}: {e}")))?;
        crate::batch::parse_list(&text, &name).map(Some)
    }

    fn image_reference(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<String>, Failure> {
        let reference = match self.images.first() {
            Some(i) => Some(i.clone()),
            None => match env(env::IMAGE).filter(|s| !s.is_empty()) {
                Some(image) => {
                    validate_reference("IMAGE value", &image)?;
                    match env(env::TAG).filter(|s| !s.is_empty()) {
                        Some(tag) => {
                            validate_reference("TAG value", &tag)?;
                            Some(format!("{image}:{tag}"))
                        }
                        None => Some(image),
                    }
                }
                None => None,
            },
        };
        if let Some(r) = &reference {
            validate_reference("image reference", r)?;
        }
        Ok(reference)
    }

    fn severities(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<Vec<Severity>, Failure> {
        let (raw, origin) = match &self.severity {
            Some(s) => (Some(s.clone()), "--severity"),
            None => match env(env::TRIVY_SECURITY) {
                Some(s) => (Some(s), env::TRIVY_SECURITY),
                None => (env(env::TRIVY_SEVERITY), env::TRIVY_SEVERITY),
            },
        };
        match raw {
            None => Ok(Severity::ALL.to_vec()),
            Some(raw) => {
                parse_severity_list(&raw).map_err(|e| Failure::usage(format!("{origin}: {e}")))
            }
        }
    }

    fn ignore_rules(&self) -> Result<Option<IgnoreRules>, Failure> {
        let Some(path) = &self.ignore_file else {
            return Ok(None);
        };
        let today = self.feeds.today();
        let text = cli_support::read_text_limited(path, limits::IGNORE).map_err(|e| {
            Failure::usage(format!(
                "cannot read the ignore file {}: {e}",
                path.display()
            ))
        })?;
        IgnoreRules::from_text(&text, path, today)
            .map(Some)
            .map_err(|e| Failure::usage(format!("ignore file {}: {e}", path.display())))
    }

    fn source(&self, image: Option<&str>, token: &ServerToken) -> Result<Source, Failure> {
        if let Some(report) = &self.report {
            let path = (report.as_os_str() != "-").then(|| report.clone());
            return Ok(Source::Report(path));
        }
        let target = match (&self.input, &self.rootfs, image) {
            (Some(tar), _, _) => ScanTarget::Input(tar.clone()),
            (None, Some(dir), _) => ScanTarget::Rootfs(dir.clone()),
            (None, None, Some(image)) => ScanTarget::Image(image.to_owned()),
            (None, None, None) => {
                return Err(Failure::usage(
                    "no image to scan: give IMAGE (e.g. `trivy-scan nginx:1.21.1`), set the IMAGE and TAG env vars, or use --report, --input or --rootfs",
                ));
            }
        };
        if let Some(server) = &self.server {
            validate_reference("--server URL", server)?;
            // Trivy sends the URL's credentials with every request: the same rule as ours.
            // A token (flag, file or TRIVY_TOKEN) goes with every request: not in clear text
            // to another host.
            http_policy::parse_endpoint(
                server,
                EndpointRules {
                    carries_token: token.set,
                    allow_insecure_http: self.sinks.allow_insecure_http,
                },
            )
            .map_err(|e| Failure::usage(format!("--server: {e}")))?;
        }
        if let Some(header) = &self.token_header {
            let valid = !header.is_empty()
                && header
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_!#$%&'*+.^`|~".contains(&b));
            if !valid {
                return Err(Failure::usage(format!(
                    "--token-header {header:?} is not an HTTP header name (letters, digits and -_!#$%&'*+.^`|~)"
                )));
            }
        }
        let mut cmd = TrivyCommand::new(target);
        cmd.bin.clone_from(&self.trivy_bin);
        // Trivy filters nothing: all five counts are reported; the selection applies to the
        // total, the metrics and the gate.
        cmd.severities = Vec::new();
        cmd.cache_dir.clone_from(&self.cache_dir);
        cmd.offline = self.offline;
        cmd.server.clone_from(&self.server);
        cmd.token.clone_from(&token.value);
        cmd.token_header.clone_from(&self.token_header);
        cmd.timeout = self.timeout;
        cmd.insecure_registry = self.insecure_registry;
        Ok(Source::Trivy(Box::new(cmd)))
    }

    /// Reads and checks the gate's files before anything runs, so a typo in slo.yaml fails in
    /// a second rather than after a ten-minute scan.
    fn gate_files(&self) -> Result<Option<LoadedGate>, Failure> {
        let Some(slo) = &self.slo else {
            return Ok(None);
        };
        let files = quality_gate::GateFiles {
            slo: slo.clone(),
            sli: self.sli.clone(),
            ..quality_gate::GateFiles::default()
        };
        let opts = quality_gate::GateOptions {
            allow_missing_slo: self.allow_missing_slo,
            allow_informational_only: self.allow_informational_only,
            ..quality_gate::GateOptions::default()
        };
        LoadedGate::load(&files, &opts)
            .map(Some)
            .map_err(|e| Failure::usage(e.to_string()))
    }

    /// The gate's backend from `--provider`, checked before anything runs (a missing URL or
    /// token fails in a second, not after the scan).
    fn gate_provider(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
        dynatrace_token: Option<SecretString>,
        redaction: &Redaction,
    ) -> Result<Option<AnyProvider>, Failure> {
        let Some(kind) = self.choice.provider else {
            return Ok(None);
        };
        let dynatrace_url = self
            .sinks
            .dynatrace_url
            .clone()
            .filter(|s| !s.trim().is_empty())
            .or_else(|| env(env::METRICS_ENDPOINT).filter(|s| !s.trim().is_empty()));
        kind.build(Backend {
            prometheus_url: self.prometheus.prometheus_url.as_deref(),
            dynatrace_url,
            dynatrace_token,
            dynatrace_url_source: "--dynatrace-url (or METRICS_ENDPOINT)",
            dynatrace_token_source: "--dynatrace-token, --dynatrace-token-file or METRICS_API_TOKEN",
            allow_insecure_http: self.sinks.allow_insecure_http,
            http: self.sinks.http_config(redaction),
            retry: RetryPolicy::with_retries(self.sinks.retries),
        })
        .map(Some)
    }

    fn sinks_plan(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
        dynatrace_token: Option<SecretString>,
        redaction: &Redaction,
    ) -> Result<Sinks, Failure> {
        let captured = (self.format == Format::Json).then(SharedBuffer::default);
        let writer: Box<dyn std::io::Write + Send> = match &captured {
            Some(buf) => Box::new(buf.clone()),
            None => Box::new(std::io::stdout()),
        };
        // `--format` accepts text and json only; the metric lines follow it.
        let stdout_format = if self.format == Format::Json {
            metrics_sink::StdoutFormat::JsonLines
        } else {
            metrics_sink::StdoutFormat::Text
        };
        let (fanout, _auto_dynatrace) = self
            .sinks
            .build(env, dynatrace_token, redaction, writer, stdout_format)
            .map_err(Failure::usage)?;
        if self.format == Format::Sarif && fanout.names().contains(&"stdout") {
            return Err(Failure::usage(
                "--sink stdout and --format sarif both write to standard output; write the SARIF with --sarif FILE instead",
            ));
        }
        // The seed's "metrics will not be pushed" line is for a run with no sink at all; an
        // explicit `--sink stdout` is a choice, and the line would contradict its report.
        let no_backend = fanout.names().is_empty();
        Ok(Sinks {
            fanout,
            no_backend,
            metrics_required: self.sinks.metrics_required,
            captured,
        })
    }
}

fn parse_input_format(raw: &str) -> Result<InputFormat, String> {
    raw.parse()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_env_var_clap_reads_is_listed_in_env_vars() {
        use clap::CommandFactory;
        assert_eq!(env::unlisted(&Cli::command()), Vec::<String>::new());
    }
}

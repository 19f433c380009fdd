//! `slo-gate`: evaluates a Keptn `slo.yaml` locally with lighthouse's semantics, on SLI values
//! from a Trivy report, a values file, Prometheus or Dynatrace.
//!
//! The gate logic lives in the `quality-gate` crate (shared with `trivy-scan --slo`); this crate
//! parses flags, reads files, queries backends and maps errors to exit codes.
#![warn(missing_docs)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;
use cli_support::files::limits;
use cli_support::{Exit, Failure, LogArgs, Redactor, env};
use findings::{CountOptions, IgnoreRules, Severity, Summary, Want, parse_severity_list};
use http_policy::{HttpConfig, Redaction, RetryPolicy};
use keptn_events::WireStr as _;
use keptn_events::get_sli::GetSliFinishedData;
use quality_gate::cli::{
    Backend, ExplainArgs, FeedArgs, LoadedFeeds, PrometheusArgs, ProviderArg, WindowArgs,
};
use quality_gate::{Format, GateError, GateFiles, GateOptions, LoadedGate, evaluate_and_render};
use report_formats::{InputFormat, ReadOptions, read_report};
use secrecy::SecretString;
use sli_provider::report::ReportSli;
use sli_provider::{AnyProvider, QueryContext};

pub use quality_gate::cli::Provider;

/// The formats slo-gate writes (all of them), with their `--help` lines.
const FORMATS: &[(Format, &str)] = &[
    (
        Format::Text,
        "Table of objectives, then verdict, score and message",
    ),
    (
        Format::Json,
        "Exactly the `data` of `sh.keptn.event.evaluation.finished`",
    ),
    (Format::Markdown, "For CI job summaries and PR comments"),
    (Format::Junit, "JUnit XML, one testcase per objective"),
    (
        Format::Sarif,
        "SARIF 2.1.0 for GitHub code scanning: the report's findings, the verdict in the run's properties (needs --report)",
    ),
];

/// Evaluate a Keptn slo.yaml quality gate locally, with lighthouse's exact semantics.
///
/// Exit codes: 0 pass (or warning), 1 fail (or warning with --fail-on-warning), 2 usage or
/// input error, 3 a metrics backend failed.
#[derive(Debug, Parser)]
#[command(
    name = "slo-gate",
    version,
    about,
    long_about = None,
    after_help = "Exit codes: 0 pass (or warning), 1 fail (or warning with --fail-on-warning), 2 usage or input error, 3 a metrics backend failed."
)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["report", "sli_values", "provider"])))]
pub struct Cli {
    /// Keptn slo.yaml. A missing or empty file is an error unless --allow-missing-slo.
    #[arg(long, value_name = "FILE")]
    pub slo: PathBuf,

    /// SLI values from a scanner report (`-` = stdin; Trivy JSON, trivy k8s, Trivy Operator,
    /// Grype JSON, SARIF or CycloneDX, detected from the content): built-in names
    /// vulnerabilities_<severity>/_total, and sli.yaml queries
    /// `metricSelector=trivy.vulnerabilities.<SEVERITY>`.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// The format of --report: auto (detect), trivy, trivy-k8s, trivy-operator, grype, sarif,
    /// cyclonedx. A report of another format is refused. (--baseline is always detected.)
    #[arg(long, value_name = "FORMAT", default_value = "auto", value_parser = parse_input_format, requires = "report")]
    pub input_format: InputFormat,

    /// Count a trivy k8s report some resources of which could not be scanned.
    #[arg(long, requires = "report")]
    pub allow_incomplete: bool,

    /// SLI values from JSON: a {"name": number} map, or the data of a get-sli.finished event.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["sli", "baseline", "severity", "unique", "fixable_only", "ignore_file"])]
    pub sli_values: Option<PathBuf>,

    /// --provider (shared with trivy-scan).
    #[command(flatten)]
    pub choice: ProviderArg,

    /// sli.yaml: SLI name -> query (PromQL for prometheus, metricSelector=... for dynatrace
    /// and --report).
    #[arg(long, value_name = "FILE")]
    pub sli: Option<PathBuf>,

    /// Severities that count (comma list of CRITICAL,HIGH,MEDIUM,LOW,UNKNOWN; default: env
    /// TRIVY_SECURITY, then TRIVY_SEVERITY, then all); vulnerabilities_total sums these.
    #[arg(
        long,
        value_name = "LIST",
        requires = "report",
        conflicts_with = "provider"
    )]
    pub severity: Option<String>,

    /// Count distinct (VulnerabilityID, PkgName, InstalledVersion) only.
    #[arg(long, requires = "report", conflicts_with = "provider")]
    pub unique: bool,

    /// Count only findings with a fixed version.
    #[arg(long, requires = "report", conflicts_with = "provider")]
    pub fixable_only: bool,

    /// .trivyignore or .trivyignore.yaml rules (expired rules do not apply).
    #[arg(
        long,
        value_name = "FILE",
        requires = "report",
        conflicts_with = "provider"
    )]
    pub ignore_file: Option<PathBuf>,

    /// Baseline report (any supported scanner): adds new_vulnerabilities_<severity> and
    /// fixed_vulnerabilities_<severity>; findings match by vulnerability id and package name.
    #[arg(
        long,
        value_name = "REPORT",
        requires = "report",
        conflicts_with = "provider"
    )]
    pub baseline: Option<PathBuf>,

    /// --kev, --epss, --vex, --max-feed-age, --epss-threshold, --now, --expiring-within
    /// (shared with trivy-scan; with --report).
    #[command(flatten)]
    pub feeds: FeedArgs,

    /// --prometheus-url (shared with trivy-scan).
    #[command(flatten)]
    pub prometheus: PrometheusArgs,

    /// Dynatrace environment URL (env DT_TENANT, then METRICS_ENDPOINT); a bare host gets https.
    #[arg(long, env = env::DT_TENANT, value_name = "URL")]
    pub dynatrace_url: Option<String>,

    /// Dynatrace API token with metrics.read (env DT_API_TOKEN, then METRICS_API_TOKEN). A
    /// value starting with `-` is taken as the token.
    #[arg(
        long,
        env = env::DT_API_TOKEN,
        hide_env_values = true,
        allow_hyphen_values = true,
        value_name = "TOKEN"
    )]
    pub dynatrace_token: Option<SecretString>,

    /// Read the Dynatrace API token from a file (its first line, trimmed).
    #[arg(long, value_name = "FILE", conflicts_with = "dynatrace_token")]
    pub dynatrace_token_file: Option<PathBuf>,

    /// --from, --to, --timeframe (shared with trivy-scan).
    #[command(flatten)]
    pub window: WindowArgs,

    /// Allow sending the token over plain http to a non-loopback host.
    #[arg(long)]
    pub allow_insecure_http: bool,

    /// Time allowed for one backend request.
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub timeout: String,

    /// Retries of a backend request after transport errors, 408, 429 and 5xx.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub retries: u32,

    /// Keptn project ($PROJECT in sli.yaml queries; copied to the result).
    #[arg(long)]
    pub project: Option<String>,

    /// Keptn stage ($STAGE).
    #[arg(long)]
    pub stage: Option<String>,

    /// Keptn service ($SERVICE).
    #[arg(long)]
    pub service: Option<String>,

    /// Deployment ($DEPLOYMENT).
    #[arg(long)]
    pub deployment: Option<String>,

    /// Label key=value ($LABEL.<key>; copied to the result). Repeatable.
    #[arg(long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,

    /// Earlier results: JSON array of evaluation.finished data, newest first.
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,

    /// Prepend this evaluation to FILE (created if missing).
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_parser = Format::parser(FORMATS), default_value_t = Format::Text)]
    pub format: Format,

    /// Also write SARIF 2.1.0 for GitHub code scanning to FILE: the report's findings, with
    /// this run's verdict and score (needs --report).
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,

    /// --explain N (shared with trivy-scan).
    #[command(flatten)]
    pub explain: ExplainArgs,

    /// A warning fails the gate (exit 1).
    #[arg(long)]
    pub fail_on_warning: bool,

    /// A missing or empty SLO file passes without evaluation (lighthouse's behaviour).
    #[arg(long)]
    pub allow_missing_slo: bool,

    /// Accept an SLO whose objectives are all informational (no pass criteria), which passes
    /// whatever the values are; without it such a file is refused (often a misspelt `pass`).
    #[arg(long)]
    pub allow_informational_only: bool,

    /// -v / -q.
    #[command(flatten)]
    pub log: LogArgs,
}

fn gate_failure(e: &GateError) -> Failure {
    Failure {
        exit: e.decision().into(),
        message: e.to_string(),
    }
}

fn read_required(path: &Path, what: &str, limit: u64) -> Result<String, Failure> {
    let shown = if path == Path::new("-") {
        "standard input".to_owned()
    } else {
        path.display().to_string()
    };
    cli_support::read_text_limited(path, limit)
        .map_err(|e| Failure::usage(format!("cannot read the {what} {shown}: {e}")))
}

fn context(cli: &Cli) -> Result<QueryContext, Failure> {
    let mut labels = BTreeMap::new();
    for l in &cli.labels {
        let Some((k, v)) = l.split_once('=') else {
            return Err(Failure::usage(format!("--label `{l}` is not KEY=VALUE")));
        };
        if k.trim().is_empty() {
            return Err(Failure::usage(format!("--label `{l}` has an empty key")));
        }
        labels.insert(k.trim().to_owned(), v.to_owned());
    }
    Ok(QueryContext {
        project: cli.project.clone().unwrap_or_default(),
        stage: cli.stage.clone().unwrap_or_default(),
        service: cli.service.clone().unwrap_or_default(),
        deployment: cli.deployment.clone().unwrap_or_default(),
        labels,
        filters: Vec::new(),
    })
}

fn count_options(cli: &Cli, feeds: &LoadedFeeds) -> Result<CountOptions, Failure> {
    let ignore =
        match &cli.ignore_file {
            None => None,
            Some(p) => {
                let today = cli.feeds.today();
                let text = cli_support::read_text_limited(p, limits::IGNORE).map_err(|e| {
                    Failure::usage(format!("cannot read the ignore file {}: {e}", p.display()))
                })?;
                Some(IgnoreRules::from_text(&text, p, today).map_err(|e| {
                    Failure::usage(format!("invalid ignore file {}: {e}", p.display()))
                })?)
            }
        };
    Ok(CountOptions {
        unique: cli.unique,
        fixable_only: cli.fixable_only,
        ignore,
        vex: feeds.vex.clone(),
    })
}

fn open_report(path: &Path) -> Result<Box<dyn std::io::Read>, Failure> {
    if path == Path::new("-") {
        return Ok(Box::new(std::io::stdin().lock()));
    }
    let f = std::fs::File::open(path)
        .map_err(|e| Failure::usage(format!("cannot read the report {}: {e}", path.display())))?;
    Ok(Box::new(std::io::BufReader::new(f)))
}

/// What `--report` gave: the SLIs, and the counted findings and selected severities when SARIF
/// is asked for.
struct ReportRead {
    sli: ReportSli,
    summary: Summary,
    severities: Vec<Severity>,
    /// What the result records about the feeds beside the evaluation.
    extra: serde_json::Map<String, serde_json::Value>,
}

/// Reads `--report`, keeping what `want` asks for (the gate's [`LoadedGate::want`]) and every
/// detail when SARIF is asked for.
fn report_sli(cli: &Cli, report: &Path, want: Want) -> Result<ReportRead, Failure> {
    // Like trivy-scan: the flag, else the seed's TRIVY_SECURITY, else TRIVY_SEVERITY. Read
    // here rather than through clap so that a scanner environment does not trip `requires`.
    let from_env = || {
        [env::TRIVY_SECURITY, env::TRIVY_SEVERITY]
            .into_iter()
            .find_map(|v| {
                std::env::var(v)
                    .ok()
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| (v, s))
            })
    };
    let selected: Vec<Severity> = match (&cli.severity, from_env()) {
        (Some(s), _) => {
            parse_severity_list(s).map_err(|e| Failure::usage(format!("--severity: {e}")))?
        }
        (None, Some((var, s))) => {
            parse_severity_list(&s).map_err(|e| Failure::usage(format!("{var}: {e}")))?
        }
        (None, None) => Vec::new(),
    };
    let feeds = cli.feeds.load()?;
    let opts = count_options(cli, &feeds)?;
    let read = ReadOptions {
        format: cli.input_format,
        allow_incomplete: cli.allow_incomplete,
        capture_limit: None,
    };
    let want = Want {
        // SARIF lists every detail of every finding.
        findings: want.findings || wants_sarif(cli),
        ..want
    };
    let mut current = read_one(report, &opts, want, &read)?;
    let hygiene = cli
        .feeds
        .hygiene(&feeds, &current, &selected, opts.ignore.as_ref());
    let extra = quality_gate::cli::feed_record(&hygiene, &current);
    let sli = ReportSli::from_summary(&current, &selected).with_hygiene(hygiene);
    let kept = std::mem::take(&mut current.records);
    let baseline = match &cli.baseline {
        None => None,
        Some(base) => {
            // A baseline may come from another scanner: detect its format.
            let baseline_read = ReadOptions {
                format: InputFormat::Auto,
                ..read
            };
            let keys_only = Want {
                keys: true,
                ..Want::default()
            };
            // The walk was asked for its keys (`keys_only`).
            Some(
                read_one(base, &opts, keys_only, &baseline_read)?
                    .keys
                    .unwrap_or_default(),
            )
        }
    };
    // With a baseline this also sets the new/fixed diff (`BaselineDiff`) from the keys. The
    // compact records move into the SLIs' evidence; SARIF reads the full findings in
    // `summary.kept`.
    Ok(ReportRead {
        sli: sli.with_findings(kept, baseline),
        summary: current,
        severities: selected,
        extra,
    })
}

fn read_one(
    path: &Path,
    opts: &CountOptions,
    want: Want,
    read: &ReadOptions,
) -> Result<Summary, Failure> {
    let name = path.display();
    read_report(open_report(path)?, opts, want, read)
        .map(|r| r.summary)
        .map_err(|e| match e {
            report_formats::ReportError::Refused { .. } => Failure::usage(format!("{name}: {e}")),
            _ => Failure::usage(format!("the report {name} cannot be read: {e}")),
        })
}

fn parse_input_format(raw: &str) -> Result<InputFormat, String> {
    raw.parse()
}

/// Runs the gate; writes the result to `out`, returns the exit code.
///
/// # Errors
/// A [`Failure`] (one line, exit 2 or 3) when no evaluation could be made.
pub async fn run(cli: &Cli, out: &mut dyn Write) -> Result<Exit, Failure> {
    check_sarif_source(cli)?;
    let token = dynatrace_token(cli)?;
    let env_var = |k: &str| std::env::var(k).ok().filter(|s| !s.trim().is_empty());
    let redactor = Redactor::builder()
        .secret_opt(token.as_ref())
        .secret_opt(cli.dynatrace_token.as_ref())
        .secret_opt(
            env_var(env::METRICS_API_TOKEN)
                .map(SecretString::from)
                .as_ref(),
        )
        .url_opt(cli.prometheus.prometheus_url.as_deref())
        .url_opt(cli.dynatrace_url.as_deref())
        .url_opt(env_var(env::METRICS_ENDPOINT).as_deref())
        .build();
    cli.log.init(&redactor);
    let mut out = redactor.writer(out);
    run_with(cli, token.as_ref(), &redactor, &mut out)
        .await
        .map_err(|f| f.redacted(&redactor))
}

/// SARIF is asked for (`--format sarif` or `--sarif FILE`).
fn wants_sarif(cli: &Cli) -> bool {
    cli.format == Format::Sarif || cli.sarif.is_some()
}

/// SARIF lists findings: only `--report` has them, SLI values and backends do not.
fn check_sarif_source(cli: &Cli) -> Result<(), Failure> {
    if !wants_sarif(cli) || cli.report.is_some() {
        return Ok(());
    }
    let asked = if cli.format == Format::Sarif {
        "--format sarif"
    } else {
        "--sarif"
    };
    let source = if cli.sli_values.is_some() {
        "--sli-values gives SLI values"
    } else {
        "--provider gives metric values"
    };
    Err(Failure::usage(format!(
        "{asked} lists the findings of a scanner report, and {source} without findings; use --report FILE"
    )))
}

/// The Dynatrace token, loaded once up front (only with `--provider dynatrace`): the flag or
/// `DT_API_TOKEN`, else the file, else `METRICS_API_TOKEN`.
fn dynatrace_token(cli: &Cli) -> Result<Option<SecretString>, Failure> {
    if cli.choice.provider != Some(Provider::Dynatrace) {
        return Ok(None);
    }
    let env_token = std::env::var(env::METRICS_API_TOKEN)
        .ok()
        .filter(|s| !s.trim().is_empty())
        .map(SecretString::from);
    let flag = cli
        .dynatrace_token
        .clone()
        .or(if cli.dynatrace_token_file.is_none() {
            env_token
        } else {
            None
        });
    cli_support::load_secret(
        flag.as_ref(),
        cli.dynatrace_token_file.as_deref(),
        "Dynatrace API token",
    )
}

async fn run_with(
    cli: &Cli,
    token: Option<&SecretString>,
    redactor: &Redactor,
    out: &mut dyn Write,
) -> Result<Exit, Failure> {
    let ctx = context(cli)?;
    let mut opts = GateOptions {
        format: cli.format,
        fail_on_warning: cli.fail_on_warning,
        allow_missing_slo: cli.allow_missing_slo,
        allow_informational_only: cli.allow_informational_only,
        context: ctx,
        window: None,
        extra: serde_json::Map::new(),
        explain: cli.explain.explain,
    };
    let files = GateFiles {
        slo: cli.slo.clone(),
        sli: cli.sli.clone(),
        history: cli.history.clone(),
        record: cli.record.clone(),
    };
    if cli.report.is_none()
        && (cli.feeds.kev.is_some() || cli.feeds.epss.is_some() || !cli.feeds.vex.is_empty())
    {
        return Err(Failure::usage(
            "--kev, --epss and --vex apply to a report's findings: use them with --report",
        ));
    }
    // The files first: a typo in slo.yaml fails before a long read, and the report walk
    // keeps only what this gate's objectives read.
    let gate = LoadedGate::load(&files, &opts).map_err(|e| gate_failure(&e))?;
    let mut read = None;
    let outcome = if let Some(report) = &cli.report {
        if cli.window.given() {
            opts.window = Some(cli.window.window()?);
        }
        let mut r = report_sli(cli, report, gate.want())?;
        opts.extra = std::mem::take(&mut r.extra);
        // The same gate as `trivy-scan --slo`.
        let outcome = gate.gate(&r.sli, &opts);
        read = Some(r);
        outcome
    } else if let Some(values) = &cli.sli_values {
        let text = read_required(values, "SLI values file", limits::VALUES)?;
        let finished = sli_provider::values::parse_sli_values(&text).map_err(|e| {
            Failure::usage(format!("invalid SLI values file {}: {e}", values.display()))
        })?;
        evaluate_and_render(gate.slo.as_ref(), &finished, &gate.history, &opts)
    } else {
        let kind = cli
            .choice
            .provider
            .ok_or_else(|| Failure::usage("no SLI source given"))?;
        let win = cli.window.window()?;
        opts.window = Some(win);
        match &gate.slo {
            None => evaluate_and_render(None, &GetSliFinishedData::default(), &gate.history, &opts),
            Some(slo) => {
                let queries = gate
                    .queries
                    .as_ref()
                    .ok_or_else(|| Failure::usage("--provider needs --sli FILE"))?;
                let provider = provider(cli, kind, token, redactor)?;
                quality_gate::gate_on_provider(
                    Some(slo),
                    Some(queries),
                    &provider,
                    &win,
                    &gate.history,
                    &opts,
                )
                .await
                .map_err(|e| quality_gate::cli::backend_failure(&e))?
            }
        }
    };
    quality_gate::record_to(&files, &outcome.data).map_err(|e| gate_failure(&e))?;

    let sarif = read.filter(|_| wants_sarif(cli)).map(|r| {
        let gate = sarif_out::Gate::from_evaluation(&outcome.data);
        let opts = sarif_out::Options {
            severities: &r.severities,
            gate: Some(&gate),
        };
        sarif_out::sarif(&r.summary.kept, &r.summary.input, &opts)
    });
    if let Some(doc) = &sarif {
        if let Some(w) = doc.omitted_warning() {
            tracing::warn!("{w}");
        }
        if let Some(path) = &cli.sarif {
            let json = redactor.redact(&doc.to_json());
            cli_support::write_atomic(path, json.as_bytes()).map_err(|e| {
                Failure::usage(format!(
                    "cannot write the SARIF file {}: {e}",
                    path.display()
                ))
            })?;
        }
    }
    let rendered = match &sarif {
        Some(doc) if cli.format == Format::Sarif => doc.to_json(),
        _ => outcome.rendered,
    };
    out.write_all(rendered.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Failure::external(format!("cannot write the result: {e}")))?;

    let exit = Exit::from(outcome.decision);
    if outcome.decision.evaluated() {
        Ok(exit)
    } else {
        Err(Failure {
            exit,
            message: format!(
                "the evaluation did not run (status {}): {}",
                outcome.data.status.wire_str(),
                outcome.data.message
            ),
        })
    }
}

/// The chosen backend provider, from slo-gate's flags (`--timeout`, `--retries`, the
/// Dynatrace URL with its `DT_TENANT` / `METRICS_ENDPOINT` fallbacks, the token loaded once).
fn provider(
    cli: &Cli,
    kind: Provider,
    token: Option<&SecretString>,
    redactor: &Redactor,
) -> Result<AnyProvider, Failure> {
    let timeout = cli_support::parse_duration(&cli.timeout)
        .map_err(|e| Failure::usage(format!("--timeout: {e}")))?;
    let redaction = {
        let r = redactor.clone();
        Redaction::new(move |t| r.redact(t))
    };
    kind.build(Backend {
        prometheus_url: cli.prometheus.prometheus_url.as_deref(),
        dynatrace_url: cli.dynatrace_url.clone().or_else(|| {
            std::env::var(env::METRICS_ENDPOINT)
                .ok()
                .filter(|s| !s.trim().is_empty())
        }),
        dynatrace_token: token.cloned(),
        dynatrace_url_source: "--dynatrace-url (or DT_TENANT / METRICS_ENDPOINT)",
        dynatrace_token_source: "--dynatrace-token, --dynatrace-token-file, DT_API_TOKEN or METRICS_API_TOKEN",
        allow_insecure_http: cli.allow_insecure_http,
        http: HttpConfig {
            timeout: timeout.max(Duration::from_millis(1)),
            redaction,
            ..HttpConfig::default()
        },
        retry: RetryPolicy::with_retries(cli.retries),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let cli = Cli::try_parse_from([
            "slo-gate",
            "--slo",
            "slo.yaml",
            "--sli",
            "sli.yaml",
            "--provider",
            "dynatrace",
            "--dynatrace-token",
            "dt0c01.ABC.TOPSECRETVALUE",
        ])
        .unwrap();
        assert!(!format!("{cli:?}").contains("TOPSECRETVALUE"));
    }

    #[test]
    fn windows() {
        let cli = Cli::try_parse_from([
            "slo-gate",
            "--slo",
            "s",
            "--report",
            "r",
            "--to",
            "2026-11-22T07:05:00Z",
            "--timeframe",
            "10m",
        ])
        .unwrap();
        let w = cli.window.window().unwrap();
        assert_eq!(w.start.to_string(), "2026-11-22T06:55:00Z");
        let cli = Cli::try_parse_from([
            "slo-gate",
            "--slo",
            "s",
            "--report",
            "r",
            "--from",
            "2026-11-22T07:05:00Z",
            "--to",
            "2026-11-22T07:00:00Z",
        ])
        .unwrap();
        assert!(cli.window.window().unwrap_err().message.contains("empty"));
        assert!(
            Cli::try_parse_from([
                "slo-gate",
                "--slo",
                "s",
                "--report",
                "r",
                "--from",
                "x",
                "--timeframe",
                "5m"
            ])
            .is_err()
        );
    }

    #[test]
    fn every_env_var_clap_reads_is_listed_in_env_vars() {
        use clap::CommandFactory;
        assert_eq!(env::unlisted(&Cli::command()), Vec::<String>::new());
    }

    #[test]
    fn labels_must_be_key_value() {
        let cli = Cli::try_parse_from([
            "slo-gate", "--slo", "s", "--report", "r", "--label", "novalue",
        ])
        .unwrap();
        assert!(context(&cli).is_err());
    }
}

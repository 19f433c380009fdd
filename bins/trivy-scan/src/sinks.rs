//! The metrics flags of trivy-scan and how they become a [`FanOut`] of sinks; plus the one-line
//! report per sink after a push.
//!
//! Seed compatibility: Dynatrace is enabled without `--sink` when both `METRICS_ENDPOINT` and
//! `METRICS_API_TOKEN` (or the matching flags) are set, exactly as the original container did.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use cli_support::env;
use http_policy::{EndpointRules, Redaction};
use metrics_sink::{
    DynatraceConfig, DynatraceMode, DynatraceSink, FanOut, HttpConfig, OtlpConfig, OtlpProtocol,
    OtlpSink, PushgatewayConfig, PushgatewaySink, RetryPolicy, SinkOutcome, StdoutFormat,
    StdoutSink,
};
use secrecy::{ExposeSecret, SecretString};

/// A metrics backend named with `--sink`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SinkKind {
    /// Metric lines on stdout.
    Stdout,
    /// Dynatrace Metrics API v2 (or the local OneAgent endpoint).
    Dynatrace,
    /// Prometheus Pushgateway.
    Pushgateway,
    /// OTLP/HTTP (any OpenTelemetry collector or vendor).
    Otlp,
}

/// Metrics flags (flattened into trivy-scan's CLI). The names are part of the contract.
#[derive(Debug, clap::Args)]
pub struct SinkArgs {
    /// Metrics backend to push the counts to; repeat for several (each outcome is reported,
    /// one failing backend does not stop the others).
    #[arg(
        long = "sink",
        value_enum,
        value_name = "SINK",
        help_heading = "Metrics"
    )]
    pub sink: Vec<SinkKind>,

    /// Dynatrace environment URL (`abc123.live.dynatrace.com` gets https://), or a full ingest
    /// URL such as the local OneAgent `http://localhost:14499/metrics/ingest`.
    #[arg(
        long,
        env = env::METRICS_ENDPOINT,
        value_name = "URL",
        help_heading = "Metrics"
    )]
    pub dynatrace_url: Option<String>,

    /// Dynatrace API token with the `metrics.ingest` scope.
    #[arg(
        long,
        env = env::METRICS_API_TOKEN,
        hide_env_values = true,
        allow_hyphen_values = true,
        value_name = "TOKEN",
        help_heading = "Metrics"
    )]
    pub dynatrace_token: Option<SecretString>,

    /// Read the Dynatrace API token from this file (its first line, trimmed; not together
    /// with --dynatrace-token).
    #[arg(long, value_name = "FILE", help_heading = "Metrics")]
    pub dynatrace_token_file: Option<PathBuf>,

    /// Send one key `trivy.image.vulnerabilities` with a `severity` dimension instead of the
    /// seed-compatible `trivy.vulnerabilities.<SEVERITY>` keys.
    #[arg(long, help_heading = "Metrics")]
    pub dynatrace_dimensional: bool,

    /// Prometheus Pushgateway base URL.
    #[arg(
        long,
        env = env::PUSHGATEWAY_URL,
        value_name = "URL",
        help_heading = "Metrics"
    )]
    pub pushgateway_url: Option<String>,

    /// The Pushgateway `job` label.
    #[arg(
        long,
        default_value = "vulngate",
        value_name = "JOB",
        help_heading = "Metrics"
    )]
    pub pushgateway_job: String,

    /// OTLP/HTTP metrics URL (a URL without a path gets /v1/metrics); else
    /// OTEL_EXPORTER_OTLP_METRICS_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT.
    #[arg(long, value_name = "URL", help_heading = "Metrics")]
    pub otlp_endpoint: Option<String>,

    /// OTLP encoding; else OTEL_EXPORTER_OTLP_PROTOCOL; default http/protobuf.
    #[arg(
        long,
        value_name = "PROTOCOL",
        value_parser = ["http/protobuf", "http/json"],
        help_heading = "Metrics"
    )]
    pub otlp_protocol: Option<String>,

    /// Exit 3 when a metrics push fails (default: warn and keep the verdict).
    #[arg(long, help_heading = "Metrics")]
    pub metrics_required: bool,

    /// Time allowed to connect to a metrics backend (`5s`, `500ms`, `2m`).
    #[arg(long, default_value = "5s", value_parser = parse_positive_duration, value_name = "DURATION", help_heading = "Metrics")]
    pub metrics_connect_timeout: Duration,

    /// Time allowed for one metrics request, response included.
    #[arg(long, default_value = "30s", value_parser = parse_positive_duration, value_name = "DURATION", help_heading = "Metrics")]
    pub metrics_timeout: Duration,

    /// Retries after a failed push (429, 5xx, connection errors, timeouts).
    #[arg(long, default_value_t = 3, value_name = "N", help_heading = "Metrics")]
    pub retries: u32,

    /// Allow sending a token over plain http to a host that is not loopback.
    #[arg(long, help_heading = "Metrics")]
    pub allow_insecure_http: bool,
}

/// A request timeout: the one duration syntax of every flag ([`cli_support::parse_duration`]),
/// above zero.
///
/// # Errors
/// What `parse_duration` refuses, and zero.
pub(crate) fn parse_positive_duration(raw: &str) -> Result<Duration, String> {
    let d = cli_support::parse_duration(raw)?;
    if d.is_zero() {
        return Err(format!("`{raw}`: the duration must be greater than zero"));
    }
    Ok(d)
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty())
}

impl SinkArgs {
    /// The HTTP settings of every request to a metrics backend: the pushes, and the gate's
    /// `--provider` queries.
    pub(crate) fn http_config(&self, redaction: &Redaction) -> HttpConfig {
        HttpConfig {
            connect_timeout: self.metrics_connect_timeout,
            timeout: self.metrics_timeout,
            user_agent: concat!("vulngate-trivy-scan/", env!("CARGO_PKG_VERSION")).to_owned(),
            redaction: redaction.clone(),
        }
    }

    /// Builds the sinks. `env` looks up environment variables (the OTEL_* ones, and the seed's
    /// variables when the flags were not filled from them); `dt_token` is
    /// [`SinkArgs::dynatrace_token`]'s answer; every server text passes through `redaction`;
    /// `stdout` is where `--sink stdout` writes. Returns the fan-out and whether Dynatrace was
    /// enabled automatically.
    ///
    /// # Errors
    /// A usage error message (exit 2): a sink named without its URL, a bad URL, a token over
    /// plain http.
    pub fn build(
        &self,
        env: impl Fn(&str) -> Option<String>,
        dt_token: Option<SecretString>,
        redaction: &Redaction,
        stdout: Box<dyn Write + Send>,
        stdout_format: StdoutFormat,
    ) -> Result<(FanOut, bool), String> {
        let named = |k: SinkKind| self.sink.contains(&k);
        let http = self.http_config(redaction);
        let retry = RetryPolicy::with_retries(self.retries);
        let mut fanout = FanOut::with_redaction(redaction.clone());

        if named(SinkKind::Stdout) {
            fanout.add(Box::new(StdoutSink::to_writer(stdout_format, stdout)));
        }

        let dt_url =
            non_empty(self.dynatrace_url.clone()).or_else(|| non_empty(env(env::METRICS_ENDPOINT)));
        let auto = !named(SinkKind::Dynatrace) && dt_url.is_some() && dt_token.is_some();
        if named(SinkKind::Dynatrace) || auto {
            let raw = dt_url
                .ok_or("--sink dynatrace needs --dynatrace-url (or METRICS_ENDPOINT)".to_owned())?;
            let url = http_policy::parse_endpoint(
                &raw,
                EndpointRules {
                    carries_token: dt_token.is_some(),
                    allow_insecure_http: self.allow_insecure_http,
                },
            )
            .map_err(|e| format!("--dynatrace-url: {e}"))?;
            let mut config = DynatraceConfig::new(url, dt_token);
            // Only the local OneAgent endpoint takes no token.
            let oneagent = config
                .url
                .path()
                .trim_end_matches('/')
                .ends_with("/metrics/ingest")
                && !config.url.path().contains("/api/v2/");
            if config.token.is_none() && !oneagent {
                return Err(
                    "--sink dynatrace needs a token (--dynatrace-token, --dynatrace-token-file or METRICS_API_TOKEN), unless the URL is a local OneAgent endpoint such as http://localhost:14499/metrics/ingest"
                        .to_owned(),
                );
            }
            config.mode = if self.dynatrace_dimensional {
                DynatraceMode::Dimensional
            } else {
                DynatraceMode::PerSeverityKeys
            };
            config.http = http.clone();
            config.retry = retry;
            let sink =
                DynatraceSink::new(config).map_err(|e| format!("dynatrace: {}", e.message))?;
            fanout.add(Box::new(sink));
        }

        if named(SinkKind::Pushgateway) {
            let raw = non_empty(self.pushgateway_url.clone())
                .or_else(|| non_empty(env(env::PUSHGATEWAY_URL)))
                .ok_or(
                    "--sink pushgateway needs --pushgateway-url (or PUSHGATEWAY_URL)".to_owned(),
                )?;
            // Credentials in the URL's userinfo count as a token (parse_endpoint).
            let url = http_policy::parse_endpoint(
                &raw,
                EndpointRules {
                    carries_token: false,
                    allow_insecure_http: self.allow_insecure_http,
                },
            )
            .map_err(|e| format!("--pushgateway-url: {e}"))?;
            let mut config = PushgatewayConfig::new(url);
            config.job.clone_from(&self.pushgateway_job);
            config.http = http.clone();
            config.retry = retry;
            let sink =
                PushgatewaySink::new(config).map_err(|e| format!("pushgateway: {}", e.message))?;
            fanout.add(Box::new(sink));
        }

        if named(SinkKind::Otlp) {
            let protocol = self
                .otlp_protocol
                .as_deref()
                .map(OtlpProtocol::parse)
                .transpose()?;
            let mut config = OtlpConfig::from_env(
                self.otlp_endpoint.as_deref(),
                protocol,
                self.allow_insecure_http,
                &env,
            )
            .map_err(|e| format!("--sink otlp: {e}"))?;
            config.http = http;
            config.retry = retry;
            let sink = OtlpSink::new(config).map_err(|e| format!("otlp: {}", e.message))?;
            fanout.add(Box::new(sink));
        }

        Ok((fanout, auto))
    }

    /// The Dynatrace token: `--dynatrace-token` (or `METRICS_API_TOKEN`) or the first line of
    /// `--dynatrace-token-file`, not both.
    ///
    /// # Errors
    /// Both given, an unreadable or empty file (the message never holds the token).
    pub fn dynatrace_token(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<SecretString>, String> {
        let flag = self
            .dynatrace_token
            .clone()
            .filter(|t| !t.expose_secret().trim().is_empty())
            .or_else(|| non_empty(env(env::METRICS_API_TOKEN)).map(SecretString::from));
        cli_support::load_secret(
            flag.as_ref(),
            self.dynatrace_token_file.as_deref(),
            "Dynatrace API token",
        )
        .map_err(|f| f.message)
    }
}

/// Prints one line per sink to `err`: `metrics: dynatrace accepted 6 metrics`, or
/// `warning: metrics push to dynatrace failed: …; not sent: trivy.vulnerabilities.CRITICAL, …`,
/// or for partial acceptance the rejected metrics with the backend's reasons. Returns true when
/// any sink failed or rejected a metric.
pub(crate) fn report_outcomes(outcomes: &[SinkOutcome], out: &mut dyn Write) -> bool {
    // The fan-out already redacted the backends' texts; `out` is the redacting stderr.
    write_outcomes(outcomes, out)
}

fn write_outcomes(outcomes: &[SinkOutcome], err: &mut dyn Write) -> bool {
    let mut failed = false;
    for o in outcomes {
        match &o.result {
            Ok(r) => {
                let n = r.accepted.len();
                let s = if n == 1 { "" } else { "s" };
                if r.rejected.is_empty() {
                    let _ = writeln!(err, "metrics: {} accepted {n} metric{s}", o.sink);
                } else {
                    failed = true;
                    let rejected: Vec<String> = r
                        .rejected
                        .iter()
                        .map(|x| format!("{} ({})", x.metric, x.reason))
                        .collect();
                    let _ = writeln!(
                        err,
                        "warning: metrics push to {} was partly refused: accepted {n} metric{s}; rejected: {}",
                        o.sink,
                        rejected.join("; ")
                    );
                }
                for note in &r.notes {
                    let _ = writeln!(err, "note: {}: {note}", o.sink);
                }
            }
            Err(e) => {
                failed = true;
                let mut line = format!("warning: metrics push to {} failed: {}", o.sink, e.message);
                if !e.unsent.is_empty() {
                    line.push_str(&format!("; not sent: {}", e.unsent.join(", ")));
                }
                let _ = writeln!(err, "{line}");
            }
        }
    }
    failed
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use metrics_sink::{PushReport, Rejected, SinkError, SinkErrorKind};

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        sinks: SinkArgs,
    }

    fn parse(args: &[&str]) -> SinkArgs {
        let mut v = vec!["trivy-scan"];
        v.extend(args);
        Cli::try_parse_from(v).unwrap().sinks
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn names(
        args: &[&str],
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<(Vec<&'static str>, bool), String> {
        let a = parse(args);
        let token = a.dynatrace_token(&env)?;
        a.build(
            &env,
            token,
            &Redaction::default(),
            Box::new(std::io::sink()),
            StdoutFormat::Text,
        )
        .map(|(f, auto)| (f.names(), auto))
    }

    #[test]
    fn durations() {
        let d = parse_positive_duration;
        assert_eq!(d("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(d("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(d("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(d("7"), Ok(Duration::from_secs(7)));
        // The documented syntax of every duration flag: days and fractions too.
        assert_eq!(d("1d"), Ok(Duration::from_secs(86400)));
        assert_eq!(d("1.5s"), Ok(Duration::from_millis(1500)));
        assert!(d("0s").is_err());
        assert!(d("5x").is_err());
        assert!(d("").is_err());
        let a = parse(&[]);
        assert_eq!(a.metrics_connect_timeout, Duration::from_secs(5));
        assert_eq!(a.metrics_timeout, Duration::from_secs(30));
        assert_eq!(a.retries, 3);
        assert_eq!(a.pushgateway_job, "vulngate");
    }

    #[test]
    fn dynatrace_is_enabled_by_the_seed_variables() {
        let env = |k: &str| match k {
            "METRICS_ENDPOINT" => Some("abc123.live.dynatrace.com".to_owned()),
            "METRICS_API_TOKEN" => Some("dt0c01.X.Y".to_owned()),
            _ => None,
        };
        assert_eq!(names(&[], env), Ok((vec!["dynatrace"], true)));
        assert_eq!(
            names(&["--sink", "dynatrace"], env),
            Ok((vec!["dynatrace"], false))
        );
        let only_url =
            |k: &str| (k == "METRICS_ENDPOINT").then(|| "abc.live.dynatrace.com".to_owned());
        assert_eq!(names(&[], only_url), Ok((vec![], false)));
        assert_eq!(
            names(
                &[
                    "--dynatrace-url",
                    "https://t.example",
                    "--dynatrace-token",
                    "tok"
                ],
                no_env
            ),
            Ok((vec!["dynatrace"], true))
        );
    }

    #[test]
    fn named_sinks_need_their_urls() {
        let e = names(&["--sink", "dynatrace"], no_env).unwrap_err();
        assert!(e.contains("--dynatrace-url"), "{e}");
        let e = names(&["--sink", "pushgateway"], no_env).unwrap_err();
        assert!(e.contains("--pushgateway-url"), "{e}");
        let e = names(&["--sink", "otlp"], no_env).unwrap_err();
        assert!(e.contains("OTEL_EXPORTER_OTLP_ENDPOINT"), "{e}");
        let e = names(
            &[
                "--sink",
                "dynatrace",
                "--dynatrace-url",
                "https://t.example",
            ],
            no_env,
        )
        .unwrap_err();
        assert!(e.contains("needs a token"), "{e}");
        // The token-less local OneAgent endpoint is fine.
        assert_eq!(
            names(
                &[
                    "--sink",
                    "dynatrace",
                    "--dynatrace-url",
                    "http://localhost:14499/metrics/ingest"
                ],
                no_env
            ),
            Ok((vec!["dynatrace"], false))
        );
    }

    #[test]
    fn fan_out_in_flag_order_and_insecure_http() {
        let env = |k: &str| {
            (k == "OTEL_EXPORTER_OTLP_ENDPOINT").then(|| "http://127.0.0.1:4318".to_owned())
        };
        let got = names(
            &[
                "--sink",
                "stdout",
                "--sink",
                "pushgateway",
                "--pushgateway-url",
                "http://127.0.0.1:9091",
                "--sink",
                "otlp",
                "--otlp-protocol",
                "http/json",
            ],
            env,
        );
        assert_eq!(got, Ok((vec!["stdout", "pushgateway", "otlp"], false)));
        let args = [
            "--sink",
            "dynatrace",
            "--dynatrace-url",
            "http://tenant.example",
            "--dynatrace-token",
            "SECRETMARK",
        ];
        let e = names(&args, no_env).unwrap_err();
        assert!(
            e.contains("--allow-insecure-http") && !e.contains("SECRETMARK"),
            "{e}"
        );
        let mut allowed = args.to_vec();
        allowed.push("--allow-insecure-http");
        assert!(names(&allowed, no_env).is_ok());
        assert!(Cli::try_parse_from(["x", "--otlp-protocol", "grpc"]).is_err());
        assert!(Cli::try_parse_from(["x", "--sink", "datadog"]).is_err());
    }

    #[test]
    fn token_file_and_debug_never_shows_the_token() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "dt0c01.FILE.SECRETMARK\nsecond line\n").unwrap();
        let file = file.to_str().unwrap();
        let url = [
            "--sink",
            "dynatrace",
            "--dynatrace-url",
            "https://t.example",
        ];
        let a = parse(&[&url[..], &["--dynatrace-token-file", file]].concat());
        let token = a.dynatrace_token(no_env).unwrap();
        assert_eq!(
            token.as_ref().unwrap().expose_secret(),
            "dt0c01.FILE.SECRETMARK"
        );
        let (fanout, _) = a
            .build(
                no_env,
                token,
                &Redaction::default(),
                Box::new(std::io::sink()),
                StdoutFormat::Text,
            )
            .unwrap();
        let shown = format!("{a:?} {fanout:?}");
        assert!(!shown.contains("SECRETMARK"), "{shown}");
        // A flag and a file together are a usage error (one secret loader, issue 11).
        let both = parse(
            &[
                &url[..],
                &[
                    "--dynatrace-token",
                    "-dt0c01.FLAG.SECRETMARK",
                    "--dynatrace-token-file",
                    file,
                ],
            ]
            .concat(),
        );
        let e = both.dynatrace_token(no_env).unwrap_err();
        assert!(e.contains("not both") && !e.contains("SECRETMARK"), "{e}");
        let missing = parse(&["--dynatrace-token-file", "/nonexistent/token"]);
        assert!(
            missing
                .dynatrace_token(no_env)
                .unwrap_err()
                .contains("cannot read")
        );
    }

    #[test]
    fn one_line_per_sink() {
        let outcomes = vec![
            SinkOutcome {
                sink: "dynatrace",
                result: Ok(PushReport {
                    accepted: vec!["a".into(); 6],
                    ..PushReport::default()
                }),
            },
            SinkOutcome {
                sink: "otlp",
                result: Ok(PushReport {
                    accepted: vec![],
                    rejected: vec![Rejected {
                        metric: "m".into(),
                        reason: "bad".into(),
                    }],
                    notes: vec![],
                }),
            },
            SinkOutcome {
                sink: "pushgateway",
                result: Err(SinkError {
                    sink: "pushgateway",
                    kind: SinkErrorKind::Unavailable,
                    message: "http://127.0.0.1:1/: could not connect".into(),
                    unsent: vec!["x".into(), "y".into()],
                }),
            },
        ];
        let mut out = Vec::new();
        assert!(report_outcomes(&outcomes, &mut out));
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "metrics: dynatrace accepted 6 metrics\n\
             warning: metrics push to otlp was partly refused: accepted 0 metrics; rejected: m (bad)\n\
             warning: metrics push to pushgateway failed: http://127.0.0.1:1/: could not connect; not sent: x, y\n"
        );
        let mut out = Vec::new();
        assert!(!report_outcomes(&outcomes[..1], &mut out));
    }
}

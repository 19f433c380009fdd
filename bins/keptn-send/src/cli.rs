//! Command-line flags (DESIGN.md, keptn-send). Shared glue (exit codes, logging, secrets,
//! durations) comes from `cli-support`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use cli_support::{Format, LogArgs, env};
use secrecy::SecretString;

/// The formats keptn-send writes, with their `--help` lines.
const FORMATS: &[(Format, &str)] = &[
    (
        Format::Text,
        "Lines for people: the keptnContext, then (with --wait) the verdict",
    ),
    (
        Format::Json,
        "JSON: `{\"keptnContext\": …}`, or with --wait the evaluation.finished event's `data`",
    ),
];

fn parse_secret(s: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(s.to_owned()))
}

/// Send a Keptn CloudEvent and optionally follow the sequence to its evaluation verdict.
///
/// The event's data is built in this order, later steps overriding earlier ones: the JSON
/// object of --data, then --project/--stage/--service/--label, then each --set.
///
/// Exit codes: 0 sent (with --wait: pass or warning), 1 the evaluation failed, 2 usage or
/// input error, 3 the Keptn API failed, or the sequence was aborted, timed out or finished
/// without an evaluation.
#[derive(Debug, Parser)]
#[command(name = "keptn-send", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    /// Keptn API base URL, the gateway prefix (`http(s)://<host>/api`). A bare host gets https.
    #[arg(long, env = env::KEPTN_API_URL, value_name = "URL")]
    pub api_url: Option<String>,
    /// Keptn API token (sent as x-token). Prefer the env var or --api-token-file. A value
    /// starting with `-` is taken as the token.
    #[arg(long, env = env::KEPTN_API_TOKEN, hide_env_values = true, allow_hyphen_values = true, value_parser = parse_secret, value_name = "TOKEN")]
    pub api_token: Option<SecretString>,
    /// File holding the Keptn API token (its first line, trimmed; not with --api-token).
    #[arg(long, value_name = "FILE")]
    pub api_token_file: Option<PathBuf>,
    /// Keptn project (data.project).
    #[arg(long)]
    pub project: Option<String>,
    /// Stage (data.stage, and the stage of a --sequence type).
    #[arg(long)]
    pub stage: Option<String>,
    /// Service (data.service).
    #[arg(long)]
    pub service: Option<String>,
    /// Sequence to trigger: type `sh.keptn.event.<stage>.<sequence>.triggered` (needs --stage).
    #[arg(
        long,
        conflicts_with = "event_type",
        requires = "stage",
        required_unless_present = "event_type"
    )]
    pub sequence: Option<String>,
    /// Full event type instead of --sequence, e.g. `sh.keptn.event.evaluation.invalidated`.
    #[arg(long = "type", value_name = "TYPE")]
    pub event_type: Option<String>,
    /// A label `key=value` (repeatable), copied through the whole sequence.
    #[arg(long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
    /// JSON object file merged into data (`-` reads stdin).
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// Set `path.to.key=value` in data (repeatable). Integers, floats, true, false and null
    /// become JSON values; anything else, or a value in double quotes, is a string.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
    /// The event's source.
    #[arg(long, default_value = "keptn-send")]
    pub source: String,
    /// Keptn context (UUID) to send the event in, e.g. to answer or invalidate within a run.
    #[arg(long, value_name = "UUID")]
    pub keptn_context: Option<String>,
    /// Id of the .triggered event this event answers (required for task answers such as
    /// .started, .finished and evaluation.invalidated).
    #[arg(long, value_name = "ID")]
    pub triggered_id: Option<String>,
    /// Print the CloudEvent JSON and send nothing (no URL or token needed).
    #[arg(long, conflicts_with = "wait")]
    pub dry_run: bool,
    /// Follow the sequence until it ends and print the evaluation verdict.
    #[arg(long)]
    pub wait: bool,
    /// With --wait: give up after this long (exit 3); 1s to 7d.
    #[arg(long, default_value = "10m", value_parser = parse_timeout, value_name = "DURATION")]
    pub timeout: Duration,
    /// With --wait: time between two polls of the sequence state (Keptn rate-limits these);
    /// 100ms to 1h, so at most 10 polls per second.
    #[arg(long, default_value = "10s", value_parser = parse_poll_interval, value_name = "DURATION")]
    pub poll_interval: Duration,
    /// Time allowed for one HTTP request; 100ms to 1h.
    #[arg(long, default_value = "30s", value_parser = parse_request_timeout, value_name = "DURATION")]
    pub request_timeout: Duration,
    /// Retries of one HTTP request on 429, 5xx and connection errors; 0 to 10.
    #[arg(long, default_value_t = 3, value_name = "N",
          value_parser = clap::value_parser!(u32).range(0..=i64::from(http_policy::MAX_RETRIES)))]
    pub retries: u32,
    /// Output format.
    #[arg(long, value_parser = Format::parser(FORMATS), default_value_t = Format::Text)]
    pub format: Format,
    /// Allow sending the token over plain http to a non-loopback host.
    #[arg(long)]
    pub allow_insecure_http: bool,
    /// Logging.
    #[command(flatten)]
    pub log: LogArgs,
}

/// A duration within `min..=max` (both given as they are written in the message).
fn bounded(raw: &str, min: (&str, Duration), max: (&str, Duration)) -> Result<Duration, String> {
    let d = cli_support::parse_duration(raw)?;
    if d < min.1 || d > max.1 {
        return Err(format!(
            "`{raw}` is out of range: use {} to {}",
            min.0, max.0
        ));
    }
    Ok(d)
}

/// `--poll-interval`: 100ms (at most 10 polls per second) to 1h.
pub(crate) fn parse_poll_interval(raw: &str) -> Result<Duration, String> {
    bounded(
        raw,
        ("100ms", Duration::from_millis(100)),
        ("1h", Duration::from_secs(3600)),
    )
}

/// `--timeout`: 1s to 7d.
pub(crate) fn parse_timeout(raw: &str) -> Result<Duration, String> {
    bounded(
        raw,
        ("1s", Duration::from_secs(1)),
        ("7d", Duration::from_secs(7 * 86_400)),
    )
}

/// `--request-timeout`: 100ms to 1h.
pub(crate) fn parse_request_timeout(raw: &str) -> Result<Duration, String> {
    bounded(
        raw,
        ("100ms", Duration::from_millis(100)),
        ("1h", Duration::from_secs(3600)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        let cli = Cli::try_parse_from([
            "keptn-send",
            "--api-token",
            "kt-MARKER-123",
            "--stage",
            "main",
            "--sequence",
            "demosequence",
        ])
        .unwrap();
        let dbg = format!("{cli:?}");
        assert!(!dbg.contains("MARKER"), "{dbg}");
        assert!(dbg.contains("api_token"));
    }

    #[test]
    fn every_env_var_clap_reads_is_listed_in_env_vars() {
        use clap::CommandFactory;
        assert_eq!(
            cli_support::env::unlisted(&Cli::command()),
            Vec::<String>::new()
        );
    }
}

#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

use std::process::ExitCode;
use std::time::Duration;

mod format;
mod secrets;

pub use format::{Format, FormatParser};

pub use secrets::{REDACTED, RedactingWriter, Redactor, RedactorBuilder, load_secret};

pub mod files;

pub use files::{
    MAX_TEXT_FILE, read_text, read_text_from, read_text_from_limited, read_text_limited,
    write_atomic, write_atomic_with,
};

/// Every environment variable name the binaries read (the `env-vars` crate), and the check that
/// each clap `env = ...` of a binary is one of them.
pub mod env {
    pub use env_vars::*;

    /// The `env` names of `cmd`'s arguments (subcommands included) that are not in [`ALL`]:
    /// empty when every variable clap reads is defined and documented once. Each binary's
    /// tests assert it on its `Cli::command()`.
    #[must_use]
    pub fn unlisted(cmd: &clap::Command) -> Vec<String> {
        let mut out: Vec<String> = cmd
            .get_arguments()
            .filter_map(clap::Arg::get_env)
            .map(|name| name.to_string_lossy().into_owned())
            .filter(|name| !NAMES.contains(&name.as_str()))
            .collect();
        for sub in cmd.get_subcommands() {
            out.extend(unlisted(sub));
        }
        out
    }
}

/// The exit codes every vulngate binary uses (DESIGN.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Success, or the gate passed (a warning passes unless `--fail-on-warning`).
    Ok = 0,
    /// The gate failed.
    GateFailed = 1,
    /// Usage or input error: bad flag, unreadable or malformed file, invalid name.
    Usage = 2,
    /// An external dependency failed: trivy, a metrics backend, the Keptn API.
    External = 3,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        Self::from(e as u8)
    }
}

/// An error that ends the run: one sentence for the user and the exit code it maps to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Exit code.
    pub exit: Exit,
    /// One line, already with context (file name, URL, what to do).
    pub message: String,
}

impl Failure {
    /// Exit 2: the user's input is wrong.
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::Usage,
            message: message.into(),
        }
    }

    /// Exit 3: something outside failed.
    pub fn external(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::External,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

impl Failure {
    /// The same failure with every secret `redactor` knows removed from the message (a server
    /// may have echoed a token into it). Each binary's `run` applies this to its result.
    #[must_use]
    pub fn redacted(self, redactor: &Redactor) -> Self {
        Self {
            exit: self.exit,
            message: redactor.redact(&self.message),
        }
    }
}

/// Turns a run's result into the process exit code, printing a failure as one line on stderr
/// (`<binary>: error: <message>`). Newlines in messages are flattened so it stays one line.
/// The message must already be redacted ([`Failure::redacted`]).
#[must_use]
#[allow(clippy::print_stderr)] // the one place binaries report fatal errors
pub fn finish(binary: &str, result: Result<Exit, Failure>) -> ExitCode {
    match result {
        Ok(exit) => exit.into(),
        Err(f) => {
            let one_line = f.message.replace(['\n', '\r'], " ");
            eprintln!("{binary}: error: {one_line}");
            f.exit.into()
        }
    }
}

/// The whole `main` of each vulngate binary: parses the command line into `C`, starts a
/// current-thread tokio runtime, runs `run` on it, and turns the result into the exit code
/// through [`finish`] under the command's name. `run` starts logging itself, once it knows
/// the secrets its redactor must filter from every line.
///
/// ```no_run
/// # #[derive(Debug, clap::Parser)]
/// # struct Cli {}
/// # async fn run(_: Cli, _: &mut dyn std::io::Write) -> Result<cli_support::Exit, cli_support::Failure> {
/// #     Ok(cli_support::Exit::Ok)
/// # }
/// fn main() -> std::process::ExitCode {
///     cli_support::main(async |cli: Cli| run(cli, &mut std::io::stdout().lock()).await)
/// }
/// ```
#[must_use]
pub fn main<C: clap::Parser>(run: impl AsyncFnOnce(C) -> Result<Exit, Failure>) -> ExitCode {
    let cli = C::parse();
    let result = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(run(cli)),
        Err(e) => Err(Failure::external(format!(
            "cannot start the async runtime: {e}"
        ))),
    };
    finish(C::command().get_name(), result)
}

/// `-v` / `-q` for every binary.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct LogArgs {
    /// More log output on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

impl LogArgs {
    /// Installs the tracing subscriber, writing to stderr (stdout is for results) through
    /// `redactor`, so no log line at any verbosity (ours or a dependency's) shows a secret.
    /// The first call in a process wins.
    pub fn init(self, redactor: &Redactor) {
        let level = match (self.quiet, self.verbose) {
            (true, _) => "error",
            (false, 0) => "warn",
            (false, 1) => "info",
            (false, 2) => "debug",
            _ => "trace",
        };
        // Our crates at the chosen level; dependencies (hyper, rustls) one step quieter
        // unless VULNGATE_LOG says otherwise.
        let filter = std::env::var(env::VULNGATE_LOG).unwrap_or_else(|_| {
            format!("warn,trivy_scan={level},keptn_send={level},slo_gate={level},trivy_report={level},report_formats={level},findings={level},metrics_sink={level},keptn_events={level},slo_eval={level},sli_provider={level},http_policy={level}")
        });
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(RedactedStderr(redactor.clone()))
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_target(false)
            .try_init();
    }
}

/// Makes a redacting stderr writer per log event (tracing formats one event into one
/// `write_all`, so each event is redacted whole).
struct RedactedStderr(Redactor);

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for RedactedStderr {
    type Writer = RedactingWriter<std::io::Stderr>;

    fn make_writer(&'a self) -> Self::Writer {
        self.0.writer(std::io::stderr())
    }
}

/// Parses durations as users write them: `500ms`, `30s`, `5m`, `2h`, `7d`, or bare seconds.
///
/// # Errors
/// A message naming the bad value and the accepted forms.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let s = raw.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let bad = || {
        format!(
            "invalid duration `{raw}`: use a number with ms, s, m, h or d, for example 30s or 5m"
        )
    };
    let n: f64 = num.parse().map_err(|_| bad())?;
    let secs = match unit.trim() {
        "ms" => n / 1000.0,
        "" | "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        "d" => n * 86400.0,
        _ => return Err(bad()),
    };
    if !secs.is_finite() || !(0.0..=1e9).contains(&secs) {
        return Err(format!(
            "invalid duration `{raw}`: out of range (at most 1e9 seconds, about 31 years)"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// A duration the way [`parse_duration`] reads them, in its largest whole unit: `15d`, `3h`,
/// `5m`, `42s` (for messages such as "older than --max-db-age 7d").
#[must_use]
pub fn format_duration(d: Duration) -> String {
    match d.as_secs() {
        s if s >= 86400 => format!("{}d", s / 86400),
        s if s >= 3600 => format!("{}h", s / 3600),
        s if s >= 60 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Rejects references that could be taken for options or that hide characters
/// (DESIGN: a leading `-`, whitespace or control characters).
///
/// # Errors
/// A usage failure naming the problem.
pub fn validate_reference(what: &str, value: &str) -> Result<(), Failure> {
    if value.is_empty() {
        return Err(Failure::usage(format!("the {what} is empty")));
    }
    if value.starts_with('-') {
        return Err(Failure::usage(format!(
            "the {what} `{value}` starts with `-`; refusing it so it cannot be read as an option"
        )));
    }
    if let Some(c) = value.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(Failure::usage(format!(
            "the {what} {value:?} contains the character {c:?}; whitespace and control characters are not allowed"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86400)));
        assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
        assert!(parse_duration("5 weeks").is_err());
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("").is_err());
        // Too large is named as such, not as a syntax error.
        let e = parse_duration("99999999999d").unwrap_err();
        assert!(e.contains("out of range"), "{e}");
    }

    #[test]
    fn references() {
        assert!(validate_reference("image", "nginx:1.21.1").is_ok());
        assert!(validate_reference("image", "--help").is_err());
        assert!(validate_reference("image", "nginx latest").is_err());
        assert!(validate_reference("image", "nginx\u{1b}").is_err());
        assert!(validate_reference("image", "").is_err());
    }
}

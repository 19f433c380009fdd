//! The `trivy-scan` binary: scan an image with Trivy (or read a report), count vulnerabilities
//! by severity, publish the counts to the configured metrics sinks, optionally gate.
//!
//! The logic lives in this library so tests can reach it; `main.rs` only hands [`run`] to
//! `cli_support::main`.

mod batch;
mod cli;
mod output;
mod scan;
mod sinks;

use cli_support::{Exit, Failure};

pub use cli::Cli;

/// Runs one scan as the command line says. `env` looks up environment variables (injected so
/// tests need not mutate the process environment). Logging starts here, once the secrets are
/// known, so that every log line passes through the run's redactor.
///
/// # Errors
/// A [`Failure`] carrying the exit code and the one-line message, secrets removed.
pub async fn run(cli: Cli, env: &dyn Fn(&str) -> Option<String>) -> Result<Exit, Failure> {
    let secrets = cli.secrets(env)?;
    let redactor = secrets.redactor.clone();
    cli.log.init(&redactor);
    run_with(&cli, env, secrets)
        .await
        .map_err(|f| f.redacted(&redactor))
}

async fn run_with(
    cli: &Cli,
    env: &dyn Fn(&str) -> Option<String>,
    secrets: cli::Secrets,
) -> Result<Exit, Failure> {
    let plan = cli.plan(env, secrets)?;
    if plan.batch.is_some() {
        // A live progress line only for a person watching: a terminal, and not a CI log.
        use std::io::IsTerminal as _;
        let progress = std::io::stderr().is_terminal()
            && env(cli_support::env::CI).is_none_or(|v| v.is_empty());
        return batch::run(plan, progress).await;
    }
    let mut out = output::Output::new(plan.format, plan.redactor.clone());
    out.preamble(&plan);
    let mut scanned = scan::scan(&plan).await?;
    out.counted(&plan, &scanned);
    let metrics_failed = out.publish(&plan, &scanned).await;
    out.finished(&plan, &scanned);
    let gate = output::gate(&plan, &mut scanned).await?;
    out.gate(gate.as_ref());
    out.sarif(&plan, &scanned, gate.as_ref())?;
    out.flush()?;
    if metrics_failed && plan.sinks.metrics_required {
        return Err(Failure::external(
            "publishing metrics failed and --metrics-required is set (details above)",
        ));
    }
    Ok(gate.map_or(Exit::Ok, |g| g.exit))
}

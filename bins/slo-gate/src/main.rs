//! `slo-gate` entry point: parse flags, start logging, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser as _;
use cli_support::Failure;

fn main() -> ExitCode {
    // Logging starts in `run`, once the secrets are known (their redactor filters every line).
    let cli = slo_gate::Cli::parse();
    let result = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(slo_gate::run(&cli, &mut std::io::stdout().lock())),
        Err(e) => Err(Failure::external(format!(
            "cannot start the async runtime: {e}"
        ))),
    };
    cli_support::finish("slo-gate", result)
}

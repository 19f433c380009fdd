//! `slo-gate` entry point: parse flags, start logging, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser as _;
use cli_support::Failure;

fn main() -> ExitCode {
    let cli = slo_gate::Cli::parse();
    cli.log.init();
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

//! `keptn-send`: builds a Keptn CloudEvent from flags, sends it, and optionally follows the
//! sequence to its evaluation verdict. Everything but process setup lives in the library.

use std::process::ExitCode;

use clap::Parser;
use cli_support::Failure;

fn main() -> ExitCode {
    // Logging starts in `run`, once the token is known (its redactor filters every line).
    let cli = keptn_send::Cli::parse();
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::external(format!("cannot start the async runtime: {e}")))
        .and_then(|rt| rt.block_on(keptn_send::run(cli, &mut std::io::stdout().lock())));
    cli_support::finish("keptn-send", result)
}

//! `keptn-send`: builds a Keptn CloudEvent from flags, sends it, and optionally follows the
//! sequence to its evaluation verdict. Everything but process setup lives in the library.

fn main() -> std::process::ExitCode {
    cli_support::main(async |cli: keptn_send::Cli| {
        keptn_send::run(cli, &mut std::io::stdout().lock()).await
    })
}

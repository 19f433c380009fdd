//! `slo-gate` entry point: everything but process setup lives in the library.

fn main() -> std::process::ExitCode {
    cli_support::main(async |cli: slo_gate::Cli| {
        slo_gate::run(&cli, &mut std::io::stdout().lock()).await
    })
}

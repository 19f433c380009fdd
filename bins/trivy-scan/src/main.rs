//! `trivy-scan`: see the crate's lib.rs and `docs/configuration.md`.

fn main() -> std::process::ExitCode {
    cli_support::main(async |cli: trivy_scan::Cli| {
        trivy_scan::run(cli, &|k| std::env::var(k).ok()).await
    })
}

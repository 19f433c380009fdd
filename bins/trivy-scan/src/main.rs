//! `trivy-scan`: see the crate's lib.rs and `docs/configuration.md`.

fn main() -> std::process::ExitCode {
    trivy_scan::main()
}

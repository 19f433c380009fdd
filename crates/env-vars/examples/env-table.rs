//! Prints the environment variable reference as a Markdown table (vulngate's own variables,
//! then trivy's). `scripts/gen-configuration-doc.sh` puts it into `docs/configuration.md`.

use std::io::Write as _;

fn main() -> std::process::ExitCode {
    // A closed stdout (`| head`) is the only failure; say so instead of panicking.
    match std::io::stdout().write_all(env_vars::reference_table().as_bytes()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "env-table: cannot write: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

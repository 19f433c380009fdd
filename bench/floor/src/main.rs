//! Reads a file and validates it as JSON with `serde::de::IgnoredAny` from a slice: the least
//! work any serde_json-based reader of the report can do.

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: bench-floor FILE");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{}: {e}", path.to_string_lossy());
            return ExitCode::from(2);
        }
    };
    match serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("invalid JSON: {e}");
            ExitCode::from(2)
        }
    }
}

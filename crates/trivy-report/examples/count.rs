//! Counts a report with the library and prints the summary as JSON (used by bench/run.sh).
//!
//! `cargo run --release -p trivy-report --example count -- [--unique] [--fixable-only]
//! [--ignore FILE] [--slice | --serde-reader | --serde-slice] REPORT`
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use trivy_report::{CountOptions, IgnoreRules, summarize, summarize_slice, summarize_with_serde};

fn main() -> ExitCode {
    let mut opts = CountOptions::default();
    let mut slice = false;
    let mut serde = None;
    let mut path = None;
    let mut args = std::env::args_os().skip(1);
    while let Some(a) = args.next() {
        match a.to_str() {
            Some("--unique") => opts.unique = true,
            Some("--fixable-only") => opts.fixable_only = true,
            Some("--slice") => slice = true,
            // The serde_json visitor implementation, over a reader or a slice (for comparison).
            Some("--serde-reader") => serde = Some(false),
            Some("--serde-slice") => serde = Some(true),
            Some("--ignore") => {
                let Some(file) = args.next() else {
                    eprintln!("--ignore needs a file");
                    return ExitCode::from(2);
                };
                let today = jiff::Zoned::now().date();
                match IgnoreRules::load(file.as_ref(), today) {
                    Ok(r) => opts.ignore = Some(r),
                    Err(e) => {
                        eprintln!("{}: {e}", file.to_string_lossy());
                        return ExitCode::from(2);
                    }
                }
            }
            _ => path = Some(a),
        }
    }
    let Some(path) = path else {
        eprintln!("usage: count [--unique] [--fixable-only] [--ignore FILE] [--slice] REPORT");
        return ExitCode::from(2);
    };
    let result = if let Some(from_slice) = serde {
        std::fs::read(&path)
            .map_err(trivy_report::ReportError::Io)
            .and_then(|b| summarize_with_serde(&b, from_slice, &opts))
    } else if slice {
        std::fs::read(&path)
            .map_err(trivy_report::ReportError::Io)
            .and_then(|b| summarize_slice(&b, &opts))
    } else {
        std::fs::File::open(&path)
            .map_err(trivy_report::ReportError::Io)
            .and_then(|f| summarize(f, &opts))
    };
    match result {
        Ok(s) => {
            println!("{}", serde_json::to_string(&s).unwrap_or_default());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}: {e}", path.to_string_lossy());
            ExitCode::from(2)
        }
    }
}

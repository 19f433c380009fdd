//! Counts a report of any supported format with the library and prints the summary as JSON
//! (used by bench/run.sh).
//!
//! `cargo run --release -p report-formats --example count -- [--unique] [--fixable-only]
//! [--ignore FILE] [--findings|--fixes] REPORT`
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use findings::{CountOptions, IgnoreRules, Want};
use report_formats::{ReadOptions, read_report};

fn main() -> ExitCode {
    let mut opts = CountOptions::default();
    let mut want = Want::default();
    let mut path = None;
    let mut args = std::env::args_os().skip(1);
    while let Some(a) = args.next() {
        match a.to_str() {
            Some("--unique") => opts.unique = true,
            Some("--fixable-only") => opts.fixable_only = true,
            // Keep every counted finding (what explanations need), to measure its cost.
            Some("--findings") => want.findings = true,
            // Keep compact records (what an explanation and a fix plan read).
            Some("--fixes") => want.fixes = true,
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
        eprintln!(
            "usage: count [--unique] [--fixable-only] [--ignore FILE] [--findings|--fixes] REPORT"
        );
        return ExitCode::from(2);
    };
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{}: {e}", path.to_string_lossy());
            return ExitCode::from(2);
        }
    };
    match read_report(file, &opts, want, &ReadOptions::default()) {
        Ok(r) => {
            let s = &r.summary;
            let out = serde_json::json!({
                "format": r.format.name(),
                "counts": s.counts,
                "findings": s.findings,
                "kept": s.kept.len(),
                "records": s.records.len(),
            });
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}: {e}", path.to_string_lossy());
            ExitCode::from(2)
        }
    }
}

//! sarif-out on real reports: valid against the official SARIF 2.1.0 schema (a real
//! validator), within GitHub's documented requirements and limits, stable, and read back the
//! same by vulngate's own SARIF reader.
#![allow(missing_docs)]

mod github;
mod limits;
mod snapshots;

use std::path::Path;

use findings::{CountOptions, Summary, Want};
use report_formats::{ReadOptions, read_report};

/// Every counted finding of a report, with what it says about itself.
pub(crate) fn read(path: &Path) -> Summary {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let want = Want {
        findings: true,
        ..Want::default()
    };
    read_report(
        std::io::BufReader::new(file),
        &CountOptions::default(),
        want,
        &ReadOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    .summary
}

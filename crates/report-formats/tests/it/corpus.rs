//! Every row of the corpus tables (`tests/fixtures/corpus/EXPECTED.md`, a copy of the shared
//! corpus README, computed by an independent implementation of the spec): counts, `--unique`
//! and `--fixable-only`, or the refusal. The table is read as it is, so a row cannot be
//! forgotten here.

use findings::{CountOptions, Want};
use report_formats::{ReadOptions, ReportError, read_report};

struct Row {
    file: String,
    format: String,
    counts: String,
    unique: String,
    fixable: String,
}

fn rows() -> Vec<Row> {
    let text = std::fs::read_to_string(crate::workspace_fixture("corpus/EXPECTED.md")).unwrap();
    let mut folder = None;
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("### `") {
            folder = h.split('/').next().map(str::to_owned);
            continue;
        }
        if line.starts_with("## ") {
            folder = None;
        }
        let Some(folder) = &folder else { continue };
        if !["trivy", "grype", "vex", "kev"].contains(&folder.as_str()) {
            continue;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 6 || !cells[1].starts_with('`') {
            continue;
        }
        out.push(Row {
            file: format!("{folder}/{}", cells[1].trim_matches('`')),
            format: cells[2].to_owned(),
            counts: cells[3].to_owned(),
            unique: cells[4].to_owned(),
            fixable: cells[5].to_owned(),
        });
    }
    out
}

fn run(file: &str, unique: bool, fixable_only: bool) -> Result<(String, String), ReportError> {
    let path = crate::workspace_fixture("corpus").join(file);
    let f = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let opts = CountOptions {
        unique,
        fixable_only,
        ignore: None,
        vex: None,
    };
    let r = read_report(
        std::io::BufReader::new(f),
        &opts,
        Want::default(),
        &ReadOptions::default(),
    )?;
    let c: Vec<String> = r
        .summary
        .counts
        .iter()
        .map(|(_, n)| n.to_string())
        .collect();
    Ok((r.format.name().to_owned(), c.join("/")))
}

#[test]
fn every_corpus_row_gives_the_expected_result() {
    let rows = rows();
    // 163 + 12 + 4 + 2 files in the corpus README.
    assert!(rows.len() >= 175, "only {} rows parsed", rows.len());
    let mut failures = Vec::new();
    for row in &rows {
        if row.counts.starts_with("refused") {
            for (u, f) in [(false, false), (true, false), (false, true)] {
                if let Ok(got) = run(&row.file, u, f) {
                    failures.push(format!("{}: expected a refusal, got {got:?}", row.file));
                }
            }
            continue;
        }
        for (u, f, want) in [
            (false, false, &row.counts),
            (true, false, &row.unique),
            (false, true, &row.fixable),
        ] {
            match (run(&row.file, u, f), want.as_str()) {
                (Err(ReportError::NoFixData(_)), "no fix data (refuse)") => {}
                (Ok((format, counts)), want) if counts == want && format == row.format => {}
                (got, want) => failures.push(format!(
                    "{} (unique {u}, fixable-only {f}): expected {} {want}, got {got:?}",
                    row.file, row.format
                )),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

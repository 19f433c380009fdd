//! FIRST's EPSS scores (<https://www.first.org/epss/data_stats>), the daily CSV
//! `epss_scores-YYYY-MM-DD.csv` (gunzipped):
//!
//! ```text
//! #model_version:v2023.03.01,score_date:2023-03-07T00:00:00+0000
//! cve,epss,percentile
//! CVE-1999-0001,0.01167,0.83060
//! ```
//!
//! The first line (model version and score date) and the header are required: scores of
//! different models are not comparable, and the date is what `--max-feed-age` checks. Each row
//! needs a CVE id and two numbers between 0 and 1; a CVE listed twice, a score date after the
//! evaluation time, or a file without rows is refused.

use std::collections::HashMap;
use std::path::Path;

use jiff::Timestamp;

use crate::kev::is_cve_id;
use crate::{FeedError, FeedInfo, not_future};

const FEED: &str = "EPSS";

/// One CVE's score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpssScore {
    /// Probability of exploitation activity in the next 30 days.
    pub epss: f64,
    /// Rank among all scored CVEs.
    pub percentile: f64,
}

/// A parsed EPSS CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct Epss {
    /// Version, date, file and size, as recorded in results.
    pub info: FeedInfo,
    /// `model_version` (`v2023.03.01`).
    pub model_version: String,
    /// `score_date`.
    pub score_date: Timestamp,
    scores: HashMap<String, EpssScore>,
}

impl Epss {
    /// Reads and checks an EPSS CSV (at most [`crate::limits::EPSS`] bytes).
    ///
    /// # Errors
    /// [`FeedError::Io`] or [`FeedError::Invalid`] (see the module documentation).
    pub fn load(path: &Path, now: Timestamp) -> Result<Self, FeedError> {
        let text = crate::read(FEED, path, crate::limits::EPSS)?;
        Self::parse(&text, &path.display().to_string(), now)
    }

    /// Parses an EPSS CSV; `file` names it in errors and in [`Epss::info`].
    ///
    /// # Errors
    /// [`FeedError::Invalid`] (see the module documentation).
    pub fn parse(text: &str, file: &str, now: Timestamp) -> Result<Self, FeedError> {
        let bad = |line, reason: String| FeedError::invalid(FEED, file, line, reason);
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if text.trim().is_empty() {
            return Err(bad(0, "the file is empty".to_owned()));
        }
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
        let (_, first) = lines.next().unwrap_or((1, ""));
        let (model_version, score_date) = first_line(first).map_err(|m| bad(1, m))?;
        not_future(score_date, now).map_err(|m| bad(1, format!("score_date {m}")))?;
        match lines.next() {
            Some((_, h)) if h.trim_end_matches('\r') == "cve,epss,percentile" => {}
            Some((n, h)) => {
                return Err(bad(
                    n,
                    format!(
                        "expected the header `cve,epss,percentile`, found `{}`",
                        cut(h)
                    ),
                ));
            }
            None => {
                return Err(bad(
                    2,
                    "the header `cve,epss,percentile` is missing".to_owned(),
                ));
            }
        }
        let mut scores = HashMap::new();
        for (n, line) in lines {
            let line = line.trim_end_matches('\r');
            if line.is_empty() {
                continue;
            }
            let mut cols = line.split(',');
            let (Some(cve), Some(epss), Some(pct), None) =
                (cols.next(), cols.next(), cols.next(), cols.next())
            else {
                return Err(bad(
                    n,
                    format!(
                        "expected three columns cve,epss,percentile, found `{}`",
                        cut(line)
                    ),
                ));
            };
            if !is_cve_id(cve) {
                return Err(bad(n, format!("`{}` is not a CVE id", cut(cve))));
            }
            let score = EpssScore {
                epss: probability(epss).map_err(|m| bad(n, format!("{cve}: epss {m}")))?,
                percentile: probability(pct)
                    .map_err(|m| bad(n, format!("{cve}: percentile {m}")))?,
            };
            if scores.insert(cve.to_owned(), score).is_some() {
                return Err(bad(n, format!("{cve} is listed twice")));
            }
        }
        if scores.is_empty() {
            return Err(bad(
                2,
                "the file has a header but no scores (truncated?)".to_owned(),
            ));
        }
        Ok(Self {
            info: FeedInfo {
                feed: "epss",
                file: file.to_owned(),
                version: Some(model_version.clone()),
                date: Some(score_date),
                entries: scores.len() as u64,
            },
            model_version,
            score_date,
            scores,
        })
    }

    /// The score of a CVE, if the file has one.
    #[must_use]
    pub fn get(&self, id: &str) -> Option<EpssScore> {
        self.scores.get(id).copied()
    }

    /// Number of scored CVEs.
    #[must_use]
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    /// Never true for a parsed file (one without scores is refused).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }
}

fn cut(s: &str) -> String {
    s.chars().take(80).collect()
}

/// `#model_version:v2023.03.01,score_date:2023-03-07T00:00:00+0000`.
fn first_line(line: &str) -> Result<(String, Timestamp), String> {
    let line = line.trim_end_matches('\r');
    let expected = "the first line must be `#model_version:...,score_date:...` (FIRST's EPSS CSV)";
    let rest = line
        .strip_prefix('#')
        .ok_or_else(|| format!("{expected}, found `{}`", cut(line)))?;
    let mut model = None;
    let mut date = None;
    for part in rest.split(',') {
        match part.split_once(':') {
            Some(("model_version", v)) if !v.trim().is_empty() => model = Some(v.trim()),
            Some(("score_date", v)) => date = Some(v.trim()),
            _ => {}
        }
    }
    let (Some(model), Some(date)) = (model, date) else {
        return Err(format!("{expected}, found `{}`", cut(line)));
    };
    Ok((model.to_owned(), score_date(date)?))
}

/// FIRST writes `2023-03-07T00:00:00+0000`; an RFC 3339 time or a bare date is accepted too.
fn score_date(raw: &str) -> Result<Timestamp, String> {
    let bad = || format!("score_date `{raw}` is not a date such as 2023-03-07T00:00:00+0000");
    if let Ok(t) = raw.parse::<Timestamp>() {
        return Ok(t);
    }
    let normalised = match raw.len().checked_sub(5).map(|i| raw.split_at(i)) {
        Some((head, tail))
            if (tail.starts_with('+') || tail.starts_with('-'))
                && tail[1..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            format!("{head}{}:{}", &tail[..3], &tail[3..])
        }
        _ => raw.to_owned(),
    };
    if let Ok(t) = normalised.parse::<Timestamp>() {
        return Ok(t);
    }
    let date: jiff::civil::Date = raw.parse().map_err(|_| bad())?;
    date.to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp())
        .map_err(|_| bad())
}

fn probability(raw: &str) -> Result<f64, String> {
    let v: f64 = raw
        .trim()
        .parse()
        .map_err(|_| format!("`{}` is not a number", cut(raw)))?;
    if !(0.0..=1.0).contains(&v) {
        return Err(format!("{v} is outside 0..1"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str =
        "#model_version:v2023.03.01,score_date:2025-08-25T00:00:00+0000\ncve,epss,percentile\n";

    fn now() -> Timestamp {
        "2025-09-01T00:00:00Z".parse().unwrap()
    }

    fn err(text: &str) -> String {
        Epss::parse(text, "epss.csv", now())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_good_file() {
        let t = format!("{HEAD}CVE-2021-44228,0.94358,0.99989\nCVE-1999-0001,0.01167,0.83060\n");
        let e = Epss::parse(&t, "epss.csv", now()).unwrap();
        assert_eq!(e.model_version, "v2023.03.01");
        assert_eq!(e.score_date.to_string(), "2025-08-25T00:00:00Z");
        assert_eq!(e.get("CVE-2021-44228").unwrap().epss, 0.94358);
        assert_eq!(e.len(), 2);
        assert_eq!(e.info.entries, 2);
    }

    #[test]
    fn bad_files_name_the_line_and_reason() {
        assert_eq!(
            err(""),
            "invalid EPSS file epss.csv, line 0: the file is empty"
        );
        let e = err("cve,epss,percentile\nCVE-2021-44228,0.9,0.9\n");
        assert!(
            e.contains("line 1: the first line must be `#model_version"),
            "{e}"
        );
        let e = err("#model_version:v2023.03.01,score_date:2025-08-25\nCVE-2021-44228,0.9,0.9\n");
        assert!(e.contains("line 2: expected the header"), "{e}");
        let e = err(HEAD);
        assert!(e.contains("no scores"), "{e}");
        let e = err(&format!("{HEAD}CVE-2021-44228,high,0.9\n"));
        assert!(
            e.contains("line 3: CVE-2021-44228: epss `high` is not a number"),
            "{e}"
        );
        let e = err(&format!("{HEAD}CVE-2021-44228,1.5,0.9\n"));
        assert!(
            e.contains("line 3: CVE-2021-44228: epss 1.5 is outside 0..1"),
            "{e}"
        );
        let e = err(&format!(
            "{HEAD}CVE-2021-44228,0.5,0.9\nCVE-2021-44228,0.5,0.9\n"
        ));
        assert!(e.contains("line 4: CVE-2021-44228 is listed twice"), "{e}");
        let e = err(&format!("{HEAD}CVE-2021-44228,0.5\n"));
        assert!(e.contains("line 3: expected three columns"), "{e}");
        let e = err(&format!("{HEAD}log4shell,0.5,0.9\n"));
        assert!(e.contains("`log4shell` is not a CVE id"), "{e}");
        let e = err(
            "#model_version:v2023.03.01,score_date:2025-10-01T00:00:00+0000\ncve,epss,percentile\nCVE-2021-44228,0.5,0.9\n",
        );
        assert!(
            e.contains("line 1: score_date") && e.contains("future"),
            "{e}"
        );
        let e = err("#model_version:v2023.03.01,score_date:yesterday\n");
        assert!(e.contains("score_date `yesterday`"), "{e}");
    }
}

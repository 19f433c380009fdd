//! The exploitability and hygiene flags `slo-gate` and `trivy-scan --slo` share (`--kev`,
//! `--epss`, `--vex`, `--max-feed-age`, `--epss-threshold`, `--now`, `--expiring-within`),
//! loading the feeds and computing the hygiene SLIs (`feeds::Hygiene`) once for both.

use std::path::PathBuf;
use std::time::Duration;

use cli_support::Failure;
use feeds::{Epss, FeedError, FeedInfo, Hygiene, HygieneOptions, Kev};
use findings::{IgnoreRules, Severity, Summary, VexSet};
use jiff::Timestamp;
use serde_json::{Map, Value, json};

/// `--kev`, `--epss`, `--vex`, `--max-feed-age`, `--epss-threshold`, `--now`,
/// `--expiring-within`.
#[derive(Debug, Clone, Default, clap::Args)]
#[group(skip)]
pub struct FeedArgs {
    /// The CISA Known Exploited Vulnerabilities catalogue (known_exploited_vulnerabilities.json):
    /// adds kev_vulnerabilities_<severity>/_total and kev_ransomware_total.
    #[arg(long, value_name = "FILE")]
    pub kev: Option<PathBuf>,

    /// FIRST's EPSS scores (the daily CSV, gunzipped, with its `#model_version:...` first
    /// line): adds epss_vulnerabilities_total and epss_max.
    #[arg(long, value_name = "FILE")]
    pub epss: Option<PathBuf>,

    /// An OpenVEX or CycloneDX VEX document (repeatable): findings its not_affected / fixed
    /// statements cover are not counted (suppressed_vex_total counts them).
    #[arg(long = "vex", value_name = "FILE")]
    pub vex: Vec<PathBuf>,

    /// Fail (exit 3) when the KEV catalogue (dateReleased) or the EPSS scores (score_date) are
    /// older than this at the evaluation time (e.g. 7d).
    #[arg(long, value_name = "DURATION", value_parser = cli_support::parse_duration)]
    pub max_feed_age: Option<Duration>,

    /// EPSS score from which a finding counts in epss_vulnerabilities_total (0..1).
    #[arg(long, value_name = "SCORE", default_value_t = 0.1, value_parser = parse_probability)]
    pub epss_threshold: f64,

    /// The evaluation time for ages, feed dates and exception expiry (RFC 3339; default now),
    /// for reproducible runs.
    #[arg(long, value_name = "TIME", value_parser = parse_now)]
    pub now: Option<Timestamp>,

    /// Ignore rules that stop applying within this time count in exceptions_expiring.
    #[arg(long, value_name = "DURATION", default_value = "30d", value_parser = cli_support::parse_duration)]
    pub expiring_within: Duration,
}

fn parse_probability(raw: &str) -> Result<f64, String> {
    let v: f64 = raw
        .trim()
        .parse()
        .map_err(|_| format!("`{raw}` is not a number"))?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} is outside 0..1"))
    }
}

fn parse_now(raw: &str) -> Result<Timestamp, String> {
    raw.trim()
        .parse()
        .map_err(|e| format!("`{raw}` is not an RFC 3339 time such as 2026-11-22T07:00:00Z: {e}"))
}

/// The feeds of one run, loaded and checked.
#[derive(Debug, Clone)]
pub struct LoadedFeeds {
    /// The evaluation time.
    pub now: Timestamp,
    /// `--kev`.
    pub kev: Option<Kev>,
    /// `--epss`.
    pub epss: Option<Epss>,
    /// `--vex`, for `CountOptions::vex`.
    pub vex: Option<VexSet>,
    /// The VEX documents' identities.
    pub vex_info: Vec<FeedInfo>,
}

fn feed_failure(e: &FeedError) -> Failure {
    if e.is_too_old() {
        Failure::external(e.to_string())
    } else {
        Failure::usage(e.to_string())
    }
}

impl FeedArgs {
    /// The evaluation time: `--now`, else the current time.
    #[must_use]
    pub fn now(&self) -> Timestamp {
        self.now.unwrap_or_else(Timestamp::now)
    }

    /// True when a feed file is given (`--kev`, `--epss` or `--vex`): the hygiene SLIs are
    /// then published as metrics too.
    #[must_use]
    pub fn any(&self) -> bool {
        self.kev.is_some() || self.epss.is_some() || !self.vex.is_empty()
    }

    /// The UTC date of the evaluation time (for the ignore rules' expiry).
    #[must_use]
    pub fn today(&self) -> jiff::civil::Date {
        self.now().to_zoned(jiff::tz::TimeZone::UTC).date()
    }

    /// Reads every feed and checks `--max-feed-age`.
    ///
    /// # Errors
    /// Exit 2 for an unreadable or invalid feed (file, line, reason); exit 3 for a feed older
    /// than `--max-feed-age`.
    pub fn load(&self) -> Result<LoadedFeeds, Failure> {
        let now = self.now();
        let kev = self
            .kev
            .as_deref()
            .map(|p| Kev::load(p, now))
            .transpose()
            .map_err(|e| feed_failure(&e))?;
        let epss = self
            .epss
            .as_deref()
            .map(|p| Epss::load(p, now))
            .transpose()
            .map_err(|e| feed_failure(&e))?;
        if let Some(max) = self.max_feed_age {
            if kev.is_none() && epss.is_none() {
                return Err(Failure::usage(
                    "--max-feed-age needs a dated feed: --kev or --epss",
                ));
            }
            for (info, what) in kev
                .iter()
                .map(|k| (&k.info, "KEV catalogue"))
                .chain(epss.iter().map(|e| (&e.info, "EPSS")))
            {
                feeds::check_age(info, what, now, max).map_err(|e| feed_failure(&e))?;
            }
        }
        let (vex, vex_info) = if self.vex.is_empty() {
            (None, Vec::new())
        } else {
            let (set, info) =
                feeds::parse_vex_documents(&self.vex).map_err(|e| feed_failure(&e))?;
            (Some(set), info)
        };
        Ok(LoadedFeeds {
            now,
            kev,
            epss,
            vex,
            vex_info,
        })
    }

    /// The hygiene SLIs of a report counted with `Want::findings`.
    #[must_use]
    pub fn hygiene(
        &self,
        loaded: &LoadedFeeds,
        summary: &Summary,
        selected: &[Severity],
        ignore: Option<&IgnoreRules>,
    ) -> Hygiene {
        Hygiene::compute(
            summary,
            selected,
            &HygieneOptions {
                kev: loaded.kev.as_ref(),
                epss: loaded.epss.as_ref(),
                epss_threshold: self.epss_threshold,
                now: loaded.now,
                expiring_within: self.expiring_within,
                ignore,
                vex: &loaded.vex_info,
            },
        )
    }
}

/// What a result records about the feeds beside the evaluation: each feed's own version and
/// date (`feeds`), each VEX statement's use (`vex`), each ignore rule's use (`ignored`) and
/// the KEV findings with their dates (`kev`). Empty parts are left out.
#[must_use]
pub fn feed_record(hygiene: &Hygiene, summary: &Summary) -> Map<String, Value> {
    let mut out = Map::new();
    if !hygiene.feeds.is_empty() {
        out.insert("feeds".into(), json!(hygiene.feeds));
    }
    if !summary.vex_suppressed.is_empty() {
        out.insert("vex".into(), json!(summary.vex_suppressed));
    }
    if !summary.suppressed.is_empty() {
        out.insert("ignored".into(), json!(summary.suppressed));
    }
    if !hygiene.kev_findings.is_empty() {
        out.insert("kev".into(), json!(hygiene.kev_findings));
    }
    out
}

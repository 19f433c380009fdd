//! The exploitability and hygiene SLIs of one counted report (DESIGN.md "Exploitability and
//! hygiene inputs"), computed from the findings that counted (after `--fixable-only`, the
//! ignore rules, VEX and `--unique`) and the feeds:
//!
//! | name | value |
//! | --- | --- |
//! | `kev_vulnerabilities_<severity>` / `_total` | counted findings whose id is in the KEV catalogue (`--kev`; a Grype report's own `knownExploited` without it) |
//! | `kev_ransomware_total` | of those, entries with `knownRansomwareCampaignUse` `Known` (needs `--kev`) |
//! | `epss_vulnerabilities_total` | counted findings with an EPSS score >= `--epss-threshold` (`--epss`; a Grype report's own `epss` without it) |
//! | `epss_max` | the highest EPSS score among the counted findings (0 when none is scored) |
//! | `suppressed_vex_total` | findings suppressed by `--vex` statements |
//! | `os_eol` | 1 when the report says its OS is end of life (Trivy `Metadata.OS.EOSL`), else 0 |
//! | `max_age_days_<severity>` | days from the oldest counted finding's published date to the evaluation time (0 without findings) |
//! | `exceptions_active` / `_expired` / `_expiring` | ignore-file rules that apply / expired / stop applying within `--expiring-within` |
//!
//! An SLI whose input is missing fails with a message naming the flag: a gate never passes on
//! a 0 that was never measured.

use std::time::Duration;

use findings::{Finding, IgnoreRules, Severity, SeverityCounts, Summary};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

use crate::{Epss, FeedInfo, Kev};

/// What the hygiene SLIs are computed with.
#[derive(Debug, Clone)]
pub struct HygieneOptions<'a> {
    /// `--kev`.
    pub kev: Option<&'a Kev>,
    /// `--epss`.
    pub epss: Option<&'a Epss>,
    /// `--epss-threshold` (default 0.1).
    pub epss_threshold: f64,
    /// The evaluation time (`--now`, default the current time).
    pub now: Timestamp,
    /// `--expiring-within` (default 30 days).
    pub expiring_within: Duration,
    /// The ignore rules counted with (`--ignore-file`).
    pub ignore: Option<&'a IgnoreRules>,
    /// The VEX documents' identities (`--vex`), recorded with the other feeds.
    pub vex: &'a [FeedInfo],
}

/// One counted finding the KEV catalogue lists, for explanations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KevHit {
    /// Vulnerability id.
    pub id: String,
    /// Severity bucket.
    pub severity: Severity,
    /// Package name.
    pub package: String,
    /// Installed version.
    pub installed: String,
    /// When CISA added it (absent for a Grype report's own data).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_added: Option<Date>,
    /// CISA's due date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_date: Option<Date>,
    /// Known use in ransomware campaigns.
    pub ransomware: bool,
    /// Its index in the summary's records (what explanations and fix plans name it by).
    #[serde(skip)]
    pub record: usize,
}

type Value<T> = Result<T, String>;

/// The hygiene SLIs of one report.
#[derive(Debug, Clone, PartialEq)]
pub struct Hygiene {
    selected: Vec<Severity>,
    kev: Value<SeverityCounts>,
    kev_ransomware: Value<u64>,
    epss_total: Value<u64>,
    epss_max: Value<f64>,
    suppressed_vex: u64,
    os_eol: Value<bool>,
    max_age_days: Vec<(Severity, Value<u64>)>,
    exceptions: [u64; 3],
    /// Counted findings listed in the KEV catalogue, in report order.
    pub kev_findings: Vec<KevHit>,
    /// Each scored finding's place in the records and its EPSS score (empty without scores).
    epss_scores: Vec<(usize, f64)>,
    epss_threshold: f64,
    /// Every feed used, with its own date and version.
    pub feeds: Vec<FeedInfo>,
}

fn is_grype(summary: &Summary) -> bool {
    summary
        .input
        .scanner
        .as_ref()
        .is_some_and(|s| s.name == "grype")
}

fn published(f: &Finding) -> Option<Timestamp> {
    let raw = f.published.as_deref()?.trim();
    raw.parse::<Timestamp>().ok().or_else(|| {
        let day: Date = raw.get(..10)?.parse().ok()?;
        day.to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp())
    })
}

/// The scores at or above `threshold`.
fn epss_over(scores: &[(usize, f64)], threshold: f64) -> impl Iterator<Item = &(usize, f64)> {
    scores.iter().filter(move |(_, v)| *v >= threshold)
}

/// The highest score (0 when none is scored).
fn epss_max(scores: &[(usize, f64)]) -> f64 {
    scores.iter().map(|(_, v)| *v).fold(0.0, f64::max)
}

impl Hygiene {
    /// Computes every hygiene SLI of a report counted with [`findings::Want::fixes`] (the
    /// ages need [`findings::Want::findings`]); `selected` empty means all five severities.
    #[must_use]
    pub fn compute(summary: &Summary, selected: &[Severity], opts: &HygieneOptions<'_>) -> Self {
        let records = &summary.records;
        let grype = is_grype(summary);
        let mut kev_findings = Vec::new();
        let kev = match (opts.kev, grype) {
            (Some(cat), _) => {
                let mut counts = SeverityCounts::new();
                for (i, f) in records.iter().enumerate() {
                    if let Some(e) = cat.get(f.id) {
                        counts.add(f.severity);
                        kev_findings.push(KevHit {
                            id: f.id.to_owned(),
                            severity: f.severity,
                            package: f.package.to_owned(),
                            installed: f.installed.to_owned(),
                            date_added: Some(e.date_added),
                            due_date: Some(e.due_date),
                            ransomware: e.ransomware,
                            record: i,
                        });
                    }
                }
                Ok(counts)
            }
            (None, true) => {
                let mut counts = SeverityCounts::new();
                for (i, f) in records
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| f.known_exploited == Some(true))
                {
                    counts.add(f.severity);
                    kev_findings.push(KevHit {
                        id: f.id.to_owned(),
                        severity: f.severity,
                        package: f.package.to_owned(),
                        installed: f.installed.to_owned(),
                        date_added: None,
                        due_date: None,
                        ransomware: false,
                        record: i,
                    });
                }
                Ok(counts)
            }
            (None, false) => Err(format!(
                "KEV counts need the CISA catalogue (--kev FILE): this {} report carries no known-exploited data",
                summary.input.format
            )),
        };
        let kev_ransomware = match opts.kev {
            Some(_) => Ok(kev_findings.iter().filter(|k| k.ransomware).count() as u64),
            None => Err(
                "kev_ransomware_total needs the CISA catalogue (--kev FILE), which records known ransomware use"
                    .to_owned(),
            ),
        };
        let scores: Value<Vec<(usize, f64)>> = match (opts.epss, grype) {
            (Some(e), _) => Ok(records
                .iter()
                .enumerate()
                .filter_map(|(i, f)| e.get(f.id).map(|s| (i, s.epss)))
                .collect()),
            (None, true) => Ok(records
                .iter()
                .enumerate()
                .filter_map(|(i, f)| f.epss.map(|v| (i, v)))
                .collect()),
            (None, false) => Err(format!(
                "EPSS SLIs need FIRST's scores (--epss FILE): this {} report carries no EPSS data",
                summary.input.format
            )),
        };
        let epss_total = scores
            .as_ref()
            .map(|s| epss_over(s, opts.epss_threshold).count() as u64)
            .map_err(Clone::clone);
        let epss_max = scores.as_ref().map(|s| epss_max(s)).map_err(Clone::clone);
        let os_eol = summary.input.os_eol.ok_or_else(|| {
            format!(
                "os_eol cannot be answered: this {} report does not say whether its OS is end of life (Trivy JSON reports of an image or root file system with a detected OS do, in Metadata.OS.EOSL)",
                summary.input.format
            )
        });
        // Ages read the published dates, kept with every detail only (`Want::findings`).
        let dated = summary.kept.len() == records.len();
        let max_age_days = Severity::ALL
            .into_iter()
            .map(|sev| {
                if !dated {
                    return (sev, Err("the vulnerability ages were not read: the published dates are kept only when an objective asks for max_age_days_*".to_owned()));
                }
                let of_sev: Vec<&Finding> =
                    summary.kept.iter().filter(|f| f.severity == sev).collect();
                let oldest = of_sev.iter().filter_map(|f| published(f)).min();
                let v = match (of_sev.len(), oldest) {
                    (0, _) => Ok(0),
                    (_, Some(t)) => {
                        let secs = opts.now.duration_since(t).as_secs().max(0);
                        Ok(u64::try_from(secs / 86_400).unwrap_or(0))
                    }
                    (n, None) => Err(format!(
                        "none of the {n} {sev} findings has a published date, so their age is unknown"
                    )),
                };
                (sev, v)
            })
            .collect();
        let exceptions = opts.ignore.map_or([0; 3], |ig| {
            let horizon = jiff::SignedDuration::try_from(opts.expiring_within)
                .ok()
                .and_then(|d| opts.now.checked_add(d).ok())
                .unwrap_or(Timestamp::MAX);
            let last_day = horizon.to_zoned(jiff::tz::TimeZone::UTC).date();
            let expiring = ig
                .rules
                .iter()
                .filter(|r| r.expires.is_some_and(|d| d <= last_day))
                .count();
            [
                ig.rules.len() as u64,
                ig.expired_rules.len() as u64,
                expiring as u64,
            ]
        });
        let mut feeds: Vec<FeedInfo> = opts
            .kev
            .map(|k| k.info.clone())
            .into_iter()
            .chain(opts.epss.map(|e| e.info.clone()))
            .collect();
        feeds.extend(opts.vex.iter().cloned());
        Self {
            selected: if selected.is_empty() {
                Severity::ALL.to_vec()
            } else {
                selected.to_vec()
            },
            kev,
            kev_ransomware,
            epss_total,
            epss_max,
            suppressed_vex: summary.vex_suppressed.iter().map(|u| u.count).sum(),
            os_eol,
            max_age_days,
            exceptions,
            kev_findings,
            epss_scores: scores.unwrap_or_default(),
            epss_threshold: opts.epss_threshold,
            feeds,
        }
    }

    /// The same SLIs with only the records at `remaining` (ascending indices into the
    /// summary's records) counted, a fix plan's "after": the KEV and EPSS values are counted
    /// again; the others (ages, OS, exceptions, VEX) stay as measured, as no upgrade is
    /// claimed to change them.
    #[must_use]
    pub fn keeping(&self, remaining: &[usize]) -> Self {
        let stays = |i: usize| remaining.binary_search(&i).is_ok();
        let mut h = self.clone();
        h.kev_findings.retain(|k| stays(k.record));
        if let Ok(counts) = &mut h.kev {
            *counts = SeverityCounts::new();
            for k in &h.kev_findings {
                counts.add(k.severity);
            }
        }
        if let Ok(n) = &mut h.kev_ransomware {
            *n = h.kev_findings.iter().filter(|k| k.ransomware).count() as u64;
        }
        h.epss_scores.retain(|(i, _)| stays(*i));
        if let Ok(n) = &mut h.epss_total {
            *n = epss_over(&h.epss_scores, h.epss_threshold).count() as u64;
        }
        if let Ok(m) = &mut h.epss_max {
            *m = epss_max(&h.epss_scores);
        }
        h
    }

    /// The findings behind `kev_vulnerabilities_*` of these `severities` (indices into the
    /// summary's records); `None` when KEV counts could not be made.
    #[must_use]
    pub fn kev_behind(&self, severities: &[Severity]) -> Option<Vec<usize>> {
        self.kev.as_ref().ok()?;
        Some(self.kev_where(|k| severities.contains(&k.severity)))
    }

    /// The findings behind `kev_ransomware_total`; `None` without the CISA catalogue.
    #[must_use]
    pub fn ransomware_behind(&self) -> Option<Vec<usize>> {
        self.kev_ransomware.as_ref().ok()?;
        Some(self.kev_where(|k| k.ransomware))
    }

    /// The findings behind `epss_vulnerabilities_total` (a score at or above the threshold);
    /// `None` without scores.
    #[must_use]
    pub fn epss_behind(&self) -> Option<Vec<usize>> {
        self.epss_total.as_ref().ok()?;
        Some(
            epss_over(&self.epss_scores, self.epss_threshold)
                .map(|(i, _)| *i)
                .collect(),
        )
    }

    fn kev_where(&self, keep: impl Fn(&KevHit) -> bool) -> Vec<usize> {
        self.kev_findings
            .iter()
            .filter(|k| keep(k))
            .map(|k| k.record)
            .collect()
    }

    /// Whether the SLI `name` reads the findings' published dates (`max_age_days_*`), which
    /// only a walk that keeps every detail ([`findings::Want::findings`]) reads.
    #[must_use]
    pub fn reads_dates(name: &str) -> bool {
        name.starts_with("max_age_days_")
    }

    /// The SLI names this report answers, in a stable order.
    #[must_use]
    pub fn names(&self) -> Vec<String> {
        let mut out = Vec::new();
        for s in &self.selected {
            out.push(format!("kev_vulnerabilities_{}", s.lower()));
        }
        out.push("kev_vulnerabilities_total".to_owned());
        out.push("kev_ransomware_total".to_owned());
        out.push("epss_vulnerabilities_total".to_owned());
        out.push("epss_max".to_owned());
        out.push("suppressed_vex_total".to_owned());
        out.push("os_eol".to_owned());
        for s in &self.selected {
            out.push(format!("max_age_days_{}", s.lower()));
        }
        for e in ["active", "expired", "expiring"] {
            out.push(format!("exceptions_{e}"));
        }
        out
    }

    /// Every name with its value, in [`Hygiene::names`] order (for metrics and records).
    #[must_use]
    pub fn values(&self) -> Vec<(String, Result<f64, String>)> {
        self.names()
            .into_iter()
            .filter_map(|n| self.answer(&n).map(|v| (n, v)))
            .collect()
    }

    fn severity(&self, rest: &str) -> Option<Result<Severity, String>> {
        let sev = Severity::ALL.into_iter().find(|s| s.lower() == rest)?;
        Some(if self.selected.contains(&sev) {
            Ok(sev)
        } else {
            Err(findings::not_selected(sev, &self.selected))
        })
    }

    /// The value of a hygiene SLI; `None` when `name` is not one.
    #[must_use]
    #[allow(clippy::cast_precision_loss)] // counts and days stay far below 2^53
    pub fn answer(&self, name: &str) -> Option<Result<f64, String>> {
        let count = |v: &Value<u64>| v.clone().map(|n| n as f64);
        Some(match name {
            "kev_vulnerabilities_total" => {
                self.kev.clone().map(|c| c.total_of(&self.selected) as f64)
            }
            "kev_ransomware_total" => count(&self.kev_ransomware),
            "epss_vulnerabilities_total" => count(&self.epss_total),
            "epss_max" => self.epss_max.clone(),
            "suppressed_vex_total" => Ok(self.suppressed_vex as f64),
            "os_eol" => self.os_eol.clone().map(|b| f64::from(u8::from(b))),
            "exceptions_active" => Ok(self.exceptions[0] as f64),
            "exceptions_expired" => Ok(self.exceptions[1] as f64),
            "exceptions_expiring" => Ok(self.exceptions[2] as f64),
            _ => {
                if let Some(rest) = name.strip_prefix("kev_vulnerabilities_") {
                    let sev = self.severity(rest)?;
                    sev.and_then(|s| self.kev.clone().map(|c| c.get(s) as f64))
                } else if let Some(rest) = name.strip_prefix("max_age_days_") {
                    let sev = self.severity(rest)?;
                    sev.and_then(|s| {
                        self.max_age_days
                            .iter()
                            .find(|(x, _)| *x == s)
                            .map_or(Ok(0.0), |(_, v)| count(v))
                    })
                } else {
                    return None;
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use findings::{InputInfo, Scanner};

    fn finding(id: &str, sev: Severity, published: Option<&str>) -> Finding {
        Finding {
            id: id.to_owned(),
            severity: sev,
            package: "p".to_owned(),
            installed: "1".to_owned(),
            published: published.map(str::to_owned),
            ..Finding::default()
        }
    }

    fn opts(now: &str) -> HygieneOptions<'static> {
        HygieneOptions {
            kev: None,
            epss: None,
            epss_threshold: 0.1,
            now: now.parse().unwrap(),
            expiring_within: Duration::from_secs(30 * 86_400),
            ignore: None,
            vex: &[],
        }
    }

    #[test]
    fn without_feeds_a_trivy_report_refuses_kev_and_epss_but_answers_age() {
        let mut summary = Summary {
            input: InputInfo {
                format: "trivy-json".into(),
                ..InputInfo::default()
            },
            kept: vec![
                finding("CVE-1", Severity::High, Some("2025-01-01T00:00:00Z")),
                finding("CVE-2", Severity::High, Some("2025-06-01T10:00:00Z")),
                finding("CVE-3", Severity::Low, None),
            ],
            ..Summary::default()
        };
        summary.records = summary.kept.iter().collect();
        let h = Hygiene::compute(&summary, &[], &opts("2025-01-31T12:00:00Z"));
        assert!(
            h.answer("kev_vulnerabilities_total")
                .unwrap()
                .unwrap_err()
                .contains("--kev")
        );
        assert!(
            h.answer("epss_max")
                .unwrap()
                .unwrap_err()
                .contains("--epss")
        );
        assert!(
            h.answer("os_eol")
                .unwrap()
                .unwrap_err()
                .contains("trivy-json")
        );
        assert_eq!(h.answer("max_age_days_high"), Some(Ok(30.0)));
        assert_eq!(h.answer("max_age_days_critical"), Some(Ok(0.0)));
        assert!(
            h.answer("max_age_days_low")
                .unwrap()
                .unwrap_err()
                .contains("published date")
        );
        assert_eq!(h.answer("suppressed_vex_total"), Some(Ok(0.0)));
        assert_eq!(h.answer("exceptions_active"), Some(Ok(0.0)));
        assert_eq!(h.answer("vulnerabilities_total"), None);
        let h = Hygiene::compute(
            &summary,
            &[Severity::Critical],
            &opts("2025-01-31T12:00:00Z"),
        );
        assert!(
            h.answer("max_age_days_high")
                .unwrap()
                .unwrap_err()
                .contains("not selected")
        );
        // Compact records only (no dates read): an age is an error, never a 0.
        summary.kept.clear();
        let h = Hygiene::compute(&summary, &[], &opts("2025-01-31T12:00:00Z"));
        assert!(
            h.answer("max_age_days_critical")
                .unwrap()
                .unwrap_err()
                .contains("max_age_days_")
        );
    }

    #[test]
    fn grype_carries_its_own_kev_and_epss() {
        let mut a = finding("CVE-1", Severity::Critical, None);
        a.known_exploited = Some(true);
        a.epss = Some(0.5);
        let mut b = finding("CVE-2", Severity::High, None);
        b.known_exploited = Some(false);
        b.epss = Some(0.05);
        let summary = Summary {
            input: InputInfo {
                format: "grype-json".into(),
                scanner: Some(Scanner {
                    name: "grype".into(),
                    version: None,
                }),
                ..InputInfo::default()
            },
            records: [&a, &b].into_iter().collect(),
            ..Summary::default()
        };
        let h = Hygiene::compute(&summary, &[], &opts("2025-01-31T12:00:00Z"));
        assert_eq!(h.answer("kev_vulnerabilities_critical"), Some(Ok(1.0)));
        assert_eq!(h.answer("kev_vulnerabilities_total"), Some(Ok(1.0)));
        assert_eq!(h.answer("epss_vulnerabilities_total"), Some(Ok(1.0)));
        assert_eq!(h.answer("epss_max"), Some(Ok(0.5)));
        assert!(h.answer("kev_ransomware_total").unwrap().is_err());
    }
}

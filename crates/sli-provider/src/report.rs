//! SLIs answered from a Trivy report's counts, with no metrics backend in between.
//!
//! Built-in SLI names:
//!
//! | name | value |
//! | --- | --- |
//! | `vulnerabilities_critical` … `vulnerabilities_unknown` | findings of that severity |
//! | `vulnerabilities_total` | sum over the selected severities (`--severity`, default all five), the same `total` as `trivy-scan --format json` |
//! | `new_vulnerabilities_<sev>` / `new_vulnerabilities_total` | `(VulnerabilityID, PkgName)` keys present now and absent in the baseline (needs `--baseline`) |
//! | `fixed_vulnerabilities_<sev>` / `fixed_vulnerabilities_total` | keys present in the baseline and gone now (needs `--baseline`) |
//!
//! Exploitability and hygiene SLIs (`kev_*`, `epss_*`, `suppressed_vex_total`, `os_eol`,
//! `max_age_days_<sev>`, `exceptions_*`) come from [`feeds::Hygiene`] when the caller computed
//! it ([`ReportSli::with_hygiene`]); see `feeds`' `hygiene` module for their definitions.
//!
//! A per-severity SLI for a severity outside `--severity` fails: with the seed's Dynatrace
//! setup that metric would never have been pushed, so a gate on it must not pass on a 0.
//!
//! sli.yaml queries in the seed's Dynatrace form are answered too:
//! `metricSelector=trivy.vulnerabilities.CRITICAL` (any case for the severity) and
//! `metricSelector=trivy.vulnerabilities.total`, with or without transformations
//! (`:merge("image"):max`), `resolution`, `entitySelector`: a report holds one image, so
//! transformations that pick or merge series do not change the count.

use std::collections::BTreeMap;

use findings::{FindingKeys, Severity, SeverityCounts, Summary};

use std::future::Future;

use crate::provider::{
    Keys, Outcome, Reading, ResultConvention, SliProvider, SliQuery, fetch_in_memory,
};
use crate::query::{parse_dynatrace_query, selector_metric_key};
use crate::{Indicator, ProviderError, QueryContext, Window};

/// New and fixed findings compared with a baseline report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BaselineDiff {
    /// Keys present now and absent in the baseline, by current severity.
    pub new: SeverityCounts,
    /// Keys present in the baseline and absent now, by baseline severity.
    pub fixed: SeverityCounts,
}

impl BaselineDiff {
    /// The diff of the current report's keys against the baseline's.
    #[must_use]
    pub fn between(current: &FindingKeys, baseline: &FindingKeys) -> Self {
        Self {
            new: current.new_since(baseline),
            fixed: current.fixed_since(baseline),
        }
    }
}

/// The SLI values one report can answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSli {
    /// Counts of the report (after `--unique`, `--fixable-only`, `--ignore-file`).
    pub counts: SeverityCounts,
    /// Selected severities; `_total` sums these, and other severities are not answered.
    pub selected: Vec<Severity>,
    /// New/fixed counts when a baseline was given.
    pub baseline: Option<BaselineDiff>,
    /// Exploitability and hygiene SLIs, when computed.
    pub hygiene: Option<feeds::Hygiene>,
}

#[derive(Clone, Copy)]
enum Family {
    Current,
    New,
    Fixed,
}

enum Which {
    One(Severity),
    Total,
}

impl ReportSli {
    /// From a report summary; `selected` empty means all five severities.
    #[must_use]
    pub fn from_summary(summary: &Summary, selected: &[Severity]) -> Self {
        Self {
            counts: summary.counts,
            selected: if selected.is_empty() {
                Severity::ALL.to_vec()
            } else {
                selected.to_vec()
            },
            baseline: None,
            hygiene: None,
        }
    }

    /// Adds the exploitability and hygiene SLIs (`kev_*`, `epss_*`, `os_eol`, …).
    #[must_use]
    pub fn with_hygiene(mut self, hygiene: feeds::Hygiene) -> Self {
        self.hygiene = Some(hygiene);
        self
    }

    /// Adds the baseline diff (`new_vulnerabilities_*`, `fixed_vulnerabilities_*`).
    #[must_use]
    pub const fn with_baseline(mut self, diff: BaselineDiff) -> Self {
        self.baseline = Some(diff);
        self
    }

    /// The built-in SLI names this report answers, in a stable order.
    #[must_use]
    pub fn builtin_names(&self) -> Vec<String> {
        let mut out = Vec::new();
        let prefixes: &[&str] = if self.baseline.is_some() {
            &["", "new_", "fixed_"]
        } else {
            &[""]
        };
        for p in prefixes {
            for s in &self.selected {
                out.push(format!("{p}vulnerabilities_{}", s.lower()));
            }
            out.push(format!("{p}vulnerabilities_total"));
        }
        if let Some(h) = &self.hygiene {
            out.extend(h.names());
        }
        out
    }

    /// The value of a built-in SLI name; `None` when `name` is not a built-in name.
    #[must_use]
    pub fn answer_name(&self, name: &str) -> Option<Result<f64, String>> {
        if let Some(v) = self.hygiene.as_ref().and_then(|h| h.answer(name)) {
            return Some(v);
        }
        let (family, rest) = if let Some(r) = name.strip_prefix("new_vulnerabilities_") {
            (Family::New, r)
        } else if let Some(r) = name.strip_prefix("fixed_vulnerabilities_") {
            (Family::Fixed, r)
        } else if let Some(r) = name.strip_prefix("vulnerabilities_") {
            (Family::Current, r)
        } else {
            return None;
        };
        let which = if rest == "total" {
            Which::Total
        } else {
            let sev = Severity::ALL.into_iter().find(|s| s.lower() == rest)?;
            Which::One(sev)
        };
        Some(self.value(family, &which))
    }

    fn value(&self, family: Family, which: &Which) -> Result<f64, String> {
        let counts = match family {
            Family::Current => self.counts,
            Family::New | Family::Fixed => {
                let Some(diff) = self.baseline else {
                    return Err(
                        "new/fixed vulnerability counts need a baseline report (--baseline)"
                            .to_owned(),
                    );
                };
                if matches!(family, Family::New) {
                    diff.new
                } else {
                    diff.fixed
                }
            }
        };
        let n = match which {
            Which::Total => counts.total_of(&self.selected),
            Which::One(sev) => {
                if !self.selected.contains(sev) {
                    return Err(findings::not_selected(*sev, &self.selected));
                }
                counts.get(*sev)
            }
        };
        // Counts of findings stay far below 2^53, so the conversion is exact.
        #[allow(clippy::cast_precision_loss)]
        Ok(n as f64)
    }

    /// Answers an sli.yaml query in the seed's Dynatrace form from the report.
    ///
    /// # Errors
    /// A message for the failed SLI when the query does not name a
    /// `trivy.vulnerabilities.<SEVERITY>` or `trivy.vulnerabilities.total` metric.
    pub fn answer_query(&self, query: &str) -> Result<f64, String> {
        let q = parse_dynatrace_query(query).map_err(|e| {
            format!("cannot be answered from a Trivy report: `{query}` is not a `metricSelector=trivy.vulnerabilities.<SEVERITY>` query ({e})")
        })?;
        let not_ours = || {
            format!(
                "cannot be answered from a Trivy report: the metric selector `{}` does not name trivy.vulnerabilities.<SEVERITY> or trivy.vulnerabilities.total",
                q.metric_selector
            )
        };
        let key = selector_metric_key(&q.metric_selector).ok_or_else(not_ours)?;
        let Some(tail) = key
            .get(..22)
            .filter(|p| p.eq_ignore_ascii_case("trivy.vulnerabilities."))
            .map(|_| &key[22..])
        else {
            return Err(not_ours());
        };
        let which = if tail.eq_ignore_ascii_case("total") {
            Which::Total
        } else {
            Which::One(tail.parse::<Severity>().map_err(|_| not_ours())?)
        };
        self.value(Family::Current, &which)
    }

    /// Answers every requested SLI in order (duplicates kept, as Keptn's providers do),
    /// through the one fetch loop ([`crate::fetch`]).
    ///
    /// A name with a query in `queries` (the sli.yaml) is answered from that query; otherwise a
    /// built-in name is answered directly; anything else fails with a message.
    #[must_use]
    pub fn answer(
        &self,
        names: &[String],
        queries: Option<&BTreeMap<String, String>>,
    ) -> Vec<Indicator> {
        // A report is one point in time and has no placeholders: window and context are unused.
        let now = jiff::Timestamp::now();
        let window = Window {
            start: now,
            end: now,
        };
        match fetch_in_memory(self, names, queries, &window, &QueryContext::default()) {
            Some(Ok(indicators)) => indicators,
            // `query` below is always a ready `Ok`: the loop can neither wait nor fail.
            Some(Err(_)) | None => unreachable!("the report answers from memory"),
        }
    }
}

impl SliProvider for ReportSli {
    fn reading(&self) -> Reading {
        Reading {
            source: "the report",
            value: "a count of the report's findings (built-in SLI name, or an sli.yaml `metricSelector=trivy.vulnerabilities.<SEVERITY>`)",
            keys: Keys::QueryOrName,
            convention: ResultConvention::Lenient,
        }
    }

    fn query(
        &self,
        sli: &SliQuery<'_>,
    ) -> impl Future<Output = Result<Outcome, ProviderError>> + Send {
        std::future::ready(Ok(self.answer_query(sli.query)))
    }

    fn answer_name(&self, name: &str) -> Outcome {
        Self::answer_name(self, name).unwrap_or_else(|| {
            Err(format!(
                "SLI `{name}` is neither a built-in report SLI ({}) nor defined in an sli.yaml",
                self.builtin_names().join(", ")
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(c: u64, h: u64, m: u64, l: u64, u: u64) -> SeverityCounts {
        let mut s = SeverityCounts::new();
        for (sev, n) in Severity::ALL.into_iter().zip([c, h, m, l, u]) {
            s.set(sev, n);
        }
        s
    }

    fn sli(selected: &[Severity]) -> ReportSli {
        let summary = Summary {
            counts: counts(6, 9, 10, 2, 2),
            findings: 29,
            ..Summary::default()
        };
        ReportSli::from_summary(&summary, selected)
    }

    #[test]
    fn builtin_names() {
        let r = sli(&[]);
        assert_eq!(r.answer_name("vulnerabilities_critical"), Some(Ok(6.0)));
        assert_eq!(r.answer_name("vulnerabilities_unknown"), Some(Ok(2.0)));
        assert_eq!(r.answer_name("vulnerabilities_total"), Some(Ok(29.0)));
        assert_eq!(r.answer_name("response_time_p95"), None);
        assert_eq!(r.answer_name("vulnerabilities_bogus"), None);
        assert!(
            r.answer_name("new_vulnerabilities_critical")
                .unwrap()
                .is_err()
        );
    }

    #[test]
    fn total_and_unselected_severities() {
        let r = sli(&[Severity::Critical, Severity::High]);
        assert_eq!(r.answer_name("vulnerabilities_total"), Some(Ok(15.0)));
        let e = r.answer_name("vulnerabilities_low").unwrap().unwrap_err();
        assert!(e.contains("not selected"), "{e}");
    }

    #[test]
    fn baseline_names() {
        let r = sli(&[]).with_baseline(BaselineDiff {
            new: counts(2, 0, 1, 0, 0),
            fixed: counts(0, 0, 4, 0, 0),
        });
        assert_eq!(r.answer_name("new_vulnerabilities_critical"), Some(Ok(2.0)));
        assert_eq!(r.answer_name("new_vulnerabilities_total"), Some(Ok(3.0)));
        assert_eq!(r.answer_name("fixed_vulnerabilities_medium"), Some(Ok(4.0)));
    }

    #[test]
    fn seed_queries() {
        let r = sli(&[]);
        assert_eq!(
            r.answer_query("metricSelector=trivy.vulnerabilities.CRITICAL"),
            Ok(6.0)
        );
        assert_eq!(
            r.answer_query("metricSelector=trivy.vulnerabilities.high"),
            Ok(9.0)
        );
        assert_eq!(
            r.answer_query(
                "metricSelector=trivy.vulnerabilities.CRITICAL:merge(\"image\"):max&resolution=Inf"
            ),
            Ok(6.0)
        );
        assert_eq!(
            r.answer_query("metricSelector=trivy.vulnerabilities.total"),
            Ok(29.0)
        );
        for bad in [
            "metricSelector=builtin:service.response.time",
            "metricSelector=trivy.vulnerabilities.SEVERE",
            "metricSelector=trivy.vulnerabilities.(CRITICAL,HIGH)",
            "sum(trivy_image_vulnerabilities)",
            "metricSelector=trivy.vuln",
        ] {
            assert!(r.answer_query(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn answer_prefers_the_sli_file_and_never_invents_zero() {
        let r = sli(&[]);
        let q: BTreeMap<String, String> = [(
            "trivy_vulns".to_owned(),
            "metricSelector=trivy.vulnerabilities.CRITICAL".to_owned(),
        )]
        .into();
        let got = r.answer(
            &[
                "trivy_vulns".into(),
                "vulnerabilities_high".into(),
                "latency".into(),
            ],
            Some(&q),
        );
        assert_eq!(got[0].outcome, Ok(6.0));
        assert_eq!(got[1].outcome, Ok(9.0));
        assert!(
            got[2]
                .outcome
                .as_ref()
                .unwrap_err()
                .contains("neither a built-in")
        );
    }
}

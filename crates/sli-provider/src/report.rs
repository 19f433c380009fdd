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

use findings::{FindingKeys, Records, Severity, SeverityCounts, Summary, Want};

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
    /// The counted findings themselves (and the baseline's keys), when kept for explanations
    /// ([`ReportSli::with_findings`]).
    pub evidence: Option<Evidence>,
}

/// The counted findings behind a report's counts, kept so that an objective can name the
/// findings behind its value and a fix plan can be re-counted ([`ReportSli::recount`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    /// Every counted finding (after the counting options) as a compact record, in report
    /// order; findings are named by their index here.
    pub findings: Records,
    /// The `(id, package)` keys of the current findings ([`FindingKeys`]'s rule), when a
    /// baseline was given (empty otherwise).
    pub keys: FindingKeys,
    /// The baseline's keys, when a baseline was given.
    pub baseline: Option<FindingKeys>,
}

/// Which findings an SLI counts. Grows with the SLI families (exploitability, hygiene), each
/// answered from the same resolution by [`ReportSli::count`] and
/// [`ReportSli::findings_behind`], so a value and its explanation never disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// The report's counted findings (`vulnerabilities_*`, `trivy.vulnerabilities.*`).
    Current,
    /// `(id, package)` keys present now and absent in the baseline (`new_vulnerabilities_*`).
    New,
    /// Keys in the baseline that are gone now (`fixed_vulnerabilities_*`): no current
    /// finding lies behind them.
    Fixed,
    /// Counted findings in the KEV catalogue (`kev_vulnerabilities_*`).
    Kev,
    /// Of those, the ones with known ransomware use (`kev_ransomware_total`).
    KevRansomware,
    /// Counted findings with an EPSS score at or above the threshold
    /// (`epss_vulnerabilities_total`).
    Epss,
}

/// An SLI resolved: the family of findings it counts and the severities it sums.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    /// Which findings.
    pub family: Family,
    /// Which severities (one for `_<severity>`, the selected ones for `_total`).
    pub severities: Vec<Severity>,
}

enum Which {
    One(Severity),
    Total,
}

impl Which {
    /// `total` or a severity's lower-case name.
    fn parse(rest: &str) -> Option<Self> {
        if rest == "total" {
            return Some(Self::Total);
        }
        Severity::ALL
            .into_iter()
            .find(|s| s.lower() == rest)
            .map(Self::One)
    }
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
            evidence: None,
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

    /// Keeps the counted findings (a summary's records, read with `Want { fixes: true, .. }`)
    /// and, with a baseline, the baseline's keys: the report can then name the findings behind
    /// each SLI and be re-counted without some of them. Sets the baseline diff from these keys.
    #[must_use]
    pub fn with_findings(mut self, findings: Records, baseline: Option<FindingKeys>) -> Self {
        // The current keys are needed only to compare with a baseline.
        let keys = match &baseline {
            Some(b) => {
                let keys = FindingKeys::from_records(findings.iter());
                self.baseline = Some(BaselineDiff::between(&keys, b));
                keys
            }
            None => FindingKeys::default(),
        };
        self.evidence = Some(Evidence {
            findings,
            keys,
            baseline,
        });
        self
    }

    /// What a report walk must keep for a gate whose objectives read `names` (answered as
    /// [`ReportSli::answer`] answers them): compact records ([`Want::fixes`]) for the
    /// explanations and fix plans, and every detail ([`Want::findings`]) when an SLI reads
    /// one (`max_age_days_*` reads published dates).
    #[must_use]
    pub fn want_for(names: &[String], queries: Option<&BTreeMap<String, String>>) -> Want {
        let by_name = |n: &String| queries.is_none_or(|q| !q.contains_key(n));
        Want {
            findings: names
                .iter()
                .any(|n| by_name(n) && feeds::Hygiene::reads_dates(n)),
            fixes: true,
            keys: false,
        }
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
        Some(self.resolve_name(name)?.map(|s| self.value(&s)))
    }

    /// Resolves a built-in SLI name; `None` when `name` is not one, an error message when
    /// this report cannot answer it (a severity outside `--severity`, new/fixed without a
    /// baseline).
    #[must_use]
    pub fn resolve_name(&self, name: &str) -> Option<Result<Selector, String>> {
        if let Some(h) = &self.hygiene {
            let family = match name {
                "kev_ransomware_total" => Some(Family::KevRansomware),
                "epss_vulnerabilities_total" => Some(Family::Epss),
                n if n.starts_with("kev_vulnerabilities_") => Some(Family::Kev),
                _ => None,
            };
            if let Some(family) = family {
                // Unmeasured (no catalogue, no scores): the hygiene value says why.
                if let Some(Err(e)) = h.answer(name) {
                    return Some(Err(e));
                }
                let rest = name.strip_prefix("kev_vulnerabilities_").unwrap_or("total");
                return Some(self.selector(family, &Which::parse(rest)?));
            }
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
        Some(self.selector(family, &Which::parse(rest)?))
    }

    /// Resolves an objective's SLI the way the fetch loop answers it: from its sli.yaml query
    /// when `queries` has one, else as a built-in name. `None` when neither names findings.
    #[must_use]
    pub fn resolve(
        &self,
        name: &str,
        queries: Option<&BTreeMap<String, String>>,
    ) -> Option<Selector> {
        match queries.and_then(|q| q.get(name)) {
            Some(query) => self.resolve_query(query).ok(),
            None => self.resolve_name(name)?.ok(),
        }
    }

    fn selector(&self, family: Family, which: &Which) -> Result<Selector, String> {
        if matches!(family, Family::New | Family::Fixed) && self.baseline.is_none() {
            return Err(
                "new/fixed vulnerability counts need a baseline report (--baseline)".to_owned(),
            );
        }
        let severities = match which {
            Which::Total => self.selected.clone(),
            Which::One(sev) => {
                if !self.selected.contains(sev) {
                    return Err(findings::not_selected(*sev, &self.selected));
                }
                vec![*sev]
            }
        };
        Ok(Selector { family, severities })
    }

    /// How many findings a resolved SLI counts.
    #[must_use]
    pub fn count(&self, sel: &Selector) -> u64 {
        let counts = match (sel.family, self.baseline) {
            (Family::Current, _) => self.counts,
            (Family::New, Some(d)) => d.new,
            (Family::Fixed, Some(d)) => d.fixed,
            // `selector` refuses these without a baseline.
            (Family::New | Family::Fixed, None) => SeverityCounts::new(),
            (Family::Kev | Family::KevRansomware | Family::Epss, _) => {
                return self.hygiene_behind(sel).map_or(0, |v| v.len() as u64);
            }
        };
        counts.total_of(&sel.severities)
    }

    /// The findings behind a KEV or EPSS selector (indices into the summary's records).
    fn hygiene_behind(&self, sel: &Selector) -> Option<Vec<usize>> {
        let h = self.hygiene.as_ref()?;
        match sel.family {
            Family::Kev => h.kev_behind(&sel.severities),
            Family::KevRansomware => h.ransomware_behind(),
            Family::Epss => h.epss_behind(),
            Family::Current | Family::New | Family::Fixed => None,
        }
    }

    fn value(&self, sel: &Selector) -> f64 {
        // Counts of findings stay far below 2^53, so the conversion is exact.
        #[allow(clippy::cast_precision_loss)]
        let v = self.count(sel) as f64;
        v
    }

    /// The current findings a resolved SLI counts (indices into the kept
    /// [`Evidence::findings`]), in report order; `None` when the findings were not kept
    /// ([`ReportSli::with_findings`]) or the family counts no current finding
    /// (`fixed_vulnerabilities_*`). For `new_vulnerabilities_*` these are the findings whose
    /// `(id, package)` key is new, by the key's severity (as counted).
    #[must_use]
    pub fn findings_behind(&self, sel: &Selector) -> Option<Vec<usize>> {
        let ev = self.evidence.as_ref()?;
        match sel.family {
            Family::Current => Some(
                ev.findings
                    .severities()
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| sel.severities.contains(s))
                    .map(|(i, _)| i)
                    .collect(),
            ),
            Family::New => {
                let base = ev.baseline.as_ref()?;
                Some(
                    ev.findings
                        .iter()
                        .enumerate()
                        .filter(|(_, f)| {
                            base.get(f.id, f.package).is_none()
                                && ev
                                    .keys
                                    .get(f.id, f.package)
                                    .is_some_and(|s| sel.severities.contains(&s))
                        })
                        .map(|(i, _)| i)
                        .collect(),
                )
            }
            Family::Fixed => None,
            Family::Kev | Family::KevRansomware | Family::Epss => self.hygiene_behind(sel),
        }
    }

    /// The same report with only the kept findings at `remaining` (indices into
    /// [`Evidence::findings`]) counted, a fix plan's "after": counts, and with a kept baseline
    /// the new/fixed diff, recomputed from them. The result keeps no findings.
    #[must_use]
    pub fn recount(&self, remaining: &[usize]) -> Self {
        let kept = self.evidence.as_ref().map(|e| &e.findings);
        let severities = kept.map_or(&[][..], |k| k.severities());
        let mut counts = SeverityCounts::new();
        for &i in remaining {
            if let Some(&sev) = severities.get(i) {
                counts.add(sev);
            }
        }
        let baseline = match self.evidence.as_ref().and_then(|e| e.baseline.as_ref()) {
            Some(b) => {
                let records = remaining
                    .iter()
                    .filter_map(|&i| kept.and_then(|k| k.get(i)));
                let keys = FindingKeys::from_records(records);
                Some(BaselineDiff::between(&keys, b))
            }
            None => self.baseline,
        };
        Self {
            counts,
            selected: self.selected.clone(),
            baseline,
            // KEV and EPSS are counted again on what remains; the other hygiene values stay
            // as measured (a plan never claims an upgrade changes them).
            hygiene: self.hygiene.as_ref().map(|h| h.keeping(remaining)),
            evidence: None,
        }
    }

    /// Answers an sli.yaml query in the seed's Dynatrace form from the report.
    ///
    /// # Errors
    /// A message for the failed SLI when the query does not name a
    /// `trivy.vulnerabilities.<SEVERITY>` or `trivy.vulnerabilities.total` metric.
    pub fn answer_query(&self, query: &str) -> Result<f64, String> {
        self.resolve_query(query).map(|s| self.value(&s))
    }

    /// Resolves an sli.yaml query in the seed's Dynatrace form.
    ///
    /// # Errors
    /// As [`ReportSli::answer_query`].
    pub fn resolve_query(&self, query: &str) -> Result<Selector, String> {
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
        self.selector(Family::Current, &which)
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
    use findings::Finding;

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

    fn finding(id: &str, sev: Severity, package: &str) -> Finding {
        Finding {
            id: id.into(),
            severity: sev,
            package: package.into(),
            installed: "1".into(),
            ..Finding::default()
        }
    }

    fn kept() -> (Summary, Records) {
        let fs = vec![
            finding("CVE-1", Severity::Critical, "a"),
            finding("CVE-2", Severity::High, "a"),
            finding("CVE-3", Severity::High, "b"),
            // The same key as CVE-2/a in another target, rated lower: the key stays HIGH.
            finding("CVE-2", Severity::Low, "a"),
        ];
        let mut counts = SeverityCounts::new();
        for f in &fs {
            counts.add(f.severity);
        }
        let s = Summary {
            counts,
            findings: 4,
            ..Summary::default()
        };
        (s, fs.iter().collect())
    }

    #[test]
    fn the_findings_behind_a_value_are_the_ones_it_counts() {
        let (s, fs) = kept();
        let r = ReportSli::from_summary(&s, &[Severity::Critical, Severity::High])
            .with_findings(fs, None);
        for name in [
            "vulnerabilities_critical",
            "vulnerabilities_high",
            "vulnerabilities_total",
        ] {
            let sel = r.resolve(name, None).unwrap();
            let behind = r.findings_behind(&sel).unwrap();
            assert_eq!(behind.len() as u64, r.count(&sel), "{name}");
            assert_eq!(r.answer_name(name), Some(Ok(r.count(&sel) as f64)));
        }
        // A query resolves like its built-in name; an unselected severity resolves to nothing.
        let q: BTreeMap<String, String> = [(
            "crit".to_owned(),
            "metricSelector=trivy.vulnerabilities.CRITICAL".to_owned(),
        )]
        .into();
        assert_eq!(
            r.resolve("crit", Some(&q)),
            r.resolve("vulnerabilities_critical", None)
        );
        assert_eq!(r.resolve("vulnerabilities_low", None), None);
        assert_eq!(r.resolve("latency", None), None);
        // Recounting without findings changes the counts and keeps the selection.
        let sel = r.resolve("vulnerabilities_total", None).unwrap();
        let all = r.findings_behind(&sel).unwrap();
        let after = r.recount(&all[1..]);
        assert_eq!(
            after.count(&sel),
            2,
            "CVE-3 HIGH and CVE-2 HIGH; LOW is not selected"
        );
        assert_eq!(after.selected, r.selected);
    }

    #[test]
    fn only_the_ages_need_every_detail_of_a_finding() {
        let names = |n: &[&str]| n.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let compact = Want {
            fixes: true,
            ..Want::default()
        };
        let n = names(&[
            "vulnerabilities_high",
            "kev_vulnerabilities_total",
            "epss_max",
        ]);
        assert_eq!(ReportSli::want_for(&n, None), compact);
        let n = names(&["vulnerabilities_high", "max_age_days_critical"]);
        assert!(ReportSli::want_for(&n, None).findings);
        // A name that sli.yaml maps to a query is answered from the query, not by its name.
        let q: BTreeMap<String, String> = [(
            "max_age_days_critical".to_owned(),
            "metricSelector=trivy.vulnerabilities.CRITICAL".to_owned(),
        )]
        .into();
        assert_eq!(ReportSli::want_for(&n, Some(&q)), compact);
    }

    #[test]
    fn new_findings_follow_the_baseline_keys() {
        let (s, fs) = kept();
        let baseline = FindingKeys::from_findings(&[finding("CVE-3", Severity::High, "b")]);
        let r = ReportSli::from_summary(&s, &[]).with_findings(fs, Some(baseline));
        let sel = r.resolve("new_vulnerabilities_high", None).unwrap();
        // CVE-2/a is new and HIGH by its key: both of its findings lie behind the count of
        // one key.
        let ev = r.evidence.as_ref().unwrap();
        let behind: Vec<(&str, Severity)> = r
            .findings_behind(&sel)
            .unwrap()
            .iter()
            .map(|&i| ev.findings.get(i).map(|f| (f.id, f.severity)).unwrap())
            .collect();
        assert_eq!(
            behind,
            [("CVE-2", Severity::High), ("CVE-2", Severity::Low)]
        );
        assert_eq!(r.count(&sel), 1);
        let fixed = r.resolve("fixed_vulnerabilities_total", None).unwrap();
        assert_eq!(r.count(&fixed), 0);
        assert_eq!(
            r.findings_behind(&fixed),
            None,
            "no current finding is fixed"
        );
        // Removing CVE-3/b makes it fixed; removing both CVE-2 findings leaves no new high.
        let after = r.recount(&[0]);
        assert_eq!(after.count(&sel), 0);
        assert_eq!(after.count(&fixed), 1);
    }
}

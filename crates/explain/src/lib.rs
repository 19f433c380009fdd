#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod plan;
mod render;
pub mod version;

use std::collections::{BTreeMap, HashMap};

use findings::{Finding, Severity};
use serde::Serialize;

pub use plan::{Evaluation, ObjectiveStatus, Status};

/// One objective to explain: it is not `pass`, and its SLI counts findings. The caller
/// resolves which findings lie behind it (the same resolution that counted its value).
#[derive(Debug, Clone)]
pub struct Objective<'a> {
    /// Position of the objective in the evaluation (`indicatorResults[index]`).
    pub index: usize,
    /// The objective's SLI name.
    pub sli: String,
    /// Its status before any upgrade.
    pub status: Status,
    /// The counted findings behind its value.
    pub findings: Vec<&'a Finding>,
}

/// A finding as the explanation names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    /// Vulnerability id.
    pub id: String,
    /// Severity bucket.
    pub severity: Severity,
    /// Package name.
    pub package: String,
    /// Installed version.
    pub installed: String,
    /// The scanner's fixed version(s) as written; `None`: no fix.
    pub fixed: Option<String>,
}

/// The findings of one package (name and installed version) behind an objective.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Package {
    /// Package name.
    pub name: String,
    /// Installed version.
    pub installed: String,
    /// The lowest version that fixes all of this package's fixable counted findings; `None`
    /// when none of them has a fix above the installed version.
    pub fixed: Option<String>,
    /// How many of its findings have no usable fix.
    pub without_fix: usize,
    /// Its findings, most severe first.
    pub findings: Vec<Item>,
}

impl Package {
    /// The highest severity among its findings.
    #[must_use]
    pub fn worst(&self) -> Severity {
        self.findings
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or_default()
    }
}

/// What one objective's value is made of, and what fixes it.
///
/// Serialised as DESIGN.md's `{"sli", "findings": [...], "omitted", "fix_plan"}`, the
/// findings flat in the packages' order.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectiveExplanation {
    /// Position of the objective in the evaluation.
    pub index: usize,
    /// The objective's SLI.
    pub sli: String,
    /// Its status before any upgrade.
    pub status: Status,
    /// The findings behind it, grouped by package, ordered by severity then number of
    /// findings (cut by [`Explanation::limited`]).
    pub packages: Vec<Package>,
    /// Findings left out by a limit.
    pub omitted: usize,
    /// The upgrades that bring this objective to `pass`, verified.
    pub fix_plan: FixPlan,
}

impl ObjectiveExplanation {
    /// The findings listed, flat, in the packages' order.
    pub fn findings(&self) -> impl Iterator<Item = &Item> {
        self.packages.iter().flat_map(|p| &p.findings)
    }

    /// How many findings are listed.
    #[must_use]
    pub fn listed(&self) -> usize {
        self.packages.iter().map(|p| p.findings.len()).sum()
    }
}

impl Serialize for ObjectiveExplanation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct Flat<'a>(&'a ObjectiveExplanation);
        impl Serialize for Flat<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.findings())
            }
        }
        let mut st = s.serialize_struct("ObjectiveExplanation", 4)?;
        st.serialize_field("sli", &self.sli)?;
        st.serialize_field("findings", &Flat(self))?;
        st.serialize_field("omitted", &self.omitted)?;
        st.serialize_field("fix_plan", &self.fix_plan)?;
        st.end()
    }
}

/// One package upgrade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Upgrade {
    /// Package name.
    pub package: String,
    /// Installed version.
    pub from: String,
    /// The lowest version that fixes all its fixable findings.
    pub to: String,
    /// Counted findings the upgrade removes, per severity (only the severities it removes;
    /// serialised most severe first).
    #[serde(serialize_with = "most_severe_first")]
    pub removes: BTreeMap<Severity, usize>,
}

impl Upgrade {
    /// Findings it removes.
    #[must_use]
    pub fn removed(&self) -> usize {
        self.removes.values().sum()
    }
}

/// What stays in the way when upgrades cannot reach `pass`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Remains {
    /// Findings behind the planned-for objectives that no upgrade removes (no fix, or no fixed
    /// version above the installed one), per severity.
    #[serde(serialize_with = "most_severe_first")]
    pub without_fix: BTreeMap<Severity, usize>,
    /// Objectives (SLI names) that are still not `pass` after the upgrades.
    pub objectives: Vec<String>,
    /// Of those, the ones whose SLI counts no finding (no upgrade can change them).
    pub not_about_findings: Vec<String>,
}

/// Upgrades and what the re-evaluation says after them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FixPlan {
    /// Upgrades, most effective first.
    pub upgrades: Vec<Upgrade>,
    /// The target (the objective, or the whole gate) reaches `pass` after them.
    pub passes_after: bool,
    /// The gate's score after them.
    pub score_after: f64,
    /// The gate's result after them.
    pub result_after: Status,
    /// When `passes_after` is false: what remains.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remains: Option<Remains>,
}

/// The explanation of a gate run: the findings behind each objective that is not `pass`,
/// and the fix plans.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// One entry per explained objective, in the SLO's order.
    pub objectives: Vec<ObjectiveExplanation>,
    /// The upgrades that bring the whole gate to `pass`, verified.
    pub fix_plan: FixPlan,
}

impl Explanation {
    /// Builds the explanation and the fix plans.
    ///
    /// `all` holds every counted finding; each objective's findings point into it.
    /// `before` is the evaluation as it stands, and `evaluate` re-evaluates the gate with the
    /// same semantics (SLO, history, options) on the findings that remain after upgrades.
    pub fn build<F>(
        all: &[Finding],
        objectives: &[Objective<'_>],
        before: &Evaluation,
        evaluate: F,
    ) -> Self
    where
        F: FnMut(&[&Finding]) -> Evaluation,
    {
        let targets = upgrade_targets(all);
        let mut planner = plan::Planner::new(all, &targets, objectives, before, evaluate);
        let fix_plan = planner.plan(None);
        let explained = objectives
            .iter()
            .enumerate()
            .map(|(k, o)| ObjectiveExplanation {
                index: o.index,
                sli: o.sli.clone(),
                status: o.status,
                packages: group(&o.findings, &targets),
                omitted: 0,
                fix_plan: planner.plan(Some(k)),
            })
            .collect();
        Self {
            objectives: explained,
            fix_plan,
        }
    }

    /// At most `limit` findings per objective (`None`: all); the rest are counted in
    /// `omitted`. Copies only what is listed.
    #[must_use]
    pub fn limited(&self, limit: Option<usize>) -> Self {
        let Some(n) = limit else {
            return self.clone();
        };
        let objectives = self
            .objectives
            .iter()
            .map(|o| {
                let mut left = n;
                let mut packages = Vec::new();
                for p in &o.packages {
                    if left == 0 {
                        break;
                    }
                    let take = p.findings.len().min(left);
                    left -= take;
                    packages.push(Package {
                        name: p.name.clone(),
                        installed: p.installed.clone(),
                        fixed: p.fixed.clone(),
                        without_fix: p.without_fix,
                        findings: p.findings[..take].to_vec(),
                    });
                }
                let listed: usize = packages.iter().map(|p| p.findings.len()).sum();
                ObjectiveExplanation {
                    index: o.index,
                    sli: o.sli.clone(),
                    status: o.status,
                    packages,
                    omitted: o.omitted + (o.listed() - listed),
                    fix_plan: o.fix_plan.clone(),
                }
            })
            .collect();
        Self {
            objectives,
            fix_plan: self.fix_plan.clone(),
        }
    }

    /// The explanation of the objective at `index` of the evaluation, if it is explained.
    #[must_use]
    pub fn objective(&self, index: usize) -> Option<&ObjectiveExplanation> {
        self.objectives.iter().find(|o| o.index == index)
    }
}

fn most_severe_first<S: serde::Serializer>(
    m: &BTreeMap<Severity, usize>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_map(m.iter().rev())
}

pub(crate) fn item(f: &Finding) -> Item {
    Item {
        id: f.id.clone(),
        severity: f.severity,
        package: f.package.clone(),
        installed: f.installed.clone(),
        fixed: f
            .fixed_version
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned),
    }
}

/// The version one finding needs (its lowest listed fix above the installed version).
pub(crate) fn needed(f: &Finding) -> Option<&str> {
    version::lowest_fix(&f.installed, f.fixed_version.as_deref()?)
}

/// A package: name and installed version.
pub(crate) type PackageKey<'a> = (&'a str, &'a str);

/// For each package, the lowest version that fixes all of its fixable counted findings: the
/// highest of the versions its findings need.
pub(crate) fn upgrade_targets(all: &[Finding]) -> HashMap<PackageKey<'_>, &str> {
    let mut t: HashMap<PackageKey<'_>, &str> = HashMap::new();
    for f in all {
        if let Some(v) = needed(f) {
            t.entry((f.package.as_str(), f.installed.as_str()))
                .and_modify(|cur| {
                    if version::compare(v, cur).is_gt() {
                        *cur = v;
                    }
                })
                .or_insert(v);
        }
    }
    t
}

/// Groups findings by (package, installed): most severe package first, then the one with
/// more findings, then by name; inside a package, most severe first, then by id. `targets`
/// gives each package's upgrade version ([`upgrade_targets`] over every counted finding).
fn group(findings: &[&Finding], targets: &HashMap<PackageKey<'_>, &str>) -> Vec<Package> {
    let mut by: HashMap<(&str, &str), Vec<&Finding>> = HashMap::new();
    for f in findings {
        by.entry((f.package.as_str(), f.installed.as_str()))
            .or_default()
            .push(f);
    }
    let mut out: Vec<Package> = by
        .into_iter()
        .map(|((name, installed), fs)| {
            let fixed = targets.get(&(name, installed)).map(|v| (*v).to_owned());
            let without_fix = fs.iter().filter(|f| needed(f).is_none()).count();
            let mut items: Vec<Item> = fs.iter().map(|f| item(f)).collect();
            items.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
            Package {
                name: name.to_owned(),
                installed: installed.to_owned(),
                fixed,
                without_fix,
                findings: items,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.worst()
            .cmp(&a.worst())
            .then_with(|| b.findings.len().cmp(&a.findings.len()))
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.installed.cmp(&b.installed))
    });
    out
}

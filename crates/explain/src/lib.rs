#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod plan;
mod render;
pub mod version;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use findings::{Record, Records, Severity};
use serde::Serialize;

pub use plan::{Evaluation, ObjectiveStatus, Status};

/// One objective to explain: it is not `pass`, and its SLI counts findings. The caller
/// resolves which findings lie behind it (the same resolution that counted its value).
#[derive(Debug, Clone)]
pub struct Objective {
    /// Position of the objective in the evaluation (`indicatorResults[index]`).
    pub index: usize,
    /// The objective's SLI name.
    pub sli: String,
    /// Its status before any upgrade.
    pub status: Status,
    /// The counted findings behind its value: indices into the records the explanation is
    /// built from.
    pub findings: Vec<usize>,
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
    /// Builds the explanation and the fix plans, listing at most `listed` findings per
    /// objective (`None`: all; the rest are counted in `omitted`, as [`Explanation::limited`]
    /// counts them).
    ///
    /// `all` holds every counted finding; each objective's findings are indices into it
    /// (indices past its end are ignored). `before` is the evaluation as it stands, and
    /// `evaluate` re-evaluates the gate with the same semantics (SLO, history, options) on
    /// the findings that remain after upgrades (indices into `all`, in order).
    pub fn build<F>(
        all: &Records,
        objectives: &[Objective],
        before: &Evaluation,
        listed: Option<usize>,
        evaluate: F,
    ) -> Self
    where
        F: FnMut(&[usize]) -> Evaluation,
    {
        let packages = Packages::new(all);
        let behind: Vec<Vec<usize>> = objectives
            .iter()
            .map(|o| {
                o.findings
                    .iter()
                    .copied()
                    .filter(|&i| i < all.len())
                    .collect()
            })
            .collect();
        let mut planner = plan::Planner::new(&packages, objectives, &behind, before, evaluate);
        let fix_plan = planner.plan(None);
        let explained = objectives
            .iter()
            .zip(&behind)
            .enumerate()
            .map(|(k, (o, idx))| {
                let (packages, omitted) = packages.group(all, idx, listed);
                ObjectiveExplanation {
                    index: o.index,
                    sli: o.sli.clone(),
                    status: o.status,
                    packages,
                    omitted,
                    fix_plan: planner.plan(Some(k)),
                }
            })
            .collect();
        Self {
            objectives: explained,
            fix_plan,
        }
    }

    /// At most `limit` findings per objective (`None`: all); the rest are counted in
    /// `omitted`. Borrowed when nothing is cut (an explanation built with this limit);
    /// otherwise copies only what is listed.
    #[must_use]
    pub fn limited(&self, limit: Option<usize>) -> Cow<'_, Self> {
        let Some(n) = limit.filter(|&n| self.objectives.iter().any(|o| o.listed() > n)) else {
            return Cow::Borrowed(self);
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
        Cow::Owned(Self {
            objectives,
            fix_plan: self.fix_plan.clone(),
        })
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

fn item(f: &Record<'_>) -> Item {
    Item {
        id: f.id.to_owned(),
        severity: f.severity,
        package: f.package.to_owned(),
        installed: f.installed.to_owned(),
        fixed: f
            .fixed_version
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned),
    }
}

/// The version one finding needs (its lowest listed fix above the installed version).
fn needed<'a>(f: &Record<'a>) -> Option<&'a str> {
    version::lowest_fix(f.installed, f.fixed_version?)
}

/// A package: name and installed version.
pub(crate) type PackageKey<'a> = (&'a str, &'a str);

/// Every counted finding's package and the version its fix needs, worked out once for the
/// grouping and the planner (versions are compared once per finding, strings hashed once).
pub(crate) struct Packages<'a> {
    /// Per finding of `all`: its severity.
    pub(crate) severity: &'a [Severity],
    /// Per finding: the number of its package.
    pub(crate) of: Vec<usize>,
    /// Per finding: the version its fix needs; `None`: no usable fix.
    pub(crate) needs: Vec<Option<&'a str>>,
    /// Per package: name and installed version.
    pub(crate) keys: Vec<PackageKey<'a>>,
    /// Per package: the lowest version that fixes all of its fixable findings (the highest
    /// of the versions they need).
    pub(crate) target: Vec<Option<&'a str>>,
}

impl<'a> Packages<'a> {
    fn new(all: &'a Records) -> Self {
        let mut ids: HashMap<PackageKey<'a>, usize> = HashMap::new();
        let mut p = Self {
            severity: all.severities(),
            of: Vec::with_capacity(all.len()),
            needs: Vec::with_capacity(all.len()),
            keys: Vec::new(),
            target: Vec::new(),
        };
        for f in all.iter() {
            let key = (f.package, f.installed);
            // Scanners list a package's findings together: skip the hash then.
            let id = match p.of.last() {
                Some(&last) if p.keys[last] == key => last,
                _ => *ids.entry(key).or_insert_with(|| {
                    p.keys.push(key);
                    p.target.push(None);
                    p.keys.len() - 1
                }),
            };
            let need = needed(&f);
            if let Some(v) = need
                && p.target[id].is_none_or(|cur| version::compare(v, cur).is_gt())
            {
                p.target[id] = Some(v);
            }
            p.of.push(id);
            p.needs.push(need);
        }
        p
    }

    /// Groups the findings `idx` (indices into `all`) by package: most severe package first,
    /// then the one with more findings, then by name and version; inside a package, most
    /// severe first, then by id. Lists at most `limit` findings; returns the packages and
    /// how many findings were left out.
    fn group(&self, all: &Records, idx: &[usize], limit: Option<usize>) -> (Vec<Package>, usize) {
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); self.keys.len()];
        for &i in idx {
            members[self.of[i]].push(i);
        }
        let mut groups: Vec<(usize, Vec<usize>, Severity)> = members
            .into_iter()
            .enumerate()
            .filter_map(|(p, fs)| {
                let worst = fs.iter().map(|&i| self.severity[i]).max()?;
                Some((p, fs, worst))
            })
            .collect();
        groups.sort_by(|(pa, a, wa), (pb, b, wb)| {
            wb.cmp(wa)
                .then_with(|| b.len().cmp(&a.len()))
                .then_with(|| self.keys[*pa].cmp(&self.keys[*pb]))
        });
        let mut left = limit.unwrap_or(usize::MAX);
        let mut omitted = 0;
        let mut out = Vec::new();
        for (p, mut fs, _) in groups {
            let take = fs.len().min(left);
            omitted += fs.len() - take;
            if take == 0 {
                continue;
            }
            left -= take;
            let id = |i: usize| all.get(i).map_or("", |f| f.id);
            fs.sort_by(|&a, &b| {
                self.severity[b]
                    .cmp(&self.severity[a])
                    .then_with(|| id(a).cmp(id(b)))
            });
            let (name, installed) = self.keys[p];
            out.push(Package {
                name: name.to_owned(),
                installed: installed.to_owned(),
                fixed: self.target[p].map(str::to_owned),
                without_fix: fs.iter().filter(|&&i| self.needs[i].is_none()).count(),
                findings: fs[..take]
                    .iter()
                    .filter_map(|&i| all.get(i).map(|f| item(&f)))
                    .collect(),
            });
        }
        (out, omitted)
    }
}

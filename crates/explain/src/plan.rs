//! The fix plan: package upgrades chosen greedily by effect, cut to the fewest that reach
//! `pass`, and verified by re-evaluating the gate on the findings that remain.

use std::collections::BTreeMap;

use findings::Severity;
use serde::Serialize;

use crate::{FixPlan, Objective, PackageKey, Packages, Remains, Upgrade};

/// An objective's or the gate's status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// `pass`.
    Pass,
    /// `warning`.
    Warning,
    /// `fail` (also an evaluation that could not run).
    #[default]
    Fail,
    /// `info`: an objective without criteria.
    Info,
}

impl Status {
    /// The wire word: `pass`, `warning`, `fail`, `info`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Warning => "warning",
            Self::Fail => "fail",
            Self::Info => "info",
        }
    }
}

/// One objective's status in an [`Evaluation`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectiveStatus {
    /// Its SLI.
    pub sli: String,
    /// Its status.
    pub status: Status,
    /// Its SLI counts findings (an upgrade can change its value).
    pub counts_findings: bool,
}

/// What an evaluation of the gate says (the caller's re-evaluation after upgrades).
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The total score.
    pub score: f64,
    /// The gate's result.
    pub result: Status,
    /// Every objective, in the SLO's order (`indicatorResults`).
    pub objectives: Vec<ObjectiveStatus>,
}

struct Candidate<'a> {
    key: PackageKey<'a>,
    to: &'a str,
    /// Indices into `all` of the findings the upgrade removes.
    removes: Vec<usize>,
    /// Per explained objective: how many of the findings behind it the upgrade removes.
    hits: Vec<usize>,
    /// Per explained objective: the worst severity among those.
    worst: Vec<Option<Severity>>,
}

pub(crate) struct Planner<'a, 'p, 'e, F> {
    packages: &'p Packages<'a>,
    candidates: Vec<Candidate<'a>>,
    /// Per explained objective: its index in the evaluation and the indices into `all` of
    /// the findings behind it.
    objectives: Vec<(usize, &'p [usize])>,
    /// Per finding, during a run: removed by the chosen upgrades.
    removed: Vec<bool>,
    /// The findings that remain after a run's upgrades.
    remaining: Vec<usize>,
    before: &'e Evaluation,
    evaluate: F,
}

impl<'a, 'p, 'e, F> Planner<'a, 'p, 'e, F>
where
    F: FnMut(&[usize]) -> Evaluation,
{
    /// `behind[k]`: the indices into `all` of the findings behind `objectives[k]`.
    pub(crate) fn new(
        packages: &'p Packages<'a>,
        objectives: &[Objective],
        behind: &'p [Vec<usize>],
        before: &'e Evaluation,
        evaluate: F,
    ) -> Self {
        // One candidate per package with a fix: the upgrade to its target version.
        let mut candidate_of: Vec<Option<usize>> = vec![None; packages.keys.len()];
        let mut candidates: Vec<Candidate<'a>> = Vec::new();
        for (i, need) in packages.needs.iter().enumerate() {
            if need.is_none() {
                continue;
            }
            let p = packages.of[i];
            let Some(to) = packages.target[p] else {
                continue;
            };
            let c = *candidate_of[p].get_or_insert_with(|| {
                candidates.push(Candidate {
                    key: packages.keys[p],
                    to,
                    removes: Vec::new(),
                    hits: vec![0; behind.len()],
                    worst: vec![None; behind.len()],
                });
                candidates.len() - 1
            });
            candidates[c].removes.push(i);
        }
        for (k, idx) in behind.iter().enumerate() {
            for &i in idx {
                if packages.needs[i].is_none() {
                    continue;
                }
                if let Some(c) = candidate_of[packages.of[i]] {
                    let cand = &mut candidates[c];
                    cand.hits[k] += 1;
                    cand.worst[k] = cand.worst[k].max(Some(packages.severity[i]));
                }
            }
        }
        let objectives = objectives
            .iter()
            .zip(behind)
            .map(|(o, idx)| (o.index, idx.as_slice()))
            .collect();
        Self {
            packages,
            removed: Vec::new(),
            remaining: Vec::new(),
            candidates,
            objectives,
            before,
            evaluate,
        }
    }

    fn reached(&self, target: Option<usize>, e: &Evaluation) -> bool {
        match target {
            None => e.result == Status::Pass,
            Some(k) => e
                .objectives
                .get(self.objectives[k].0)
                .is_some_and(|o| o.status == Status::Pass),
        }
    }

    fn run(&mut self, chosen: &[usize]) -> Evaluation {
        // The buffers are reused: a plan runs this a few dozen times over every finding.
        self.removed.clear();
        self.removed.resize(self.packages.severity.len(), false);
        for &c in chosen {
            for &i in &self.candidates[c].removes {
                self.removed[i] = true;
            }
        }
        self.remaining.clear();
        self.remaining.extend(
            self.removed
                .iter()
                .enumerate()
                .filter_map(|(i, r)| (!r).then_some(i)),
        );
        (self.evaluate)(&self.remaining)
    }

    /// (findings behind the target objectives it removes, worst severity among them).
    fn effect(&self, c: usize, target: Option<usize>) -> (usize, Option<Severity>) {
        let cand = &self.candidates[c];
        match target {
            Some(k) => (cand.hits[k], cand.worst[k]),
            None => (
                cand.hits.iter().sum(),
                cand.worst.iter().copied().max().flatten(),
            ),
        }
    }

    /// The plan for one explained objective (`Some(k)`) or the whole gate (`None`).
    pub(crate) fn plan(&mut self, target: Option<usize>) -> FixPlan {
        if self.reached(target, self.before) {
            return self.fix_plan(&[], self.before, target, true);
        }
        // Greedy by effect: the upgrades that remove most of the findings behind the target,
        // the more severe first.
        let mut order: Vec<usize> = (0..self.candidates.len())
            .filter(|&c| self.effect(c, target).0 > 0)
            .collect();
        order.sort_by(|&a, &b| {
            let (ea, sa) = self.effect(a, target);
            let (eb, sb) = self.effect(b, target);
            eb.cmp(&ea)
                .then_with(|| sb.cmp(&sa))
                .then_with(|| self.candidates[a].key.cmp(&self.candidates[b].key))
        });
        let all_applied = self.run(&order);
        if !self.reached(target, &all_applied) {
            return self.fix_plan(&order, &all_applied, target, false);
        }
        // The shortest prefix of the greedy order that reaches pass (binary search: removing
        // findings does not raise a count), then drop every upgrade that is not needed.
        let (mut lo, mut hi) = (0, order.len());
        let mut at_hi = all_applied;
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            let e = self.run(&order[..mid]);
            if self.reached(target, &e) {
                hi = mid;
                at_hi = e;
            } else {
                lo = mid;
            }
        }
        let mut chosen: Vec<usize> = order[..hi].to_vec();
        let mut result = at_hi;
        for pos in (0..chosen.len()).rev() {
            if chosen.len() == 1 {
                break;
            }
            let mut without = chosen.clone();
            without.remove(pos);
            let e = self.run(&without);
            if self.reached(target, &e) {
                chosen = without;
                result = e;
            }
        }
        self.fix_plan(&chosen, &result, target, true)
    }

    fn fix_plan(
        &self,
        chosen: &[usize],
        after: &Evaluation,
        target: Option<usize>,
        passes: bool,
    ) -> FixPlan {
        let upgrades = chosen
            .iter()
            .map(|&c| {
                let cand = &self.candidates[c];
                let mut removes: BTreeMap<Severity, usize> = BTreeMap::new();
                for &i in &cand.removes {
                    *removes.entry(self.packages.severity[i]).or_default() += 1;
                }
                Upgrade {
                    package: cand.key.0.to_owned(),
                    from: cand.key.1.to_owned(),
                    to: cand.to.to_owned(),
                    removes,
                }
            })
            .collect();
        let remains = (!passes).then(|| self.remains(after, target));
        FixPlan {
            upgrades,
            passes_after: passes,
            score_after: after.score,
            result_after: after.result,
            remains,
        }
    }

    fn remains(&self, after: &Evaluation, target: Option<usize>) -> Remains {
        let targets: Vec<usize> = match target {
            Some(k) => vec![k],
            None => (0..self.objectives.len()).collect(),
        };
        let mut seen = vec![false; self.packages.severity.len()];
        let mut without_fix: BTreeMap<Severity, usize> = BTreeMap::new();
        for &k in &targets {
            for &i in self.objectives[k].1 {
                if !seen[i] && self.packages.needs[i].is_none() {
                    seen[i] = true;
                    *without_fix.entry(self.packages.severity[i]).or_default() += 1;
                }
            }
        }
        let still: Vec<&ObjectiveStatus> = match target {
            Some(k) => after
                .objectives
                .get(self.objectives[k].0)
                .into_iter()
                .collect(),
            None => after
                .objectives
                .iter()
                .filter(|o| matches!(o.status, Status::Fail | Status::Warning))
                .collect(),
        };
        Remains {
            without_fix,
            objectives: still.iter().map(|o| o.sli.clone()).collect(),
            not_about_findings: still
                .iter()
                .filter(|o| !o.counts_findings)
                .map(|o| o.sli.clone())
                .collect(),
        }
    }
}

//! Text, Markdown and JUnit wording of an explanation. Pure.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use findings::Severity;

use crate::{Explanation, FixPlan, ObjectiveExplanation, Package, Upgrade};

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `and 3 more findings`.
fn more(n: usize) -> String {
    format!(
        "and {n} more {}",
        if n == 1 { "finding" } else { "findings" }
    )
}

fn by_severity(m: &BTreeMap<Severity, usize>) -> String {
    m.iter()
        .rev()
        .map(|(s, n)| format!("{n} {s}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `CVE-1 (CRITICAL), CVE-2 (HIGH) x2`: the same id and severity in several targets once,
/// with its count.
fn ids(p: &Package) -> String {
    let mut parts: Vec<(String, usize)> = Vec::new();
    for f in &p.findings {
        let s = format!("{} ({})", f.id, f.severity);
        match parts.iter_mut().find(|(t, _)| *t == s) {
            Some((_, n)) => *n += 1,
            None => parts.push((s, 1)),
        }
    }
    parts
        .into_iter()
        .map(|(s, n)| if n == 1 { s } else { format!("{s} x{n}") })
        .collect::<Vec<_>>()
        .join(", ")
}

fn fixed_text(p: &Package) -> String {
    match (&p.fixed, p.without_fix) {
        (None, _) => "no fix".to_owned(),
        (Some(v), 0) => v.clone(),
        (Some(v), n) => format!("{v} ({n} without fix)"),
    }
}

fn upgrade_text(u: &Upgrade) -> String {
    format!(
        "{} {} {ARROW} {} (removes {})",
        u.package,
        u.from,
        u.to,
        by_severity(&u.removes)
    )
}

/// One sentence on what the plan achieves, or what stands in the way.
fn verdict(plan: &FixPlan, what: &str) -> String {
    let after = format!(
        "score {}, result {}",
        fmt_score(plan.score_after),
        plan.result_after.as_str()
    );
    if plan.passes_after {
        if plan.upgrades.is_empty() {
            return format!("{what} passes without upgrades ({after}).");
        }
        return format!(
            "After {}: {what} passes ({after}).",
            plural(plan.upgrades.len(), "upgrade", "upgrades")
        );
    }
    let mut s = if plan.upgrades.is_empty() {
        format!("No upgrade brings {what} to pass ({after} as it stands)")
    } else {
        format!(
            "No set of upgrades brings {what} to pass: upgrading every package with a fix ({}) leaves the gate at {after}",
            plural(plan.upgrades.len(), "upgrade", "upgrades")
        )
    };
    if let Some(r) = &plan.remains {
        let mut why = Vec::new();
        if !r.without_fix.is_empty() {
            why.push(format!(
                "{} ({})",
                plural(
                    r.without_fix.values().sum(),
                    "finding without a fix remains",
                    "findings without a fix remain"
                ),
                by_severity(&r.without_fix)
            ));
        }
        if !r.not_about_findings.is_empty() {
            why.push(format!(
                "{} not about findings ({})",
                plural(r.not_about_findings.len(), "objective is", "objectives are"),
                r.not_about_findings.join(", ")
            ));
        }
        let others: Vec<&String> = r
            .objectives
            .iter()
            .filter(|o| !r.not_about_findings.contains(o))
            .collect();
        if !others.is_empty() && r.without_fix.is_empty() {
            why.push(format!(
                "still not passing: {}",
                others
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if !why.is_empty() {
            let _ = write!(s, "; {}", why.join("; "));
        }
    }
    s.push('.');
    s
}

/// A score as the gate prints it (integers without a fraction).
fn fmt_score(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}

/// `(fail): 6 findings in 3 packages`.
fn objective_summary(o: &ObjectiveExplanation) -> String {
    let total = o.listed() + o.omitted;
    let mut s = format!(
        "({}): {}",
        o.status.as_str(),
        plural(total, "finding", "findings")
    );
    if o.omitted == 0 {
        let _ = write!(s, " in {}", plural(o.packages.len(), "package", "packages"));
    }
    s
}

fn objective_title(o: &ObjectiveExplanation) -> String {
    format!("{} {}", o.sli, objective_summary(o))
}

impl Explanation {
    /// The "What to fix" part of the text output. Apply [`Explanation::limited`] first.
    #[must_use]
    pub fn render_text(&self) -> String {
        let mut out = String::from("What to fix\n");
        for o in &self.objectives {
            let _ = writeln!(out, "\n  {}", objective_title(o));
            let rows: Vec<[String; 4]> = o
                .packages
                .iter()
                .map(|p| [p.name.clone(), p.installed.clone(), fixed_text(p), ids(p)])
                .collect();
            let header = ["PACKAGE", "INSTALLED", "FIXED", "FINDINGS"].map(str::to_owned);
            let mut widths = [0usize; 4];
            for r in std::iter::once(&header).chain(&rows) {
                for (w, c) in widths.iter_mut().zip(r) {
                    *w = (*w).max(c.chars().count());
                }
            }
            for r in std::iter::once(&header).chain(&rows) {
                let mut line = String::from("    ");
                for (i, (c, w)) in r.iter().zip(widths).enumerate() {
                    line.push_str(c);
                    if i < 3 {
                        line.extend(std::iter::repeat_n(
                            ' ',
                            w.saturating_sub(c.chars().count()) + 2,
                        ));
                    }
                }
                let _ = writeln!(out, "{}", line.trim_end());
            }
            if o.omitted > 0 {
                let _ = writeln!(out, "    {} (--explain N to list more)", more(o.omitted));
            }
            let _ = writeln!(out, "    Fix: {}", plan_line(&o.fix_plan, "this objective"));
        }
        let _ = writeln!(out, "\n  Fix plan for the gate:");
        for u in &self.fix_plan.upgrades {
            let _ = writeln!(out, "    upgrade {}", upgrade_text(u));
        }
        let _ = writeln!(out, "    {}", verdict(&self.fix_plan, "the gate"));
        out
    }

    /// The "What to fix" section of the Markdown output. Apply [`Explanation::limited`]
    /// first.
    #[must_use]
    pub fn render_markdown(&self) -> String {
        let mut out = String::from("#### What to fix\n");
        for o in &self.objectives {
            let _ = writeln!(
                out,
                "\n**`{}`** {}\n",
                md(&o.sli),
                md(&objective_summary(o))
            );
            out.push_str("| Package | Installed | Fixed | Findings |\n|---|---|---|---|\n");
            for p in &o.packages {
                let _ = writeln!(
                    out,
                    "| `{}` | `{}` | {} | {} |",
                    md(&p.name),
                    md(&p.installed),
                    md(&fixed_text(p)),
                    md(&ids(p))
                );
            }
            if o.omitted > 0 {
                let _ = writeln!(out, "\n{}", more(o.omitted));
            }
            let _ = writeln!(
                out,
                "\nFix: {}",
                md(&plan_line(&o.fix_plan, "this objective"))
            );
        }
        out.push_str("\n**Fix plan for the gate**\n\n");
        for u in &self.fix_plan.upgrades {
            let _ = writeln!(out, "- upgrade {}", md(&upgrade_text(u)));
        }
        if !self.fix_plan.upgrades.is_empty() {
            out.push('\n');
        }
        let _ = writeln!(out, "{}", md(&verdict(&self.fix_plan, "the gate")));
        out
    }

    /// What a JUnit failure (or the suite's output) says about the objective at `index` of
    /// the evaluation (`None` when it is not explained), or, for `index == objectives` (the
    /// number of objectives in the evaluation), about the whole gate: its fix plan. Apply
    /// [`Explanation::limited`] first.
    #[must_use]
    pub fn junit_text(&self, index: usize, objectives: usize) -> Option<String> {
        if index == objectives {
            let mut out = String::from("fix plan for the gate:\n");
            for u in &self.fix_plan.upgrades {
                let _ = writeln!(out, "  upgrade {}", upgrade_text(u));
            }
            out.push_str(&verdict(&self.fix_plan, "the gate"));
            return Some(out);
        }
        let o = self.objective(index)?;
        let mut out = format!("findings behind it: {}\n", objective_title(o));
        for p in &o.packages {
            let _ = writeln!(
                out,
                "  {} {} (fixed: {}): {}",
                p.name,
                p.installed,
                fixed_text(p),
                ids(p)
            );
        }
        if o.omitted > 0 {
            let _ = writeln!(out, "  {}", more(o.omitted));
        }
        let _ = write!(out, "fix: {}", plan_line(&o.fix_plan, "this objective"));
        Some(out)
    }
}

fn plan_line(plan: &FixPlan, what: &str) -> String {
    let ups: Vec<String> = plan
        .upgrades
        .iter()
        .map(|u| format!("{} {} {ARROW} {}", u.package, u.from, u.to))
        .collect();
    if plan.passes_after && !ups.is_empty() {
        format!("upgrade {}. {}", ups.join(", "), verdict(plan, what))
    } else {
        verdict(plan, what)
    }
}

/// Stands for "upgrade to"; Markdown shows it as an arrow.
const ARROW: &str = "->";

fn md(s: &str) -> String {
    s.replace(ARROW, "\u{2192}")
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\r', '\n'], " ")
}

//! slo.yaml and sli.yaml models and their parsers (spec §1, §2, §15).
//!
//! Decoding follows gopkg.in/yaml.v3 into go-utils' types, as lighthouse does: unknown keys
//! are ignored (reported as warnings), a type mismatch is an error, defaults are applied
//! after parsing. Phase 1 reads the YAML (first syntax error); phase 2 decodes it and
//! gathers every type problem before failing.

use std::collections::BTreeMap;

use crate::criteria::{CriteriaError, Operator, parse_criterion};
use crate::error::{ParseError, ParseErrorKind, Problem};
use crate::yaml::{Kind, Node, Resolved, parse_document};

/// A parsed slo.yaml with lighthouse's defaults applied.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Slo {
    /// `spec_version`, not interpreted.
    pub spec_version: String,
    /// `filter`: forwarded to SLI providers as custom filters.
    pub filter: BTreeMap<String, String>,
    /// The comparison settings, defaulted (see [`Comparison`]).
    pub comparison: Comparison,
    /// Whether the file had a (non-null) `comparison` block; the defaults differ.
    pub comparison_given: bool,
    /// Objectives in file order, `null` entries removed.
    pub objectives: Vec<Objective>,
    /// `total_score`; `None` when absent or null.
    pub total_score: Option<TotalScore>,
    /// The raw file text (becomes `sloFileContent`, base64).
    pub raw: String,
    /// Things lighthouse accepts silently but a user likely did not mean: unknown keys.
    /// [`parse_slo_strict`] turns them into errors.
    pub warnings: Vec<Problem>,
    /// Things lighthouse accepts but that make a verdict meaningless: criteria it cannot use
    /// (it fails the evaluation, or silently drops warning criteria) and negative weights.
    /// Lighthouse-exact evaluation keeps going; a gate that fails closed refuses the file
    /// (slo-gate and trivy-scan exit 2). [`parse_slo_strict`] turns them into errors.
    pub gate_errors: Vec<Problem>,
}

/// The `comparison` block after defaults.
///
/// Block absent: `single_result`, `all`, 1, `avg`. Block present: only
/// `include_result_with_score` (`all`), `number_of_comparison_results` (0 → 3) and
/// `aggregate_function` (`avg`) are filled; `compare_with` stays as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// `single_result`, `several_results`, or anything (then 3 results are used).
    pub compare_with: String,
    /// `pass`, `pass_or_warn`, `all` (case-insensitive; anything else means all).
    pub include_result_with_score: String,
    /// Used when `compare_with == "several_results"`; negative means no limit.
    pub number_of_comparison_results: i64,
    /// `avg`, `p50`, `p90`, `p95`; anything else yields a comparison value of 0.
    pub aggregate_function: String,
}

impl Default for Comparison {
    fn default() -> Self {
        Self {
            compare_with: "single_result".to_owned(),
            include_result_with_score: "all".to_owned(),
            number_of_comparison_results: 1,
            aggregate_function: "avg".to_owned(),
        }
    }
}

/// One objective.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Objective {
    /// SLI name.
    pub sli: String,
    /// `displayName` (camelCase in the file); may be empty.
    pub display_name: String,
    /// Pass criteria sets (OR); empty = informational objective.
    pub pass: Vec<CriteriaSet>,
    /// Warning criteria sets (OR).
    pub warning: Vec<CriteriaSet>,
    /// Weight; 0 or missing became 1, negative kept, fractions truncated.
    pub weight: i64,
    /// `key_sli`.
    pub key_sli: bool,
}

impl Objective {
    /// The name lighthouse uses in error messages: the display name, else the SLI name.
    #[must_use]
    pub fn name(&self) -> &str {
        if self.display_name.is_empty() {
            &self.sli
        } else {
            &self.display_name
        }
    }
}

/// One `- criteria: [...]` set (AND).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CriteriaSet {
    /// Criterion strings as written (null entries dropped).
    pub criteria: Vec<String>,
}

impl Slo {
    /// Whether any objective has pass criteria. Without one, every objective is
    /// informational and lighthouse passes with score 100 whatever the values are.
    #[must_use]
    pub fn has_pass_criteria(&self) -> bool {
        self.objectives.iter().any(|o| !o.pass.is_empty())
    }
}

/// `total_score`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TotalScore {
    /// Pass threshold, e.g. `90%`; empty means "no target score defined".
    pub pass: String,
    /// Warning threshold; empty means none.
    pub warning: String,
}

/// A parsed sli.yaml.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SliFile {
    /// `spec_version`.
    pub spec_version: String,
    /// SLI name → provider query, in file order.
    pub indicators: Vec<(String, String)>,
}

impl SliFile {
    /// The query of an SLI.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.indicators
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Overlays `other` (a more specific level: project → stage → service): its keys
    /// replace ours in place, new keys are appended.
    pub fn merge_from(&mut self, other: &SliFile) {
        for (k, v) in &other.indicators {
            match self.indicators.iter_mut().find(|(key, _)| key == k) {
                Some(slot) => slot.1.clone_from(v),
                None => self.indicators.push((k.clone(), v.clone())),
            }
        }
        if !other.spec_version.is_empty() {
            self.spec_version.clone_from(&other.spec_version);
        }
    }
}

/// Parses slo.yaml as lighthouse does (non-strict: unknown keys and bad criteria become
/// [`Slo::warnings`]).
///
/// A 0-byte file is an error of kind [`ParseErrorKind::Empty`]; a file with only
/// whitespace or comments parses to an SLO without objectives or total score (lighthouse
/// then ends `errored` with `no target score defined`).
///
/// # Errors
/// Syntax errors, type mismatches (every one found), a null document or null criteria set
/// (both crash lighthouse).
pub fn parse_slo(yaml: &str) -> Result<Slo, ParseError> {
    if yaml.is_empty() {
        return Err(ParseError::new(
            ParseErrorKind::Empty,
            vec![Problem::new(1, 1, "the SLO file is empty (0 bytes)")],
        ));
    }
    let root =
        parse_document(yaml).map_err(|p| ParseError::new(ParseErrorKind::Syntax, vec![p]))?;
    let mut d = Decoder::default();
    let mut slo = Slo {
        raw: yaml.to_owned(),
        ..Slo::default()
    };
    match root {
        None => {}
        Some(n) if n.is_null() => d.error(
            &n,
            "the SLO file holds only a null document (lighthouse crashes on it)",
        ),
        Some(n) => d.slo(&n, &mut slo),
    }
    // Report in file order, whatever order the decoder visited things in.
    d.errors.sort_by_key(|p| (p.line, p.column));
    d.warnings.sort_by_key(|p| (p.line, p.column));
    d.gate_errors.sort_by_key(|p| (p.line, p.column));
    if !d.errors.is_empty() {
        return Err(ParseError::new(ParseErrorKind::Invalid, d.errors));
    }
    if !slo.comparison_given {
        slo.comparison = Comparison::default();
    }
    slo.warnings = d.warnings;
    slo.gate_errors = d.gate_errors;
    Ok(slo)
}

/// Like [`parse_slo`], but every warning (unknown key, criterion lighthouse cannot use)
/// is an error too.
///
/// # Errors
/// As [`parse_slo`], plus the warnings.
pub fn parse_slo_strict(yaml: &str) -> Result<Slo, ParseError> {
    let slo = parse_slo(yaml)?;
    if slo.warnings.is_empty() && slo.gate_errors.is_empty() {
        Ok(slo)
    } else {
        let mut all = [slo.warnings, slo.gate_errors].concat();
        all.sort_by_key(|p| (p.line, p.column));
        Err(ParseError::new(ParseErrorKind::Invalid, all))
    }
}

/// Parses sli.yaml (`spec_version`, `indicators: {name: query}`). A 0-byte or
/// comments-only file has no indicators.
///
/// # Errors
/// Syntax errors, type mismatches, duplicate keys.
pub fn parse_sli(yaml: &str) -> Result<SliFile, ParseError> {
    let root =
        parse_document(yaml).map_err(|p| ParseError::new(ParseErrorKind::Syntax, vec![p]))?;
    let mut d = Decoder::default();
    let mut sli = SliFile::default();
    if let Some(root) = root.filter(|n| !n.is_null()) {
        for (key, value) in d.fields(&root, "", "SLI file", &["spec_version", "indicators"]) {
            match key.as_str() {
                "spec_version" => d.string(value, "spec_version", &mut sli.spec_version),
                _ => {
                    if let Some(entries) = d.map(value, "indicators") {
                        for (k, v) in entries {
                            let mut q = String::new();
                            d.string(v, &format!("indicators.{k}"), &mut q);
                            sli.indicators.push((k, q));
                        }
                    }
                }
            }
        }
    }
    if d.errors.is_empty() {
        Ok(sli)
    } else {
        Err(ParseError::new(ParseErrorKind::Invalid, d.errors))
    }
}

#[derive(Default)]
struct Decoder {
    errors: Vec<Problem>,
    warnings: Vec<Problem>,
    gate_errors: Vec<Problem>,
}

/// yaml.v3 `isMerge`: an untagged plain `<<`.
fn is_merge_key(k: &Node) -> bool {
    matches!(&k.kind, Kind::Scalar { value, quoted: false } if value == "<<")
}

/// The known key an unknown one most likely misspells: same letters ignoring case and `_`,
/// else the closest within two edits (one for short keys), ties to the first.
fn likely_key<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    let squash = |s: &str| s.replace(['_', '-'], "").to_ascii_lowercase();
    let k = squash(key);
    if let Some(c) = known.iter().find(|c| squash(c) == k) {
        return Some(c);
    }
    let allowed = if k.chars().count() <= 4 { 1 } else { 2 };
    known
        .iter()
        .map(|c| (edit_distance(&k, &squash(c)), *c))
        .filter(|(d, _)| *d <= allowed)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over chars (keys are short: one row of memory).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diag + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

impl Decoder {
    fn error(&mut self, n: &Node, msg: impl Into<String>) {
        self.errors
            .push(Problem::new(n.pos.line, n.pos.column, msg));
    }

    fn mismatch(&mut self, n: &Node, path: &str, into: &str) {
        let what = n.describe();
        self.error(n, format!("{path}: cannot unmarshal {what} into {into}"));
    }

    /// Mapping entries of a struct: duplicate keys are errors, unknown keys warnings.
    fn fields<'n>(
        &mut self,
        n: &'n Node,
        path: &str,
        type_name: &str,
        known: &[&str],
    ) -> Vec<(String, &'n Node)> {
        let Kind::Map(entries) = &n.kind else {
            self.mismatch(
                n,
                if path.is_empty() { "document" } else { path },
                type_name,
            );
            return Vec::new();
        };
        let mut out: Vec<(String, &Node)> = Vec::new();
        let mut seen: Vec<(String, usize)> = Vec::new();
        let mut merged: Vec<(&Node, &Node)> = Vec::new();
        for (k, v) in entries {
            if is_merge_key(k) {
                self.collect_merge(v, path, &mut merged);
            }
        }
        let explicit = entries
            .iter()
            .filter(|(k, _)| !is_merge_key(k))
            .map(|(k, v)| (k, v, false));
        // yaml.v3: explicit keys win over merged ones; among merged maps the first wins.
        let from_merge = merged.into_iter().map(|(k, v)| (k, v, true));
        for (k, v, is_merged) in explicit.chain(from_merge) {
            if is_merged
                && let Kind::Scalar { value: key, .. } = &k.kind
                && seen.iter().any(|(s, _)| s == key)
            {
                continue;
            }
            let Kind::Scalar { value: key, .. } = &k.kind else {
                self.mismatch(k, path, "a key name");
                continue;
            };
            if let Some((_, line)) = seen.iter().find(|(s, _)| s == key) {
                let line = *line;
                self.error(
                    k,
                    format!(
                        "{}: key `{key}` already set at line {line}",
                        join(path, key)
                    ),
                );
                continue;
            }
            seen.push((key.clone(), k.pos.line));
            if known.contains(&key.as_str()) {
                out.push((key.clone(), v));
            } else {
                let hint = likely_key(key, known)
                    .map(|c| format!(" (did you mean `{c}`?)"))
                    .unwrap_or_default();
                self.warnings.push(Problem::new(
                    k.pos.line,
                    k.pos.column,
                    format!(
                        "{}: unknown key, ignored as lighthouse does{hint}",
                        join(path, key)
                    ),
                ));
            }
        }
        out
    }

    /// The entries a `<<` merge key brings in: a mapping, or a sequence of mappings.
    fn collect_merge<'n>(&mut self, v: &'n Node, path: &str, out: &mut Vec<(&'n Node, &'n Node)>) {
        match &v.kind {
            Kind::Map(entries) => {
                for (k, val) in entries {
                    if is_merge_key(k) {
                        self.collect_merge(val, path, out);
                    } else {
                        out.push((k, val));
                    }
                }
            }
            Kind::Seq(items) => {
                for item in items {
                    if matches!(item.kind, Kind::Map(_)) {
                        self.collect_merge(item, path, out);
                    } else {
                        self.error(
                            item,
                            format!(
                                "{path}: map merge requires map or sequence of maps as the value"
                            ),
                        );
                    }
                }
            }
            _ => self.error(
                v,
                format!("{path}: map merge requires map or sequence of maps as the value"),
            ),
        }
    }

    /// A `map[string]T`: entries in file order, duplicate keys are errors.
    fn map<'n>(&mut self, n: &'n Node, path: &str) -> Option<Vec<(String, &'n Node)>> {
        if n.is_null() {
            return None;
        }
        let Kind::Map(entries) = &n.kind else {
            self.mismatch(n, path, "map[string]string");
            return None;
        };
        let mut out: Vec<(String, &Node)> = Vec::new();
        for (k, v) in entries {
            let mut key = String::new();
            if !matches!(k.kind, Kind::Scalar { .. }) {
                self.mismatch(k, path, "string");
                continue;
            }
            self.string(k, path, &mut key);
            if out.iter().any(|(s, _)| *s == key) {
                self.error(k, format!("{path}: mapping key `{key}` already defined"));
                continue;
            }
            out.push((key, v));
        }
        Some(out)
    }

    fn seq<'n>(&mut self, n: &'n Node, path: &str, into: &str) -> Option<&'n [Node]> {
        if n.is_null() {
            return None;
        }
        match &n.kind {
            Kind::Seq(items) => Some(items),
            _ => {
                self.mismatch(n, path, into);
                None
            }
        }
    }

    fn string(&mut self, n: &Node, path: &str, out: &mut String) {
        match &n.kind {
            Kind::Scalar { value, .. } => {
                if !n.is_null() {
                    value.clone_into(out);
                }
            }
            _ => self.mismatch(n, path, "string"),
        }
    }

    fn int(&mut self, n: &Node, path: &str, out: &mut i64) {
        if !matches!(n.kind, Kind::Scalar { .. }) {
            self.mismatch(n, path, "int");
            return;
        }
        match n.resolve() {
            Resolved::Null => {}
            Resolved::Int(i) => *out = i,
            Resolved::Uint(u) => match i64::try_from(u) {
                Ok(i) => *out = i,
                Err(_) => self.mismatch(n, path, "int"),
            },
            // yaml.v3 truncates floats into ints when `f <= MaxInt64` and int64(f) fits.
            #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
            Resolved::Float(f) if f <= i64::MAX as f64 => {
                // amd64 converts out-of-range values (2^63, -Inf) to MinInt64.
                *out = if f >= 9_223_372_036_854_775_808.0 || f.is_infinite() {
                    i64::MIN
                } else {
                    f as i64
                };
            }
            _ => self.mismatch(n, path, "int"),
        }
    }

    fn bool(&mut self, n: &Node, path: &str, out: &mut bool) {
        if !matches!(n.kind, Kind::Scalar { .. }) {
            self.mismatch(n, path, "bool");
            return;
        }
        match n.resolve() {
            Resolved::Null => {}
            Resolved::Bool(b) => *out = b,
            Resolved::Str => {
                let Kind::Scalar { value, .. } = &n.kind else {
                    return;
                };
                // yaml.v3's YAML 1.1 compatibility for typed bool targets.
                match value.as_str() {
                    "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => *out = true,
                    "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => *out = false,
                    _ => self.mismatch(n, path, "bool"),
                }
            }
            _ => self.mismatch(n, path, "bool"),
        }
    }

    fn slo(&mut self, root: &Node, slo: &mut Slo) {
        let known = [
            "spec_version",
            "filter",
            "comparison",
            "objectives",
            "total_score",
        ];
        for (key, v) in self.fields(root, "", "keptn.ServiceLevelObjectives", &known) {
            match key.as_str() {
                "spec_version" => self.string(v, "spec_version", &mut slo.spec_version),
                "filter" => {
                    if let Some(entries) = self.map(v, "filter") {
                        for (k, val) in entries {
                            let mut s = String::new();
                            self.string(val, &format!("filter.{k}"), &mut s);
                            slo.filter.insert(k, s);
                        }
                    }
                }
                "comparison" => {
                    if v.is_null() {
                        continue;
                    }
                    let mut c = Comparison {
                        compare_with: String::new(),
                        include_result_with_score: String::new(),
                        number_of_comparison_results: 0,
                        aggregate_function: String::new(),
                    };
                    let known = [
                        "compare_with",
                        "include_result_with_score",
                        "number_of_comparison_results",
                        "aggregate_function",
                    ];
                    let fields = self.fields(v, "comparison", "keptn.SLOComparison", &known);
                    if !matches!(v.kind, Kind::Map(_)) {
                        continue;
                    }
                    for (k, val) in fields {
                        let p = join("comparison", &k);
                        match k.as_str() {
                            "compare_with" => self.string(val, &p, &mut c.compare_with),
                            "include_result_with_score" => {
                                self.string(val, &p, &mut c.include_result_with_score)
                            }
                            "number_of_comparison_results" => {
                                self.int(val, &p, &mut c.number_of_comparison_results)
                            }
                            _ => self.string(val, &p, &mut c.aggregate_function),
                        }
                    }
                    if c.include_result_with_score.is_empty() {
                        c.include_result_with_score = "all".to_owned();
                    }
                    if c.number_of_comparison_results == 0 {
                        c.number_of_comparison_results = 3;
                    }
                    if c.aggregate_function.is_empty() {
                        c.aggregate_function = "avg".to_owned();
                    }
                    slo.comparison = c;
                    slo.comparison_given = true;
                }
                "objectives" => {
                    let Some(items) = self.seq(v, "objectives", "[]*keptn.SLO") else {
                        continue;
                    };
                    for (i, item) in items.iter().enumerate() {
                        if item.is_null() {
                            continue; // lighthouse removes null objectives
                        }
                        let path = format!("objectives[{i}]");
                        if let Some(o) = self.objective(item, &path) {
                            slo.objectives.push(o);
                        }
                    }
                }
                _ => {
                    if v.is_null() {
                        continue;
                    }
                    let fields =
                        self.fields(v, "total_score", "keptn.SLOScore", &["pass", "warning"]);
                    if !matches!(v.kind, Kind::Map(_)) {
                        continue;
                    }
                    let mut t = TotalScore::default();
                    for (k, val) in fields {
                        let p = join("total_score", &k);
                        if k == "pass" {
                            self.string(val, &p, &mut t.pass);
                        } else {
                            self.string(val, &p, &mut t.warning);
                        }
                    }
                    slo.total_score = Some(t);
                }
            }
        }
    }

    fn objective(&mut self, n: &Node, path: &str) -> Option<Objective> {
        let known = ["sli", "displayName", "pass", "warning", "weight", "key_sli"];
        let fields = self.fields(n, path, "keptn.SLO", &known);
        if !matches!(n.kind, Kind::Map(_)) {
            return None;
        }
        let mut o = Objective::default();
        let mut positions: Vec<(bool, usize, usize, String)> = Vec::new();
        for (k, v) in fields {
            let p = join(path, &k);
            match k.as_str() {
                "sli" => self.string(v, &p, &mut o.sli),
                "displayName" => self.string(v, &p, &mut o.display_name),
                "weight" => {
                    self.int(v, &p, &mut o.weight);
                    if let Resolved::Float(f) = v.resolve()
                        && f.fract() != 0.0
                    {
                        self.gate_errors.push(Problem::new(
                            v.pos.line,
                            v.pos.column,
                            format!(
                                "{p}: weight {f} is not an integer; lighthouse would silently truncate it to {}",
                                o.weight
                            ),
                        ));
                    }
                    if o.weight < 0 {
                        self.gate_errors.push(Problem::new(
                            v.pos.line,
                            v.pos.column,
                            format!(
                                "{p}: negative weight {}; lighthouse would let this objective lower the maximum score",
                                o.weight
                            ),
                        ));
                    }
                }
                "key_sli" => self.bool(v, &p, &mut o.key_sli),
                list => {
                    let is_pass = list == "pass";
                    let sets = self.criteria_sets(v, &p, &mut positions, is_pass);
                    if is_pass {
                        o.pass = sets;
                    } else {
                        o.warning = sets;
                    }
                }
            }
        }
        if o.weight == 0 {
            o.weight = 1;
        }
        for (is_pass, line, column, criterion) in positions {
            let err = match parse_criterion(&criterion) {
                Err(e) => e,
                Ok(c) if c.operator == Operator::Empty => CriteriaError::NoOperatorSet,
                Ok(_) => continue,
            };
            let consequence = if is_pass {
                "lighthouse fails the whole evaluation on it"
            } else {
                "lighthouse silently ignores this objective's warning criteria"
            };
            self.gate_errors.push(Problem::new(
                line,
                column,
                format!(
                    "{path} (sli `{}`): criterion `{criterion}`: {err}; {consequence}",
                    o.sli
                ),
            ));
        }
        Some(o)
    }

    fn criteria_sets(
        &mut self,
        n: &Node,
        path: &str,
        positions: &mut Vec<(bool, usize, usize, String)>,
        is_pass: bool,
    ) -> Vec<CriteriaSet> {
        let mut sets = Vec::new();
        let Some(items) = self.seq(n, path, "[]*keptn.SLOCriteria") else {
            return sets;
        };
        for (i, item) in items.iter().enumerate() {
            let p = format!("{path}[{i}]");
            if item.is_null() {
                self.error(
                    item,
                    format!("{p}: null criteria set (lighthouse crashes on it)"),
                );
                continue;
            }
            let fields = self.fields(item, &p, "keptn.SLOCriteria", &["criteria"]);
            if !matches!(item.kind, Kind::Map(_)) {
                continue;
            }
            let mut set = CriteriaSet::default();
            for (_, v) in fields {
                let cp = format!("{p}.criteria");
                let Some(list) = self.seq(v, &cp, "[]string") else {
                    continue;
                };
                for (j, c) in list.iter().enumerate() {
                    if c.is_null() {
                        continue; // yaml.v3 skips null entries of []string
                    }
                    let mut s = String::new();
                    self.string(c, &format!("{cp}[{j}]"), &mut s);
                    if matches!(c.kind, Kind::Scalar { .. }) {
                        positions.push((is_pass, c.pos.line, c.pos.column, s.clone()));
                        set.criteria.push(s);
                    }
                }
            }
            sets.push(set);
        }
        sets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_name_line_and_likely_key() {
        let slo = parse_slo(
            "objectives:\n- sli: a\n  pas:\n  - criteria: [\"<1\"]\n  keysli: true\n  wieght: 2\ntotal_scor:\n  pass: 90%\n",
        )
        .unwrap();
        let w: Vec<String> = slo.warnings.iter().map(ToString::to_string).collect();
        assert!(
            w[0].starts_with("line 3") && w[0].contains("did you mean `pass`"),
            "{w:?}"
        );
        assert!(w[1].contains("did you mean `key_sli`"), "{w:?}");
        assert!(w[2].contains("did you mean `weight`"), "{w:?}");
        assert!(
            w[3].starts_with("line 7") && w[3].contains("did you mean `total_score`"),
            "{w:?}"
        );
        assert!(!slo.has_pass_criteria());
        // Far from every known key: reported without a guess.
        let slo = parse_slo("objectives: []\ncolour: red\n").unwrap();
        assert!(!slo.warnings[0].to_string().contains("did you mean"));
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("pass", "pass"), 0);
    }
}

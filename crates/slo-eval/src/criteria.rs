//! The criteria grammar of lighthouse's `parseCriteriaString` (spec §5).

use std::fmt;

use crate::gofmt::parse_go_float;

/// Why a criterion string is unusable. `Display` gives lighthouse's exact texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CriteriaError {
    /// The string does not start with one of `< = > |` (after removing spaces).
    #[error("invalid criteria string")]
    InvalidCriteriaString,
    /// The number after operator, sign and `%` is not a Go float.
    #[error("could not parse criteria target value")]
    CouldNotParseTargetValue,
    /// The operator is empty; raised when such a criterion is evaluated (unreachable from
    /// a criterion string, kept for fidelity with lighthouse's error set).
    #[error("no operator set")]
    NoOperatorSet,
}

/// Comparison operator of a criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `=` (exact binary64 equality)
    Eq,
    /// `>=`
    Ge,
    /// `>`
    Gt,
    /// No operator recognised. lighthouse raises `no operator set` when evaluating such a
    /// criterion; since the only other character its regex admits (`|`) then stays in
    /// front of the number and fails the number parse, no string reaches that point.
    Empty,
}

impl Operator {
    /// The operator as written.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Eq => "=",
            Self::Ge => ">=",
            Self::Gt => ">",
            Self::Empty => "",
        }
    }

    /// Compares measured value `v` with target `t` in binary64.
    ///
    /// # Errors
    /// [`CriteriaError::NoOperatorSet`] for [`Operator::Empty`].
    pub fn compare(self, v: f64, t: f64) -> Result<bool, CriteriaError> {
        Ok(match self {
            Self::Lt => v < t,
            Self::Le => v <= t,
            Self::Eq => v == t,
            Self::Ge => v >= t,
            Self::Gt => v > t,
            Self::Empty => return Err(CriteriaError::NoOperatorSet),
        })
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed criterion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Criterion {
    /// The operator.
    pub operator: Operator,
    /// The number `X`.
    pub value: f64,
    /// `true` when the target is relative to the comparison value (a sign or a `%`).
    pub relative: bool,
    /// `true` for `%` criteria.
    pub percentage: bool,
    /// `true` for an increase (`+` or no sign with `%`), `false` for `-`.
    pub increase: bool,
}

impl Criterion {
    /// The target this criterion compares against, given the comparison value `b`
    /// (spec §5 table). For an absolute criterion this is `value`.
    #[must_use]
    pub fn target(&self, b: f64) -> f64 {
        if !self.relative {
            return self.value;
        }
        match (self.percentage, self.increase) {
            (true, true) => (b * (100.0 + self.value)) / 100.0,
            (true, false) => (b * (100.0 - self.value)) / 100.0,
            (false, true) => b + self.value,
            (false, false) => b - self.value,
        }
    }
}

/// Parses one criterion string exactly as lighthouse does:
/// every U+0020 space is removed; the rest must start with one of `< | = >`;
/// the operator is the first of `<=`, `<`, `=`, `>=`, `>` that is a prefix (none: empty);
/// a trailing `%` makes it a relative increase; then a leading `-` makes it a relative
/// decrease or a leading `+` a relative increase; the rest is a Go float.
///
/// # Errors
/// [`CriteriaError::InvalidCriteriaString`] or [`CriteriaError::CouldNotParseTargetValue`].
///
/// ```
/// use slo_eval::{parse_criterion, Operator};
/// let c = parse_criterion("<= +10 %").unwrap();
/// assert_eq!(c.operator, Operator::Le);
/// assert!(c.relative && c.percentage && c.increase);
/// assert_eq!(c.target(12.0), 13.2);
/// ```
pub fn parse_criterion(criterion: &str) -> Result<Criterion, CriteriaError> {
    let s: String = criterion.chars().filter(|&c| c != ' ').collect();
    // The regex `^[<|=>]{1,2}[+|-]?\d*\.?\d*%?` is unanchored at the end and everything
    // after the first class is optional, so only the first character decides.
    if !matches!(s.as_bytes().first(), Some(b'<' | b'|' | b'=' | b'>')) {
        return Err(CriteriaError::InvalidCriteriaString);
    }
    let mut rest = s.as_str();
    let mut operator = Operator::Empty;
    for (prefix, op) in [
        ("<=", Operator::Le),
        ("<", Operator::Lt),
        ("=", Operator::Eq),
        (">=", Operator::Ge),
        (">", Operator::Gt),
    ] {
        if let Some(r) = rest.strip_prefix(prefix) {
            operator = op;
            rest = r;
            break;
        }
    }
    let mut relative = false;
    let mut percentage = false;
    let mut increase = false;
    if let Some(r) = rest.strip_suffix('%') {
        rest = r;
        percentage = true;
        relative = true;
        increase = true;
    }
    if let Some(r) = rest.strip_prefix('-') {
        rest = r;
        relative = true;
        increase = false;
    } else if let Some(r) = rest.strip_prefix('+') {
        rest = r;
        relative = true;
        increase = true;
    }
    let value = parse_go_float(rest).ok_or(CriteriaError::CouldNotParseTargetValue)?;
    Ok(Criterion {
        operator,
        value,
        relative,
        percentage,
        increase,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Criterion {
        parse_criterion(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn absolute_with_every_operator() {
        for (s, op) in [
            ("<5", Operator::Lt),
            ("<=5", Operator::Le),
            ("=5", Operator::Eq),
            (">=5", Operator::Ge),
            (">5", Operator::Gt),
        ] {
            let p = c(s);
            assert_eq!(p.operator, op, "{s}");
            assert_eq!(p.value, 5.0);
            assert!(!p.relative && !p.percentage);
            assert_eq!(p.target(123.0), 5.0);
        }
    }

    #[test]
    fn relative_forms_and_targets() {
        let p = c("<=+10%");
        assert!(p.relative && p.percentage && p.increase);
        assert_eq!(p.target(12.0), 13.2);
        let p = c("<=10%");
        assert!(
            p.relative && p.percentage && p.increase,
            "a % without sign is an increase"
        );
        let p = c(">=-80%");
        assert!(p.relative && p.percentage && !p.increase);
        assert_eq!(p.target(50.0), 10.0);
        let p = c("=+1");
        assert!(p.relative && !p.percentage && p.increase);
        assert_eq!(p.target(4.0), 5.0);
        let p = c("<=-5");
        assert!(p.relative && !p.percentage && !p.increase);
        assert_eq!(p.target(4.0), -1.0);
        let p = c("<=+-5");
        assert_eq!(p.value, -5.0);
        assert_eq!(p.target(10.0), 5.0);
        let p = c("<-5%");
        assert_eq!(p.target(100.0), 95.0);
    }

    #[test]
    fn spaces_are_removed_everywhere_but_only_u0020() {
        assert_eq!(c("  <=+10   %"), c("<=+10%"));
        assert_eq!(c("< = 5"), c("<=5"));
        assert_eq!(
            parse_criterion("\t<=5"),
            Err(CriteriaError::InvalidCriteriaString)
        );
        assert_eq!(
            parse_criterion("<=5\t"),
            Err(CriteriaError::CouldNotParseTargetValue)
        );
    }

    #[test]
    fn numbers_take_go_float_syntax() {
        assert_eq!(c("<.5").value, 0.5);
        assert_eq!(c("<5.").value, 5.0);
        assert_eq!(c("<1e3").value, 1000.0);
        assert_eq!(c("<0x1p-2").value, 0.25);
        assert_eq!(c("<=1_000").value, 1000.0);
        assert_eq!(c("<inf").value, f64::INFINITY);
        assert!(c("<nan").value.is_nan());
        assert_eq!(c("<=-inf").target(0.0), f64::NEG_INFINITY);
    }

    #[test]
    fn every_error_form() {
        use CriteriaError::*;
        let cases: &[(&str, CriteriaError)] = &[
            ("", InvalidCriteriaString),
            ("   ", InvalidCriteriaString),
            ("5", InvalidCriteriaString),
            ("<=", CouldNotParseTargetValue),
            ("<", CouldNotParseTargetValue),
            ("=<10", CouldNotParseTargetValue),
            ("<<=5", CouldNotParseTargetValue),
            ("<=abc", CouldNotParseTargetValue),
            ("!=5", InvalidCriteriaString),
            ("=>5", CouldNotParseTargetValue),
            ("<=10%%", CouldNotParseTargetValue),
            ("<=%", CouldNotParseTargetValue),
            ("<=+", CouldNotParseTargetValue),
            ("<=+-", CouldNotParseTargetValue),
            ("<=---5", CouldNotParseTargetValue),
            ("|5", CouldNotParseTargetValue),
            ("|", CouldNotParseTargetValue),
            ("<=1__0", CouldNotParseTargetValue),
            ("<=1e400", CouldNotParseTargetValue),
            ("<=5ms", CouldNotParseTargetValue),
            ("≤5", InvalidCriteriaString),
            ("pass", InvalidCriteriaString),
        ];
        for (s, want) in cases {
            assert_eq!(parse_criterion(s), Err(*want), "{s:?}");
        }
        assert_eq!(InvalidCriteriaString.to_string(), "invalid criteria string");
        assert_eq!(
            CouldNotParseTargetValue.to_string(),
            "could not parse criteria target value"
        );
        assert_eq!(NoOperatorSet.to_string(), "no operator set");
    }

    #[test]
    fn pipe_passes_the_regex_but_never_parses() {
        // `|` is in the regex class but is no operator: it stays in front of the number,
        // so the number never parses and `no operator set` is unreachable from a string.
        assert_eq!(
            parse_criterion("|5"),
            Err(CriteriaError::CouldNotParseTargetValue)
        );
        assert_eq!(
            parse_criterion("||+5%"),
            Err(CriteriaError::CouldNotParseTargetValue)
        );
        assert_eq!(
            Operator::Empty.compare(1.0, 5.0),
            Err(CriteriaError::NoOperatorSet)
        );
    }

    #[test]
    fn double_sign_is_a_signed_relative_value() {
        let p = c("<=--5");
        assert!(p.relative && !p.increase);
        assert_eq!(p.value, -5.0);
        assert_eq!(p.target(10.0), 15.0);
    }

    #[test]
    fn operators_compare_in_binary64() {
        assert_eq!(Operator::Eq.compare(0.1 + 0.2, 0.3), Ok(false));
        assert_eq!(Operator::Le.compare(13.2, 12.0 * 110.0 / 100.0), Ok(true));
        assert_eq!(Operator::Lt.compare(f64::NAN, 1.0), Ok(false));
        assert_eq!(Operator::Ge.compare(2.0, 2.0), Ok(true));
        assert_eq!(Operator::Gt.compare(2.0, 2.0), Ok(false));
    }
}

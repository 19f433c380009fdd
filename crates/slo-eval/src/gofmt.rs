//! Go number formatting and parsing, as lighthouse's messages and parsers use them.

/// Formats an `f64` like Go's `fmt` verb `%v` (`strconv.FormatFloat(x, 'g', -1, 64)`):
/// the shortest digits that round-trip, in plain notation unless the decimal exponent is
/// below −4 or at least 6 (then `d.ddde±XX`, at least two exponent digits).
/// `NaN`, `+Inf`, `-Inf` and `-0` are spelled as Go spells them.
///
/// ```
/// use slo_eval::go_float_v;
/// assert_eq!(go_float_v(66.66666666666666), "66.66666666666666");
/// assert_eq!(go_float_v(1_000_000.0), "1e+06");
/// assert_eq!(go_float_v(0.00001), "1e-05");
/// ```
#[must_use]
pub fn go_float_v(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 {
            "+Inf".to_owned()
        } else {
            "-Inf".to_owned()
        };
    }
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0".to_owned()
        } else {
            "0".to_owned()
        };
    }
    // Rust's `{:e}` gives the shortest round-trip digits: `-1.2345e-7`.
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::with_capacity(digits.len() + 8);
    if neg {
        out.push('-');
    }
    if !(-4..6).contains(&exp) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let abs = exp.unsigned_abs();
        if abs < 10 {
            out.push('0');
        }
        out.push_str(&abs.to_string());
    } else if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        // 0 <= exp < 6: the point falls inside or after the digits.
        let point = usize::try_from(exp).unwrap_or(0) + 1;
        if digits.len() <= point {
            out.push_str(&digits);
            for _ in digits.len()..point {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..point]);
            out.push('.');
            out.push_str(&digits[point..]);
        }
    }
    out
}

/// Formats like Go's `%f` (six decimals).
pub(crate) fn go_float_f(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 {
            "+Inf".to_owned()
        } else {
            "-Inf".to_owned()
        };
    }
    format!("{x:.6}")
}

/// Go's `strconv.ParseFloat(s, 64)`: decimal (`5`, `.5`, `5.`, `1e3`, underscores between
/// digits), hexadecimal with a mandatory `p` exponent (`0x1p-2`), `inf`/`infinity`/`nan`
/// in any case (signs only on the infinities). Overflow to infinity is an error, as in Go.
/// Returns `None` where Go returns an error.
#[must_use]
pub fn parse_go_float(s: &str) -> Option<f64> {
    if s.is_empty() {
        return None;
    }
    if let Some(v) = special(s) {
        return Some(v);
    }
    let bytes = s.as_bytes();
    let (neg, body) = match bytes[0] {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let v = if let Some(hex) = lower.strip_prefix("0x") {
        parse_hex(hex)?
    } else {
        parse_decimal(body)?
    };
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    if v.is_infinite() {
        return None; // ErrRange in Go
    }
    Some(if neg { -v } else { v })
}

fn special(s: &str) -> Option<f64> {
    let lower = s.to_ascii_lowercase();
    match lower.as_str() {
        "inf" | "infinity" | "+inf" | "+infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        "nan" => Some(f64::NAN),
        _ => None,
    }
}

fn parse_decimal(body: &str) -> Option<f64> {
    // Validate the grammar Go accepts, then let Rust's correctly rounded parser convert.
    let clean: String = body.chars().filter(|&c| c != '_').collect();
    let b = clean.as_bytes();
    let mut i = 0;
    let mut digits = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
        digits += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    clean.parse::<f64>().ok()
}

fn parse_hex(body: &str) -> Option<f64> {
    let clean: String = body.chars().filter(|&c| c != '_').collect();
    let (mant, exp) = clean.split_once('p')?;
    let exp: i32 = {
        let e = exp.strip_prefix('+').unwrap_or(exp);
        if e.is_empty()
            || !e
                .trim_start_matches('-')
                .bytes()
                .all(|c| c.is_ascii_digit())
        {
            return None;
        }
        e.parse().ok()?
    };
    let (int_part, frac_part) = mant.split_once('.').unwrap_or((mant, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut value = 0.0_f64;
    for c in int_part.chars().chain(frac_part.chars()) {
        value = value * 16.0 + f64::from(c.to_digit(16)?);
    }
    let frac_bits = i32::try_from(frac_part.len()).ok()?.checked_mul(4)?;
    Some(value * 2f64.powi(exp - frac_bits))
}

/// Go's `underscoreOK`: underscores only between digits (or after a base prefix).
fn underscore_ok(s: &str) -> bool {
    let mut s = s.as_bytes();
    if let [b'+' | b'-', rest @ ..] = s {
        s = rest;
    }
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if s.len() >= 2 && s[0] == b'0' && matches!(s[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = s[1].eq_ignore_ascii_case(&b'x');
    }
    while i < s.len() {
        let c = s[i];
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_float_v_matches_go() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (0.5, "0.5"),
            (100.0, "100"),
            (75.3, "75.3"),
            (66.666_666_666_666_66, "66.66666666666666"),
            (100.0 * (2.0 / 3.0), "66.66666666666666"),
            (999_999.0, "999999"),
            (1e6, "1e+06"),
            (1_234_567.0, "1.234567e+06"),
            (123_456_789.0, "1.23456789e+08"),
            (1e20, "1e+20"),
            (1e21, "1e+21"),
            (1e100, "1e+100"),
            (0.0001, "0.0001"),
            (0.000_123, "0.000123"),
            (1e-5, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (-2.5, "-2.5"),
            (-1e6, "-1e+06"),
            (13.2, "13.2"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (0.1 + 0.2, "0.30000000000000004"),
        ];
        for (x, want) in cases {
            assert_eq!(go_float_v(*x), *want, "formatting {x:?}");
        }
    }

    #[test]
    fn go_float_f_is_six_decimals() {
        assert_eq!(go_float_f(0.0), "0.000000");
        assert_eq!(go_float_f(0.5), "0.500000");
    }

    #[test]
    fn parse_go_float_accepts_what_go_accepts() {
        let ok: &[(&str, f64)] = &[
            ("5", 5.0),
            (".5", 0.5),
            ("5.", 5.0),
            ("1e3", 1000.0),
            ("1E+3", 1000.0),
            ("-1.5e-3", -0.0015),
            ("+7", 7.0),
            ("0x1p-2", 0.25),
            ("0x1.8p1", 3.0),
            ("0X_1P0", 1.0),
            ("1_000", 1000.0),
            ("1_000.5", 1000.5),
            ("inf", f64::INFINITY),
            ("+Infinity", f64::INFINITY),
            ("-INF", f64::NEG_INFINITY),
            ("010", 10.0),
            ("1e-400", 0.0),
        ];
        for (s, want) in ok {
            assert_eq!(parse_go_float(s), Some(*want), "parsing {s}");
        }
        assert!(parse_go_float("NaN").unwrap().is_nan());
        assert!(parse_go_float("nan").unwrap().is_nan());
    }

    #[test]
    fn parse_go_float_rejects_what_go_rejects() {
        for s in [
            "", "+", "-", ".", "e3", "1e", "1e+", "abc", "<10", "5%", "1__0", "_1", "1_", "1._5",
            "0x1", "0x", "+nan", "infin", "1e400", "-1e400", "1 ", " 1", "0x1p", "1.2.3", "--1",
        ] {
            assert_eq!(
                parse_go_float(s).map(f64::to_bits),
                None,
                "parsing {s:?} must fail"
            );
        }
    }
}

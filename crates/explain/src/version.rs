//! A generic version order, dpkg's: an optional numeric epoch (`1:`), then the upstream part
//! and the revision (after the last `-`), each compared in runs: non-digit runs character by
//! character (letters before other characters, `~` before everything, even the end), digit
//! runs as numbers. Works for Debian, RPM, Alpine and most language-package versions.

use std::cmp::Ordering;

/// Compares two versions the way dpkg does.
#[must_use]
pub fn compare(a: &str, b: &str) -> Ordering {
    let (ea, a) = split_epoch(a.trim());
    let (eb, b) = split_epoch(b.trim());
    // Epochs of any length: compare as digit strings without leading zeros.
    verrevcmp(ea, eb).then_with(|| {
        let (ua, ra) = split_revision(a);
        let (ub, rb) = split_revision(b);
        verrevcmp(ua, ub).then_with(|| verrevcmp(ra, rb))
    })
}

fn split_epoch(v: &str) -> (&str, &str) {
    match v.split_once(':') {
        Some((e, rest)) if !e.is_empty() && e.bytes().all(|c| c.is_ascii_digit()) => (e, rest),
        _ => ("0", v),
    }
}

fn split_revision(v: &str) -> (&str, &str) {
    v.rsplit_once('-').unwrap_or((v, ""))
}

/// dpkg's weight of a non-digit character; 0 is the end of the string.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let digit = |s: &[u8], k: usize| s.get(k).is_some_and(u8::is_ascii_digit);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !digit(a, i)) || (j < b.len() && !digit(b, j)) {
            let (ac, bc) = (order(a.get(i).copied()), order(b.get(j).copied()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while digit(a, i) && digit(b, j) {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if digit(a, i) {
            return Ordering::Greater;
        }
        if digit(b, j) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

/// The version a finding's fix needs: of the scanner's fixed versions (Trivy writes several
/// as a comma list, one per release line: `"1.2.3, 2.0.1"`), the lowest one above
/// `installed`. `None` when no listed version is above the installed one (or none is listed).
#[must_use]
pub fn lowest_fix<'a>(installed: &str, fixed: &'a str) -> Option<&'a str> {
    fixed
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty() && compare(v, installed) == Ordering::Greater)
        .min_by(|x, y| compare(x, y))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal, Greater, Less};

    #[test]
    fn dpkg_order() {
        for (a, b, o) in [
            ("1.0", "1.0", Equal),
            ("1.0", "1.00", Equal),
            ("1.2", "1.10", Less),
            ("1.0~rc1", "1.0", Less),
            ("1.0~rc1", "1.0~rc2", Less),
            ("1.0a", "1.0", Greater),
            ("1.0a", "1.0+", Less),
            ("1:1.0", "2.0", Greater),
            ("0:2.0", "2.0", Equal),
            ("1.0-1", "1.0-10", Less),
            ("1.0a-1", "1.0-1", Greater),
            ("1.1.1k-r0", "1.1.1l-r0", Less),
            ("2.28-10.el7", "2.28-9.el7", Greater),
            ("1.2.3", "1.2.3.0", Less),
            ("", "0", Equal),
        ] {
            assert_eq!(compare(a, b), o, "{a} vs {b}");
            assert_eq!(compare(b, a), o.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn lowest_listed_fix_above_the_installed_version() {
        assert_eq!(lowest_fix("1.2.0", "2.0.1, 1.2.3"), Some("1.2.3"));
        assert_eq!(lowest_fix("1.5.0", "1.2.3, 2.0.1"), Some("2.0.1"));
        assert_eq!(lowest_fix("3.0", "1.2.3, 2.0.1"), None);
        assert_eq!(lowest_fix("1.0", " , "), None);
        assert_eq!(lowest_fix("1.0", "1.0.1"), Some("1.0.1"));
    }

    proptest::proptest! {
        #[test]
        fn a_total_order(a in "[0-9a-z.~+:-]{0,8}", b in "[0-9a-z.~+:-]{0,8}", c in "[0-9a-z.~+:-]{0,8}") {
            proptest::prop_assert_eq!(compare(&a, &b), compare(&b, &a).reverse());
            if compare(&a, &b) != Greater && compare(&b, &c) != Greater {
                proptest::prop_assert_ne!(compare(&a, &c), Greater);
            }
        }
    }
}

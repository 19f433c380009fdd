//! The pure half of the Dynatrace sink: snapshot → metric lines → batches (vector's
//! `request_builder`). Rules from the Dynatrace metric ingestion protocol, normalized the way
//! Dynatrace's own metric-utils libraries do.

use crate::Snapshot;

use super::DynatraceMode;

/// Longest metric key we emit (the protocol allows 255; older libraries cap at 250).
pub const MAX_KEY_LEN: usize = 250;
/// Longest dimension key.
pub const MAX_DIMENSION_KEY_LEN: usize = 100;
/// Longest dimension value, escapes included, quotes excluded.
pub const MAX_DIMENSION_VALUE_LEN: usize = 250;
/// Most dimensions on one line.
pub const MAX_DIMENSIONS: usize = 50;
/// Longest line Dynatrace accepts.
pub const MAX_LINE_LEN: usize = 50_000;
/// Most lines per request (the local OneAgent API's hard limit, every client's chunk size).
pub const MAX_BATCH_LINES: usize = 1000;
/// Largest request body.
pub const MAX_BATCH_BYTES: usize = 1_000_000;

/// Key prefix in the seed-compatible mode.
pub const SEED_PREFIX: &str = "trivy.vulnerabilities";

/// One encoded metric line and the name it is reported under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// What messages call this metric: the key (`trivy.vulnerabilities.CRITICAL`), or in
    /// dimensional mode `trivy.image.vulnerabilities{severity="CRITICAL"}`.
    pub metric: String,
    /// The protocol line, without the trailing LF.
    pub text: String,
}

/// A value that cannot be sent (NaN, infinite): named so the caller reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unencodable {
    /// The metric's name for messages.
    pub metric: String,
    /// Why.
    pub reason: String,
}

/// Encodes a snapshot as Dynatrace metric lines (gauge shorthand, no timestamp: Dynatrace
/// stamps the receive time, which keeps replays inside the accepted time window).
///
/// Seed-compatible mode: `trivy.vulnerabilities.total` first, then one
/// `trivy.vulnerabilities.<SEVERITY>` per severity in the user's order, each with the
/// dimensions `image` and `tag`. Dimensional mode: one `trivy.image.vulnerabilities` line per
/// severity with a `severity` dimension, and no total.
#[must_use]
pub fn encode_lines(snapshot: &Snapshot, mode: DynatraceMode) -> (Vec<Line>, Vec<Unencodable>) {
    let image = snapshot.image.name.as_str();
    let tag = snapshot.image.tag_or_empty();
    // The seed's lines stay byte for byte for Trivy; another scanner is a dimension.
    let scanner = snapshot.non_default_scanner();
    let mut out = Vec::new();
    let mut bad = Vec::new();
    let mut push = |metric: String, key: &str, dims: &[(&str, &str)], value: f64| match encode_line(
        key, dims, value,
    ) {
        Ok(text) => out.push(Line { metric, text }),
        Err(reason) => bad.push(Unencodable { metric, reason }),
    };
    match mode {
        DynatraceMode::PerSeverityKeys => {
            if let Some(total) = snapshot.total() {
                let key = format!("{SEED_PREFIX}.total");
                push(
                    key.clone(),
                    &key,
                    &dims(&[("image", image), ("tag", tag)], scanner),
                    total,
                );
            }
            for (severity, m) in snapshot.by_severity() {
                let key = normalize_metric_key(&format!("{SEED_PREFIX}.{severity}"))
                    .unwrap_or_else(|| format!("{SEED_PREFIX}.UNKNOWN"));
                push(
                    key.clone(),
                    &key,
                    &dims(&[("image", image), ("tag", tag)], scanner),
                    m.value,
                );
            }
        }
        DynatraceMode::Dimensional => {
            for (severity, m) in snapshot.by_severity() {
                let key = crate::names::VULNERABILITIES;
                push(
                    format!("{key}{{severity=\"{severity}\"}}"),
                    key,
                    &dims(
                        &[("severity", severity), ("image", image), ("tag", tag)],
                        scanner,
                    ),
                    m.value,
                );
            }
        }
    }
    // Both modes: the hygiene SLIs under one key, told apart by the `sli` dimension.
    for (sli, m) in snapshot.slis() {
        let key = crate::names::SLI;
        push(
            format!("{key}{{sli=\"{sli}\"}}"),
            key,
            &dims(
                &[
                    (crate::names::SLI_NAME, sli),
                    ("image", image),
                    ("tag", tag),
                ],
                scanner,
            ),
            m.value,
        );
    }
    (out, bad)
}

/// The dimensions, plus `scanner` when there is one to name.
fn dims<'a>(base: &[(&'a str, &'a str)], scanner: Option<&'a str>) -> Vec<(&'a str, &'a str)> {
    let mut v = base.to_vec();
    if let Some(s) = scanner {
        v.push((crate::names::SCANNER, s));
    }
    v
}

/// One line: normalized key, dimensions (normalized keys, quoted and escaped values; empty
/// values are left out, as the libraries do), gauge shorthand value.
///
/// # Errors
/// When the key normalizes to nothing, or the value is not a finite number.
pub fn encode_line(key: &str, dims: &[(&str, &str)], value: f64) -> Result<String, String> {
    let key =
        normalize_metric_key(key).ok_or_else(|| format!("`{key}` is not a usable metric key"))?;
    let value = format_number(value).ok_or_else(|| format!("{value} is not a finite number"))?;
    let mut line = key;
    let mut seen: Vec<String> = Vec::new();
    for (k, v) in dims {
        if seen.len() == MAX_DIMENSIONS {
            tracing::warn!(
                dimension = k,
                "more than {MAX_DIMENSIONS} dimensions; dropped"
            );
            continue;
        }
        let (Some(k), Some(v)) = (normalize_dimension_key(k), quote_dimension_value(v)) else {
            continue;
        };
        // One value per key: a repeated key would be silently collapsed by Dynatrace.
        if seen.contains(&k) || k.starts_with("dt.") {
            continue;
        }
        line.push(',');
        line.push_str(&k);
        line.push('=');
        line.push_str(&v);
        seen.push(k);
    }
    line.push(' ');
    line.push_str(&value);
    if line.len() > MAX_LINE_LEN {
        return Err(format!("the line is longer than {MAX_LINE_LEN} characters"));
    }
    Ok(line)
}

/// Metric key normalization (metric-utils): sections split at `.`; the first must start with a
/// letter or `_`, later ones with a letter, digit or `_`; runs of other characters become `_`;
/// empty later sections are dropped; at most [`MAX_KEY_LEN`] characters; `dt.` is reserved.
#[must_use]
pub fn normalize_metric_key(raw: &str) -> Option<String> {
    let mut out = String::new();
    for (i, section) in raw.split('.').enumerate() {
        let trimmed = if i == 0 {
            section.trim_start_matches(|c: char| !(c.is_ascii_alphabetic() || c == '_'))
        } else {
            section.trim_start_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        };
        let norm = replace_runs(trimmed, |c| {
            c.is_ascii_alphanumeric() || c == '_' || c == '-'
        });
        if i == 0 {
            if norm.is_empty() {
                return None;
            }
        } else if norm.is_empty() {
            continue;
        } else {
            out.push('.');
        }
        out.push_str(&norm);
    }
    truncate_ascii(&mut out, MAX_KEY_LEN);
    while out.ends_with('.') {
        out.pop();
    }
    (out.len() >= 3 && !out.starts_with("dt.")).then_some(out)
}

/// Dimension key normalization (metric-utils): lower case; sections split at `.`, each starting
/// with a letter or `_`; runs of characters other than `a-z 0-9 _ - :` become `_`; empty
/// sections dropped; at most [`MAX_DIMENSION_KEY_LEN`] characters.
#[must_use]
pub fn normalize_dimension_key(raw: &str) -> Option<String> {
    let lower = raw.to_ascii_lowercase();
    let mut sections = Vec::new();
    for section in lower.split('.') {
        let trimmed = section.trim_start_matches(|c: char| !(c.is_ascii_lowercase() || c == '_'));
        let norm = replace_runs(trimmed, |c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | ':')
        });
        if !norm.is_empty() {
            sections.push(norm);
        }
    }
    let mut out = sections.join(".");
    truncate_ascii(&mut out, MAX_DIMENSION_KEY_LEN);
    while out.ends_with('.') {
        out.pop();
    }
    (!out.is_empty()).then_some(out)
}

/// A dimension value in quotes: control characters (CR and LF included) become `_`, `\` and `"`
/// are backslash-escaped, and the escaped text is cut at [`MAX_DIMENSION_VALUE_LEN`] characters
/// without splitting an escape. `None` for an empty value.
#[must_use]
pub fn quote_dimension_value(raw: &str) -> Option<String> {
    if raw.is_empty() {
        return None;
    }
    let mut out = String::from("\"");
    let mut len = 0;
    for c in raw.chars() {
        let piece: &str = &match c {
            '\\' => "\\\\".to_owned(),
            '"' => "\\\"".to_owned(),
            c if c.is_control() => "_".to_owned(),
            c => c.to_string(),
        };
        let n = piece.chars().count();
        if len + n > MAX_DIMENSION_VALUE_LEN {
            break;
        }
        len += n;
        out.push_str(piece);
    }
    out.push('"');
    Some(out)
}

/// Integers without a fraction, other finite numbers in plain decimal notation.
fn format_number(v: f64) -> Option<String> {
    if !v.is_finite() {
        return None;
    }
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        #[allow(clippy::cast_possible_truncation)] // checked: integral and below 2^53
        return Some(format!("{}", v as i64));
    }
    Some(format!("{v}"))
}

fn replace_runs(s: &str, allowed: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_run = false;
    for c in s.chars() {
        if allowed(c) {
            out.push(c);
            in_run = false;
        } else if !in_run {
            out.push('_');
            in_run = true;
        }
    }
    out
}

fn truncate_ascii(s: &mut String, max: usize) {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
}

/// Splits lines into request bodies of at most `max_lines` lines and `max_bytes` bytes (LF
/// included). A single line larger than `max_bytes` still gets its own batch: the server's
/// 413 then names it.
#[must_use]
pub fn batches(lines: Vec<Line>, max_lines: usize, max_bytes: usize) -> Vec<Vec<Line>> {
    let mut out: Vec<Vec<Line>> = Vec::new();
    let mut current: Vec<Line> = Vec::new();
    let mut bytes = 0;
    for line in lines {
        let size = line.text.len() + 1;
        if !current.is_empty() && (current.len() >= max_lines || bytes + size > max_bytes) {
            out.push(std::mem::take(&mut current));
            bytes = 0;
        }
        bytes += size;
        current.push(line);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The request body: every line followed by LF.
#[must_use]
pub fn body(batch: &[Line]) -> String {
    let mut s = String::new();
    for l in batch {
        s.push_str(&l.text);
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ImageRef;

    fn snap(image: &str, counts: &[(&str, u64)]) -> Snapshot {
        Snapshot::vulnerability_counts(
            ImageRef::parse(image),
            jiff::Timestamp::UNIX_EPOCH,
            counts.iter().copied(),
        )
    }

    fn text(lines: &[Line]) -> String {
        body(lines)
    }

    #[test]
    fn another_scanner_is_a_dimension_and_trivy_keeps_the_seed_lines() {
        let trivy = snap("nginx:1.21.1", &[("CRITICAL", 8)]);
        let (lines, _) = encode_lines(&trivy, DynatraceMode::PerSeverityKeys);
        assert_eq!(
            text(&lines),
            "trivy.vulnerabilities.total,image=\"nginx\",tag=\"1.21.1\" 8\ntrivy.vulnerabilities.CRITICAL,image=\"nginx\",tag=\"1.21.1\" 8\n"
        );
        let grype = snap("nginx:1.21.1", &[("CRITICAL", 8)]).with_scanner("grype");
        let (lines, _) = encode_lines(&grype, DynatraceMode::PerSeverityKeys);
        assert_eq!(
            text(&lines),
            "trivy.vulnerabilities.total,image=\"nginx\",tag=\"1.21.1\",scanner=\"grype\" 8\ntrivy.vulnerabilities.CRITICAL,image=\"nginx\",tag=\"1.21.1\",scanner=\"grype\" 8\n"
        );
        let (lines, _) = encode_lines(&grype, DynatraceMode::Dimensional);
        assert!(
            lines[0].text.contains("scanner=\"grype\""),
            "{}",
            lines[0].text
        );
    }

    #[test]
    fn hygiene_slis_in_both_modes() {
        let s = snap("nginx:1.21.1", &[("CRITICAL", 8)]).with_slis([
            ("kev_vulnerabilities_total".to_owned(), 1.0),
            ("epss_max".to_owned(), 0.45),
            ("os_eol".to_owned(), 1.0),
        ]);
        let (lines, bad) = encode_lines(&s, DynatraceMode::PerSeverityKeys);
        assert!(bad.is_empty());
        insta::assert_snapshot!("hygiene_slis_seed_mode", text(&lines));
        let (lines, _) = encode_lines(&s, DynatraceMode::Dimensional);
        insta::assert_snapshot!("hygiene_slis_dimensional_mode", text(&lines));
        assert_eq!(
            lines[1].metric,
            "vulngate.sli{sli=\"kev_vulnerabilities_total\"}"
        );
    }

    #[test]
    fn seed_compatible_lines_for_the_alpine_fixture() {
        // tests/fixtures/trivy-reports/generated-0.76-image-alpine-3.14.json: 6/9/10/2/2
        let s = snap(
            "127.0.0.1:5000/fixture/alpine-vulnerable:3.14",
            &[
                ("CRITICAL", 6),
                ("HIGH", 9),
                ("MEDIUM", 10),
                ("LOW", 2),
                ("UNKNOWN", 2),
            ],
        );
        let (lines, bad) = encode_lines(&s, DynatraceMode::PerSeverityKeys);
        assert!(bad.is_empty());
        insta::assert_snapshot!("alpine_fixture_seed_mode", text(&lines));
        let (lines, _) = encode_lines(&s, DynatraceMode::Dimensional);
        insta::assert_snapshot!("alpine_fixture_dimensional_mode", text(&lines));
    }

    #[test]
    fn seed_compatible_lines_for_a_critical_only_gate() {
        // alpine-3.9-image-critical.json with --severity CRITICAL: 2
        let (lines, _) = encode_lines(
            &snap("alpine:3.9", &[("CRITICAL", 2)]),
            DynatraceMode::PerSeverityKeys,
        );
        insta::assert_snapshot!("alpine_39_critical_only", text(&lines));
        assert_eq!(lines[1].metric, "trivy.vulnerabilities.CRITICAL");
    }

    #[test]
    fn hostile_image_names_are_escaped_and_bounded() {
        let (lines, _) = encode_lines(
            &snap("ghcr.io/a\"b\\c d,e=f\ng", &[("HIGH", 1)]),
            DynatraceMode::PerSeverityKeys,
        );
        insta::assert_snapshot!("hostile_image_name", text(&lines));
        let long = "x".repeat(600);
        let (lines, _) = encode_lines(&snap(&long, &[("HIGH", 1)]), DynatraceMode::PerSeverityKeys);
        let v = lines[0].text.split("image=\"").nth(1).unwrap();
        let v = &v[..v.find('"').unwrap()];
        assert_eq!(v.len(), MAX_DIMENSION_VALUE_LEN);
        // An escape sequence is never cut in half.
        let quotes = "\"".repeat(200);
        let q = quote_dimension_value(&quotes).unwrap();
        assert_eq!(q.len(), 2 + 250);
        assert!(q.ends_with("\\\"\""));
    }

    #[test]
    fn missing_tag_leaves_the_dimension_out() {
        let (lines, _) = encode_lines(
            &snap("nginx", &[("LOW", 3)]),
            DynatraceMode::PerSeverityKeys,
        );
        assert_eq!(lines[1].text, "trivy.vulnerabilities.LOW,image=\"nginx\" 3");
    }

    #[test]
    fn key_normalization_follows_metric_utils() {
        assert_eq!(
            normalize_metric_key("trivy.vulnerabilities.CRITICAL").as_deref(),
            Some("trivy.vulnerabilities.CRITICAL")
        );
        assert_eq!(
            normalize_metric_key("1trivy.v!@#x..-y").as_deref(),
            Some("trivy.v_x.y")
        );
        assert_eq!(normalize_metric_key("a.0b").as_deref(), Some("a.0b"));
        assert_eq!(normalize_metric_key("...."), None);
        assert_eq!(normalize_metric_key("dt.foo"), None);
        assert_eq!(
            normalize_metric_key(&"k".repeat(400)).map(|k| k.len()),
            Some(MAX_KEY_LEN)
        );
        assert_eq!(normalize_dimension_key("Image").as_deref(), Some("image"));
        assert_eq!(
            normalize_dimension_key("0a.B c.__d:e-f").as_deref(),
            Some("a.b_c.__d:e-f")
        );
        assert_eq!(normalize_dimension_key("..."), None);
        assert_eq!(
            normalize_dimension_key(&"d".repeat(300)).map(|k| k.len()),
            Some(MAX_DIMENSION_KEY_LEN)
        );
    }

    #[test]
    fn numbers_and_bad_values() {
        assert_eq!(encode_line("a.b.c", &[], 8.0).unwrap(), "a.b.c 8");
        assert_eq!(encode_line("a.b.c", &[], 0.5).unwrap(), "a.b.c 0.5");
        assert!(encode_line("a.b.c", &[], f64::NAN).is_err());
        assert!(encode_line("a.b.c", &[], f64::INFINITY).is_err());
    }

    #[test]
    fn batches_respect_line_and_byte_limits() {
        let lines: Vec<Line> = (0..2500)
            .map(|i| Line {
                metric: format!("m{i}"),
                text: format!("a.b.c{i} 1"),
            })
            .collect();
        let b = batches(lines.clone(), MAX_BATCH_LINES, MAX_BATCH_BYTES);
        assert_eq!(
            b.iter().map(Vec::len).collect::<Vec<_>>(),
            [1000, 1000, 500]
        );
        let b = batches(lines, MAX_BATCH_LINES, 100);
        assert!(b.iter().all(|x| body(x).len() <= 100));
        assert_eq!(b.iter().map(Vec::len).sum::<usize>(), 2500);
    }
}

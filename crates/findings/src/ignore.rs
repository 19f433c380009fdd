//! Trivy ignore files: `.trivyignore` (one ID per line) and `.trivyignore.yaml`.
//!
//! Semantics follow Trivy's `pkg/result/ignore.go`:
//! - a rule applies to a vulnerability when the IDs are equal, one of its `paths` globs
//!   (doublestar syntax: `**`, `*`, `?`, `[...]`, `{a,b}`) matches the result's `Target` or the
//!   finding's `PkgPath` (no `paths` = everywhere), and one of its `purls` matches the
//!   finding's `PkgIdentifier.PURL` (no `purls` = every package);
//! - rules are tried in file order, the target path first, then the package path, and the
//!   first matching rule takes the finding;
//! - a rule whose expiry date is today or earlier does not apply (Trivy compares the date at
//!   midnight UTC with the current time) and is reported in [`IgnoreRules::expired_rules`].
//!
//! One deliberate difference: a `.trivyignore` line with an unreadable `exp:` date is an error
//! here (Trivy logs a warning and drops the line), because a typo would otherwise silently
//! change the gate's verdict.

use std::path::Path;

use jiff::civil::Date;
use serde::Deserialize;

/// Why an ignore file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum IgnoreError {
    /// A line of a `.trivyignore` or an entry of a `.trivyignore.yaml` is invalid.
    #[error("line {line}: {message}")]
    Invalid {
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The YAML could not be parsed.
    #[error("invalid YAML at line {line}, column {column}: {message}")]
    Yaml {
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// The file could not be read.
    #[error("could not read the ignore file: {0}")]
    Io(#[from] std::io::Error),
}

/// One ignore rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreRule {
    /// Vulnerability ID (`CVE-2021-3711`, `GHSA-...`).
    pub id: String,
    /// Glob patterns on the target or package path; empty = all paths.
    pub paths: Vec<String>,
    /// Package URLs; empty = all packages.
    pub purls: Vec<String>,
    /// Last day before the rule stops applying (exclusive: on this day it no longer applies).
    pub expires: Option<Date>,
    /// Why the finding is ignored (YAML `statement`, or the `.trivyignore` line's comment).
    pub statement: Option<String>,
    /// Human description: `CVE-2021-3711 (.trivyignore line 3)`.
    pub description: String,
    parsed_purls: Vec<Purl>,
}

/// Parsed, date-checked ignore rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IgnoreRules {
    /// Rules that apply, in file order.
    pub rules: Vec<IgnoreRule>,
    /// Descriptions of the rules that expired (and so do not apply), in file order.
    pub expired_rules: Vec<String>,
}

impl IgnoreRules {
    /// Loads a file, choosing the format by extension: `.yaml`/`.yml` is the YAML format,
    /// anything else the line format. Descriptions name the file.
    ///
    /// # Errors
    /// [`IgnoreError`] when the file cannot be read or is invalid.
    pub fn load(path: &Path, today: Date) -> Result<Self, IgnoreError> {
        let text = std::fs::read_to_string(path)?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let is_yaml = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        );
        if is_yaml {
            parse_yaml_named(&text, &name, today)
        } else {
            parse_lines_named(&text, &name, today)
        }
    }

    /// Number of rules that apply.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// True when no rule applies.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Index of the rule that suppresses this finding, if any (Trivy's order: every rule on
    /// the target path, then every rule on the package path).
    #[must_use]
    pub fn matching_rule(
        &self,
        id: &str,
        target: &str,
        pkg_path: Option<&str>,
        purl: Option<&str>,
    ) -> Option<usize> {
        if !self.rules.iter().any(|r| r.id == id) {
            return None;
        }
        let target_purl = purl.and_then(|p| Purl::parse(p).ok());
        let paths = [Some(target), Some(pkg_path.unwrap_or(""))];
        for path in paths.into_iter().flatten() {
            for (i, r) in self.rules.iter().enumerate() {
                if r.id != id {
                    continue;
                }
                let path_ok = r.paths.is_empty() || r.paths.iter().any(|p| glob_match(p, path));
                let purl_ok = match &target_purl {
                    None => true,
                    Some(t) => {
                        r.parsed_purls.is_empty() || r.parsed_purls.iter().any(|p| p.matches(t))
                    }
                };
                if path_ok && purl_ok {
                    return Some(i);
                }
            }
        }
        None
    }
}

/// Parses a `.trivyignore`: one ID per line, optional `exp:YYYY-MM-DD`, `#` comments, blank
/// lines. Descriptions read `ID (.trivyignore line N)`.
///
/// # Errors
/// [`IgnoreError::Invalid`] for an unreadable expiry date.
pub fn parse_trivyignore(text: &str, today: Date) -> Result<IgnoreRules, IgnoreError> {
    parse_lines_named(text, ".trivyignore", today)
}

/// Parses a `.trivyignore.yaml` (`vulnerabilities: [{id, paths, purls, expired_at, statement}]`;
/// the `misconfigurations`, `secrets` and `licenses` sections are accepted and not used).
///
/// # Errors
/// [`IgnoreError`] for invalid YAML, a missing `id`, a bad glob, purl or date.
pub fn parse_trivyignore_yaml(text: &str, today: Date) -> Result<IgnoreRules, IgnoreError> {
    parse_yaml_named(text, ".trivyignore.yaml", today)
}

fn parse_lines_named(text: &str, name: &str, today: Date) -> Result<IgnoreRules, IgnoreError> {
    let mut out = IgnoreRules::default();
    for (idx, raw) in text.lines().enumerate() {
        let line_no = idx + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split_whitespace();
        let Some(id) = fields.next() else { continue };
        let mut expires = None;
        let mut comment = Vec::new();
        for f in fields {
            if let Some(d) = f.strip_prefix("exp:") {
                if expires.is_none() {
                    expires = Some(parse_date(d).ok_or_else(|| IgnoreError::Invalid {
                        line: line_no,
                        message: format!(
                            "invalid expiry date `{d}` for {id}: expected exp:YYYY-MM-DD"
                        ),
                    })?);
                }
            } else {
                comment.push(f);
            }
        }
        let comment = comment.join(" ");
        let comment = comment.trim_start_matches('#').trim();
        push_rule(
            &mut out,
            IgnoreRule {
                id: id.to_owned(),
                paths: Vec::new(),
                purls: Vec::new(),
                expires,
                statement: (!comment.is_empty()).then(|| comment.to_owned()),
                description: format!("{id} ({name} line {line_no})"),
                parsed_purls: Vec::new(),
            },
            today,
        );
    }
    Ok(out)
}

#[derive(Deserialize)]
struct YamlFile {
    #[serde(default)]
    vulnerabilities: Option<Vec<YamlRule>>,
    // Trivy's other sections: accepted, not used for vulnerability counts.
    #[serde(default)]
    #[allow(dead_code)]
    misconfigurations: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    secrets: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    licenses: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct YamlRule {
    id: serde_saphyr::Spanned<String>,
    #[serde(default)]
    paths: Option<Vec<String>>,
    #[serde(default)]
    purls: Option<Vec<String>>,
    #[serde(default)]
    expired_at: Option<String>,
    #[serde(default)]
    statement: Option<String>,
}

fn parse_yaml_named(text: &str, name: &str, today: Date) -> Result<IgnoreRules, IgnoreError> {
    if text.trim().is_empty() {
        return Ok(IgnoreRules::default());
    }
    let file: YamlFile = serde_saphyr::from_str(text).map_err(|e| {
        let (line, column) = e.location().map_or((0, 0), |l| {
            (
                usize::try_from(l.line()).unwrap_or(0),
                usize::try_from(l.column()).unwrap_or(0),
            )
        });
        let message = e.to_string();
        let message = message.lines().next().unwrap_or("").trim().to_owned();
        IgnoreError::Yaml {
            line,
            column,
            message,
        }
    })?;
    let mut out = IgnoreRules::default();
    for r in file.vulnerabilities.unwrap_or_default() {
        let line = usize::try_from(r.id.referenced.line()).unwrap_or(0);
        let id = r.id.value.trim().to_owned();
        let invalid = |message: String| IgnoreError::Invalid { line, message };
        if id.is_empty() {
            return Err(invalid("empty `id`".to_owned()));
        }
        let paths = r.paths.unwrap_or_default();
        for p in &paths {
            if !glob_valid(p) {
                return Err(invalid(format!("invalid path pattern `{p}` for {id}")));
            }
        }
        let purls = r.purls.unwrap_or_default();
        let parsed_purls = purls
            .iter()
            .map(|p| {
                Purl::parse(p).map_err(|m| invalid(format!("invalid purl `{p}` for {id}: {m}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let expires = match r.expired_at.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(d) => Some(parse_date(d).ok_or_else(|| {
                invalid(format!(
                    "invalid expired_at `{d}` for {id}: expected YYYY-MM-DD"
                ))
            })?),
        };
        push_rule(
            &mut out,
            IgnoreRule {
                description: format!("{id} ({name} line {line})"),
                id,
                paths,
                purls,
                expires,
                statement: r.statement.filter(|s| !s.trim().is_empty()),
                parsed_purls,
            },
            today,
        );
    }
    Ok(out)
}

fn push_rule(out: &mut IgnoreRules, rule: IgnoreRule, today: Date) {
    match rule.expires {
        // Trivy: expired when the date (midnight UTC) is before now, so the day itself counts.
        Some(d) if d <= today => {
            tracing::debug!(rule = %rule.description, "ignore rule expired");
            out.expired_rules.push(rule.description);
        }
        _ => out.rules.push(rule),
    }
}

/// `YYYY-MM-DD`, or an RFC 3339 timestamp (its UTC date), as YAML `time.Time` allows.
fn parse_date(s: &str) -> Option<Date> {
    if let Ok(d) = s.parse::<Date>() {
        return Some(d);
    }
    s.parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
}

// ---------------------------------------------------------------------------------------------
// Package URLs (the subset Trivy's `purl.Match` compares).

#[derive(Debug, Clone, PartialEq, Eq)]
struct Purl {
    ty: String,
    namespace: String,
    name: String,
    version: String,
    qualifiers: Vec<(String, String)>,
    subpath: String,
}

impl Purl {
    fn parse(s: &str) -> Result<Self, &'static str> {
        let rest = s
            .get(..4)
            .filter(|p| p.eq_ignore_ascii_case("pkg:"))
            .map(|_| &s[4..])
            .ok_or("must start with `pkg:`")?;
        let rest = rest.trim_start_matches('/');
        let (rest, subpath) = rest.split_once('#').unwrap_or((rest, ""));
        let (rest, quals) = rest.split_once('?').unwrap_or((rest, ""));
        let (ty, rest) = rest.split_once('/').ok_or("missing type or name")?;
        let rest = rest.trim_end_matches('/');
        // The version follows the last `@` of the last segment.
        let (path, version) = match rest.rfind('@') {
            Some(i) if !rest[i..].contains('/') => (&rest[..i], &rest[i + 1..]),
            _ => (rest, ""),
        };
        let (namespace, name) = path.rsplit_once('/').unwrap_or(("", path));
        if ty.is_empty() || name.is_empty() {
            return Err("missing type or name");
        }
        let mut qualifiers: Vec<(String, String)> = quals
            .split('&')
            .filter(|q| !q.is_empty())
            .filter_map(|q| q.split_once('='))
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.to_ascii_lowercase(), pct_decode(v)))
            .collect();
        qualifiers.sort();
        Ok(Self {
            ty: ty.to_ascii_lowercase(),
            namespace: namespace
                .split('/')
                .map(pct_decode)
                .collect::<Vec<_>>()
                .join("/"),
            name: pct_decode(name),
            version: pct_decode(version),
            qualifiers,
            subpath: subpath.trim_matches('/').to_owned(),
        })
    }

    /// Trivy's `PackageURL.Match`: `self` is the constraint from the ignore file.
    fn matches(&self, target: &Self) -> bool {
        self.ty == target.ty
            && self.namespace == target.namespace
            && self.name == target.name
            && (self.version.is_empty() || self.version == target.version)
            && (self.subpath.is_empty() || self.subpath == target.subpath)
            && self
                .qualifiers
                .iter()
                .all(|q| target.qualifiers.iter().any(|t| t == q))
    }
}

fn pct_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Globs with doublestar semantics (`/` separates segments).

fn glob_valid(p: &str) -> bool {
    let mut depth_brace = 0i32;
    let mut in_class = false;
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.next().is_none() => return false,
            '\\' => {}
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '{' if !in_class => depth_brace += 1,
            '}' if !in_class => {
                depth_brace -= 1;
                if depth_brace < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth_brace == 0 && !in_class
}

/// Expands `{a,b}` alternatives (nested allowed) into plain patterns.
fn expand_braces(p: &str) -> Vec<String> {
    let b = p.as_bytes();
    let mut i = 0;
    let mut class = false;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'[' => class = true,
            b']' => class = false,
            b'{' if !class => {
                // find the matching close and top-level commas
                let mut depth = 0;
                let mut j = i;
                let mut commas = Vec::new();
                while j < b.len() {
                    match b[j] {
                        b'\\' => j += 1,
                        b'{' => depth += 1,
                        b'}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        b',' if depth == 1 => commas.push(j),
                        _ => {}
                    }
                    j += 1;
                }
                if j >= b.len() {
                    return vec![p.to_owned()];
                }
                let (pre, post) = (&p[..i], &p[j + 1..]);
                let mut bounds = vec![i];
                bounds.extend(&commas);
                bounds.push(j);
                let mut out = Vec::new();
                for w in bounds.windows(2) {
                    let alt = &p[w[0] + 1..w[1]];
                    out.extend(expand_braces(&format!("{pre}{alt}{post}")));
                }
                return out;
            }
            _ => {}
        }
        i += 1;
    }
    vec![p.to_owned()]
}

pub(crate) fn glob_match(pattern: &str, path: &str) -> bool {
    expand_braces(pattern).iter().any(|p| {
        let pat: Vec<&str> = p.split('/').collect();
        let segs: Vec<&str> = path.split('/').collect();
        match_segments(&pat, &segs)
    })
}

fn match_segments(pat: &[&str], path: &[&str]) -> bool {
    match pat.split_first() {
        None => path.is_empty(),
        Some((&"**", rest)) => (0..=path.len()).any(|k| match_segments(rest, &path[k..])),
        Some((p, rest)) => match path.split_first() {
            Some((s, prest)) => {
                match_one(p.as_bytes(), s.as_bytes()) && match_segments(rest, prest)
            }
            None => false,
        },
    }
}

/// Wildcards within one segment: `*`, `?`, `[...]`/`[!...]`/`[^...]`, `\x`.
fn match_one(p: &[u8], s: &[u8]) -> bool {
    let Some(&c) = p.first() else {
        return s.is_empty();
    };
    match c {
        b'*' => (0..=s.len()).any(|k| match_one(&p[1..], &s[k..])),
        b'?' => !s.is_empty() && match_one(&p[1..], &s[char_len(s)..]),
        b'[' => {
            let Some(close) = p.iter().skip(2).position(|&b| b == b']').map(|i| i + 2) else {
                return !s.is_empty() && s[0] == b'[' && match_one(&p[1..], &s[1..]);
            };
            if s.is_empty() {
                return false;
            }
            let mut class = &p[1..close];
            let negate = matches!(class.first(), Some(b'!' | b'^'));
            if negate {
                class = &class[1..];
            }
            let ch = s[0];
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == b'-' {
                    hit |= class[i] <= ch && ch <= class[i + 2];
                    i += 3;
                } else {
                    hit |= class[i] == ch;
                    i += 1;
                }
            }
            hit != negate && match_one(&p[close + 1..], &s[1..])
        }
        b'\\' if p.len() > 1 => !s.is_empty() && s[0] == p[1] && match_one(&p[2..], &s[1..]),
        _ => !s.is_empty() && s[0] == c && match_one(&p[1..], &s[1..]),
    }
}

fn char_len(s: &[u8]) -> usize {
    match s[0] {
        0xF0..=0xFF => 4.min(s.len()),
        0xE0..=0xEF => 3.min(s.len()),
        0xC0..=0xDF => 2.min(s.len()),
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("**/*.jar", "app/lib/x.jar"));
        assert!(glob_match("**/*.jar", "x.jar"));
        assert!(!glob_match("*.jar", "lib/x.jar"));
        assert!(glob_match(
            "usr/lib/python3.9/site-packages/**",
            "usr/lib/python3.9/site-packages/urllib3-1.26.4.dist-info/METADATA"
        ));
        assert!(glob_match("{a,b}/c?", "b/cd"));
        assert!(glob_match("x[0-9]", "x7"));
        assert!(!glob_match("x[!0-9]", "x7"));
        assert!(glob_match("node_modules/**", "node_modules/a/package.json"));
        assert!(glob_valid("a/{b,c}") && !glob_valid("a/{b") && !glob_valid("[a"));
    }

    #[test]
    fn purls() {
        let c = Purl::parse("pkg:npm/%40babel/core").unwrap();
        let t = Purl::parse("pkg:npm/%40babel/core@7.0.0").unwrap();
        assert_eq!(t.namespace, "@babel");
        assert!(c.matches(&t));
        let v = Purl::parse("pkg:npm/%40babel/core@7.0.1").unwrap();
        assert!(!v.matches(&t));
        let q = Purl::parse("pkg:apk/alpine/openssl?distro=3.14.0").unwrap();
        let tq = Purl::parse("pkg:apk/alpine/openssl@1.1.1k-r0?arch=x86_64&distro=3.14.0").unwrap();
        assert!(q.matches(&tq));
        assert!(Purl::parse("npm/x").is_err());
    }

    #[test]
    fn expiry_today_means_expired() {
        let today = jiff::civil::date(2026, 1, 10);
        let r = parse_trivyignore(
            "# c\n\nCVE-1 exp:2026-01-10\nCVE-2 exp:2026-01-11 # later\nCVE-3\n",
            today,
        )
        .unwrap();
        assert_eq!(r.expired_rules, vec!["CVE-1 (.trivyignore line 3)"]);
        assert_eq!(r.rules.len(), 2);
        assert_eq!(r.rules[0].statement.as_deref(), Some("later"));
        let e = parse_trivyignore("CVE-1 exp:2026-13-01", today).unwrap_err();
        assert!(
            e.to_string().starts_with("line 1: invalid expiry date"),
            "{e}"
        );
    }
}

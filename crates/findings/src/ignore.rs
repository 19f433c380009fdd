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
    parsed_paths: Vec<Glob>,
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
        use std::io::Read as _;
        let mut bytes = Vec::new();
        std::fs::File::open(path)?
            .take(MAX_IGNORE_FILE + 1)
            .read_to_end(&mut bytes)?;
        if bytes.len() as u64 > MAX_IGNORE_FILE {
            return Err(IgnoreError::Io(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("larger than {} MiB", MAX_IGNORE_FILE >> 20),
            )));
        }
        let text = String::from_utf8(bytes)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()))?;
        // The binaries read through `cli_support`'s reader, which drops a UTF-8 byte-order
        // mark; this library entry drops it itself.
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        Self::from_text(text, path, today)
    }

    /// Parses the text of the ignore file at `path` (read by the caller, e.g. through the
    /// binaries' bounded reader), choosing the format by extension as [`IgnoreRules::load`].
    ///
    /// # Errors
    /// [`IgnoreError`] when the text is invalid.
    pub fn from_text(text: &str, path: &Path, today: Date) -> Result<Self, IgnoreError> {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let is_yaml = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        );
        if is_yaml {
            parse_yaml_named(text, &name, today)
        } else {
            parse_lines_named(text, &name, today)
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
                let path_ok =
                    r.parsed_paths.is_empty() || r.parsed_paths.iter().any(|g| g.matches(path));
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
                parsed_paths: Vec::new(),
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
        let parsed_paths = paths
            .iter()
            .map(|p| {
                Glob::compile(p).map_err(|m| {
                    // The pattern may be huge: show its start only.
                    let shown: String = p.chars().take(80).collect();
                    let more = if shown.len() < p.len() { "…" } else { "" };
                    invalid(format!(
                        "invalid path pattern `{shown}{more}` for {id}: it {m}"
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
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
                parsed_paths,
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
pub(crate) struct Purl {
    ty: String,
    namespace: String,
    name: String,
    version: String,
    qualifiers: Vec<(String, String)>,
    subpath: String,
}

impl Purl {
    pub(crate) fn parse(s: &str) -> Result<Self, &'static str> {
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

    /// The package type (`apk`, `oci`), lower case.
    pub(crate) fn ty(&self) -> &str {
        &self.ty
    }

    /// Trivy's `PackageURL.Match`: `self` is the constraint from the ignore file.
    pub(crate) fn matches(&self, target: &Self) -> bool {
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
//
// A pattern is compiled once at load: `{a,b}` alternatives are expanded (at most
// [`MAX_PATTERN_ALTERNATIVES`]), each alternative split into segments of tokens. Matching
// never backtracks recursively: segments are matched by a dynamic programme over (pattern
// segment, path segment) and the characters of one segment by the two-pointer wildcard
// algorithm, so one alternative costs O(pattern × path) whatever the pattern is.

/// The most `{a,b}` alternatives one path pattern may expand to; beyond it the ignore file
/// is refused (nested braces multiply: `{a,b}{c,d}` is 4).
pub const MAX_PATTERN_ALTERNATIVES: usize = 256;

/// The largest ignore file [`IgnoreRules::load`] reads (the binaries' bounded reader uses the
/// same limit): far above any real `.trivyignore`, it keeps a device or a wrong path from
/// being read into memory.
pub const MAX_IGNORE_FILE: u64 = 4 * 1024 * 1024;

/// The longest path pattern accepted, in bytes.
pub const MAX_PATTERN_BYTES: usize = 4096;

/// A compiled path pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Glob {
    alternatives: Vec<Vec<Segment>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// `**`: zero or more whole segments.
    AnyDirs,
    /// Anything else: wildcards within one segment.
    Chars(Vec<Token>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(char),
    /// `?`
    AnyChar,
    /// `*`
    Star,
    /// `[...]`, `[!...]`, `[^...]`: inclusive char ranges (a single char is `(c, c)`).
    Class {
        negate: bool,
        ranges: Vec<(char, char)>,
    },
}

impl Token {
    fn matches(&self, ch: char) -> bool {
        match self {
            Self::Literal(c) => *c == ch,
            Self::AnyChar | Self::Star => true,
            Self::Class { negate, ranges } => {
                ranges.iter().any(|(lo, hi)| *lo <= ch && ch <= *hi) != *negate
            }
        }
    }
}

impl Glob {
    /// Checks syntax and bounds, expands braces, compiles.
    fn compile(pattern: &str) -> Result<Self, String> {
        if pattern.len() > MAX_PATTERN_BYTES {
            return Err(format!(
                "is {} bytes long, over the limit of {MAX_PATTERN_BYTES}",
                pattern.len()
            ));
        }
        if !glob_valid(pattern) {
            return Err("has unbalanced `{}` or `[]` or a trailing `\\`".to_owned());
        }
        let alternatives = expand_braces(pattern)?
            .iter()
            .map(|alt| alt.split('/').map(compile_segment).collect())
            .collect();
        Ok(Self { alternatives })
    }

    fn matches(&self, path: &str) -> bool {
        let segs: Vec<Vec<char>> = path.split('/').map(|s| s.chars().collect()).collect();
        self.alternatives
            .iter()
            .any(|alt| match_segments(alt, &segs))
    }
}

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

/// Expands `{a,b}` alternatives (nested allowed) into plain patterns, iteratively: every
/// pending pattern yields at least one final one, so pending + done never exceeds the final
/// count, and the bound is checked before any list grows past it.
fn expand_braces(p: &str) -> Result<Vec<String>, String> {
    let mut pending = vec![p.to_owned()];
    let mut done = Vec::new();
    while let Some(pat) = pending.pop() {
        let Some((open, commas, close)) = first_brace_group(&pat) else {
            done.push(pat);
            continue;
        };
        let alternatives = commas.len() + 1;
        if done.len() + pending.len() + alternatives > MAX_PATTERN_ALTERNATIVES {
            return Err(format!(
                "expands to more than {MAX_PATTERN_ALTERNATIVES} `{{a,b}}` alternatives"
            ));
        }
        let (pre, post) = (&pat[..open], &pat[close + 1..]);
        let mut bounds = vec![open];
        bounds.extend(&commas);
        bounds.push(close);
        // Reversed so that popping keeps the alternatives in written order.
        for w in bounds.windows(2).rev() {
            pending.push(format!("{pre}{}{post}", &pat[w[0] + 1..w[1]]));
        }
    }
    Ok(done)
}

/// The first top-level `{...}` outside a class: its open index, top-level commas, close index.
fn first_brace_group(p: &str) -> Option<(usize, Vec<usize>, usize)> {
    let b = p.as_bytes();
    let mut i = 0;
    let mut class = false;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'[' => class = true,
            b']' => class = false,
            b'{' if !class => {
                let mut depth = 0usize;
                let mut commas = Vec::new();
                let mut j = i;
                while j < b.len() {
                    match b[j] {
                        b'\\' => j += 1,
                        b'{' => depth += 1,
                        b'}' => {
                            depth -= 1;
                            if depth == 0 {
                                return Some((i, commas, j));
                            }
                        }
                        b',' if depth == 1 => commas.push(j),
                        _ => {}
                    }
                    j += 1;
                }
                return None; // unclosed: taken literally
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// One segment's tokens: `*`, `?`, `[...]`/`[!...]`/`[^...]`, `\x`, literals. A `[` without
/// a closing `]` is a literal.
fn compile_segment(seg: &str) -> Segment {
    if seg == "**" {
        return Segment::AnyDirs;
    }
    let p: Vec<char> = seg.chars().collect();
    let mut out = Vec::with_capacity(p.len());
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '*' => {
                // Consecutive stars are one star.
                if out.last() != Some(&Token::Star) {
                    out.push(Token::Star);
                }
            }
            '?' => out.push(Token::AnyChar),
            '\\' if i + 1 < p.len() => {
                i += 1;
                out.push(Token::Literal(p[i]));
            }
            '[' => match p.iter().skip(i + 2).position(|&c| c == ']') {
                Some(k) => {
                    let close = i + 2 + k;
                    let mut class = &p[i + 1..close];
                    let negate = matches!(class.first(), Some('!' | '^'));
                    if negate {
                        class = &class[1..];
                    }
                    let mut ranges = Vec::new();
                    let mut j = 0;
                    while j < class.len() {
                        if j + 2 < class.len() && class[j + 1] == '-' {
                            ranges.push((class[j], class[j + 2]));
                            j += 3;
                        } else {
                            ranges.push((class[j], class[j]));
                            j += 1;
                        }
                    }
                    out.push(Token::Class { negate, ranges });
                    i = close;
                }
                None => out.push(Token::Literal('[')),
            },
            c => out.push(Token::Literal(c)),
        }
        i += 1;
    }
    Segment::Chars(out)
}

/// Pattern segments against path segments: `dp[j]` = "the pattern from segment `i` on
/// matches the path from segment `j` on", computed from the last pattern segment back.
fn match_segments(pat: &[Segment], path: &[Vec<char>]) -> bool {
    let n = path.len();
    let mut next = vec![false; n + 1];
    next[n] = true;
    let mut cur = vec![false; n + 1];
    for seg in pat.iter().rev() {
        match seg {
            Segment::AnyDirs => {
                cur[n] = next[n];
                for j in (0..n).rev() {
                    cur[j] = next[j] || cur[j + 1];
                }
            }
            Segment::Chars(tokens) => {
                cur[n] = false;
                for j in 0..n {
                    cur[j] = next[j + 1] && match_tokens(tokens, &path[j]);
                }
            }
        }
        std::mem::swap(&mut cur, &mut next);
    }
    next[0]
}

/// Wildcards within one segment, two pointers: on a mismatch, retry from the last `*` with
/// one more character swallowed. O(tokens × chars), no recursion.
fn match_tokens(tokens: &[Token], s: &[char]) -> bool {
    let (mut t, mut i) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        if let Some(tok) = tokens.get(t) {
            if *tok == Token::Star {
                star = Some((t, i));
                t += 1;
                continue;
            }
            if tok.matches(s[i]) {
                t += 1;
                i += 1;
                continue;
            }
        }
        match star {
            Some((st, si)) => {
                t = st + 1;
                i = si + 1;
                star = Some((st, si + 1));
            }
            None => return false,
        }
    }
    tokens[t..].iter().all(|tok| *tok == Token::Star)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob_match(pattern: &str, path: &str) -> bool {
        Glob::compile(pattern).unwrap().matches(path)
    }

    /// The reference: the plain backtracking matcher this module used to have (exponential
    /// on some patterns, so only fed small inputs here).
    fn naive(p: &[char], s: &[char]) -> bool {
        match p.first() {
            None => s.is_empty(),
            Some('*') => (0..=s.len()).any(|k| naive(&p[1..], &s[k..])),
            Some('?') => !s.is_empty() && naive(&p[1..], &s[1..]),
            Some(c) => s.first() == Some(c) && naive(&p[1..], &s[1..]),
        }
    }

    #[test]
    fn pathological_patterns_match_quickly() {
        // a*a*a*...*b against a long run of `a`: exponential for a backtracking matcher.
        let pattern = format!("{}b", "a*".repeat(60));
        let path = "a".repeat(3000);
        assert!(!glob_match(&pattern, &path));
        assert!(glob_match(&pattern, &format!("{path}b")));
        // The same across segments: many `**` and a path of many segments.
        let pattern = format!("{}x", "**/a/".repeat(40));
        let path = vec!["a"; 2000].join("/");
        assert!(!glob_match(&pattern, &path));
        assert!(glob_match(&pattern, &format!("{path}/x")));
        // Many stars in one segment against a long segment that almost matches.
        let pattern = format!("{}?b", "*".repeat(2000));
        assert!(!glob_match(&pattern, &"a".repeat(4000)));
    }

    #[test]
    fn brace_expansion_is_bounded() {
        // 2^9 = 512 alternatives: refused, whatever the nesting.
        let wide = "{a,b}".repeat(9);
        let e = Glob::compile(&wide).unwrap_err();
        assert!(e.contains("more than 256"), "{e}");
        let nested = format!("{}x{}", "{a,".repeat(300), "}".repeat(300));
        assert!(
            Glob::compile(&nested)
                .unwrap_err()
                .contains("more than 256")
        );
        // 2^8 = 256 is fine and still matches.
        let g = Glob::compile(&"{a,b}".repeat(8)).unwrap();
        assert!(g.matches("abababab") && !g.matches("abababac"));
        assert!(Glob::compile(&"x".repeat(MAX_PATTERN_BYTES + 1)).is_err());
        // Through the file: exit-2 material with a clear message.
        let today = jiff::civil::date(2026, 1, 10);
        let yaml = format!("vulnerabilities:\n- id: CVE-1\n  paths: [\"{wide}\"]\n");
        let e = parse_trivyignore_yaml(&yaml, today)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("line 2: invalid path pattern") && e.contains("alternatives"),
            "{e}"
        );
    }

    #[test]
    fn segment_matcher_agrees_with_backtracking() {
        let alphabet = ['a', 'b', '*', '?'];
        let paths = ["", "a", "b", "ab", "ba", "aab", "abab", "bbba"];
        // Every pattern of up to 4 tokens over the alphabet.
        let mut patterns = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = patterns
                .iter()
                .flat_map(|p| alphabet.iter().map(move |c| format!("{p}{c}")))
                .collect();
            patterns.extend(longer);
        }
        for p in &patterns {
            for s in paths {
                let pc: Vec<char> = p.chars().collect();
                let sc: Vec<char> = s.chars().collect();
                assert_eq!(
                    glob_match(p, s),
                    naive(&pc, &sc),
                    "pattern {p:?} path {s:?}"
                );
            }
        }
    }

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
        assert!(glob_match("a/**/b", "a/b") && glob_match("a/**/b", "a/x/y/b"));
        assert!(!glob_match("a/**/b", "a/x/c"));
        assert!(glob_match("{x/{y,z},w}/f", "x/z/f") && glob_match("{x/{y,z},w}/f", "w/f"));
        assert!(glob_match("lib\\*.so", "lib*.so") && !glob_match("lib\\*.so", "libc.so"));
        assert!(glob_match("[]a]", "]") && glob_match("[^a]", "b"));
        assert!(glob_match("caf?", "café"));
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

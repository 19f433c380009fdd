//! A small YAML node tree with positions, and the scalar resolution of Go's
//! gopkg.in/yaml.v3 (the decoder lighthouse uses), so typed decoding can follow Go exactly:
//! `011` is octal 9, `3_0` is 30, `1.5` truncates into an int, `yes` fits a bool, a bare
//! number fits a string as its source text.

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle};

use crate::error::Problem;

/// Cap on nodes produced, alias expansion included (alias bombs).
const MAX_NODES: usize = 200_000;

/// 1-based position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Pos {
    pub(crate) line: usize,
    pub(crate) column: usize,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// `quoted` covers quoted and block scalars and an explicit `!!str` tag: never resolved.
    Scalar {
        value: String,
        quoted: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) pos: Pos,
    pub(crate) kind: Kind,
}

/// What Go's resolver makes of a scalar.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Timestamp,
    Str,
}

impl Node {
    pub(crate) fn tag_name(&self) -> &'static str {
        match &self.kind {
            Kind::Seq(_) => "!!seq",
            Kind::Map(_) => "!!map",
            Kind::Scalar { .. } => match self.resolve() {
                Resolved::Null => "!!null",
                Resolved::Bool(_) => "!!bool",
                Resolved::Int(_) | Resolved::Uint(_) => "!!int",
                Resolved::Float(_) => "!!float",
                Resolved::Timestamp => "!!timestamp",
                Resolved::Str => "!!str",
            },
        }
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Scalar { .. }) && self.resolve() == Resolved::Null
    }

    /// Go's description of a node in "cannot unmarshal" errors.
    pub(crate) fn describe(&self) -> String {
        match &self.kind {
            Kind::Scalar { value, .. } => format!("{} `{}`", self.tag_name(), value),
            _ => self.tag_name().to_owned(),
        }
    }

    pub(crate) fn resolve(&self) -> Resolved {
        match &self.kind {
            Kind::Scalar {
                value,
                quoted: false,
            } => resolve_plain(value),
            _ => Resolved::Str,
        }
    }
}

/// yaml.v3 `resolve()` for an untagged plain scalar.
pub(crate) fn resolve_plain(s: &str) -> Resolved {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "true" | "True" | "TRUE" => return Resolved::Bool(true),
        "false" | "False" | "FALSE" => return Resolved::Bool(false),
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        _ => {}
    }
    let first = s.as_bytes()[0];
    if first == b'.' {
        return crate::gofmt::parse_go_float(s).map_or(Resolved::Str, Resolved::Float);
    }
    if !(first.is_ascii_digit() || first == b'+' || first == b'-') {
        return Resolved::Str;
    }
    if looks_like_timestamp(s) {
        return Resolved::Timestamp;
    }
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    if let Some(i) = go_parse_int(&plain) {
        return Resolved::Int(i);
    }
    if let Some(u) = go_parse_uint(&plain) {
        return Resolved::Uint(u);
    }
    if yaml_style_float(&plain)
        && let Some(f) = crate::gofmt::parse_go_float(&plain)
    {
        return Resolved::Float(f);
    }
    Resolved::Str
}

fn looks_like_timestamp(s: &str) -> bool {
    // yaml.v3 accepts `2006-1-2` and longer forms; all start with YYYY-M[M]-D[D].
    let b = s.as_bytes();
    b.len() >= 8 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && {
        let rest = &s[5..];
        let mut parts = rest.splitn(2, '-');
        let m = parts.next().unwrap_or("");
        let d = parts.next().unwrap_or("");
        let d_digits: String = d.chars().take_while(char::is_ascii_digit).collect();
        (1..=2).contains(&m.len())
            && m.bytes().all(|c| c.is_ascii_digit())
            && (1..=2).contains(&d_digits.len())
            && (d.len() == d_digits.len() || d[d_digits.len()..].starts_with(['T', 't', ' ', '\t']))
    }
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if int_digits == 0 && i == f {
            return false;
        }
    } else if int_digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let e = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == e {
            return false;
        }
    }
    i == b.len()
}

/// Go `strconv.ParseInt(s, 0, 64)` (underscores already removed).
fn go_parse_int(s: &str) -> Option<i64> {
    let (neg, body) = split_sign(s);
    let mag = parse_base0(body)?;
    if neg {
        if mag <= 1u128 << 63 {
            i64::try_from(-i128::try_from(mag).ok()?).ok()
        } else {
            None
        }
    } else {
        i64::try_from(mag).ok()
    }
}

/// Go `strconv.ParseUint(s, 0, 64)`: no sign allowed.
fn go_parse_uint(s: &str) -> Option<u64> {
    if s.starts_with(['+', '-']) {
        return None;
    }
    u64::try_from(parse_base0(s)?).ok()
}

fn split_sign(s: &str) -> (bool, &str) {
    match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    }
}

fn parse_base0(s: &str) -> Option<u128> {
    let lower = s.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = u128::from_str_radix(digits, radix).ok()?;
    (v <= u128::from(u64::MAX)).then_some(v)
}

/// Parses the first YAML document of `src` into a node tree. `Ok(None)` when the stream
/// holds no document at all (empty, whitespace or comments only).
pub(crate) fn parse_document(src: &str) -> Result<Option<Node>, Problem> {
    let mut builder = Builder {
        anchors: Vec::new(),
        stack: Vec::new(),
        root: None,
        count: 0,
        aliased: 0,
    };
    for item in Parser::new_from_str(src) {
        let (event, span) = item.map_err(|e| {
            let m = e.marker();
            Problem::new(
                m.line(),
                m.col() + 1,
                format!("YAML syntax error: {}", e.info()),
            )
        })?;
        let pos = Pos {
            line: span.start.line(),
            column: span.start.col() + 1,
        };
        match event {
            Event::DocumentEnd if builder.root.is_some() => break,
            Event::StreamEnd => break,
            Event::Scalar(value, style, anchor, tag) => {
                let explicit_str = tag
                    .as_ref()
                    .is_some_and(|t| t.is_yaml_core_schema_tag("str"));
                let quoted = explicit_str || !matches!(style, ScalarStyle::Plain);
                builder.push(
                    Node {
                        pos,
                        kind: Kind::Scalar {
                            value: value.into_owned(),
                            quoted,
                        },
                    },
                    anchor,
                )?;
            }
            Event::SequenceStart(_, anchor, _) => builder.stack.push(Frame {
                pos,
                anchor,
                seq: true,
                items: Vec::new(),
            }),
            Event::MappingStart(_, anchor, _) => builder.stack.push(Frame {
                pos,
                anchor,
                seq: false,
                items: Vec::new(),
            }),
            Event::SequenceEnd | Event::MappingEnd => {
                let frame = builder
                    .stack
                    .pop()
                    .ok_or_else(|| Problem::new(pos.line, pos.column, "YAML structure error"))?;
                let kind = if frame.seq {
                    Kind::Seq(frame.items)
                } else {
                    let mut entries = Vec::with_capacity(frame.items.len() / 2);
                    let mut it = frame.items.into_iter();
                    while let (Some(k), Some(v)) = (it.next(), it.next()) {
                        entries.push((k, v));
                    }
                    Kind::Map(entries)
                };
                builder.push(
                    Node {
                        pos: frame.pos,
                        kind,
                    },
                    frame.anchor,
                )?;
            }
            Event::Alias(id) => {
                let node = builder
                    .anchors
                    .iter()
                    .rev()
                    .find(|(a, _)| *a == id)
                    .map(|(_, n)| n.clone())
                    .ok_or_else(|| Problem::new(pos.line, pos.column, "unknown anchor"))?;
                let expanded = count_nodes(&node);
                builder.count += expanded;
                builder.aliased += expanded;
                builder.push(Node { pos, ..node }, 0)?;
            }
            _ => {}
        }
    }
    Ok(builder.root)
}

fn count_nodes(n: &Node) -> usize {
    match &n.kind {
        Kind::Scalar { .. } => 1,
        Kind::Seq(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        Kind::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| count_nodes(k) + count_nodes(v))
                .sum::<usize>()
        }
    }
}

struct Frame {
    pos: Pos,
    anchor: usize,
    seq: bool,
    items: Vec<Node>,
}

struct Builder {
    anchors: Vec<(usize, Node)>,
    stack: Vec<Frame>,
    root: Option<Node>,
    count: usize,
    /// Of `count`, the nodes that alias expansion produced (so the error names the cause).
    aliased: usize,
}

impl Builder {
    fn push(&mut self, node: Node, anchor: usize) -> Result<(), Problem> {
        self.count += 1;
        if self.count > MAX_NODES {
            let cause = if self.aliased == 0 {
                String::new()
            } else {
                format!(", {} of them from alias expansion", self.aliased)
            };
            return Err(Problem::new(
                node.pos.line,
                node.pos.column,
                format!("YAML document too large: more than {MAX_NODES} nodes{cause}"),
            ));
        }
        if anchor != 0 {
            self.anchors.push((anchor, node.clone()));
        }
        match self.stack.last_mut() {
            Some(frame) => frame.items.push(node),
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_resolution_of_plain_scalars() {
        assert_eq!(resolve_plain("011"), Resolved::Int(9));
        assert_eq!(resolve_plain("0x3"), Resolved::Int(3));
        assert_eq!(resolve_plain("3_0"), Resolved::Int(30));
        assert_eq!(resolve_plain("0b11"), Resolved::Int(3));
        assert_eq!(resolve_plain("0o17"), Resolved::Int(15));
        assert_eq!(resolve_plain("-5"), Resolved::Int(-5));
        assert_eq!(resolve_plain("08"), Resolved::Float(8.0));
        assert_eq!(resolve_plain("1.5"), Resolved::Float(1.5));
        assert_eq!(
            resolve_plain("18446744073709551615"),
            Resolved::Uint(u64::MAX)
        );
        assert_eq!(resolve_plain("yes"), Resolved::Str);
        assert_eq!(resolve_plain("True"), Resolved::Bool(true));
        assert_eq!(resolve_plain("~"), Resolved::Null);
        assert_eq!(resolve_plain("2024-03-05"), Resolved::Timestamp);
        assert_eq!(resolve_plain(".5"), Resolved::Float(0.5));
        assert_eq!(resolve_plain("<=5"), Resolved::Str);
    }

    #[test]
    fn positions_are_one_based() {
        let n = parse_document("a:\n  b: [1, 2]\n").unwrap().unwrap();
        let Kind::Map(entries) = &n.kind else {
            panic!()
        };
        let (_, v) = &entries[0];
        let Kind::Map(inner) = &v.kind else { panic!() };
        assert_eq!(inner[0].0.pos, Pos { line: 2, column: 3 });
        assert_eq!(inner[0].1.pos, Pos { line: 2, column: 6 });
    }

    #[test]
    fn comments_only_is_no_document_and_dashes_is_null() {
        assert!(parse_document("  \n# hi\n").unwrap().is_none());
        assert!(parse_document("---\n").unwrap().unwrap().is_null());
        assert!(parse_document("~").unwrap().unwrap().is_null());
    }

    #[test]
    fn aliases_expand_and_bombs_stop() {
        let n = parse_document("a: &x [1, 2]\nb: *x\n").unwrap().unwrap();
        let Kind::Map(entries) = &n.kind else {
            panic!()
        };
        assert!(matches!(&entries[1].1.kind, Kind::Seq(items) if items.len() == 2));
        let bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n";
        let err = parse_document(bomb).unwrap_err();
        assert!(err.message.contains("too large"), "{err:?}");
        assert!(err.message.contains("from alias expansion"), "{err:?}");
        // A large document without aliases is refused as large, not as an alias bomb.
        let big = "- x\n".repeat(MAX_NODES + 1);
        let err = parse_document(&big).unwrap_err();
        assert!(
            err.message.contains("too large: more than 200000 nodes"),
            "{err:?}"
        );
        assert!(!err.message.contains("alias"), "{err:?}");
    }

    #[test]
    fn syntax_errors_carry_a_position() {
        let err = parse_document("a: [1, 2\nb: c\n").unwrap_err();
        assert!(err.line >= 1 && err.column >= 1);
        assert!(err.message.starts_with("YAML syntax error"));
    }
}

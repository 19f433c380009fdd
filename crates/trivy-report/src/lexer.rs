//! A streaming, validating JSON reader specialised for Trivy reports.
//!
//! serde_json's reader-based deserializer pulls every byte through `io::Bytes` with line and
//! column bookkeeping, which made counting about 1.7x slower than serde_json validating the
//! same bytes from a slice (see docs/performance.md). This reader works on its own 64 KiB
//! buffer instead: whitespace and string bodies are skipped with tight loops over the buffer,
//! numbers are only checked against the JSON grammar (never converted), and lines are counted
//! only where JSON allows newlines (whitespace). Memory stays at one buffer plus the strings
//! the chosen options need, whatever the report's size.
//!
//! It validates the whole document as strictly as serde_json (strings, escapes, UTF-8,
//! numbers, literals, trailing commas, nesting limit, trailing characters), with errors that
//! carry the line and column of the offending byte.

use std::io::{ErrorKind, Read};

use crate::ReportError;
use crate::Severity;
use crate::parse::{FieldKey, PkgIdKey, ResultKey, TopKey, VulnKey, Walk};

const BUF_SIZE: usize = 64 * 1024;
/// Same nesting limit as serde_json.
const MAX_DEPTH: usize = 128;

/// Bytes that end the fast part of a string that is being decoded: `"`, `\`, control
/// characters, and non-ASCII (checked as UTF-8).
static STOP_DECODE: [bool; 256] = stop_table(true);
/// The same for a string that is only skipped. Like serde_json's `IgnoredAny`, the bytes of a
/// skipped string are not checked as UTF-8 (nothing reads them).
static STOP_SKIP: [bool; 256] = stop_table(false);

const fn stop_table(non_ascii: bool) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = i < 0x20 || i == b'"' as usize || i == b'\\' as usize || (non_ascii && i >= 0x80);
        i += 1;
    }
    t
}

type Res<T> = Result<T, ReportError>;

pub(crate) struct Lexer<R> {
    reader: R,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    /// Absolute offset of `buf[0]`.
    base: u64,
    /// 1-based line of `pos`, and the absolute offset where that line starts.
    line: usize,
    line_start: u64,
    eof: bool,
    saw_content: bool,
    depth: usize,
    key: Vec<u8>,
    scratch: String,
}

impl<R: Read> Lexer<R> {
    pub(crate) fn new(reader: R) -> Self {
        Self {
            reader,
            buf: vec![0; BUF_SIZE].into_boxed_slice(),
            pos: 0,
            end: 0,
            base: 0,
            line: 1,
            line_start: 0,
            eof: false,
            saw_content: false,
            depth: 0,
            key: Vec::with_capacity(64),
            scratch: String::with_capacity(64),
        }
    }

    /// Refills the (fully consumed) buffer. False at end of input.
    #[inline(never)]
    fn fill(&mut self) -> Res<bool> {
        debug_assert!(self.pos >= self.end);
        if self.eof {
            return Ok(false);
        }
        self.base += self.end as u64;
        self.pos = 0;
        self.end = 0;
        loop {
            match self.reader.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end = n;
                    return Ok(true);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(ReportError::Io(e)),
            }
        }
    }

    // ---- errors -------------------------------------------------------------------------

    fn column(&self) -> usize {
        usize::try_from(self.base + self.pos as u64 - self.line_start).unwrap_or(usize::MAX)
    }

    /// A syntax error at the current byte.
    fn syntax(&self, message: &str) -> ReportError {
        ReportError::Json {
            line: self.line,
            column: self.column() + 1,
            message: message.to_owned(),
        }
    }

    /// The input ended inside a value.
    fn eof_err(&self) -> ReportError {
        if self.saw_content {
            ReportError::Truncated {
                line: self.line,
                column: self.column(),
            }
        } else {
            ReportError::Empty
        }
    }

    /// A value of the wrong type at the current byte: a shape error if the value itself is
    /// valid JSON, otherwise the syntax error in it.
    fn shape(&mut self, what: &str, found: u8) -> ReportError {
        let kind = match found {
            b'{' => "an object",
            b'[' => "an array",
            b'"' => "a string",
            b't' | b'f' => "a boolean",
            b'n' => "null",
            b'-' | b'0'..=b'9' => "a number",
            _ => return self.syntax("expected value"),
        };
        let (line, column) = (self.line, self.column() + 1);
        if let Err(e) = self.skip_value() {
            return e;
        }
        ReportError::Shape {
            message: format!("expected {what}, found {kind} (line {line}, column {column})"),
        }
    }

    // ---- bytes --------------------------------------------------------------------------

    /// Next byte without consuming it; `None` at end of input.
    #[inline]
    fn peek(&mut self) -> Res<Option<u8>> {
        if self.pos == self.end && !self.fill()? {
            return Ok(None);
        }
        Ok(Some(self.buf[self.pos]))
    }

    #[inline]
    fn peek_or_eof(&mut self) -> Res<u8> {
        self.peek()?.ok_or_else(|| self.eof_err())
    }

    /// Skips whitespace and returns the next byte (not consumed).
    #[inline]
    fn ws(&mut self) -> Res<Option<u8>> {
        loop {
            while self.pos < self.end {
                match self.buf[self.pos] {
                    b' ' | b'\t' | b'\r' => self.pos += 1,
                    b'\n' => {
                        self.pos += 1;
                        self.line += 1;
                        self.line_start = self.base + self.pos as u64;
                    }
                    b => {
                        self.saw_content = true;
                        return Ok(Some(b));
                    }
                }
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    #[inline]
    fn ws_or_eof(&mut self) -> Res<u8> {
        self.ws()?.ok_or_else(|| self.eof_err())
    }

    // ---- scalars ------------------------------------------------------------------------

    /// After the opening quote: scans to the closing quote, validating escapes, control
    /// characters and UTF-8. Appends the decoded text to `out` when given.
    fn string_body(&mut self, mut out: Option<&mut Vec<u8>>) -> Res<()> {
        let stop = if out.is_some() {
            &STOP_DECODE
        } else {
            &STOP_SKIP
        };
        loop {
            let start = self.pos;
            let mut i = self.pos;
            let end = self.end;
            while i < end && !stop[usize::from(self.buf[i])] {
                i += 1;
            }
            if let Some(o) = out.as_deref_mut() {
                o.extend_from_slice(&self.buf[start..i]);
            }
            self.pos = i;
            if i == end {
                if !self.fill()? {
                    return Err(self.eof_err());
                }
                continue;
            }
            match self.buf[i] {
                b'"' => {
                    self.pos += 1;
                    return Ok(());
                }
                b'\\' => {
                    self.pos += 1;
                    self.escape(out.as_deref_mut())?;
                }
                b if b < 0x20 => {
                    return Err(self.syntax(
                        "control character (\\u0000-\\u001F) found while parsing a string",
                    ));
                }
                _ => self.utf8_char(out.as_deref_mut())?,
            }
        }
    }

    fn escape(&mut self, out: Option<&mut Vec<u8>>) -> Res<()> {
        let c = self.peek_or_eof()?;
        let decoded: u8 = match c {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                self.pos += 1;
                let hi = self.hex4()?;
                let ch = if (0xD800..0xDC00).contains(&hi) {
                    // A high surrogate must be followed by `\u` and a low surrogate.
                    if self.peek_or_eof()? != b'\\' {
                        return Err(self.syntax("lone leading surrogate in hex escape"));
                    }
                    self.pos += 1;
                    if self.peek_or_eof()? != b'u' {
                        return Err(self.syntax("unexpected end of hex escape"));
                    }
                    self.pos += 1;
                    let lo = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return Err(self.syntax("lone leading surrogate in hex escape"));
                    }
                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                } else {
                    char::from_u32(hi)
                };
                // A lone trailing surrogate is not a char; keep it readable (serde_json
                // accepts it when only validating).
                let ch = ch.unwrap_or(char::REPLACEMENT_CHARACTER);
                if let Some(o) = out {
                    let mut tmp = [0u8; 4];
                    o.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
                }
                return Ok(());
            }
            _ => return Err(self.syntax("invalid escape")),
        };
        self.pos += 1;
        if let Some(o) = out {
            o.push(decoded);
        }
        Ok(())
    }

    fn hex4(&mut self) -> Res<u32> {
        let mut v = 0u32;
        for _ in 0..4 {
            let b = self.peek_or_eof()?;
            let d = char::from(b)
                .to_digit(16)
                .ok_or_else(|| self.syntax("invalid escape"))?;
            self.pos += 1;
            v = v * 16 + d;
        }
        Ok(v)
    }

    /// One non-ASCII UTF-8 sequence at `pos`.
    fn utf8_char(&mut self, out: Option<&mut Vec<u8>>) -> Res<()> {
        let lead = self.buf[self.pos];
        let len = match lead {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => return Err(self.syntax("invalid unicode code point")),
        };
        let mut seq = [0u8; 4];
        for (k, slot) in seq.iter_mut().enumerate().take(len) {
            let b = self.peek_or_eof()?;
            if k > 0 && !(0x80..0xC0).contains(&b) {
                return Err(self.syntax("invalid unicode code point"));
            }
            *slot = b;
            self.pos += 1;
        }
        if std::str::from_utf8(&seq[..len]).is_err() {
            return Err(self.syntax("invalid unicode code point"));
        }
        if let Some(o) = out {
            o.extend_from_slice(&seq[..len]);
        }
        Ok(())
    }

    fn number(&mut self) -> Res<()> {
        if self.peek_or_eof()? == b'-' {
            self.pos += 1;
        }
        match self.peek_or_eof()? {
            b'0' => self.pos += 1,
            b'1'..=b'9' => self.digits()?,
            _ => return Err(self.syntax("invalid number")),
        }
        if self.peek()? == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek()?, Some(b'0'..=b'9')) {
                return Err(self.peek_err("invalid number")?);
            }
            self.digits()?;
        }
        if matches!(self.peek()?, Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek()?, Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !matches!(self.peek()?, Some(b'0'..=b'9')) {
                return Err(self.peek_err("invalid number")?);
            }
            self.digits()?;
        }
        Ok(())
    }

    /// EOF error at the end of input, otherwise a syntax error at the current byte.
    fn peek_err(&mut self, message: &str) -> Res<ReportError> {
        Ok(match self.peek()? {
            None => self.eof_err(),
            Some(_) => self.syntax(message),
        })
    }

    fn digits(&mut self) -> Res<()> {
        loop {
            while self.pos < self.end && self.buf[self.pos].is_ascii_digit() {
                self.pos += 1;
            }
            if self.pos < self.end || !self.fill()? {
                return Ok(());
            }
        }
    }

    fn literal(&mut self, word: &[u8]) -> Res<()> {
        for &w in word {
            match self.peek()? {
                None => return Err(self.eof_err()),
                Some(b) if b == w => self.pos += 1,
                Some(_) => return Err(self.syntax("expected ident")),
            }
        }
        Ok(())
    }

    // ---- structure ----------------------------------------------------------------------

    fn enter(&mut self) -> Res<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.syntax("recursion limit exceeded"));
        }
        self.pos += 1;
        Ok(())
    }

    /// Validates and skips one value.
    fn skip_value(&mut self) -> Res<()> {
        match self.ws_or_eof()? {
            b'"' => {
                self.pos += 1;
                self.string_body(None)
            }
            b'{' => {
                self.enter()?;
                let mut first = true;
                while self.next_key_raw(&mut first, false)? {
                    self.skip_value()?;
                }
                Ok(())
            }
            b'[' => {
                self.enter()?;
                let mut first = true;
                while self.next_element(&mut first)? {
                    self.skip_value()?;
                }
                Ok(())
            }
            b'-' | b'0'..=b'9' => self.number(),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => Err(self.syntax("expected value")),
        }
    }

    /// Inside an object (after `{`): reads the next key (into `self.key` when `decode`) and
    /// the `:`. False after the closing `}`.
    fn next_key_raw(&mut self, first: &mut bool, decode: bool) -> Res<bool> {
        let mut b = self.ws_or_eof()?;
        if *first {
            *first = false;
            if b == b'}' {
                self.pos += 1;
                self.depth -= 1;
                return Ok(false);
            }
        } else {
            match b {
                b',' => {
                    self.pos += 1;
                    b = self.ws_or_eof()?;
                    if b == b'}' {
                        return Err(self.syntax("trailing comma"));
                    }
                }
                b'}' => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(false);
                }
                _ => return Err(self.syntax("expected `,` or `}`")),
            }
        }
        if b != b'"' {
            return Err(self.syntax("key must be a string"));
        }
        self.pos += 1;
        if decode {
            let mut key = std::mem::take(&mut self.key);
            key.clear();
            let r = self.string_body(Some(&mut key));
            self.key = key;
            r?;
        } else {
            self.string_body(None)?;
        }
        if self.ws_or_eof()? != b':' {
            return Err(self.syntax("expected `:`"));
        }
        self.pos += 1;
        Ok(true)
    }

    fn next_key<K: FieldKey>(&mut self, first: &mut bool) -> Res<Option<K>> {
        Ok(if self.next_key_raw(first, true)? {
            Some(K::from_bytes(&self.key))
        } else {
            None
        })
    }

    /// Inside an array (after `[`): true when an element follows (not consumed).
    fn next_element(&mut self, first: &mut bool) -> Res<bool> {
        let b = self.ws_or_eof()?;
        if *first {
            *first = false;
            if b == b']' {
                self.pos += 1;
                self.depth -= 1;
                return Ok(false);
            }
            return Ok(true);
        }
        match b {
            b',' => {
                self.pos += 1;
                if self.ws_or_eof()? == b']' {
                    return Err(self.syntax("trailing comma"));
                }
                Ok(true)
            }
            b']' => {
                self.pos += 1;
                self.depth -= 1;
                Ok(false)
            }
            _ => Err(self.syntax("expected `,` or `]`")),
        }
    }

    /// A string value (or null = empty) decoded into `out`.
    fn string_into(&mut self, out: &mut String, what: &str) -> Res<bool> {
        out.clear();
        match self.ws_or_eof()? {
            b'"' => {
                self.pos += 1;
                let mut bytes = std::mem::take(out).into_bytes();
                let r = self.string_body(Some(&mut bytes));
                // Decoded input is valid UTF-8 (checked while scanning).
                *out = String::from_utf8(bytes)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
                r?;
                Ok(true)
            }
            b'n' => {
                self.literal(b"null")?;
                Ok(false)
            }
            b => Err(self.shape(what, b)),
        }
    }

    fn opt_string_into(&mut self, out: &mut Option<String>, what: &str) -> Res<()> {
        let mut s = out.take().unwrap_or_default();
        self.string_into(&mut s, what)?;
        if !s.is_empty() {
            *out = Some(s);
        }
        Ok(())
    }

    /// A string value: is it non-empty? (null = empty)
    fn string_nonempty(&mut self, what: &str) -> Res<bool> {
        match self.ws_or_eof()? {
            b'"' => {
                self.pos += 1;
                let empty = self.peek_or_eof()? == b'"';
                self.string_body(None)?;
                Ok(!empty)
            }
            b'n' => {
                self.literal(b"null")?;
                Ok(false)
            }
            b => Err(self.shape(what, b)),
        }
    }

    fn severity(&mut self) -> Res<Severity> {
        let mut s = std::mem::take(&mut self.scratch);
        let r = self.string_into(&mut s, "`Severity` to be a string");
        let sev = Severity::from_report_bytes(s.as_bytes());
        self.scratch = s;
        r?;
        Ok(sev)
    }

    /// Opens an object or an array for a value that may also be null. Returns the opening
    /// byte, or `None` for null.
    fn open(&mut self, what: &str, want: u8) -> Res<Option<u8>> {
        match self.ws_or_eof()? {
            b if b == want => {
                self.enter()?;
                Ok(Some(b))
            }
            b'n' => {
                self.literal(b"null")?;
                Ok(None)
            }
            b => Err(self.shape(what, b)),
        }
    }

    // ---- the report ---------------------------------------------------------------------

    pub(crate) fn report(&mut self, w: &mut Walk<'_, '_>) -> Res<()> {
        match self.ws()? {
            None => return Err(ReportError::Empty),
            Some(b'{') => {
                self.enter()?;
                let mut first = true;
                while let Some(k) = self.next_key::<TopKey>(&mut first)? {
                    match k {
                        TopKey::Results => self.results(w)?,
                        TopKey::ArtifactName => {
                            let mut name = None;
                            self.opt_string_into(&mut name, "`ArtifactName` to be a string")?;
                            w.artifact_name = name;
                        }
                        TopKey::Trivy => {
                            if self.open("`Trivy` to be an object", b'{')?.is_some() {
                                let mut first = true;
                                while self.next_key_raw(&mut first, true)? {
                                    if self.key == b"Version" {
                                        let mut v = None;
                                        self.opt_string_into(
                                            &mut v,
                                            "`Trivy.Version` to be a string",
                                        )?;
                                        w.trivy_version = v;
                                    } else {
                                        self.skip_value()?;
                                    }
                                }
                            }
                        }
                        TopKey::Other => self.skip_value()?,
                    }
                }
            }
            Some(b'[') => self.results(w)?,
            Some(b) => {
                let e = self.shape("an object with `Results` or an array of results", b);
                // `42 43` is invalid JSON before it is a wrong shape.
                if matches!(e, ReportError::Shape { .. }) && self.ws()?.is_some() {
                    return Err(self.syntax("trailing characters"));
                }
                return Err(e);
            }
        }
        if self.ws()?.is_some() {
            return Err(self.syntax("trailing characters"));
        }
        Ok(())
    }

    fn results(&mut self, w: &mut Walk<'_, '_>) -> Res<()> {
        if self
            .open("`Results` to be a list of results", b'[')?
            .is_none()
        {
            return Ok(());
        }
        let mut first = true;
        while self.next_element(&mut first)? {
            self.result(w)?;
        }
        Ok(())
    }

    fn result(&mut self, w: &mut Walk<'_, '_>) -> Res<()> {
        if self.open("a result object", b'{')?.is_none() {
            return Ok(());
        }
        w.cur.target.clear();
        w.target_seen = false;
        let mut first = true;
        while let Some(k) = self.next_key::<ResultKey>(&mut first)? {
            match k {
                ResultKey::Target if w.need_target => {
                    self.string_into(&mut w.cur.target, "`Target` to be a string")?;
                    w.target_seen = true;
                }
                ResultKey::Vulnerabilities => {
                    if self.open("`Vulnerabilities` to be a list", b'[')?.is_some() {
                        let mut first = true;
                        while self.next_element(&mut first)? {
                            self.vulnerability(w)?;
                        }
                    }
                }
                ResultKey::Target | ResultKey::Other => self.skip_value()?,
            }
        }
        w.end_result();
        Ok(())
    }

    fn vulnerability(&mut self, w: &mut Walk<'_, '_>) -> Res<()> {
        if self.open("a vulnerability object", b'{')?.is_none() {
            return Ok(());
        }
        w.start_vuln();
        let strings = w.need_strings;
        let details = w.need_details;
        let fixable = w.opts.fixable_only;
        let mut first = true;
        while let Some(k) = self.next_key::<VulnKey>(&mut first)? {
            match k {
                VulnKey::Severity => w.cur.severity = self.severity()?,
                VulnKey::FixedVersion if details => {
                    self.opt_string_into(
                        &mut w.cur.fixed_version,
                        "`FixedVersion` to be a string",
                    )?;
                }
                VulnKey::FixedVersion if fixable => {
                    w.fixed = self.string_nonempty("`FixedVersion` to be a string")?;
                }
                VulnKey::VulnerabilityId if strings => {
                    self.string_into(
                        &mut w.cur.vulnerability_id,
                        "`VulnerabilityID` to be a string",
                    )?;
                }
                VulnKey::PkgName if strings => {
                    self.string_into(&mut w.cur.pkg_name, "`PkgName` to be a string")?;
                }
                VulnKey::InstalledVersion if strings => {
                    self.string_into(
                        &mut w.cur.installed_version,
                        "`InstalledVersion` to be a string",
                    )?;
                }
                VulnKey::PkgPath if details => {
                    self.opt_string_into(&mut w.cur.pkg_path, "`PkgPath` to be a string")?;
                }
                VulnKey::PkgIdentifier if details => {
                    if self
                        .open("`PkgIdentifier` to be an object", b'{')?
                        .is_some()
                    {
                        let mut first = true;
                        while let Some(k) = self.next_key::<PkgIdKey>(&mut first)? {
                            match k {
                                PkgIdKey::Purl => {
                                    self.opt_string_into(&mut w.cur.purl, "`PURL` to be a string")?
                                }
                                PkgIdKey::Other => self.skip_value()?,
                            }
                        }
                    }
                }
                _ => self.skip_value()?,
            }
        }
        w.end_vuln();
        Ok(())
    }
}

#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

//! serde_json's reader-based deserializer pulls every byte through `io::Bytes` with line and
//! column bookkeeping, which made counting about 1.7x slower than serde_json validating the
//! same bytes from a slice (docs/performance.md). This reader works on its own 64 KiB buffer
//! instead: whitespace and string bodies are skipped with tight loops over the buffer, numbers
//! are checked against the JSON grammar and their range, and lines are counted only where JSON
//! allows newlines (whitespace).

use std::io::{ErrorKind, Read};

const BUF_SIZE: usize = 64 * 1024;
/// Same nesting limit as serde_json.
const MAX_DEPTH: usize = 128;
/// Longest number text accepted; longer numbers are refused as out of range (no real report
/// has one, and serde_json refuses most of them too).
const MAX_NUMBER_LEN: usize = 128;

/// Bytes that end the fast part of a string body: `"`, `\`, control characters, and non-ASCII
/// (checked as UTF-8, also in strings that are only skipped).
static STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = i < 0x20 || i == b'"' as usize || i == b'\\' as usize || i >= 0x80;
        i += 1;
    }
    t
};

/// Why a document could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bytes are not valid JSON.
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What was wrong, without the location.
        message: String,
    },
    /// Nothing but whitespace.
    #[error("the file is empty")]
    Empty,
    /// The input stops in the middle of a value.
    #[error("the file ends early (truncated?) at line {line}, column {column}")]
    Truncated {
        /// 1-based line where the input ended.
        line: usize,
        /// Column where the input ended.
        column: usize,
    },
    /// Valid JSON of the wrong shape; the message names the place and the location.
    #[error("{message}")]
    Shape {
        /// What was wrong, with `(line L, column C)`.
        message: String,
    },
    /// A captured value is larger than the limit given to [`Reader::capture`].
    #[error("{what} is larger than {limit} bytes (at line {line})")]
    TooLarge {
        /// What was being read.
        what: String,
        /// The limit in bytes.
        limit: usize,
        /// Line where the value started.
        line: usize,
    },
    /// Reading failed.
    #[error("could not read: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// Line and column of the problem, when known.
    #[must_use]
    pub const fn location(&self) -> Option<(usize, usize)> {
        match self {
            Self::Syntax { line, column, .. } | Self::Truncated { line, column } => {
                Some((*line, *column))
            }
            _ => None,
        }
    }
}

type Res<T> = Result<T, Error>;

/// The kind of the next value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `{`
    Object,
    /// `[`
    Array,
    /// `"`
    String,
    /// `-` or a digit
    Number,
    /// `true` or `false`
    Bool,
    /// `null`
    Null,
}

impl Kind {
    /// "an object", "a string", ... for messages.
    #[must_use]
    pub const fn article(self) -> &'static str {
        match self {
            Self::Object => "an object",
            Self::Array => "an array",
            Self::String => "a string",
            Self::Number => "a number",
            Self::Bool => "a boolean",
            Self::Null => "null",
        }
    }
}

/// A streaming, validating JSON pull reader over any [`Read`].
#[derive(Debug)]
pub struct Reader<R> {
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
    started: bool,
    saw_content: bool,
    depth: usize,
    key: Vec<u8>,
    scratch: Vec<u8>,
    /// Bytes of the value being captured (see [`Reader::capture`]) that left the buffer.
    capture: Option<Capture>,
}

#[derive(Debug)]
struct Capture {
    bytes: Vec<u8>,
    /// Start of the not yet copied part in `buf`.
    from: usize,
    limit: usize,
}

impl<R: Read> Reader<R> {
    /// A reader over `reader`. One leading UTF-8 byte-order mark is skipped.
    pub fn new(reader: R) -> Self {
        Self {
            reader,
            buf: vec![0; BUF_SIZE].into_boxed_slice(),
            pos: 0,
            end: 0,
            base: 0,
            line: 1,
            line_start: 0,
            eof: false,
            started: false,
            saw_content: false,
            depth: 0,
            key: Vec::with_capacity(64),
            scratch: Vec::with_capacity(64),
            capture: None,
        }
    }

    /// Refills the (fully consumed) buffer. False at end of input.
    #[inline(never)]
    fn fill(&mut self) -> Res<bool> {
        debug_assert!(self.pos >= self.end);
        if self.eof {
            return Ok(false);
        }
        if let Some(c) = &mut self.capture {
            c.bytes.extend_from_slice(&self.buf[c.from..self.end]);
            c.from = 0;
            if c.bytes.len() > c.limit {
                return Err(Error::TooLarge {
                    what: String::new(),
                    limit: c.limit,
                    line: self.line,
                });
            }
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
                    if !self.started {
                        self.started = true;
                        self.skip_bom()?;
                    }
                    return Ok(true);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::Io(e)),
            }
        }
    }

    /// At the very start: skips `EF BB BF` (a short first read is topped up first).
    fn skip_bom(&mut self) -> Res<()> {
        while self.end < 3 && self.buf[0] == 0xEF {
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => break,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::Io(e)),
            }
        }
        if self.end >= 3 && self.buf[..3] == [0xEF, 0xBB, 0xBF] {
            self.pos = 3;
            self.line_start = 3;
        }
        Ok(())
    }

    /// The first bytes of the input (after a byte-order mark), up to `n` and at most 64 KiB,
    /// without consuming them. Only valid before anything was read.
    ///
    /// # Errors
    /// I/O errors.
    pub fn head(&mut self, n: usize) -> Res<&[u8]> {
        if !self.started && !self.fill()? {
            return Ok(&[]);
        }
        let want = (self.pos + n).min(self.buf.len());
        while self.end < want && !self.eof && self.base == 0 {
            match self.reader.read(&mut self.buf[self.end..want]) {
                Ok(0) => self.eof = true,
                Ok(k) => self.end += k,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::Io(e)),
            }
        }
        let stop = want.min(self.end);
        Ok(&self.buf[self.pos.min(stop)..stop])
    }

    // ---- positions and errors ---------------------------------------------------------------

    fn column(&self) -> usize {
        usize::try_from(self.base + self.pos as u64 - self.line_start).unwrap_or(usize::MAX)
    }

    /// 1-based line and column of the next byte.
    #[must_use]
    pub fn position(&self) -> (usize, usize) {
        (self.line, self.column() + 1)
    }

    /// Bytes consumed so far.
    #[must_use]
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// A syntax error at the current byte.
    fn syntax(&self, message: &str) -> Error {
        Error::Syntax {
            line: self.line,
            column: self.column() + 1,
            message: message.to_owned(),
        }
    }

    /// The input ended inside a value.
    fn eof_err(&self) -> Error {
        if self.saw_content {
            Error::Truncated {
                line: self.line,
                column: self.column(),
            }
        } else {
            Error::Empty
        }
    }

    /// A shape error at the current position, e.g. `expected X (line 3, column 7)`.
    #[must_use]
    pub fn error_here(&self, message: &str) -> Error {
        let (line, column) = self.position();
        Error::Shape {
            message: format!("{message} (line {line}, column {column})"),
        }
    }

    /// The next value is of the wrong type: skips it (so a syntax error inside wins) and
    /// returns `expected <what>, found <kind> (line, column)`.
    ///
    /// # Errors
    /// Always returns the error it builds (or a syntax/I/O error met while skipping).
    pub fn wrong_type(&mut self, what: &str) -> Error {
        let kind = match self.peek_kind() {
            Ok(Some(k)) => k,
            Ok(None) => return self.eof_err(),
            Err(e) => return e,
        };
        let (line, column) = self.position();
        if let Err(e) = self.skip_value() {
            return e;
        }
        Error::Shape {
            message: format!(
                "expected {what}, found {} (line {line}, column {column})",
                kind.article()
            ),
        }
    }

    // ---- bytes ------------------------------------------------------------------------------

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

    /// The kind of the next value (after whitespace); `None` at the end of the input.
    ///
    /// # Errors
    /// I/O errors, or a byte that starts no JSON value.
    pub fn peek_kind(&mut self) -> Res<Option<Kind>> {
        Ok(match self.ws()? {
            None => None,
            Some(b'{') => Some(Kind::Object),
            Some(b'[') => Some(Kind::Array),
            Some(b'"') => Some(Kind::String),
            Some(b'-' | b'0'..=b'9') => Some(Kind::Number),
            Some(b't' | b'f') => Some(Kind::Bool),
            Some(b'n') => Some(Kind::Null),
            Some(_) => return Err(self.syntax("expected value")),
        })
    }

    // ---- scalars ----------------------------------------------------------------------------

    /// After the opening quote: scans to the closing quote, validating escapes, control
    /// characters and UTF-8. Appends the decoded text to `out` when given.
    fn string_body(&mut self, mut out: Option<&mut Vec<u8>>) -> Res<()> {
        loop {
            let start = self.pos;
            let mut i = self.pos;
            let end = self.end;
            while i < end && !STOP[usize::from(self.buf[i])] {
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
            _ => return Err(self.syntax("invalid UTF-8 (the file must be UTF-8)")),
        };
        let mut seq = [0u8; 4];
        for (k, slot) in seq.iter_mut().enumerate().take(len) {
            let b = self.peek_or_eof()?;
            if k > 0 && !(0x80..0xC0).contains(&b) {
                return Err(self.syntax("invalid UTF-8 (the file must be UTF-8)"));
            }
            *slot = b;
            self.pos += 1;
        }
        if std::str::from_utf8(&seq[..len]).is_err() {
            return Err(self.syntax("invalid UTF-8 (the file must be UTF-8)"));
        }
        if let Some(o) = out {
            o.extend_from_slice(&seq[..len]);
        }
        Ok(())
    }

    /// Validates a number; its text goes to `scratch` (bounded), and a number whose value
    /// does not fit an `f64` is refused.
    fn number(&mut self) -> Res<()> {
        let (line, column) = self.position();
        self.scratch.clear();
        if self.peek_or_eof()? == b'-' {
            self.take_number_byte();
        }
        match self.peek_or_eof()? {
            b'0' => self.take_number_byte(),
            b'1'..=b'9' => self.digits()?,
            _ => return Err(self.syntax("invalid number")),
        }
        if self.peek()? == Some(b'.') {
            self.take_number_byte();
            if !matches!(self.peek()?, Some(b'0'..=b'9')) {
                return Err(self.peek_err("invalid number")?);
            }
            self.digits()?;
        }
        if matches!(self.peek()?, Some(b'e' | b'E')) {
            self.take_number_byte();
            if matches!(self.peek()?, Some(b'+' | b'-')) {
                self.take_number_byte();
            }
            if !matches!(self.peek()?, Some(b'0'..=b'9')) {
                return Err(self.peek_err("invalid number")?);
            }
            self.digits()?;
        }
        let in_range = self.scratch.len() <= MAX_NUMBER_LEN
            && std::str::from_utf8(&self.scratch)
                .ok()
                .and_then(|s| s.parse::<f64>().ok())
                .is_some_and(f64::is_finite);
        if !in_range {
            return Err(Error::Syntax {
                line,
                column,
                message: "number out of range".to_owned(),
            });
        }
        Ok(())
    }

    #[inline]
    fn take_number_byte(&mut self) {
        if self.scratch.len() <= MAX_NUMBER_LEN {
            self.scratch.push(self.buf[self.pos]);
        }
        self.pos += 1;
    }

    /// EOF error at the end of input, otherwise a syntax error at the current byte.
    fn peek_err(&mut self, message: &str) -> Res<Error> {
        Ok(match self.peek()? {
            None => self.eof_err(),
            Some(_) => self.syntax(message),
        })
    }

    fn digits(&mut self) -> Res<()> {
        loop {
            let start = self.pos;
            while self.pos < self.end && self.buf[self.pos].is_ascii_digit() {
                self.pos += 1;
            }
            let room = (MAX_NUMBER_LEN + 1).saturating_sub(self.scratch.len());
            let take = (self.pos - start).min(room);
            self.scratch
                .extend_from_slice(&self.buf[start..start + take]);
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

    // ---- structure --------------------------------------------------------------------------

    fn enter(&mut self) -> Res<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.syntax("recursion limit exceeded"));
        }
        self.pos += 1;
        Ok(())
    }

    /// Validates and skips one value.
    ///
    /// # Errors
    /// Syntax, truncation and I/O errors.
    pub fn skip_value(&mut self) -> Res<()> {
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

    /// Inside an object (after `{`): reads the next key (into [`Reader::key`] when
    /// `decode`) and the `:`. False after the closing `}`.
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

    /// Inside an object (after [`Reader::open_object`]): reads the next key, available from
    /// [`Reader::key`], and the `:`; the caller then reads or skips the value. False after
    /// the closing `}`. `first` starts `true` for each object.
    ///
    /// # Errors
    /// Syntax, truncation and I/O errors.
    #[inline]
    pub fn next_key(&mut self, first: &mut bool) -> Res<bool> {
        self.next_key_raw(first, true)
    }

    /// The key read by the last [`Reader::next_key`], decoded.
    #[must_use]
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// The last key as text, for messages.
    #[must_use]
    pub fn key_str(&self) -> String {
        String::from_utf8_lossy(&self.key).into_owned()
    }

    /// Inside an array (after [`Reader::open_array`]): true when an element follows (not
    /// consumed). `first` starts `true` for each array.
    ///
    /// # Errors
    /// Syntax, truncation and I/O errors.
    pub fn next_element(&mut self, first: &mut bool) -> Res<bool> {
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

    /// Opens an object, or reads `null` (false). Another value is a shape error naming
    /// `what` (e.g. "`report` to be an object").
    ///
    /// # Errors
    /// Shape, syntax, truncation and I/O errors.
    pub fn open_object(&mut self, what: &str) -> Res<bool> {
        self.open(what, b'{')
    }

    /// Opens an array, or reads `null` (false). Another value is a shape error.
    ///
    /// # Errors
    /// Shape, syntax, truncation and I/O errors.
    pub fn open_array(&mut self, what: &str) -> Res<bool> {
        self.open(what, b'[')
    }

    /// Opens an object; `null` is a shape error too.
    ///
    /// # Errors
    /// Shape, syntax, truncation and I/O errors; [`Error::Empty`] on empty input.
    pub fn expect_object(&mut self, what: &str) -> Res<()> {
        match self.ws()? {
            None => Err(self.eof_err()),
            Some(b'{') => self.enter(),
            Some(_) => Err(self.wrong_type(what)),
        }
    }

    fn open(&mut self, what: &str, want: u8) -> Res<bool> {
        match self.ws_or_eof()? {
            b if b == want => {
                self.enter()?;
                Ok(true)
            }
            b'n' => {
                self.literal(b"null")?;
                Ok(false)
            }
            _ => Err(self.wrong_type(what)),
        }
    }

    /// A string value (or null = empty) decoded into `out`. True for a string.
    ///
    /// # Errors
    /// A shape error naming `what` for any other value; syntax, truncation and I/O errors.
    pub fn string_into(&mut self, out: &mut String, what: &str) -> Res<bool> {
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
            _ => Err(self.wrong_type(what)),
        }
    }

    /// A string value; `None` for null or `""`.
    ///
    /// # Errors
    /// As [`Reader::string_into`].
    pub fn opt_string(&mut self, what: &str) -> Res<Option<String>> {
        let mut s = String::new();
        self.string_into(&mut s, what)?;
        Ok((!s.is_empty()).then_some(s))
    }

    /// A string value: is it non-empty? (null = empty). The text is not decoded.
    ///
    /// # Errors
    /// As [`Reader::string_into`].
    pub fn string_nonempty(&mut self, what: &str) -> Res<bool> {
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
            _ => Err(self.wrong_type(what)),
        }
    }

    /// Any scalar value: strings are decoded into `out`, numbers copied as written; objects
    /// and arrays are skipped (and `out` left empty). Returns the kind read.
    ///
    /// # Errors
    /// Syntax, truncation and I/O errors.
    pub fn scalar_into(&mut self, out: &mut String) -> Res<Kind> {
        out.clear();
        let Some(kind) = self.peek_kind()? else {
            return Err(self.eof_err());
        };
        match kind {
            Kind::String => {
                self.string_into(out, "a string")?;
            }
            Kind::Number => {
                self.number()?;
                out.push_str(std::str::from_utf8(&self.scratch).unwrap_or_default());
            }
            Kind::Bool => {
                let t = self.peek_or_eof()? == b't';
                self.literal(if t { b"true" } else { b"false" })?;
                out.push_str(if t { "true" } else { "false" });
            }
            Kind::Null | Kind::Object | Kind::Array => self.skip_value()?,
        }
        Ok(kind)
    }

    /// Reads one value whole into a [`serde_json::Value`], refusing values whose text is
    /// longer than `limit` bytes (checked while reading, never after).
    ///
    /// # Errors
    /// [`Error::TooLarge`] naming `what`; syntax, truncation and I/O errors.
    pub fn capture(&mut self, what: &str, limit: usize) -> Res<serde_json::Value> {
        self.ws_or_eof()?;
        let line = self.line;
        self.capture = Some(Capture {
            bytes: Vec::new(),
            from: self.pos,
            limit,
        });
        let r = self.skip_value();
        let mut cap = self.capture.take().expect("capture set above");
        if let Err(e) = r {
            return Err(match e {
                Error::TooLarge { limit, .. } => Error::TooLarge {
                    what: what.to_owned(),
                    limit,
                    line,
                },
                e => e,
            });
        }
        cap.bytes.extend_from_slice(&self.buf[cap.from..self.pos]);
        if cap.bytes.len() > limit {
            return Err(Error::TooLarge {
                what: what.to_owned(),
                limit,
                line,
            });
        }
        // Already validated above; serde_json only builds the tree.
        serde_json::from_slice(&cap.bytes).map_err(|e| Error::Shape {
            message: format!("{what} could not be read (line {line}): {e}"),
        })
    }

    /// After the top-level value: only whitespace may follow.
    ///
    /// # Errors
    /// A syntax error for trailing characters; I/O errors.
    pub fn finish(&mut self) -> Res<()> {
        if self.ws()?.is_some() {
            return Err(self.syntax("trailing characters"));
        }
        Ok(())
    }
}

/// The name in `names` that `key` equals only when ASCII letter case is ignored (an exact
/// match is not a variant). Go's JSON decoder, which Trivy and Grype use, matches keys that
/// way, so a reader that wants exact keys must refuse such a key instead of skipping it.
#[must_use]
pub fn case_variant<'n>(key: &[u8], names: &[&'n str]) -> Option<&'n str> {
    names.iter().copied().find(|n| {
        n.len() == key.len() && n.as_bytes() != key && n.as_bytes().eq_ignore_ascii_case(key)
    })
}

impl<R: Read> Reader<R> {
    /// After a key that matched none of `names` exactly: a shape error if it differs from one
    /// of them only in letter case (see [`case_variant`]).
    ///
    /// # Errors
    /// The shape error, naming both spellings and the location.
    pub fn refuse_case_variant(&self, names: &[&str]) -> Res<()> {
        match case_variant(&self.key, names) {
            None => Ok(()),
            Some(n) => Err(self.error_here(&format!(
                "key `{}` differs from `{n}` only in letter case; refusing to guess whether it is meant",
                self.key_str()
            ))),
        }
    }
}

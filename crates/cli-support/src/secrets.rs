//! Secrets: loading them ([`load_secret`]) and keeping them out of everything we print
//! ([`Redactor`]).
//!
//! A binary builds one [`Redactor`] in its `run` from every secret it loaded and every URL it
//! was given, and passes it to whatever renders server text, errors or logs. A secret is
//! redacted in every form a user can supply it: the whole value, each whitespace-separated part
//! (`Api-Token X` and `X` alone), each value of a `k=v,k2=v2` header list (raw and
//! percent-decoded), and the password and `user:password` of a URL's userinfo (raw and
//! percent-decoded).

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use crate::Failure;

/// What replaces a secret in output.
pub const REDACTED: &str = "[REDACTED]";

/// Values shorter than this are not redacted as words: they would blank ordinary text (`ab`
/// in every word). We never print secrets ourselves, so such values still never appear.
const MIN_REDACTED_LEN: usize = 4;

/// Authorization scheme names (the first part of a header value), never redacted as parts.
const AUTH_SCHEMES: &[&str] = &["Api-Token", "Bearer", "Basic", "Token", "ApiKey", "Api-Key"];

/// Removes known secrets from text. Cheap to clone (shared list).
#[derive(Clone, Default)]
pub struct Redactor {
    /// Every form of every secret, longest first so a whole value wins over its parts.
    words: Arc<[String]>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} forms)", self.words.len())
    }
}

/// Collects secrets for a [`Redactor`].
#[derive(Default)]
pub struct RedactorBuilder {
    words: Vec<String>,
}

impl std::fmt::Debug for RedactorBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RedactorBuilder({} forms)", self.words.len())
    }
}

impl RedactorBuilder {
    /// A token or password: the whole value, each whitespace-separated part, and their
    /// percent-decoded and percent-encoded spellings.
    #[must_use]
    pub fn secret(mut self, value: &str) -> Self {
        self.add_value(value);
        self
    }

    /// A [`SecretString`] (see [`RedactorBuilder::secret`]); `None` adds nothing.
    #[must_use]
    pub fn secret_opt(self, value: Option<&SecretString>) -> Self {
        match value {
            Some(v) => self.secret(v.expose_secret()),
            None => self,
        }
    }

    /// A header list as `OTEL_EXPORTER_OTLP_HEADERS` spells it (`k=v,k2=v2`): each value, raw
    /// and percent-decoded, as a secret. The whole list is added too.
    #[must_use]
    pub fn header_list(mut self, list: &str) -> Self {
        self.add_value(list);
        for pair in list.split(',') {
            if let Some((_, v)) = pair.split_once('=') {
                self.add_value(v);
            }
        }
        self
    }

    /// A URL the user gave: the password and `user:password` of its userinfo (raw and
    /// percent-decoded) are secrets. A URL without userinfo adds nothing. The URL need not
    /// parse (a malformed URL still shows up in error messages).
    #[must_use]
    pub fn url(mut self, raw: &str) -> Self {
        let after_scheme = raw.find("://").map_or(0, |i| i + 3);
        let rest = &raw[after_scheme..];
        // The authority ends at the first '/', '?' or '#'; userinfo is before its last '@'.
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        if let Some(at) = rest[..authority_end].rfind('@') {
            let userinfo = &rest[..at];
            self.add_value(userinfo);
            if let Some((_, password)) = userinfo.split_once(':') {
                self.add_value(password);
            }
            // Sent as `Authorization: Basic base64(user:password)`, which a server may echo.
            for form in [userinfo.to_owned(), percent_decode(userinfo)] {
                if form.chars().count() >= MIN_REDACTED_LEN {
                    self.add_word(&base64(form.as_bytes()));
                }
            }
        }
        self
    }

    /// A URL held in an option (see [`RedactorBuilder::url`]).
    #[must_use]
    pub fn url_opt(self, raw: Option<&str>) -> Self {
        match raw {
            Some(u) => self.url(u),
            None => self,
        }
    }

    fn add_value(&mut self, value: &str) {
        let value = value.trim();
        let decoded = percent_decode(value);
        for form in [value, decoded.as_str()] {
            self.add_word(form);
            for part in form.split_whitespace() {
                // `Bearer X`: the scheme name is no secret, and redacting it would blank our
                // own words.
                if AUTH_SCHEMES.iter().any(|s| s.eq_ignore_ascii_case(part)) {
                    continue;
                }
                self.add_word(part);
            }
        }
    }

    /// Adds `word` and its percent-encoded spelling (how a server may echo a value it got in
    /// a URL); nothing for a short word.
    fn add_word(&mut self, word: &str) {
        if word.chars().count() < MIN_REDACTED_LEN {
            return;
        }
        for form in [word.to_owned(), percent_encode(word)] {
            if !self.words.contains(&form) {
                self.words.push(form);
            }
        }
    }

    /// The redactor.
    #[must_use]
    pub fn build(mut self) -> Redactor {
        self.words
            .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        Redactor {
            words: self.words.into(),
        }
    }
}

impl Redactor {
    /// Starts collecting secrets.
    #[must_use]
    pub fn builder() -> RedactorBuilder {
        RedactorBuilder::default()
    }

    /// True when there is nothing to redact.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// `text` with every form of every secret replaced by `[REDACTED]`. A secret cut by an
    /// excerpt (`…abc` where `abc…` begins a secret) is redacted too: the cut part is removed.
    #[must_use]
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for word in self.words.iter() {
            if out.contains(word.as_str()) {
                out = out.replace(word.as_str(), REDACTED);
            }
        }
        if out.contains('…') {
            out = self.redact_cut_prefixes(&out);
        }
        out
    }

    /// Before each `…` (the mark an excerpt leaves where it cut a body), removes the longest
    /// text that is the beginning of a secret.
    fn redact_cut_prefixes(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut pieces = text.split('…').peekable();
        while let Some(piece) = pieces.next() {
            let mut kept = piece;
            if pieces.peek().is_some() {
                let longest = self
                    .words
                    .iter()
                    .filter_map(|w| {
                        (1..=w.len().min(piece.len()))
                            .rev()
                            .filter(|&n| w.is_char_boundary(n))
                            .find(|&n| piece.ends_with(&w[..n]))
                    })
                    .max();
                if let Some(n) = longest {
                    kept = &piece[..piece.len() - n];
                }
            }
            out.push_str(kept);
            if kept.len() != piece.len() {
                out.push_str(REDACTED);
            }
            if pieces.peek().is_some() {
                out.push('…');
            }
        }
        out
    }

    /// A writer that passes each complete line of what is written through
    /// [`Redactor::redact`] before it reaches `inner` (the rest on flush or drop). Secrets never
    /// hold newlines, so line-wise redaction misses none.
    pub fn writer<W: Write>(&self, inner: W) -> RedactingWriter<W> {
        RedactingWriter {
            redactor: self.clone(),
            inner,
            pending: Vec::new(),
        }
    }
}

/// See [`Redactor::writer`].
pub struct RedactingWriter<W: Write> {
    redactor: Redactor,
    inner: W,
    pending: Vec<u8>,
}

impl<W: Write> std::fmt::Debug for RedactingWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RedactingWriter")
    }
}

impl<W: Write> RedactingWriter<W> {
    fn emit(&mut self, upto: usize) -> std::io::Result<()> {
        let chunk: Vec<u8> = self.pending.drain(..upto).collect();
        let text = String::from_utf8_lossy(&chunk);
        self.inner.write_all(self.redactor.redact(&text).as_bytes())
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if let Some(last_newline) = self.pending.iter().rposition(|&b| b == b'\n') {
            self.emit(last_newline + 1)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.pending.is_empty() {
            self.emit(self.pending.len())?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// Standard base64 with padding (RFC 4648), as HTTP Basic credentials are sent.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `%41` → `A`; malformed escapes stay as they are, invalid UTF-8 is replaced.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            // Two hex digits fit in a byte.
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Everything but RFC 3986 unreserved characters as `%XX` (how a server may echo a value it
/// received in a URL).
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Reads a secret from a flag/env value or from a file (first line, trimmed: mounted secrets
/// often end in a newline). Giving both is a usage error. The messages never hold the secret.
///
/// # Errors
/// Both given, unreadable file, or an empty secret.
pub fn load_secret(
    value: Option<&SecretString>,
    file: Option<&Path>,
    what: &str,
) -> Result<Option<SecretString>, Failure> {
    match (value, file) {
        (Some(_), Some(path)) => Err(Failure::usage(format!(
            "give the {what} either directly or with a file ({}), not both",
            path.display()
        ))),
        (Some(v), None) => {
            if v.expose_secret().trim().is_empty() {
                return Err(Failure::usage(format!("the {what} is empty")));
            }
            Ok(Some(SecretString::from(
                v.expose_secret().trim().to_owned(),
            )))
        }
        (None, Some(path)) => {
            let text = crate::files::read_text_limited(path, crate::files::limits::TOKEN).map_err(
                |e| {
                    Failure::usage(format!(
                        "cannot read the {what} file {}: {e}",
                        path.display()
                    ))
                },
            )?;
            let token = text.lines().next().unwrap_or("").trim().to_owned();
            if token.is_empty() {
                return Err(Failure::usage(format!(
                    "the {what} file {} is empty",
                    path.display()
                )));
            }
            Ok(Some(SecretString::from(token)))
        }
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Exit;

    #[test]
    fn every_form_of_a_token_is_redacted() {
        let r = Redactor::builder()
            .secret("Api-Token dt0c01.TOKENPART")
            .build();
        for text in [
            "header was Api-Token dt0c01.TOKENPART",
            "token dt0c01.TOKENPART is invalid",
        ] {
            let got = r.redact(text);
            assert!(!got.contains("TOKENPART"), "{got}");
            assert!(got.contains(REDACTED), "{got}");
        }
        // The scheme name alone is no secret.
        assert_eq!(
            r.redact("send an Api-Token header"),
            "send an Api-Token header"
        );
    }

    #[test]
    fn header_lists_are_split_and_decoded() {
        let r = Redactor::builder()
            .header_list("api-key=abc%20HDRSECRET,x-other=SECOND.HDR")
            .build();
        let got = r.redact("a: abc HDRSECRET b: abc%20HDRSECRET c: SECOND.HDR d: HDRSECRET");
        assert!(
            !got.contains("HDRSECRET") && !got.contains("SECOND.HDR"),
            "{got}"
        );
    }

    #[test]
    fn url_userinfo_raw_and_decoded() {
        let r = Redactor::builder()
            .url("https://alice:p%40ss-URLSECRET@host.example:9091/x?q=1")
            .url("http://no-credentials.example/")
            .url_opt(None)
            .build();
        let got =
            r.redact("x alice:p%40ss-URLSECRET y p@ss-URLSECRET z p%40ss-URLSECRET host.example");
        assert!(!got.contains("URLSECRET"), "{got}");
        assert!(got.contains("host.example"), "{got}");
        // The Basic header's base64 of `alice:p@ss-URLSECRET` and of the raw spelling.
        let got =
            r.redact("Basic YWxpY2U6cEBzcy1VUkxTRUNSRVQ= Basic YWxpY2U6cCU0MHNzLVVSTFNFQ1JFVA==");
        assert_eq!(got, "Basic [REDACTED] Basic [REDACTED]");
        // A malformed URL still yields its password.
        let r = Redactor::builder().url("http://u:BADURLSECRET@[x/").build();
        assert!(!r.redact("BADURLSECRET").contains("BADURLSECRET"));
    }

    #[test]
    fn base64_matches_rfc_4648() {
        for (raw, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(raw.as_bytes()), want);
        }
    }

    #[test]
    fn short_values_are_not_words() {
        let r = Redactor::builder()
            .secret("ab")
            .url("http://u:x@h/")
            .build();
        assert!(r.is_empty());
        assert_eq!(r.redact("ab u:x x"), "ab u:x x");
    }

    #[test]
    fn a_secret_cut_by_an_excerpt_is_removed() {
        let r = Redactor::builder().secret("dt0c01.CUTSECRET").build();
        let got = r.redact("body: {\"error\": \"bad dt0c01.CUT… (after 3 attempts)");
        assert!(!got.contains("dt0c01.CUT"), "{got}");
        assert!(got.contains("bad [REDACTED]… (after"), "{got}");
        assert_eq!(r.redact("plain… text"), "plain… text");
    }

    #[test]
    fn the_writer_redacts_lines_split_across_writes() {
        let r = Redactor::builder().secret("WRITERSECRET").build();
        let mut buf = Vec::new();
        {
            let mut w = r.writer(&mut buf);
            w.write_all(b"one WRITER").unwrap();
            w.write_all(b"SECRET two\nthree WRITERSECRET").unwrap();
        }
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "one [REDACTED] two\nthree [REDACTED]"
        );
        assert!(!format!("{r:?}").contains("WRITER"));
    }

    #[test]
    fn secrets_from_files_are_the_first_line_trimmed_and_never_shown() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("token");
        std::fs::write(&f, "  dt0c01.MARKER \nsecond line\n").unwrap();
        let s = load_secret(None, Some(&f), "Dynatrace token")
            .unwrap()
            .unwrap();
        assert_eq!(s.expose_secret(), "dt0c01.MARKER");
        assert!(!format!("{s:?}").contains("MARKER"));
        let both = load_secret(Some(&s), Some(&f), "token").unwrap_err();
        assert_eq!(both.exit, Exit::Usage);
        assert!(!both.message.contains("MARKER"));
        // A token file saved with a byte-order mark: the mark is not part of the token.
        std::fs::write(&f, "\u{feff}dt0c01.MARKER\n").unwrap();
        let s = load_secret(None, Some(&f), "token").unwrap().unwrap();
        assert_eq!(s.expose_secret(), "dt0c01.MARKER");
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n").unwrap();
        assert!(load_secret(None, Some(&empty), "token").is_err());
    }
}

//! Malformed input gives one clear error with a location.

use crate::compat::{CountOptions, ReportError, summarize, summarize_slice};

fn err(bytes: &[u8]) -> (ReportError, ReportError) {
    let opts = CountOptions::default();
    (
        summarize(bytes, &opts).unwrap_err(),
        summarize_slice(bytes, &opts).unwrap_err(),
    )
}

#[test]
fn empty() {
    for input in [&b""[..], b"   \n\t "] {
        let (a, b) = err(input);
        assert!(matches!(a, ReportError::Empty), "{a:?}");
        assert!(matches!(b, ReportError::Empty), "{b:?}");
        assert_eq!(a.to_string(), "the file is empty");
    }
}

#[test]
fn truncated() {
    let full = crate::report_bytes("alpine-3.10-image.json");
    let cut = &full[..full.len() / 2];
    let (a, b) = err(cut);
    for e in [&a, &b] {
        let ReportError::Truncated { line, column } = e else {
            panic!("{e:?}")
        };
        assert!(*line > 1);
        assert_eq!(
            e.to_string(),
            format!("the file ends early (truncated?) at line {line}, column {column}")
        );
    }
    assert_eq!(a.location(), b.location());
}

#[test]
fn not_json() {
    let (a, b) =
        err(b"{\n  \"Results\": [\n    {\"Target\": \"x\" \"Vulnerabilities\": []}\n  ]\n}");
    assert_eq!(
        a.to_string(),
        "invalid JSON at line 3, column 20: expected `,` or `}`"
    );
    assert_eq!(a.to_string(), b.to_string());
    let (a, _) = err(b"<html>oops</html>");
    assert!(
        a.to_string().starts_with("this looks like an HTML report"),
        "{a}"
    );
    let (a, _) = err(b"{\"Results\": []} trailing");
    assert_eq!(
        a.to_string(),
        "invalid JSON at line 1, column 17: trailing characters"
    );
}

#[test]
fn not_utf8_names_the_place_and_utf16_is_named() {
    let (a, _) = err(b"Total: 3\nCRITICAL \xe9t\xe9\n");
    assert!(
        a.to_string()
            .contains("not UTF-8 text (invalid byte at line 2, column 10)"),
        "{a}"
    );
    let (a, _) = err(&[0xff, 0xfe, b'{', 0]);
    assert!(a.to_string().contains("UTF-16"), "{a}");
    assert!(a.to_string().contains("line 1, column 1"), "{a}");
}

#[test]
fn wrong_shape() {
    let (a, b) = err(b"42");
    assert_eq!(
        a.to_string(),
        "this looks like text that is not JSON: vulngate reads JSON reports (run the scanner with --format json)"
    );
    assert_eq!(a.to_string(), b.to_string());
    let (a, _) = err(b"\n  \"text\"");
    assert!(a.to_string().starts_with("this looks like text"), "{a}");
    let (a, _) = err(b"{\"Results\": {\"a\": 1}}");
    assert_eq!(
        a.to_string(),
        "malformed trivy-json report: `Results` is an object, expected a list"
    );
    let (a, _) = err(b"[{\"Vulnerabilities\": [{\"Severity\": 3}]}]");
    assert_eq!(
        a.to_string(),
        "malformed trivy-json-legacy report: expected `Severity` to be a string, found a number (line 1, column 36)"
    );
    let (a, _) = err(b"[{\"Vulnerabilities\": {}}]");
    assert!(
        a.to_string()
            .contains("expected `Vulnerabilities` to be a list, found an object"),
        "{a}"
    );
    // A JSON scalar is no report: refused as text (specs/scanner-formats.md §1.1).
    let (a, _) = err(b"42 43");
    assert!(a.to_string().starts_with("this looks like text"), "{a}");
    // After a valid document, anything but whitespace is a syntax error.
    let (a, _) = err(b"null 43");
    assert_eq!(
        a.to_string(),
        "invalid JSON at line 1, column 6: trailing characters"
    );
}

#[test]
fn syntax_errors_name_the_place() {
    // (inner value, column on line 1 of `{"x":` + inner + `}`, message)
    let cases: &[(&[u8], usize, &str)] = &[
        (b"[1,]", 4, "trailing comma"),
        (b"{\"a\":1,}", 8, "trailing comma"),
        (b"{\"a\" 1}", 6, "expected `:`"),
        (b"{1:2}", 2, "key must be a string"),
        (b"[\"a\\x\"]", 5, "invalid escape"),
        (
            b"[\"a\tb\"]",
            4,
            "control character (\\u0000-\\u001F) found while parsing a string",
        ),
        (b"[01]", 3, "expected `,` or `]`"),
        (b"[1.e5]", 4, "invalid number"),
        (b"[-]", 3, "invalid number"),
        (b"[tru]", 5, "expected ident"),
    ];
    for (inner, col, msg) in cases {
        let mut input = b"{\"x\":".to_vec();
        input.extend_from_slice(inner);
        input.push(b'}');
        let (a, _) = err(&input);
        let want = format!("invalid JSON at line 1, column {}: {msg}", col + 5);
        assert_eq!(a.to_string(), want, "{}", String::from_utf8_lossy(&input));
        // serde_json agrees that these are invalid (its `IgnoredAny` does not check the
        // UTF-8 of keys it skips; this reader decodes every key).
        if !msg.contains("unicode") {
            assert!(serde_json::from_slice::<serde::de::IgnoredAny>(&input).is_err());
        }
    }
    // Keys and values the count reads are decoded and so checked as UTF-8.
    let (a, _) = err(b"{\"Results\":[{\"Target\":\"x\",\"\xc3(\":1}]}");
    assert_eq!(
        a.to_string(),
        "invalid JSON at line 1, column 29: invalid UTF-8 (the file must be UTF-8)"
    );
    let (a, _) = err(b"\n\n  {\"x\":[1 2]}");
    assert_eq!(
        a.to_string(),
        "invalid JSON at line 3, column 11: expected `,` or `]`"
    );
    let deep = format!("{{\"x\":{}{}}}", "[".repeat(200), "]".repeat(200));
    let (a, _) = err(deep.as_bytes());
    assert!(a.to_string().ends_with("recursion limit exceeded"), "{a}");
    // Valid oddities are accepted: escapes, surrogate pairs, UTF-8, numbers.
    let ok = "[{\"Target\":\"\\u00e9\\ud83d\\ude00\\n\",\"Vulnerabilities\":[{\"Severity\":\"HIGH\",\"CVSS\":{\"v\":-0.5e+10,\"w\":[0,1E2,true,false,null]},\"Title\":\"caf\u{e9} \u{1F600}\"}]}]";
    let s = summarize(ok.as_bytes(), &CountOptions::default()).unwrap();
    assert_eq!(s.findings, 1);
    let mut targets = Vec::new();
    crate::compat::for_each_finding(ok.as_bytes(), &CountOptions::default(), |f| {
        targets.push(f.target.clone())
    })
    .unwrap();
    assert_eq!(targets, ["\u{e9}\u{1F600}\n"]);
}

#[test]
fn io_error_is_reported() {
    struct Broken;
    impl std::io::Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk on fire"))
        }
    }
    let e = summarize(Broken, &CountOptions::default()).unwrap_err();
    assert!(matches!(e, ReportError::Io(_)), "{e:?}");
    assert_eq!(e.to_string(), "disk on fire");
}

//! Malformed input gives one clear error with a location.

use trivy_report::{CountOptions, ReportError, summarize, summarize_slice};

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
        assert_eq!(a.to_string(), "the report is empty");
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
            format!("the report ends early (truncated?) at line {line}, column {column}")
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
    assert_eq!(
        a.to_string(),
        "invalid JSON at line 1, column 1: expected value"
    );
    let (a, _) = err(b"{\"Results\": []} trailing");
    assert_eq!(
        a.to_string(),
        "invalid JSON at line 1, column 17: trailing characters"
    );
}

#[test]
fn wrong_shape() {
    let (a, b) = err(b"42");
    assert_eq!(
        a.to_string(),
        "not a Trivy report: invalid type: integer `42`, expected an object with `Results` or an array of results (line 1, column 2)"
    );
    assert_eq!(a.to_string(), b.to_string());
    let (a, _) = err(b"{\"Results\": {\"a\": 1}}");
    assert!(matches!(a, ReportError::Shape { .. }), "{a:?}");
    assert!(a.to_string().contains("expected a list of results"), "{a}");
    let (a, _) = err(b"[{\"Vulnerabilities\": [{\"Severity\": 3}]}]");
    assert!(
        a.to_string()
            .contains("expected a severity string (line 1, column 37)"),
        "{a}"
    );
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
    assert_eq!(e.to_string(), "could not read the report: disk on fire");
}

//! Files that are not JSON (`specs/scanner-formats.md` §9.2): say what they look like.

use crate::ReportError;

/// Not UTF-8: where the first bad byte is, and what the file probably is instead.
fn not_utf8(head: &[u8]) -> ReportError {
    if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
        return ReportError::refused(
            "a UTF-16 text file (byte order mark at line 1, column 1)",
            "JSON reports are UTF-8: write the report to a file with the scanner's --output flag instead of a shell redirect that converts it",
        );
    }
    let valid = std::str::from_utf8(head).map_or_else(|e| e.valid_up_to(), str::len);
    let before = &head[..valid];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = valid
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1)
        + 1;
    ReportError::refused(
        format!("a file that is not UTF-8 text (invalid byte at line {line}, column {column})"),
        "not a vulnerability report (run the scanner with --format json)",
    )
}

/// The refusal for a file whose first non-space byte starts no JSON document; `head` is its
/// first bytes (up to 4 KiB).
pub(crate) fn refuse(head: &[u8]) -> ReportError {
    let Ok(text) = std::str::from_utf8(head).or_else(|e| {
        // A multi-byte character cut at the end of the head is still UTF-8.
        if e.error_len().is_none() {
            std::str::from_utf8(&head[..e.valid_up_to()])
        } else {
            Err(e)
        }
    }) else {
        return not_utf8(head);
    };
    let t = text.trim_start();
    let lower = t.to_ascii_lowercase();
    let (what, reason) = if t.starts_with('<') {
        if lower.contains("<testsuites") || lower.contains("<testsuite") {
            (
                "a JUnit XML test report",
                "not a vulnerability report (use the scanner's JSON output, e.g. `trivy image --format json`)",
            )
        } else if lower.contains("<!doctype html") || lower.contains("<html") {
            (
                "an HTML report",
                "not machine-readable here (use the scanner's JSON output, e.g. `trivy image --format json`)",
            )
        } else if lower.contains("<bom") && lower.contains("cyclonedx") {
            (
                "a CycloneDX XML document",
                "not read (write CycloneDX as JSON: `--format cyclonedx` in trivy, `-o cyclonedx-json` in grype)",
            )
        } else {
            (
                "an XML document",
                "not a vulnerability report vulngate reads",
            )
        }
    } else if t.starts_with("SPDXVersion:") {
        (
            "an SPDX tag-value document",
            "an SBOM, not a vulnerability report",
        )
    } else if t.contains("Report Summary") || t.contains('│') || t.contains("Total: ") {
        (
            "trivy's table output",
            "not machine-readable; run trivy with --format json",
        )
    } else {
        (
            "text that is not JSON",
            "vulngate reads JSON reports (run the scanner with --format json)",
        )
    };
    ReportError::refused(format!("this looks like {what}"), reason)
}

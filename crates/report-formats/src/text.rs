//! Files that are not JSON (`specs/scanner-formats.md` §9.2): say what they look like.

use crate::ReportError;

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
        return ReportError::refused(
            "a file that is not UTF-8 text",
            "not a vulnerability report (run the scanner with --format json)",
        );
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

//! Arbitrary input never panics.

use crate::compat::{CountOptions, ReportError, summarize, summarize_slice, summarize_with_serde};
use proptest::prelude::*;

fn all_opts() -> CountOptions {
    CountOptions {
        unique: true,
        fixable_only: true,
        ignore: Some(
            crate::compat::parse_trivyignore("CVE-2021-36159\n", jiff::civil::date(2020, 1, 1))
                .unwrap(),
        ),
        vex: None,
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = summarize(&bytes[..], &CountOptions::default());
        let _ = summarize_slice(&bytes, &all_opts());
    }

    #[test]
    fn truncations_of_a_real_report_fail_cleanly(cut in 0usize..30_000) {
        let full = crate::report_bytes("generated-0.76-rootfs-alpine-3.14.json");
        let cut = cut % full.len();
        let r = summarize(&full[..cut], &all_opts());
        let e = r.expect_err("a strict prefix of an object is never complete");
        prop_assert!(matches!(e, ReportError::Empty | ReportError::Truncated { .. } | ReportError::Json { .. }), "{:?}", e);
    }

    #[test]
    fn byte_flips_never_panic(pos in 0usize..30_000, byte in any::<u8>()) {
        let mut full = crate::report_bytes("generated-0.76-image-alpine-3.14.json");
        let p = pos % full.len();
        full[p] = byte;
        let _ = summarize(&full[..], &all_opts());
        let _ = summarize_slice(&full, &CountOptions::default());
    }
}

/// What both readers must agree on (the reference records nothing about the input).
fn counted(
    s: &crate::compat::Summary,
) -> (
    crate::compat::SeverityCounts,
    u64,
    Vec<crate::compat::RuleUse>,
) {
    (s.counts, s.findings, s.suppressed.clone())
}

/// The hand-written reader and the serde_json visitors must agree: same verdict (ok or not),
/// same counts when ok, same line for syntax errors.
fn agree(bytes: &[u8], opts: &CountOptions) -> Result<(), TestCaseError> {
    let fast = summarize(bytes, opts);
    let reference = summarize_with_serde(bytes, true, opts);
    match (&fast, &reference) {
        (Ok(a), Ok(b)) => prop_assert_eq!(counted(a), counted(b)),
        (Err(a), Err(b)) => {
            // This reader decodes (and so checks the UTF-8 of) every key; serde_json's
            // `IgnoredAny` does not, so with several edits the first error found may differ.
            if let (
                ReportError::Json {
                    line: l1,
                    message: m1,
                    ..
                },
                ReportError::Json { line: l2, .. },
            ) = (a, b)
                && !m1.contains("unicode")
            {
                // serde_json counts a raw newline inside a string before rejecting it; this
                // reader points at the newline itself, one line earlier.
                prop_assert!(l1 == l2 || l1 + 1 == *l2, "{} / {}", a, b);
            }
        }
        _ => prop_assert!(false, "disagree: {:?} vs {:?}", fast, reference),
    }
    Ok(())
}

proptest! {
    #[test]
    fn lexer_agrees_with_serde_on_mutations(
        name in proptest::sample::select(vec![
            "generated-0.76-rootfs-alpine-3.14.json",
            "legacy-array-distroless-python27-v0.1.7.json",
            "gomod-multi-module-unknown.json",
            "npm-with-suppressed-findings.json",
        ]),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        cut in proptest::option::of(any::<usize>()),
    ) {
        let mut bytes = crate::report_bytes(name);
        for (pos, b) in edits {
            let p = pos % bytes.len();
            bytes[p] = b;
        }
        if let Some(c) = cut {
            bytes.truncate(c % (bytes.len() + 1));
        }
        agree(&bytes, &CountOptions::default())?;
        agree(&bytes, &all_opts())?;
    }

    #[test]
    fn lexer_agrees_with_serde_on_json_like_text(s in "[\\[\\]{}\",:0-9a-zA-Z\\\\ .eE+-]{0,40}") {
        agree(s.as_bytes(), &CountOptions::default())?;
    }
}

#[test]
fn every_fixture_agrees_with_serde() {
    for e in std::fs::read_dir(crate::workspace_fixture("trivy-reports")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json") {
            let bytes = std::fs::read(&p).unwrap();
            for opts in [CountOptions::default(), all_opts()] {
                let a = summarize(&bytes[..], &opts).unwrap();
                let b = summarize_with_serde(&bytes, false, &opts).unwrap();
                let c = summarize_with_serde(&bytes, true, &opts).unwrap();
                assert_eq!(counted(&a), counted(&b), "{}", p.display());
                assert_eq!(counted(&a), counted(&c), "{}", p.display());
            }
        }
    }
}

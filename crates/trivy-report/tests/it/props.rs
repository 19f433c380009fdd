//! Arbitrary input never panics.

use proptest::prelude::*;
use trivy_report::{CountOptions, ReportError, summarize, summarize_slice};

fn all_opts() -> CountOptions {
    CountOptions {
        unique: true,
        fixable_only: true,
        ignore: Some(
            trivy_report::parse_trivyignore("CVE-2021-36159\n", jiff::civil::date(2020, 1, 1))
                .unwrap(),
        ),
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

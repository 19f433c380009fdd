//! Each adapter's inner walk on any bytes: the first byte picks a format, the rest becomes the
//! value of that format's findings array inside a valid envelope, so the fuzzer spends its
//! time inside the adapters rather than in detection. Never a panic; counts add up.
#![no_main]

use findings::{CountOptions, Want};
use libfuzzer_sys::fuzz_target;
use report_formats::{ReadOptions, read_report};

const ENVELOPES: [(&str, &str); 7] = [
    (r#"{"SchemaVersion":2,"Results":"#, "}"),
    (r#"{"ClusterName":"c","Resources":"#, "}"),
    (r#"{"apiVersion":"v1","kind":"List","items":"#, "}"),
    (r#"{"descriptor":{"name":"grype"},"matches":"#, "}"),
    (r#"{"version":"2.1.0","runs":"#, "}"),
    (
        r#"{"bomFormat":"CycloneDX","specVersion":"1.6","metadata":{"component":{"bom-ref":"a","name":"a"}},"vulnerabilities":"#,
        "}",
    ),
    ("[", "]"),
];

fuzz_target!(|data: &[u8]| {
    let Some((pick, rest)) = data.split_first() else {
        return;
    };
    let (head, tail) = ENVELOPES[usize::from(*pick) % ENVELOPES.len()];
    let mut doc = head.as_bytes().to_vec();
    doc.extend_from_slice(rest);
    doc.extend_from_slice(tail.as_bytes());
    for (unique, fixable_only) in [(false, false), (true, false), (false, true)] {
        let opts = CountOptions {
            unique,
            fixable_only,
            ignore: None,
            vex: None,
        };
        let want = Want {
            keys: true,
            findings: true,
            fixes: false,
        };
        if let Ok(r) = read_report(&doc[..], &opts, want, &ReadOptions::default()) {
            assert_eq!(r.summary.counts.total(), r.summary.findings);
            assert_eq!(r.summary.kept.len() as u64, r.summary.findings);
        }
    }
});

//! `trivy_report::summarize_slice` and the streaming `summarize` on any bytes: a value or an
//! error, never a panic; both readers agree; counts add up.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trivy_report::{CountOptions, summarize, summarize_slice};

fuzz_target!(|data: &[u8]| {
    for (unique, fixable_only) in [(false, false), (true, true)] {
        let opts = CountOptions {
            unique,
            fixable_only,
            ignore: None,
        };
        let slice = summarize_slice(data, &opts);
        // One byte at a time through the streaming reader: buffer boundaries everywhere.
        let stream = summarize(OneByte(data), &opts);
        match (&slice, &stream) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a, b);
                assert_eq!(a.counts.total(), a.findings);
            }
            (Err(_), Err(_)) => {}
            _ => panic!("slice and stream disagree: {slice:?} vs {stream:?}"),
        }
    }
});

struct OneByte<'a>(&'a [u8]);

impl std::io::Read for OneByte<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((b, rest)), Some(slot)) => {
                *slot = *b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

//! `report_formats::read_report` on any bytes, whole and one byte at a time (buffer boundaries
//! everywhere): a value or an error, never a panic; both reads agree; counts add up.
#![no_main]

use findings::{CountOptions, Want};
use libfuzzer_sys::fuzz_target;
use report_formats::{ReadOptions, read_report};

fuzz_target!(|data: &[u8]| {
    for (unique, fixable_only) in [(false, false), (true, true)] {
        let opts = CountOptions {
            unique,
            fixable_only,
            ignore: None,
            vex: None,
        };
        let read = ReadOptions::default();
        let whole = read_report(data, &opts, Want::default(), &read);
        let stream = read_report(OneByte(data), &opts, Want::default(), &read);
        match (&whole, &stream) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a.summary.counts, b.summary.counts);
                assert_eq!(a.summary.counts.total(), a.summary.findings);
            }
            (Err(_), Err(_)) => {}
            _ => panic!("whole and streamed reads disagree: {whole:?} vs {stream:?}"),
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

//! `slo_eval::parse_slo` (lenient and strict) and `parse_sli` on any text: a value or an
//! error with a position, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    match slo_eval::parse_slo(text) {
        Ok(slo) => assert!(slo.objectives.iter().all(|o| o.weight != 0)),
        Err(e) => assert!(!e.problems.is_empty() && e.line() >= 1),
    }
    let _ = slo_eval::parse_slo_strict(text);
    if let Err(e) = slo_eval::parse_sli(text) {
        assert!(!e.problems.is_empty());
    }
});

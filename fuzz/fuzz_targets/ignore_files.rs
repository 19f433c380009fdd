//! The `.trivyignore` and `.trivyignore.yaml` parsers on any text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let today = jiff::civil::date(2026, 11, 22);
    if let Ok(rules) = findings::parse_trivyignore(text, today) {
        let _ = rules.len();
    }
    let _ = findings::parse_trivyignore_yaml(text, today);
});

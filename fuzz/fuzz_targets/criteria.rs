//! The criteria grammar on any text: a criterion or one of the two known errors.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slo_eval::{CriteriaError, Operator, parse_criterion};

fuzz_target!(|text: &str| {
    match parse_criterion(text) {
        Ok(c) => {
            assert_ne!(c.operator, Operator::Empty);
            let _ = c.target(42.0);
            let _ = c.operator.compare(1.0, c.target(0.0));
        }
        Err(e) => assert!(matches!(
            e,
            CriteriaError::InvalidCriteriaString | CriteriaError::CouldNotParseTargetValue
        )),
    }
});

//! Evaluation payloads (to be written).

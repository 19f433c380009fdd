#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod json;
#[cfg(feature = "runner")]
pub mod runner;

pub use json::{K8sSeen, ResultWalker, ResultsSeen, walk_k8s_resources, walk_results};

//! Integration tests of keptn-events (one test binary, as the workspace's convention).

#[cfg(feature = "client")]
mod client;
mod props;
mod roundtrip;
mod typed;

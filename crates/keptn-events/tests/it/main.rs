//! Integration tests of keptn-events (one test binary, as the workspace's convention).

mod props;
mod roundtrip;

# Thin recipes over the README commands and cargo. `cargo install just --locked` to use them;
# CI calls the scripts directly.

# scan the bundled example image offline, publish to stdout, print the gate verdict
demo:
    bash scripts/demo.sh

# the whole test suite, as CI runs it
test:
    bash scripts/test.sh

ci:
    bash .ci/run

fmt:
    cargo fmt --all

lint:
    cargo clippy --workspace --all-targets --all-features -- -D warnings

# review insta snapshot changes
snap:
    cargo insta review

# the end-to-end tests through the binaries (real trivy, registry, Pushgateway, Prometheus)
e2e:
    cargo nextest run --workspace --all-features -E 'kind(test)'

# speed and memory against the serde floor, Python and jq (see docs/performance.md)
bench:
    bash bench/run.sh

# the container image (needs a Docker engine; builds its bases offline when no registry answers)
docker:
    bash scripts/build-image.sh

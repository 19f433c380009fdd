#!/usr/bin/env bash
# The whole test suite: installs what it needs (trivy via pip; Prometheus, Pushgateway,
# docker-registry, skopeo, debootstrap via apt-get), then format, lints, builds the container
# image (scripts/build-image.sh; the container tests run it), and every test with real parts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh test
export PATH="$(python3 -m site --user-base 2>/dev/null)/bin:$PATH"
export CI="${CI:-true}"   # insta: fail on snapshot changes instead of writing files

echo "== cargo fmt --check" >&2
cargo fmt --all --check
echo "== cargo clippy" >&2
cargo clippy --workspace --all-targets --all-features --quiet -- -D warnings
# Doctests first (nextest does not run them), so the run ends with the test runner's summary.
echo "== doctests" >&2
cargo test --workspace --all-features --doc --quiet
echo "== container image" >&2
bash scripts/build-image.sh
echo "== tests" >&2
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --all-features --profile ci
else
  cargo test --workspace --all-features
fi

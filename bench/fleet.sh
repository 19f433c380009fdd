#!/usr/bin/env bash
# Fleet benchmark, one command: bench/fleet.sh [--runs N] [--publish]
#
#   --runs N    rounds (default 3; the three commands alternate within each round)
#   --publish   copy fleet.md and fleet.json to bench/results/ (referenced by docs/performance.md)
#
# 20 distinct images in a real docker-registry, one real trivy server (offline, fixture DB):
# sequential `trivy image`, `xargs -P2` over trivy's client, and `trivy-scan --jobs 2`.
# Needs: cargo, python3, /usr/bin/time, trivy 0.76, docker-registry, skopeo.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
runs=3
publish=0
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --publish) publish=1; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (Debian package: time)" >&2; exit 2; }
echo "== building trivy-scan (release)" >&2
(cd "$root" && CARGO_TARGET_DIR="$target" cargo build --release --quiet -p trivy-scan)
python3 "$here/fleet.py" --trivy-scan "$target/release/trivy-scan" \
  --image-tar "$root/tests/fixtures/images/alpine-3.14-vulnerable.docker.tar" \
  --trivy-db "$root/tests/fixtures/trivy-db" --runs "$runs" --out "$here/out"
if [ "$publish" = 1 ]; then
  mkdir -p "$here/results"
  cp "$here/out/fleet.md" "$here/out/fleet.json" "$here/results/"
  echo "== published to bench/results/" >&2
fi

#!/usr/bin/env bash
# vulngate benchmark, one command: bench/run.sh [--runs N] [--quick] [--publish]
#
#   --runs N    rounds on the big report (default 5; tools alternate within each round)
#   --quick     fewer rounds and sizes (a smoke run, not for publishing)
#   --publish   copy results.md and plot.svg to bench/results/ (referenced by docs/performance.md)
#
# Needs: cargo, python3 (standard library only), /usr/bin/time; jq, trivy and valgrind (for
# deterministic instruction counts) when present.
# Generated reports and raw results go to bench/out/ (git-ignored).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
out="$here/out"
runs=5
sweep_runs=3
wrapper_runs=5
copies="1,5,15,35,75"
scanner_mb=100
publish=0
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --quick) runs=2; sweep_runs=1; wrapper_runs=2; scanner_mb=20; shift ;;
    --publish) publish=1; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (Debian package: time)" >&2; exit 2; }

echo "== generating reports in $out"
mapfile -t reports < <(python3 "$here/gen_report.py" \
  --base "$root/tests/fixtures/trivy-reports/centos-7-image-large-v0.20.json" \
  --out-dir "$out" --copies "$copies")
big="$out/report-x75.json"
sizes="$(IFS=,; echo "${reports[*]}")"
# Grype and SARIF: real reports from the corpus, replicated to about 100 MB each.
scanner_args=()
while read -r fmt path n; do
  scanner_args+=(--scanner-report "$fmt:$path:$n")
done < <(python3 "$here/gen_scanner_reports.py" \
  --grype "$root/tests/fixtures/corpus/grype/grype-0.66.0-keycloak.json" \
  --sarif "$root/tests/fixtures/corpus/trivy/trivy-head__alpine-310.sarif.golden" \
  --out-dir "$out" --mb "$scanner_mb")

echo "== building (release)"
CARGO_TARGET_DIR="$target/bench-floor" cargo build --release --quiet --manifest-path "$here/floor/Cargo.toml"
floor="$target/bench-floor/release/bench-floor"
(cd "$root" && CARGO_TARGET_DIR="$target" cargo build --release --quiet -p report-formats --example count)
count="$target/release/examples/count"
scan_args=()
if (cd "$root" && CARGO_TARGET_DIR="$target" cargo build --release --quiet -p trivy-scan -p slo-gate); then
  # Only bench the binaries if they take the contract's flags.
  if "$target/release/trivy-scan" --report "$root/tests/fixtures/trivy-reports/alpine-3.10-image.json" --format json >/dev/null 2>&1; then
    scan_args+=(--trivy-scan "$target/release/trivy-scan")
  else
    echo "note: trivy-scan does not accept --report FILE --format json yet; benching the library example instead" >&2
  fi
  if "$target/release/slo-gate" --slo "$here/slo.yaml" --report "$root/tests/fixtures/trivy-reports/alpine-3.10-image.json" --format json >/dev/null 2>&1; then
    scan_args+=(--slo-gate "$target/release/slo-gate")
  else
    echo "note: slo-gate did not run on a fixture report; left out" >&2
  fi
else
  echo "note: trivy-scan / slo-gate do not build; benching the library example instead" >&2
fi

echo "== running"
python3 "$here/bench.py" \
  --floor "$floor" --count "$count" "${scan_args[@]}" \
  --slo "$here/slo.yaml" --slo-explain "$here/slo-explain.yaml" --ignore "$here/ignore.yaml" \
  --big "$big" --sizes "$sizes" "${scanner_args[@]}" \
  --runs "$runs" --sweep-runs "$sweep_runs" --wrapper-runs "$wrapper_runs" \
  --image-tar "$root/tests/fixtures/images/alpine-3.14-vulnerable.docker.tar" \
  --trivy-db "$root/tests/fixtures/trivy-db" \
  --out "$out"

if [ "$publish" = 1 ]; then
  mkdir -p "$here/results"
  cp "$out/results.md" "$out/plot.svg" "$out/results.json" "$here/results/"
  echo "== published to bench/results/"
fi

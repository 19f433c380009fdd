# vulngate: a drop-in for the seed's gardnera/trivy container.
# Same env vars (IMAGE, TAG, TRIVY_SECURITY, METRICS_ENDPOINT, METRICS_API_TOKEN), same output
# lines; also carries keptn-send and slo-gate. Not built on the development machines (no Docker
# engine there); see docs/deployment.md.

# 1. Build the three binaries.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p trivy-scan -p keptn-send -p slo-gate

# 2. The official trivy binary, pinned to the version the tests use.
FROM aquasec/trivy:0.76.0 AS trivy

# 3. Runtime: slim Debian with CA certificates, trivy and our binaries, as a non-root user.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --create-home --shell /usr/sbin/nologin vulngate
COPY --from=trivy /usr/local/bin/trivy /usr/local/bin/trivy
COPY --from=build /src/target/release/trivy-scan /src/target/release/keptn-send /src/target/release/slo-gate /usr/local/bin/
USER 10001
ENV TRIVY_CACHE_DIR=/home/vulngate/.cache/trivy
ENTRYPOINT ["trivy-scan"]

# syntax=docker/dockerfile:1
# Todai: one binary, cgo for SQLite (mattn/go-sqlite3), a small non-root runtime image.
#   docker build -t todai .
#   docker run --rm -v todai-state:/var/lib/todai -v $PWD/todai.yaml:/etc/todai/todai.yaml:ro \
#     -e SLACK_BOT_TOKEN -e SLACK_APP_TOKEN -p 9090:9090 todai
# See docs/install.md.

FROM golang:1.26-bookworm AS build
WORKDIR /src
# Dependencies first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# VERSION and COMMIT come from the build args when .git is not in the context (see .dockerignore).
ARG VERSION=dev
ARG COMMIT=unknown
RUN make build VERSION="${VERSION}" COMMIT="${COMMIT}" && ./bin/todai version

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 todai \
    && useradd --system --uid 10001 --gid todai --home-dir /var/lib/todai --shell /usr/sbin/nologin todai \
    && mkdir -p /var/lib/todai /etc/todai \
    && chown todai:todai /var/lib/todai
COPY --from=build /src/bin/todai /usr/local/bin/todai
USER 10001:10001
WORKDIR /var/lib/todai
# The state database (mirror, digests, incidents) lives on this volume; the config is mounted read-only.
VOLUME ["/var/lib/todai"]
ENV TODAI_CONFIG=/etc/todai/todai.yaml \
    TODAI_STATE=/var/lib/todai/state.db
# /healthz, /readyz and /metrics: set http.addr to ":9090" in the config so that they are reachable from outside.
EXPOSE 9090
ENTRYPOINT ["todai"]
CMD ["serve"]

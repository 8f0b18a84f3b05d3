# reviewer's images. The default one is a static binary on nothing (scratch):
# templates, scripts, styles, PDFium's WebAssembly and the demo documents are
# inside the binary. `--target full` adds LibreOffice (Word documents laid out
# as pages) and Tesseract (reading boxes drawn on scans).
#
#   docker build -t reviewer .
#   docker build --target full -t reviewer:full .
#
# No container registry is reachable from the machines reviewer is developed
# on, so the golang and debian base images were not pulled there; `make
# image` builds the same binary into a scratch image with podman from the
# binary built on the host (see the README).

ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/reviewer ./cmd/reviewer \
 && mkdir -p /out/data

# The fuller image: Debian with LibreOffice and Tesseract.
FROM debian:bookworm-slim AS full
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates libreoffice-writer-nogui fonts-dejavu-core tesseract-ocr \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 65532 --user-group --home-dir /data --no-create-home reviewer \
 && install -d -o 65532 -g 65532 /data
COPY --from=build /out/reviewer /usr/local/bin/reviewer
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="reviewer (with LibreOffice and Tesseract)" \
      org.opencontainers.image.description="Self-hosted review of Extend document-processing results" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://github.com/reviewer-app/reviewer"
ENV REVIEWER_ADDR=0.0.0.0:8080 REVIEWER_DATA=/data HOME=/data
USER 65532:65532
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["reviewer", "healthcheck"]
ENTRYPOINT ["reviewer"]
CMD ["serve"]

# The default image: the binary alone, as an unprivileged user.
FROM scratch AS reviewer
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/reviewer /reviewer
COPY --from=build --chown=65532:65532 /out/data /data
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="reviewer" \
      org.opencontainers.image.description="Self-hosted review of Extend document-processing results" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://github.com/reviewer-app/reviewer"
ENV REVIEWER_ADDR=0.0.0.0:8080 REVIEWER_DATA=/data
USER 65532:65532
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["/reviewer", "healthcheck"]
ENTRYPOINT ["/reviewer"]
CMD ["serve"]

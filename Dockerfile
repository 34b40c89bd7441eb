# The warden binary in a distroless image: no shell, no package manager, a
# non-root user. Build: docker build -t warden .
FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so editing source does not invalidate the download layer.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/warden ./cmd/warden

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/warden /warden
USER nonroot:nonroot
# Inside a container the loopback default would be unreachable from outside.
ENV WARDEN_HTTP_ADDR=0.0.0.0:8080
EXPOSE 8080
# No curl in distroless: the binary checks its own /healthz.
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD ["/warden", "healthcheck"]
ENTRYPOINT ["/warden"]
CMD ["serve"]

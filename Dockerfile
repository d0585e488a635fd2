# syntax=docker/dockerfile:1

# The dashboard: built by npm, embedded in the binary (package web).
FROM node:20 AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

# Build a static binary: the runtime image has no C library.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=web /web/dist ./web/dist
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/partnerforge ./cmd/partnerforge

# distroless/static: CA certificates and time-zone data, no shell, no package
# manager; runs as the unprivileged "nonroot" user (uid 65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/partnerforge /usr/local/bin/partnerforge
USER nonroot:nonroot
ENV HTTP_ADDR=:8080 \
    ENVIRONMENT=production
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/partnerforge"]
CMD ["serve"]

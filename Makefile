# PartnerForge — the two commands are `make run` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

GO      ?= go
SQLC    := $(GO) run github.com/sqlc-dev/sqlc/cmd/sqlc@v1.31.1
REDOCLY := @redocly/cli@2.77.0
BIN     := bin/partnerforge
DB      := scripts/db.sh
REDIS   := scripts/redis.sh

.PHONY: all build run test e2e screenshots lint lint-openapi generate check-generated bench bench-web load clean db-stop redis-stop

all: build

build:
	$(GO) build -o $(BIN) ./cmd/partnerforge

## run: check the ports, build, find or start PostgreSQL, migrate, import the demo and serve on 127.0.0.1:8080 (HTTP_ADDR).
run: build
	@DATABASE_URL="$${DATABASE_URL:-$$($(DB) createdb partnerforge)}" scripts/run-demo.sh $(BIN)

## test: find or start PostgreSQL and Redis, run every Go test with the race detector, then the dashboard's browser tests.
test:
	@url=$$($(DB) url); echo "tests use PostgreSQL at $$url (each package creates its own database)"; \
	redis=$$($(REDIS) url); echo "tests use Redis at $$redis (each test its own key prefix)"; \
	PARTNERFORGE_TEST_DATABASE_URL="$$url" PARTNERFORGE_TEST_REDIS_URL="$$redis" $(GO) test -race -count=1 ./...
	scripts/e2e.sh

## e2e: the dashboard's end-to-end tests in headless Chromium against the real binary and a fresh database.
e2e:
	scripts/e2e.sh

## screenshots: write each page's screenshots (light and dark) to docs/screenshots/.
screenshots:
	scripts/e2e.sh screenshots

## lint: formatting, vet, and generated code up to date.
lint: check-generated lint-openapi
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## lint-openapi: the served OpenAPI document against redocly's recommended rules (errors fail).
lint-openapi:
	npx --yes $(REDOCLY) lint --format=summary http/openapi.json

## generate: regenerate the sqlc code from sql/.
generate:
	CGO_ENABLED=0 $(SQLC) generate

check-generated:
	CGO_ENABLED=0 $(SQLC) diff

## bench: event-store, pipeline, rate-limit and projection-rebuild benchmarks with their baselines; prints ratios.
bench:
	@url=$$($(DB) url); redis=$$($(REDIS) url); \
	PARTNERFORGE_TEST_DATABASE_URL="$$url" PARTNERFORGE_TEST_REDIS_URL="$$redis" scripts/bench.sh
	$(MAKE) bench-web

## bench-web: the dashboard in headless Chromium: JavaScript shipped, time to first rows, long tasks while scrolling.
bench-web:
	scripts/e2e.sh bench

## load: REST API load test on loopback (starts the service if none answers on BASE_URL).
load:
	scripts/load.sh

db-stop:
	$(DB) stop

redis-stop:
	$(REDIS) stop

clean:
	rm -rf bin

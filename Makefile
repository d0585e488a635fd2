# PartnerForge — the two commands are `make run` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

GO      ?= go
SQLC    := $(GO) run github.com/sqlc-dev/sqlc/cmd/sqlc@v1.31.1
REDOCLY := @redocly/cli@2.77.0
BIN     := bin/partnerforge
DB      := scripts/db.sh
REDIS   := scripts/redis.sh

.PHONY: all build run test faults lint lint-openapi generate check-generated bench load clean db-stop redis-stop

all: build

build:
	$(GO) build -o $(BIN) ./cmd/partnerforge

## run: check the ports, build, find or start PostgreSQL, migrate, import the demo and serve on 127.0.0.1:8080 (HTTP_ADDR).
run: build
	@DATABASE_URL="$${DATABASE_URL:-$$($(DB) createdb partnerforge)}" scripts/run-demo.sh $(BIN)

## test: find or start PostgreSQL and Redis, then run every test with the race detector.
test:
	@url=$$($(DB) url); echo "tests use PostgreSQL at $$url (each package creates its own database)"; \
	redis=$$($(REDIS) url); echo "tests use Redis at $$redis (each test its own key prefix)"; \
	PARTNERFORGE_TEST_DATABASE_URL="$$url" PARTNERFORGE_TEST_REDIS_URL="$$redis" $(GO) test -race -count=1 ./...

## faults: the fault-injection suite (docs/reliability.md): the real binary on a private PostgreSQL
## cluster it creates (ports 55520-55529) and restarts, fixture providers turned bad. Takes minutes.
faults:
	$(GO) test -tags faults -count=1 -v -timeout 30m ./faults/

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

## bench: event-store, pipeline, rate-limit, projection-rebuild and idle-service benchmarks with their baselines; prints ratios.
bench:
	@url=$$($(DB) url); redis=$$($(REDIS) url); \
	PARTNERFORGE_TEST_DATABASE_URL="$$url" PARTNERFORGE_TEST_REDIS_URL="$$redis" scripts/bench.sh

## load: REST API load test on loopback (starts the service if none answers on BASE_URL).
load:
	scripts/load.sh

db-stop:
	$(DB) stop

redis-stop:
	$(REDIS) stop

clean:
	rm -rf bin

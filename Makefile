# PartnerForge — the two commands are `make run` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

GO      ?= go
SQLC    := $(GO) run github.com/sqlc-dev/sqlc/cmd/sqlc@v1.31.1
REDOCLY := @redocly/cli@2.77.0
BIN     := bin/partnerforge
DB      := scripts/db.sh
REDIS   := scripts/redis.sh

.PHONY: all build web web-test lint-web run test faults e2e screenshots lint lint-openapi generate check-generated bench bench-web load clean db-stop redis-stop

all: build

# The dashboard (web/) is built by npm into web/dist, which the binary
# embeds. The stamp skips npm while nothing under web/ changed since the
# last build, so `make run` stays fast; a missing web/dist/index.html
# rebuilds it whatever the stamp says.
WEB_STAMP := web/.build-stamp
WEB_SRC   := $(shell find web/src web/public web/scripts -type f 2>/dev/null) \
             web/index.html web/package.json web/package-lock.json web/vite.config.ts web/tsconfig.json
ifeq ($(wildcard web/dist/index.html),)
WEB_FORCE := FORCE
endif

## build: the dashboard (npm ci && npm run build, when web/ changed) and the binary that embeds it.
build: $(WEB_STAMP)
	$(GO) build -o $(BIN) ./cmd/partnerforge

## web: build the dashboard into web/dist.
web: $(WEB_STAMP)

$(WEB_STAMP): $(WEB_SRC) $(WEB_FORCE)
	@command -v npm >/dev/null || { echo "make: npm (Node.js 20 or later) is needed to build the dashboard in web/; without it the binary serves the API and explains at / how to build the dashboard" >&2; exit 1; }
	cd web && npm ci --no-audit --no-fund && npm run build
	@touch $@

.PHONY: FORCE
FORCE:

## web-test: the dashboard's component tests, then its build and the first page's JavaScript budget.
web-test:
	cd web && npm ci --no-audit --no-fund && npm test
	@rm -f $(WEB_STAMP)
	@$(MAKE) --no-print-directory web
	cd web && node scripts/size.mjs

## lint-web: type-check the dashboard.
lint-web:
	cd web && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run typecheck

## run: check the ports, build, find or start PostgreSQL, migrate, import the demo and serve on 127.0.0.1:8080 (HTTP_ADDR).
run: build
	@DATABASE_URL="$${DATABASE_URL:-$$($(DB) createdb partnerforge)}" scripts/run-demo.sh $(BIN)

## test: the dashboard's tests and budget, then find or start PostgreSQL and Redis and run every Go test with the race detector, then the dashboard's browser tests.
test: web-test
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

## faults: the fault-injection suite (docs/reliability.md): the real binary on a private PostgreSQL
## cluster it creates (ports 55520-55529) and restarts, fixture providers turned bad. Takes minutes.
faults:
	$(GO) test -tags faults -count=1 -v -timeout 30m ./faults/

## lint: formatting, vet, generated code up to date, the dashboard's types.
lint: check-generated lint-openapi lint-web
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

## bench: event-store, pipeline, rate-limit, job-opening, projection-rebuild and idle-service benchmarks with their baselines; prints ratios.
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
	rm -rf bin $(WEB_STAMP)
	find web/dist -mindepth 1 ! -name .gitkeep -delete

#!/usr/bin/env bash
# Drives the dashboard in a real browser against the real service: builds the
# binary with the web assets (make build), creates a fresh database, migrates,
# imports the demo list (2,687 targets), creates an admin key, starts the
# fixture providers and `partnerforge serve` on free loopback ports, waits
# until the list is projected, then runs one of:
#
#   scripts/e2e.sh [test] [ARGS]   the Playwright suite in web/e2e (ARGS go to
#                                  `playwright test`, e.g. --grep keyboard)
#   scripts/e2e.sh screenshots     only the page tests, writing their
#                                  screenshots to docs/screenshots/
#   scripts/e2e.sh bench           the browser measurements (web/e2e/bench.mjs)
#
# Everything it started is stopped and the database dropped on any exit.
# The browser is Debian's Chromium (/usr/bin/chromium, installed with apt-get
# when missing and running as root), driven by playwright-core; no browser is
# ever downloaded. Screenshots, traces and logs of the last run stay in
# .data/e2e/ (ignored by git), so `make test` leaves the working tree clean.
#
# E2E_BASE_URL and E2E_API_KEY point the tests at a service already running
# (nothing is built or started then); E2E_SKIP_BUILD=1 uses bin/partnerforge
# as it is; UPDATE_SCREENSHOTS=1 also writes the
# screenshots of a test run to docs/screenshots/.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mode=${1:-test}
[ $# -gt 0 ] && shift
case "$mode" in
  test | screenshots | bench) ;;
  *) echo "usage: $0 [test [PLAYWRIGHT ARGS] | screenshots | bench]" >&2; exit 2 ;;
esac

log() { echo "e2e.sh: $*" >&2; }
chromium=${CHROMIUM_PATH:-/usr/bin/chromium}
artifacts="$root/.data/e2e"

ensure_chromium() {
  [ -x "$chromium" ] && return
  if [ "$(id -u)" -ne 0 ]; then
    log "$chromium is missing: install Debian's chromium package (sudo apt-get install chromium) or set CHROMIUM_PATH"
    exit 1
  fi
  log "installing Debian's chromium package"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
}

# npm ci when web/node_modules is missing or older than the lock file (npm
# writes node_modules/.package-lock.json on every install).
ensure_node_modules() {
  command -v npm >/dev/null || { log "npm is needed (apt-get install nodejs npm)"; exit 1; }
  if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ] ||
    [ ! -d web/node_modules/playwright-core ]; then
    log "installing the web dependencies (npm ci)"
    (cd web && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
}

find_psql() {
  command -v psql 2>/dev/null && return
  local p
  for p in /usr/lib/postgresql/*/bin/psql; do [ -x "$p" ] && { echo "$p"; return; }; done
  return 1
}

pids=()
db_name=""
server_url=""
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$db_name" ]; then
    "$(find_psql)" "$server_url" -qc "DROP DATABASE IF EXISTS \"$db_name\" WITH (FORCE)" >/dev/null 2>&1 ||
      log "could not drop database $db_name"
  fi
  if [ "$status" -ne 0 ]; then log "failed (exit $status); logs, traces and screenshots are in $artifacts"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_for DESCRIPTION TRIES COMMAND...: runs COMMAND every 0.2 s until it
# succeeds, at most TRIES times.
wait_for() {
  local what=$1 tries=$2
  shift 2
  for _ in $(seq "$tries"); do "$@" && return 0; sleep 0.2; done
  log "timed out waiting for $what"
  return 1
}

start_stack() {
  if [ "${E2E_SKIP_BUILD:-}" != 1 ]; then make -s build >&2; fi
  local bin="$root/bin/partnerforge"
  db_name="pf_e2e_$(date +%s)_$$"
  server_url=$(scripts/db.sh url)
  local db_url
  db_url=$(scripts/db.sh createdb "$db_name")

  "$bin" fixtures serve --builtwith-port 0 --similarweb-port 0 --yahoo-port 0 \
    >"$artifacts/fixtures.env" 2>"$artifacts/fixtures.log" &
  pids+=($!)
  wait_for "the fixture providers" 150 grep -q '^YAHOO_COOKIE_URL=' "$artifacts/fixtures.env" ||
    { cat "$artifacts/fixtures.log" >&2; exit 1; }

  set -a
  # shellcheck disable=SC1091
  . "$artifacts/fixtures.env"
  set +a
  export DATABASE_URL=$db_url HTTP_ADDR=127.0.0.1:0 ENVIRONMENT=development
  export BUILTWITH_API_KEY=e2e SIMILARWEB_API_KEY=e2e
  API_KEY_SALT=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
  export API_KEY_SALT

  "$bin" migrate up >"$artifacts/migrate.log" 2>&1 || { cat "$artifacts/migrate.log" >&2; exit 1; }
  # E2E_DEMO_ROWS (legacy rows to generate) makes a longer list for the
  # measurements (100967 rows give 100,000 targets, which take the service
  # many minutes to project on two cores). The tests expect the
  # default list of 2,687.
  local rows=()
  [ -n "${E2E_DEMO_ROWS:-}" ] && rows=(--rows "$E2E_DEMO_ROWS")
  "$bin" import demo "${rows[@]}" >"$artifacts/import.log" 2>&1 || { cat "$artifacts/import.log" >&2; exit 1; }
  local total
  total=$(sed -n 's/^ *imported now *\([0-9][0-9]*\).*/\1/p' "$artifacts/import.log")
  [ -n "$total" ] || { log "no 'imported now' count in the import's report"; cat "$artifacts/import.log" >&2; exit 1; }
  E2E_API_KEY=$("$bin" keys create --email e2e@example.com --tier admin --json | sed -n 's/.*"key":"\([^"]*\)".*/\1/p')
  [ -n "$E2E_API_KEY" ] || { log "could not create an API key"; exit 1; }

  "$bin" serve >"$artifacts/serve.log" 2>&1 &
  pids+=($!)
  # HTTP_ADDR=127.0.0.1:0 lets the kernel pick the port; serve logs it.
  serving() { grep -qE 'msg=serving addr=|"msg":"serving"' "$artifacts/serve.log"; }
  wait_for "serve to listen" 300 serving || { tail -30 "$artifacts/serve.log" >&2; exit 1; }
  local addr
  addr=$(grep -m1 -oE 'msg=serving addr=[^ ]+' "$artifacts/serve.log" | sed 's/.*addr=//')
  [ -n "$addr" ] || addr=$(grep -m1 '"msg":"serving"' "$artifacts/serve.log" | sed -n 's/.*"addr":"\([^"]*\)".*/\1/p')
  E2E_BASE_URL="http://$addr"
  ready() { curl -fsS -o /dev/null --max-time 2 "$E2E_BASE_URL/ready"; }
  wait_for "/ready" 300 ready || { tail -30 "$artifacts/serve.log" >&2; exit 1; }
  # The list is a projection: wait until it holds the whole import.
  projected() {
    curl -fsS --max-time 2 -H "X-API-Key: $E2E_API_KEY" "$E2E_BASE_URL/api/stats" 2>/dev/null |
      grep -q "\"total\":${total}[,}]"
  }
  wait_for "the $total demo targets to be projected" 3000 projected || exit 1
  log "serving on $E2E_BASE_URL (database $db_name)"
}

rm -rf "$artifacts"
mkdir -p "$artifacts"
ensure_chromium
ensure_node_modules
if [ -z "${E2E_BASE_URL:-}" ]; then
  start_stack
else
  [ -n "${E2E_API_KEY:-}" ] || { log "E2E_BASE_URL is set: set E2E_API_KEY to an admin key too"; exit 2; }
fi
export E2E_BASE_URL E2E_API_KEY CHROMIUM_PATH=$chromium E2E_ARTIFACTS=$artifacts

cd web
case "$mode" in
  test)
    # Playwright strips the tests' types without checking them: check them first.
    node_modules/.bin/tsc -p e2e/tsconfig.json
    node_modules/.bin/playwright test -c e2e/playwright.config.ts "$@"
    ;;
  screenshots)
    UPDATE_SCREENSHOTS=1 node_modules/.bin/playwright test -c e2e/playwright.config.ts --grep @pages
    ;;
  bench)
    node e2e/bench.mjs
    ;;
esac

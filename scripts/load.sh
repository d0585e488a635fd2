#!/usr/bin/env bash
# Load test of the REST API, on loopback only. When the script starts the
# service itself, it first measures the opening burst:
#
#   0. POST /api/enrich/{domain} at 500 requests/s for the first second of a
#      freshly started service (LOAD_BURST_DURATION, default 1s), every
#      request opening a new job on long streams: 50 requesters who opened
#      300 jobs each today, 500 targets with 40 events each, seeded by
#      bench/openjob before the service starts (LOAD_BURST=0 skips it)
#
# Then four scenarios, one after the other, each bounded in time
# (LOAD_DURATION, default 10s):
#
#   1. GET /health, as fast as 50 connections go      — the router's ceiling
#   2. GET /api/targets with a mix of filters, sorts and pages, 50 connections
#   3. 50 concurrent users mixing list, detail, stats and enrichment requests
#   4. POST /api/enrich/{domain} at a constant 500 requests/s
#   5. the list at scale (scripts/load-list.sh): a database of its own with
#      LOAD_LIST_ROWS demo rows (default 100000; 0 skips the stage), its own
#      service with the read cache off, random pages and deep cursors, and
#      /health again as that stage's baseline
#
# and prints requests/s and p50/p95/p99 for each, the ratio of the targets
# rate to the /health rate, and the figures against the API's goals.
#
# The tool is vegeta (built from the Go module proxy): it attacks at a
# constant rate (scenario 4 needs an open-model rate, which hey and wrk
# cannot hold), takes a mixed list of targets with headers and bodies without
# a scripting layer, and reports percentiles as JSON.
#
# When nothing answers on BASE_URL (default http://127.0.0.1:8080) the script
# builds the binary (or runs PARTNERFORGE_BIN, e.g. an older build to compare
# with), creates the partnerforge_load database (LOAD_DATABASE), starts the fixture
# providers and the service, imports the demo data when the binary has an
# import command, and stops everything at the end.
#
# Every /api request carries an API key: LOAD_API_KEY (an admin key), else
# the key `make run` keeps in .data/demo-admin-key, else one the script
# creates when it starts the service. Each simulated user gets its own
# power key, issued through the admin API, so users are separate
# requesters as they would be.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
BASE_URL=${BASE_URL:-http://127.0.0.1:8080}
duration=${LOAD_DURATION:-10s}
enrich_rate=${LOAD_ENRICH_RATE:-500}
users=${LOAD_USERS:-50}
burst=${LOAD_BURST:-1}
burst_duration=${LOAD_BURST_DURATION:-1s}
burst_requesters=50
burst_targets=500
burst_tag=r$(date +%s)
started_here=0

log() { echo "load.sh: $*" >&2; }
case "$BASE_URL" in
  http://127.0.0.1:* | http://localhost:* | http://\[::1\]:*) ;;
  *) log "BASE_URL must be a loopback address, got $BASE_URL"; exit 2 ;;
esac
command -v jq >/dev/null || { log "jq is needed (apt-get install jq)"; exit 1; }

# shellcheck source=scripts/loadlib.sh
. "$root/scripts/loadlib.sh"

answers() { curl -fsS -o /dev/null --max-time 2 "$BASE_URL/health" 2>/dev/null; }

start_service() {
  log "nothing answers on $BASE_URL: starting the service"
  local bin=${PARTNERFORGE_BIN:-$root/bin/partnerforge} db_url addr
  [ -n "${PARTNERFORGE_BIN:-}" ] || make -s build
  db_url=$(scripts/db.sh createdb "${LOAD_DATABASE:-partnerforge_load}")
  addr=${BASE_URL#http://}
  "$bin" fixtures serve --builtwith-port 0 --similarweb-port 0 --yahoo-port 0 \
    >"$work/fixtures.env" 2>"$work/fixtures.log" &
  pids+=($!)
  for _ in $(seq 100); do grep -q '^YAHOO_COOKIE_URL=' "$work/fixtures.env" 2>/dev/null && break; sleep 0.1; done
  grep -q '^YAHOO_COOKIE_URL=' "$work/fixtures.env" || { log "fixture providers did not start"; cat "$work/fixtures.log" >&2; exit 1; }
  set -a
  # shellcheck disable=SC1091
  . "$work/fixtures.env"
  DATABASE_URL=$db_url HTTP_ADDR=$addr BUILTWITH_API_KEY=load SIMILARWEB_API_KEY=load
  ENRICH_MAX_JOBS_PER_REQUESTER=${ENRICH_MAX_JOBS_PER_REQUESTER:-100}
  set +a
  "$bin" migrate up >&2
  LOAD_API_KEY=$("$bin" keys create --email load@example.com --tier admin --json | jq -r .key)
  # Older binaries listed "partnerforge import" in their help; newer ones
  # answer `import --help`.
  if "$bin" import --help >/dev/null 2>&1 || "$bin" help 2>/dev/null | grep -qE '^ +partnerforge import'; then
    log "importing the demo data"
    "$bin" import demo >"$work/import.log" 2>&1 || { log "import failed"; tail -20 "$work/import.log" >&2; exit 1; }
  fi
  if [ "$burst" = 1 ]; then
    log "seeding the opening burst's streams (bench/openjob, tag $burst_tag)"
    go run ./bench/openjob -database-url "$db_url" -tag "$burst_tag" \
      -requesters "$burst_requesters" -targets "$burst_targets" >&2
  fi
  # Access logs go to a file: a terminal would be the bottleneck.
  "$bin" serve 2>"$work/serve.log" &
  pids+=($!)
  for _ in $(seq 150); do answers && break; sleep 0.2; done
  answers || { log "the service did not answer on $BASE_URL"; tail -20 "$work/serve.log" >&2; exit 1; }
  started_here=1
  burst_db=$db_url
  load_bin=$bin
}
LOAD_API_KEY=${LOAD_API_KEY:-$(cat .data/demo-admin-key 2>/dev/null || true)}
answers || start_service
[ -n "${LOAD_API_KEY:-}" ] || { log "no API key: set LOAD_API_KEY to an admin key"; exit 1; }
auth=(-H "X-API-Key: $LOAD_API_KEY")

# The list is a projection: give it time to catch up with an import (and
# with the burst's seeded streams), or the list stage would measure a list
# still growing under it.
if [ "${started_here:-0}" = 1 ]; then
  for _ in $(seq 300); do
    behind=$(DATABASE_URL=$burst_db "$load_bin" projections status 2>/dev/null | awk '$1 == "displacement_targets" {print $4}')
    [ "${behind:-}" = 0 ] && break
    sleep 1
  done
fi
for _ in $(seq 60); do
  total=$(curl -fsS --max-time 5 "${auth[@]}" "$BASE_URL/api/targets?per_page=1" 2>/dev/null | jq -r '.pagination.total' 2>/dev/null || echo 0)
  [ "${total:-0}" -gt 0 ] 2>/dev/null && break
  sleep 1
done
log "the list holds ${total:-0} targets"

# Domains for detail and enrichment requests: the listed targets when the
# list answers, else made-up ones (detail requests then measure 404s).
curl -fsS --max-time 5 "${auth[@]}" "$BASE_URL/api/targets?per_page=100&sort=domain&order=asc" 2>/dev/null |
  jq -r '.data[].domain' >"$work/domains" 2>/dev/null || true
if [ ! -s "$work/domains" ]; then
  log "GET /api/targets gave no domains; using generated ones"
  for i in $(seq 100); do echo "load-target-$i.com"; done >"$work/domains"
fi
mapfile -t domains <"$work/domains"

list_queries=(
  "" "?page=2" "?per_page=50" "?tier=1" "?tier=2&sort=revenue&order=desc"
  "?score_min=60&sort=icp_score&order=desc" "?score_min=40&score_max=79&page=2"
  "?vertical=Retail&vertical=Fashion" "?country=US&sort=sw_monthly_visits"
  "?country=US&country=GB&country=DE&per_page=25" "?partner_tech=Shopify"
  "?partner_tech=Magento&tier=1" "?search=shop" "?search=co&sort=company_name&order=asc"
  "?sort=last_enriched&order=desc" "?sort=domain&order=asc&page=3" "?vertical=Retail&tier=1&sort=revenue"
  "?per_page=100&sort=sw_monthly_visits&order=desc" "?page=5&per_page=20" "?tier=3&country=US"
)

# One power key per simulated requester (100: the enrichment scenario's).
user_keys=()
for i in $(seq 0 99); do
  user_keys+=("$(curl -fsS --max-time 5 "${auth[@]}" -H 'Content-Type: application/json' \
    -d "{\"email\":\"load-user-$i@example.com\",\"tier\":\"power\"}" "$BASE_URL/api/admin/keys" | jq -r .key)")
done

get() { printf 'GET %s%s\nAccept-Encoding: gzip\nX-API-Key: %s\n\n' "$BASE_URL" "$1" "$LOAD_API_KEY"; }
enrich() { # domain user-number
  printf 'POST %s/api/enrich/%s\nX-API-Key: %s\n\n' "$BASE_URL" "$1" "${user_keys[$2]}"
}

get /health >"$work/health.targets"
for q in "${list_queries[@]}"; do get "/api/targets$q"; done >"$work/targets.targets"
# The mix of one dashboard user: mostly browsing the list, opening a
# company, glancing at the totals, now and then asking for fresh data.
n=${#domains[@]}
for i in $(seq 0 199); do
  d=${domains[$((i % n))]}
  case $((i % 10)) in
    0 | 1 | 2 | 3) get "/api/targets${list_queries[$((i % ${#list_queries[@]}))]}" ;;
    4 | 5 | 6) get "/api/companies/$d" ;;
    7) get "/api/stats" ;;
    8) get "/api/enrich/jobs?per_page=20" ;;
    9) enrich "$d" "$((i % users % 100))" ;;
  esac
done >"$work/mixed.targets"
# Enrichment requests spread over the domains and 100 requesters: the first
# request for a domain opens a job, later ones join it while it runs.
for i in $(seq 0 999); do enrich "${domains[$((i % n))]}" "$((i % 100))"; done >"$work/enrich.targets"

results=()
attack() { # name targets-file vegeta-rate-flags... (a -duration among them wins)
  local name=$1 file=$2
  shift 2
  log "$name"
  "$vegeta" attack -targets="$file" -duration="$duration" -timeout=10s -keepalive=true "$@" \
    >"$work/$name.bin"
  "$vegeta" report -type=json <"$work/$name.bin" >"$work/$name.json"
  results+=("$name")
}
# The opening burst: only on a service this script started, so it is cold
# (no enrichment request seen yet) and the seeded streams are its own.
if [ "$burst" = 1 ] && [ "$started_here" = 1 ]; then
  # Admin keys: no daily budget, since the seeded requesters already opened
  # 300 jobs today.
  burst_keys=()
  for i in $(seq 0 $((burst_requesters - 1))); do
    burst_keys+=("$(curl -fsS --max-time 5 "${auth[@]}" -H 'Content-Type: application/json' \
      -d "{\"email\":\"load-burst-$i-$burst_tag@example.com\",\"tier\":\"admin\"}" "$BASE_URL/api/admin/keys" | jq -r .key)")
  done
  for i in $(seq 0 $((burst_targets - 1))); do
    printf 'POST %s/api/enrich/burst-%s-%s.com\nX-API-Key: %s\n\n' "$BASE_URL" "$burst_tag" "$i" "${burst_keys[$((i % burst_requesters))]}"
  done >"$work/burst.targets"
  # The projections replay the seeded events first; the burst measures
  # opening jobs, not a service catching up.
  for _ in $(seq 120); do
    behind=$(psql -qAt "$burst_db" -c "SELECT (SELECT coalesce(max(position), 0) FROM events) > (SELECT coalesce(min(position), 0) FROM projection_checkpoints)" 2>/dev/null || echo t)
    [ "$behind" = f ] && break
    sleep 0.5
  done
  [ "$behind" = f ] || log "the projections had not caught up with the seeded events"
  attack burst "$work/burst.targets" -rate="$enrich_rate/1s" -duration="$burst_duration" -workers="$users" -max-workers=500
elif [ "$burst" = 1 ]; then
  log "the opening burst needs a service this script starts (nothing on $BASE_URL): skipped"
fi
attack health "$work/health.targets" -rate=0 -workers="$users" -max-workers="$users"
attack targets "$work/targets.targets" -rate=0 -workers="$users" -max-workers="$users"
attack mixed "$work/mixed.targets" -rate=0 -workers="$users" -max-workers="$users"
attack enrich "$work/enrich.targets" -rate="$enrich_rate/1s" -workers="$users" -max-workers=500

echo
printf '%-8s %10s %9s %9s %9s %9s  %s\n' scenario requests req/s p50_ms p95_ms p99_ms status_codes
for name in "${results[@]}"; do
  jq -r --arg n "$name" '[$n, .requests, (.rate|floor),
      (.latencies["50th"]/1e6), (.latencies["95th"]/1e6), (.latencies["99th"]/1e6),
      (.status_codes|to_entries|map("\(.key):\(.value)")|join(" "))] |
    "\(.[0]) \(.[1]) \(.[2]) \(.[3]*100|round/100) \(.[4]*100|round/100) \(.[5]*100|round/100) \(.[6])"' \
    "$work/$name.json" | awk '{ printf "%-8s %10s %9s %9s %9s %9s  ", $1, $2, $3, $4, $5, $6; for (i = 7; i <= NF; i++) printf "%s ", $i; print "" }'
done

rate() { jq -r '.rate' "$work/$1.json"; }
p99() { jq -r '.latencies["99th"]/1e6' "$work/$1.json"; }
ok_share() { jq -r '.success' "$work/$1.json"; }
ratio=$(awk -v t="$(rate targets)" -v h="$(rate health)" 'BEGIN { printf "%.2f", (h > 0 ? t / h : 0) }')
echo
echo "targets ÷ health: $ratio"
check() { # label ok-expression
  if awk "BEGIN { exit !($2) }"; then echo "  met     $1"; else echo "  MISSED  $1"; fi
}
echo "goals:"
check "GET /api/targets >= 2000 req/s ($(rate targets | cut -d. -f1))" "$(rate targets) >= 2000"
check "GET /api/targets p99 <= 25 ms ($(p99 targets) ms)" "$(p99 targets) <= 25"
check "GET /api/targets >= 0.3x /health ($ratio)" "$ratio >= 0.3"
check "GET /api/targets all 2xx/304 ($(ok_share targets))" "$(ok_share targets) >= 1"
check "POST /api/enrich p99 <= 10 ms at $enrich_rate req/s ($(p99 enrich) ms)" "$(p99 enrich) <= 10"
if [ -f "$work/burst.json" ]; then
  check "POST /api/enrich p99 <= 10 ms in the opening burst ($(p99 burst) ms, every request a new job)" "$(p99 burst) <= 10"
fi

if [ "${LOAD_LIST_ROWS:-100000}" != 0 ]; then
  echo
  scripts/load-list.sh
fi

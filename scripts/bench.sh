#!/usr/bin/env bash
# Runs the benchmarks with their same-run baselines. Expects
# PARTNERFORGE_TEST_DATABASE_URL and, for the rate-limit benchmark,
# PARTNERFORGE_TEST_REDIS_URL (the Makefile finds or starts both servers).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
mdb_version=1.3.1

# message-db, the append-speed anchor, from its npm package.
if [ ! -f "$tools/message-db/package/database/install.sh" ]; then
  command -v npm >/dev/null || { echo "bench.sh: npm is needed to fetch @eventide/message-db" >&2; exit 1; }
  mkdir -p "$tools/message-db"
  (cd "$tools/message-db" && npm pack --silent "@eventide/message-db@$mdb_version" >/dev/null && tar xzf "eventide-message-db-$mdb_version.tgz")
fi
command -v psql >/dev/null || { echo "bench.sh: message-db's installer needs psql" >&2; exit 1; }

echo "== event store (go run ./bench/eventstore)"
MESSAGE_DB_DIR="$tools/message-db/package" go run ./bench/eventstore

echo
echo "== enrichment end to end (go test -bench EndToEnd ./adapters/enrichment)"
go test -run '^$' -bench EndToEnd -benchtime 1x ./adapters/enrichment

echo
echo "== rate limit (go test -bench RateLimit ./http): GET /api/targets with the Redis limiter ÷ without"
go test -run '^$' -bench RateLimit -benchtime 1x ./http

echo
echo "== opening and joining jobs (go test -bench 'OpenJob|JoinJob' ./adapters/postgres): whole streams against snapshots in one round trip"
go test -run '^$' -bench 'OpenJob|JoinJob' -benchtime 1x ./adapters/postgres

echo "== projection rebuild (go run ./bench/rebuild)"
# REBUILD_EVENTS=100000,1000000 adds the million-event log (a few minutes).
go run ./bench/rebuild -events "${REBUILD_EVENTS:-100000}"

echo
echo "== idle service (go run ./bench/idle): serve with nothing to do, wake-ups ÷ polling every 20 ms"
go run ./bench/idle

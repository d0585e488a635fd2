#!/usr/bin/env bash
# Finds a Redis server for `make test` and `make bench`, and prints its URL.
#
#   1. $PARTNERFORGE_TEST_REDIS_URL's server, when set;
#   2. otherwise Redis on 127.0.0.1:6379 when one answers;
#   3. otherwise a private server under ./.data/redis on port
#      $PF_PRIVATE_REDIS_PORT (default 56379), started with redis-server. The
#      Redis server is installed from Debian's packages when missing.
#
# Usage: scripts/redis.sh url    print the server URL (starting one if needed)
#        scripts/redis.sh stop   stop the private server, if running
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
data="$root/.data/redis"
port="${PF_PRIVATE_REDIS_PORT:-56379}"

log() { echo "redis.sh: $*" >&2; }

answers() { # host port
  if command -v redis-cli >/dev/null 2>&1; then
    [ "$(redis-cli -h "$1" -p "$2" ping 2>/dev/null)" = PONG ]
  else
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
  fi
}

install_redis() {
  log "redis-server not found; installing Debian's redis-server package"
  if [ "$(id -u)" -ne 0 ]; then
    log "need root to install packages: run 'sudo apt-get install redis-server' or set PARTNERFORGE_TEST_REDIS_URL"
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >&2
}

start_private() {
  command -v redis-server >/dev/null 2>&1 || install_redis
  if answers 127.0.0.1 "$port"; then
    return
  fi
  mkdir -p "$data"
  log "starting a private redis on 127.0.0.1:$port"
  # No persistence: the server holds rate-limit budgets that expire within
  # a minute.
  redis-server --bind 127.0.0.1 --port "$port" --dir "$data" --save '' --appendonly no \
    --daemonize yes --pidfile "$data/redis.pid" --logfile "$data/redis.log" >&2
  for _ in $(seq 50); do
    answers 127.0.0.1 "$port" && return
    sleep 0.1
  done
  log "redis did not answer on 127.0.0.1:$port; see $data/redis.log"
  exit 1
}

server_url() {
  if [ -n "${PARTNERFORGE_TEST_REDIS_URL:-}" ]; then
    echo "$PARTNERFORGE_TEST_REDIS_URL"
    return
  fi
  if answers 127.0.0.1 6379; then
    echo "redis://127.0.0.1:6379/0"
    return
  fi
  start_private
  echo "redis://127.0.0.1:$port/0"
}

case "${1:-url}" in
  url)
    server_url
    ;;
  stop)
    if [ -s "$data/redis.pid" ]; then kill "$(cat "$data/redis.pid")" 2>/dev/null || true; fi
    ;;
  *)
    echo "usage: $0 url | stop" >&2
    exit 2
    ;;
esac

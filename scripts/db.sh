#!/usr/bin/env bash
# Finds a PostgreSQL server for `make run`, `make test` and `make bench`, and
# prints its URL (pointing at the "postgres" maintenance database).
#
#   1. $DATABASE_URL's server, when set;
#   2. otherwise PostgreSQL on 127.0.0.1:5432 when one answers;
#   3. otherwise a private cluster under ./.data/pg on port $PF_PRIVATE_PG_PORT
#      (default 55432), created with initdb and started with pg_ctl. The
#      PostgreSQL server binaries are installed from Debian's packages when
#      missing.
#
# Usage: scripts/db.sh url            print the server URL (starting one if needed)
#        scripts/db.sh createdb NAME  also create database NAME if missing; print its URL
#        scripts/db.sh stop           stop the private cluster, if running
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
data="$root/.data/pg"
port="${PF_PRIVATE_PG_PORT:-55432}"

log() { echo "db.sh: $*" >&2; }

find_bin() {
  local name=$1 p
  if p=$(command -v "$name" 2>/dev/null); then echo "$p"; return 0; fi
  for p in /usr/lib/postgresql/*/bin/"$name"; do
    [ -x "$p" ] && { echo "$p"; return 0; }
  done
  return 1
}

answers() { # host port
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$1" -p "$2" -t 2
  else
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
  fi
}

install_postgres() {
  log "PostgreSQL server binaries not found; installing Debian's postgresql package"
  if [ "$(id -u)" -ne 0 ]; then
    log "need root to install packages: run 'sudo apt-get install postgresql' or set DATABASE_URL"
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
}

# initdb and postgres refuse to run as root: run them as the postgres user.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    chown -R postgres "$root/.data"
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start_private() {
  local initdb pg_ctl
  initdb=$(find_bin initdb) || { install_postgres; initdb=$(find_bin initdb); }
  pg_ctl=$(find_bin pg_ctl)
  mkdir -p "$root/.data"
  if [ ! -s "$data/PG_VERSION" ]; then
    log "creating a private cluster in $data"
    mkdir -p "$data"
    as_owner "$initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! answers 127.0.0.1 "$port"; then
    log "starting the private cluster on 127.0.0.1:$port"
    as_owner "$pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
      -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=on" start >&2
  fi
}

server_url() {
  if [ -n "${DATABASE_URL:-}" ]; then
    # Same server, maintenance database.
    echo "$DATABASE_URL" | sed -E 's#^(postgres(ql)?://[^/]*)/[^?]*#\1/postgres#'
    return
  fi
  if answers 127.0.0.1 5432; then
    echo "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
    return
  fi
  start_private
  echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
}

psql_bin() { find_bin psql || { install_postgres; find_bin psql; }; }

case "${1:-url}" in
  url)
    server_url
    ;;
  createdb)
    name=${2:?database name}
    url=$(server_url)
    psql=$(psql_bin)
    if [ "$("$psql" "$url" -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'")" != 1 ]; then
      "$psql" "$url" -qc "CREATE DATABASE \"$name\"" >&2
      log "created database $name"
    fi
    echo "$url" | sed -E "s#^(postgres(ql)?://[^/]*)/[^?]*#\1/$name#"
    ;;
  stop)
    if [ -s "$data/PG_VERSION" ]; then as_owner "$(find_bin pg_ctl)" -D "$data" -m fast stop >&2 || true; fi
    ;;
  *)
    echo "usage: $0 url | createdb NAME | stop" >&2
    exit 2
    ;;
esac

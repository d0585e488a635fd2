#!/usr/bin/env bash
# Runs the service for a local demo: migrate, import the demo targets (once;
# importing again adds nothing), and serve until Ctrl-C. Without provider API
# keys it also runs the fixture providers on 127.0.0.1:9101-9103 and points
# the service at them, so enrichment works end to end over HTTP.
# DATABASE_URL must be set (the Makefile finds or starts a server).
#
# API keys: unless API_KEY_SALT is set, a salt is generated the first time
# and kept in .data/api-key-salt. A demo admin key is created the first time
# (and again if the database no longer knows it), kept in
# .data/demo-admin-key, and printed on every run.
set -euo pipefail
bin=${1:?path to the partnerforge binary}
: "${DATABASE_URL:?}"
export DATABASE_URL

if [ -z "${BUILTWITH_API_KEY:-}" ] && [ -z "${SIMILARWEB_API_KEY:-}" ]; then
  echo "run-demo: no provider keys set; serving fixture providers on 127.0.0.1:9101-9103" >&2
  "$bin" fixtures serve >/dev/null &
  fixtures=$!
  trap 'kill "$fixtures" 2>/dev/null || true' EXIT
  export BUILTWITH_BASE_URL=http://127.0.0.1:9101 BUILTWITH_API_KEY=demo
  export SIMILARWEB_BASE_URL=http://127.0.0.1:9102 SIMILARWEB_API_KEY=demo
  export YAHOO_BASE_URL=http://127.0.0.1:9103 YAHOO_COOKIE_URL=/fc
fi

data=.data
mkdir -p "$data"
if [ -z "${API_KEY_SALT:-}" ]; then
  if [ ! -s "$data/api-key-salt" ]; then
    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$data/api-key-salt")
  fi
  API_KEY_SALT=$(cat "$data/api-key-salt")
fi
export API_KEY_SALT

"$bin" migrate up
"$bin" import demo

# The demo admin key: reuse it while the database knows it and it is not
# revoked (the last column of `keys list` is "-").
key_id=$(cat "$data/demo-admin-key-id" 2>/dev/null || true)
if [ -z "$key_id" ] || [ ! -s "$data/demo-admin-key" ] ||
  ! "$bin" keys list | awk -v id="$key_id" '$1 == id && $NF == "-" { found = 1 } END { exit !found }'; then
  created=$("$bin" keys create --email demo-admin@example.com --tier admin --json)
  (umask 077 && printf '%s\n' "$created" | sed -n 's/.*"key":"\([^"]*\)".*/\1/p' >"$data/demo-admin-key")
  printf '%s\n' "$created" | sed -n 's/.*"key_id":"\([^"]*\)".*/\1/p' >"$data/demo-admin-key-id"
fi
echo "run-demo: demo admin API key (kept in $data/demo-admin-key): $(cat "$data/demo-admin-key")" >&2
addr=${HTTP_ADDR:-:8080}
echo "run-demo: try  curl -H \"X-API-Key: \$(cat $data/demo-admin-key)\" localhost:${addr##*:}/api/stats" >&2
# Not exec: the trap above stops the fixture servers when serve exits.
"$bin" serve

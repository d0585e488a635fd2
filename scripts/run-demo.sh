#!/usr/bin/env bash
# Runs the service for a local demo: migrate, import the demo targets (once;
# importing again adds nothing), and serve until Ctrl-C. Without provider API
# keys it also runs the fixture providers on 127.0.0.1:9101-9103 and points
# the service at them, so enrichment works end to end over HTTP.
# DATABASE_URL must be set (the Makefile finds or starts a server).
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

"$bin" migrate up
"$bin" import demo
# Not exec: the trap above stops the fixture servers when serve exits.
"$bin" serve

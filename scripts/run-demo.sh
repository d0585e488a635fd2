#!/usr/bin/env bash
# Runs the service for a local demo: check the ports, migrate, import the
# demo targets (once; importing again adds nothing), and serve until Ctrl-C,
# ending start-up with a banner: the dashboard's address, signed in with the
# demo admin key (http://127.0.0.1:8080/#key=...), and commands to try.
# Without provider API keys it also runs the fixture providers on 127.0.0.1
# (ports PF_BUILTWITH_PORT, PF_SIMILARWEB_PORT, PF_YAHOO_PORT: 9101-9103) and
# points the service at them, so enrichment works end to end over HTTP.
# DATABASE_URL must be set (the Makefile finds or starts a server); HTTP_ADDR
# defaults to 127.0.0.1:8080, so the demo is not reachable from other hosts.
#
# API keys: unless API_KEY_SALT is set, a salt is generated the first time
# and kept in .data/api-key-salt. A demo admin key is created the first time
# (and again if the database no longer knows it), kept in
# .data/demo-admin-key, and printed on every run.
set -euo pipefail
bin=${1:?path to the partnerforge binary}
: "${DATABASE_URL:?}"
export DATABASE_URL
export HTTP_ADDR=${HTTP_ADDR:-127.0.0.1:8080}

fixtures=false
if [ -z "${BUILTWITH_API_KEY:-}" ] && [ -z "${SIMILARWEB_API_KEY:-}" ]; then
  fixtures=true
fi
bw_port=${PF_BUILTWITH_PORT:-9101}
sw_port=${PF_SIMILARWEB_PORT:-9102}
yf_port=${PF_YAHOO_PORT:-9103}

# require_free fails when something answers on the port: a second `make run`
# is refused here, before the migration and the import, not after them.
require_free() { # host port variable
  local host=$1 port=$2 var=$3
  case $host in "" | 0.0.0.0 | "[::]" | "::") host=127.0.0.1 ;; esac
  host=${host#[}; host=${host%]}
  # A connection that succeeds means a listener; on loopback a free port
  # refuses at once. timeout (absent on macOS) only bounds an odd host.
  local probe=(bash -c "exec 3<>/dev/tcp/$host/$port")
  if command -v timeout >/dev/null; then probe=(timeout 2 "${probe[@]}"); fi
  if "${probe[@]}" 2>/dev/null; then
    echo "run-demo: port $port on $host is taken (is another partnerforge running?); stop it, or set $var to a free port" >&2
    exit 1
  fi
}
require_free "${HTTP_ADDR%:*}" "${HTTP_ADDR##*:}" HTTP_ADDR
if $fixtures; then
  require_free 127.0.0.1 "$bw_port" PF_BUILTWITH_PORT
  require_free 127.0.0.1 "$sw_port" PF_SIMILARWEB_PORT
  require_free 127.0.0.1 "$yf_port" PF_YAHOO_PORT
fi

if $fixtures; then
  echo "run-demo: no provider keys set; serving fixture providers on 127.0.0.1:$bw_port, :$sw_port and :$yf_port" >&2
  "$bin" fixtures serve --builtwith-port "$bw_port" --similarweb-port "$sw_port" --yahoo-port "$yf_port" >/dev/null &
  fixtures_pid=$!
  trap 'kill "$fixtures_pid" 2>/dev/null || true' EXIT
  export BUILTWITH_BASE_URL=http://127.0.0.1:$bw_port BUILTWITH_API_KEY=demo
  export SIMILARWEB_BASE_URL=http://127.0.0.1:$sw_port SIMILARWEB_API_KEY=demo
  export YAHOO_BASE_URL=http://127.0.0.1:$yf_port YAHOO_COOKIE_URL=/fc
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
# Not exec: the trap above stops the fixture servers when serve exits.
"$bin" serve --banner --banner-key-file "$PWD/$data/demo-admin-key"

#!/usr/bin/env bash
# Runs the service for a local demo: migrate, then serve until Ctrl-C.
# DATABASE_URL must be set (the Makefile finds or starts a server).
set -euo pipefail
bin=${1:?path to the partnerforge binary}
: "${DATABASE_URL:?}"
export DATABASE_URL
"$bin" migrate up
exec "$bin" serve

# shellcheck shell=bash disable=SC2154
# Shared by scripts/load.sh and scripts/load-list.sh (sourced, not run):
# a scratch folder with the processes to stop on exit, and the vegeta
# binary. Expects $root (the repository) and a log function.

vegeta_version=v12.13.0

# A scratch folder ($work) and the processes to stop ($pids), both cleaned
# up however the script ends.
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# vegeta, built once from the Go module proxy into .tools/.
vegeta="$root/.tools/vegeta-$vegeta_version"
if [ ! -x "$vegeta" ]; then
  log "building vegeta $vegeta_version"
  mkdir -p "$root/.tools"
  GOBIN="$work" go install "github.com/tsenart/vegeta/v12@$vegeta_version"
  mv "$work/vegeta" "$vegeta"
fi

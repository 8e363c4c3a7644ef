#!/usr/bin/env bash
# Prints how long fleet takes and how much memory it needs on N lab hosts (default 8): a first apply
# (install, start, verify, register), a converged apply (the common case: nothing to do), and a drift
# check. Figures, not assertions: compare them between versions on the same machine.
set -euo pipefail
cd "$(dirname "$0")/.."
hosts="${1:-8}"
scripts/setup.sh >/dev/null
command -v /usr/bin/time >/dev/null || apt-get install -y -q time >/dev/null
inventory="$(mktemp -d)/bench-inventory.yaml"
fleet() { node bin/fleet.js "$@"; }

fleet lab down >/dev/null
fleet lab up "$hosts" --inventory "$inventory" >/dev/null
trap 'node bin/fleet.js lab down >/dev/null' EXIT

measure() {
  local label="$1"; shift
  local stats
  stats="$(mktemp)"
  # /usr/bin/time (Debian package "time") gives wall time and the peak resident memory of fleet's process.
  /usr/bin/time -o "$stats" -f '%e %M' node bin/fleet.js "$@" >/dev/null 2>&1 || true
  read -r seconds kilobytes <"$stats"
  printf '%-34s %8s s %10s MB\n' "$label" "$seconds" "$((kilobytes / 1024))"
}

echo "fleet on $((hosts + 1)) lab hosts ($hosts + the Prometheus monitor), $(nproc) cores"
printf '%-34s %10s %13s\n' "run" "wall" "peak RSS"
measure "apply, fresh hosts" apply "$inventory"
measure "apply, converged (no changes)" apply "$inventory"
measure "apply, converged, --no-register" apply "$inventory" --no-register
measure "check (read-only drift check)" check "$inventory"
measure "check --forks 1" check "$inventory" --forks 1

#!/usr/bin/env bash
# fleet's benchmark (figures, not assertions; the targets of issue 11 are printed beside each figure).
#
#   scripts/bench.sh [N] [--repeat R] [--forks F] [--json FILE]
#       N lab hosts (default 8; the monitor and N-1 hosts): the floor (ssh2 connect + `true` on every host at once),
#       a cold apply (fresh hosts), a converged apply, a drift check, and a drift check with one file changed, each
#       repeated R times (default 3); writes scripts/bench/results/lab.json.
#   scripts/bench.sh --scale 1000,5000 [--forks F] [--json FILE]
#       fleet check with a small playbook against 100 and the given numbers of hosts, each a loopback address
#       answered by real sshd processes in a private network namespace; writes scripts/bench/results/scale.json.
#   scripts/bench/readme.ts  regenerates the README's benchmark section from those JSON files.
#   scripts/bench/script-cost.ts LAB_INVENTORY FLEET_LOG_JSONL  what each part of a facts round trip costs the hosts.
#
# Needs root (the lab: systemd-nspawn, a bridge). Run it on a quiet machine: every lab host shares its cores.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
command -v /usr/bin/time >/dev/null || apt-get install -y -q time >/dev/null

for arg in "$@"; do
  if [ "$arg" = "--scale" ] || [[ "$arg" == --scale=* ]]; then
    # A private network namespace: its loopback addresses are the simulated hosts, and nothing leaks out.
    exec unshare --net -- node --import tsx scripts/bench/scale.ts "$@"
  fi
done
# The benchmark boots its own lab on the addresses of `fleet lab up`.
node bin/fleet.js lab down >/dev/null
exec node --import tsx scripts/bench/lab-run.ts "$@"

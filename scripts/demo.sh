#!/usr/bin/env bash
# The main job on an embedded default: boot a local lab of three real Debian hosts and run fleet
# against them. The lab stays up afterwards so you can look around; `bin/fleet.js lab down` stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
fleet() { node bin/fleet.js "$@"; }

fleet lab down >/dev/null
fleet lab up 3 --inventory lab-inventory.yaml
fleet inventory lab-inventory.yaml
fleet ping lab-inventory.yaml
fleet apply lab-inventory.yaml --diff
echo "--- a second apply changes nothing:"
fleet apply lab-inventory.yaml
echo
echo "The lab is still up: try 'node bin/fleet.js ping lab-inventory.yaml', then 'node bin/fleet.js lab down'."

#!/usr/bin/env bash
# The main job on an embedded default: boot a local lab (three real Debian hosts, a monitor host
# running Debian's Prometheus, and a release mirror on the bridge), then run fleet against it:
# Node Exporter and Alloy (a labelled stand-in, see test/fixtures/alloy-standin) on every host,
# verified, registered with Prometheus, and proven scraped. The lab stays up afterwards so you can
# look around; `node bin/fleet.js lab down` stops it.
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
echo "--- what Prometheus sees:"
fleet register lab-inventory.yaml --check
monitor=$(awk '/^  monitoring:/{m=1} m && /address:/{print $2; exit}' lab-inventory.yaml)
echo
echo "Prometheus: http://${monitor}:9090/targets   Node Exporter: http://10.213.0.11:9100/metrics   Alloy: http://10.213.0.11:12345/-/ready"
echo "The lab is still up: try 'node bin/fleet.js apply lab-inventory.yaml --check', then 'node bin/fleet.js lab down'."

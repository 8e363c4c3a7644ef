#!/usr/bin/env bash
# Runs the whole test suite: unit tests, then the lab suites on real systemd-nspawn hosts (npm test runs the
# two projects one after the other, so the unit tests never compete with lab boots for the cores).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
npm run typecheck
npm test

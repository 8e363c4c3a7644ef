#!/usr/bin/env bash
# Runs the whole test suite: unit tests, then the lab suites on real systemd-nspawn hosts.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
npm run typecheck
npm test

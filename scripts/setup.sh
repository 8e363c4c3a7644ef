#!/usr/bin/env bash
# Installs what fleet and its lab need on Debian 12, as root. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "fleet needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
missing=()
# tmux: the password prompt is tested in a real terminal (test/lab/prompt.test.ts).
for pkg in debootstrap systemd-container openssh-client iproute2 procps prometheus prometheus-node-exporter tmux; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund

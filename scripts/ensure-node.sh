#!/usr/bin/env bash
# Source this file: puts a Node.js >= 24.9 first on PATH. When the machine's Node is older,
# a Node 24 binary is installed once from the npm registry (package `node@24`) into a cache
# folder outside the repository and reused afterwards.
node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>24||(a===24&&b>=9)?0:1)'
}
if ! node_ok; then
  NODE24_DIR="${NODE24_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/n8n-webhook-bridge/node24}"
  if [ ! -x "$NODE24_DIR/node_modules/node/bin/node" ]; then
    echo "Installing Node.js 24 from the npm registry into $NODE24_DIR" >&2
    mkdir -p "$NODE24_DIR"
    npm install --prefix "$NODE24_DIR" --no-save --no-audit --no-fund --loglevel=error node@24 >&2
  fi
  export PATH="$NODE24_DIR/node_modules/node/bin:$PATH"
  export npm_config_nodedir="$NODE24_DIR/node_modules/node"
  node_ok || { echo "Could not provide Node.js >= 24.9" >&2; return 1 2>/dev/null || exit 1; }
fi

#!/usr/bin/env bash
# Installs n8n (pinned) into a cache folder outside the repository and reuses it afterwards.
# Prints the install folder on stdout. Needs Node >= 24 first on PATH (source scripts/ensure-node.sh).
# Why the two steps (see STACK-NOTES): a plain install fails on a Kafka client's native build that
# downloads a library, so install scripts are skipped and only the two add-ons n8n needs here
# (sqlite3 for the database, isolated-vm for the expression sandbox) are rebuilt against this Node.
set -euo pipefail

N8N_VERSION="${N8N_VERSION:-2.40.7}"
N8N_INSTALL_DIR="${N8N_INSTALL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/n8n-webhook-bridge/n8n-$N8N_VERSION}"
marker="$N8N_INSTALL_DIR/.install-complete"

if [ -f "$marker" ] && [ -x "$N8N_INSTALL_DIR/node_modules/.bin/n8n" ]; then
  echo "$N8N_INSTALL_DIR"
  exit 0
fi

# Native add-ons must build against the headers of the Node that will run them.
if [ -z "${npm_config_nodedir:-}" ]; then
  node_bin="$(readlink -f "$(command -v node)")"
  for candidate in "$(dirname "$node_bin")/.." "$(dirname "$node_bin")"/../node_modules/node-*; do
    if [ -f "$candidate/include/node/node.h" ]; then
      npm_config_nodedir="$(cd "$candidate" && pwd)"
      export npm_config_nodedir
      break
    fi
  done
fi

echo "Installing n8n@$N8N_VERSION into $N8N_INSTALL_DIR (one-off, several minutes, ~3 GB)" >&2
rm -rf "$N8N_INSTALL_DIR"
mkdir -p "$N8N_INSTALL_DIR"
cd "$N8N_INSTALL_DIR"
echo '{ "name": "n8n-cache", "private": true }' > package.json
npm install "n8n@$N8N_VERSION" --ignore-scripts --no-audit --no-fund --loglevel=error >&2
echo "Building the sqlite3 and isolated-vm add-ons for Node $(node --version)" >&2
npm rebuild sqlite3 isolated-vm --loglevel=error >&2
touch "$marker"
echo "$N8N_INSTALL_DIR"

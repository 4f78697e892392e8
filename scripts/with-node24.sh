#!/usr/bin/env bash
# Runs a command under Node.js >= 24.9: the machine's own when it is new enough, else the Node 24
# that scripts/ensure-node.sh provides (installed once from the npm registry into a cache folder
# outside the repository, then reused). `npm test`, `npm run lint`, `npm run bench` and `npm start` go through it,
# so they work from a fresh clone on a machine whose Node is older:
#   bash scripts/with-node24.sh <command> [arguments…]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/ensure-node.sh"
exec "$@"

#!/usr/bin/env bash
# Imports every workflow in n8n/ into a STOPPED n8n and publishes it (n8n 2.x: import, then
# publish:workflow per id; the running instance picks them up when it starts).
# Usage: import-workflows.sh <n8n executable> [workflow folder]; the n8n environment must be set
# (N8N_USER_FOLDER, DB_* …), e.g. by sourcing scripts/n8n/n8n-env.sh.
set -euo pipefail
n8n_bin="${1:?usage: import-workflows.sh <n8n executable> [workflow folder]}"
folder="${2:-$(cd "$(dirname "$0")/../.." && pwd)/n8n}"

"$n8n_bin" import:workflow --separate --input="$folder" >/dev/null
for file in "$folder"/*.json; do
  id="$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).id)' "$file")"
  "$n8n_bin" publish:workflow --id="$id" >/dev/null
  echo "imported and published $(basename "$file") ($id)" >&2
done

#!/usr/bin/env bash
# Opt-in end-to-end test against a REAL n8n (npm run test:n8n). Not part of `npm test`.
#   1. Node 24, PostgreSQL and Redis (as the other tests);
#   2. n8n 2.40.7, installed once into ${XDG_CACHE_HOME:-~/.cache}/n8n-webhook-bridge/n8n-2.40.7
#      (outside the repository; ~5 min and ~3 GB the first time, reused afterwards);
#   3. a throwaway n8n: SQLite in a scratch folder, 127.0.0.1 on a free port, nothing calling out;
#      the workflows of n8n/ imported and published while it is stopped, then started;
#   4. waits until every event webhook answers (the receiver's 401 to an unsigned request);
#   5. runs test/n8n/*.n8n-spec.ts, which boots the bridge on the port n8n calls back.
# KEEP_N8N_SCRATCH=1 keeps the scratch folder (n8n database and log) for a look afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$SECONDS
step() { printf '\n==> [%ss] %s\n' "$((SECONDS - started))" "$*"; }

step "Node.js"
source scripts/ensure-node.sh
echo "node $(node --version)"
step "PostgreSQL and Redis"
bash scripts/ensure-services.sh
step "n8n"
n8n_home="$(bash scripts/n8n/install-n8n.sh)"
n8n_bin="$n8n_home/node_modules/.bin/n8n"
echo "n8n $("$n8n_bin" --version 2>/dev/null | tail -1) in $n8n_home"
node scripts/n8n/build-workflows.mjs --check

scratch="$(mktemp -d "${TMPDIR:-/tmp}/n8n-e2e.XXXXXX")"
n8n_pid=
cleanup() {
  if [ -n "$n8n_pid" ] && kill -0 "$n8n_pid" 2>/dev/null; then
    kill "$n8n_pid" 2>/dev/null || true
    wait "$n8n_pid" 2>/dev/null || true
  fi
  if [ -n "${KEEP_N8N_SCRATCH:-}" ]; then echo "n8n scratch folder kept: $scratch" >&2; else rm -rf "$scratch"; fi
}
trap cleanup EXIT
show_log() { echo "---- last lines of the n8n log ($scratch/n8n.log) ----" >&2; tail -n 60 "$scratch/n8n.log" >&2 || true; }

read -r n8n_port bridge_port broker_port < <(node scripts/n8n/free-ports.mjs 3)
secret="$(node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64url"))')"
# n8n's own environment, kept out of this shell (and so out of Jest's) by subshells.
n8n_env() {
  export N8N_USER_FOLDER="$scratch/n8n" N8N_PORT="$n8n_port" N8N_RUNNERS_BROKER_PORT="$broker_port"
  export WEBHOOK_SECRET="$secret" BRIDGE_BASE_URL="http://127.0.0.1:$bridge_port" AUTO_APPROVE=true
  source scripts/n8n/n8n-env.sh
}

step "import and publish the workflows (n8n stopped)"
mkdir -p "$scratch/n8n"
( n8n_env && bash scripts/n8n/import-workflows.sh "$n8n_bin" n8n ) > "$scratch/import.log" 2>&1 || { cat "$scratch/import.log" >&2; exit 1; }
grep '^imported' "$scratch/import.log" || true

step "start n8n on 127.0.0.1:$n8n_port"
( n8n_env && exec "$n8n_bin" start ) > "$scratch/n8n.log" 2>&1 &
n8n_pid=$!

events="lead-scraped lead-qualified demo-completed demo-failed video-completed video-failed email-sent email-failed lead-responded approval-requested workflow-error"
deadline=$((SECONDS + ${N8N_START_TIMEOUT_SECONDS:-180}))
for path in $events; do
  until curl -s -m 5 -X POST "http://127.0.0.1:$n8n_port/webhook/$path" -H 'content-type: application/json' -d '{}' 2>/dev/null | grep -q '"signature_missing"'; do
    kill -0 "$n8n_pid" 2>/dev/null || { echo "n8n exited during start-up" >&2; show_log; exit 1; }
    [ "$SECONDS" -lt "$deadline" ] || { echo "n8n's /webhook/$path did not come up in time" >&2; show_log; exit 1; }
    sleep 0.5
  done
done
echo "all 11 webhooks live"

step "jest test/n8n (bridge on 127.0.0.1:$bridge_port)"
status=0
# A hang (say, a bridge that cannot boot and leaves handles open) becomes a failure, not a stuck run.
N8N_E2E_URL="http://127.0.0.1:$n8n_port" N8N_E2E_BRIDGE_PORT="$bridge_port" N8N_E2E_SECRET="$secret" \
  NODE_OPTIONS=--experimental-vm-modules timeout --kill-after=10 "${N8N_E2E_TIMEOUT_SECONDS:-600}" \
  node_modules/.bin/jest --config test/n8n/jest.n8n.config.js --runInBand "$@" || status=$?
[ "$status" = 0 ] || show_log
step "done (exit $status)"
exit "$status"

#!/usr/bin/env bash
# One command from a fresh clone to a running service on local defaults:
#   Node 24 → PostgreSQL and Redis → .env with fresh secrets → database → npm ci → build → start.
# The service runs in the foreground (Ctrl-C or SIGTERM shuts it down gracefully) and loads .env
# itself through `--env-file-if-exists` (`npm start` does not read .env).
# Variables already exported in the shell win over .env, e.g. `PORT=3100 bash scripts/start-local.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*" >&2; }

step "Node.js"
source scripts/ensure-node.sh
echo "node $(node --version), npm $(npm --version)" >&2
case "$(command -v node)" in
  "${NODE24_DIR:-/nonexistent}"/*) echo "Node 24 comes from $NODE24_DIR: in another shell, run 'source scripts/ensure-node.sh' before npm commands." >&2 ;;
esac

step "PostgreSQL and Redis"
bash scripts/ensure-services.sh

if [ ! -f .env ]; then
  step "Creating .env with fresh secrets"
  webhook_secret="$(node scripts/generate-secret.mjs)"
  admin_token="$(node -e 'process.stdout.write(require("node:crypto").randomBytes(24).toString("hex"))')"
  admin_password="$(node -e 'process.stdout.write(require("node:crypto").randomBytes(18).toString("base64url"))')"
  encryption_key="$(node scripts/generate-secret.mjs --key)"
  (
    umask 077
    awk -v ws="$webhook_secret" -v at="$admin_token" -v ap="$admin_password" -v ek="$encryption_key" '
      /^WEBHOOK_SECRET=/ { print "WEBHOOK_SECRET=" ws; next }
      /^ADMIN_TOKEN=/    { print "ADMIN_TOKEN=" at; next }
      /^ADMIN_PASSWORD=/ { print "ADMIN_PASSWORD=" ap; next }
      /^SECRETS_ENCRYPTION_KEY=/ { print "SECRETS_ENCRYPTION_KEY=" ek; next }
      { print }' .env.example > .env.tmp
  )
  mv .env.tmp .env
  echo "Wrote $(pwd)/.env (mode 600): WEBHOOK_SECRET, ADMIN_TOKEN, ADMIN_PASSWORD and SECRETS_ENCRYPTION_KEY are freshly generated there." >&2
  echo "Give n8n the same WEBHOOK_SECRET; keep the file out of version control (.env is git-ignored)." >&2
else
  echo "Using the existing $(pwd)/.env" >&2
fi

# The effective value of a setting, resolved exactly as the service will (environment first, then .env).
setting() { node --env-file-if-exists=.env -e 'process.stdout.write(process.env[process.argv[1]] || process.argv[2])' "$1" "$2"; }

step "Dependencies"
# npm writes node_modules/.package-lock.json on every install: older than package-lock.json = stale.
installed=node_modules/.package-lock.json
[ -f "$installed" ] || installed=node_modules
if [ ! -d node_modules ] || [ package-lock.json -nt "$installed" ]; then
  npm ci --no-audit --no-fund --loglevel=error
else
  echo "node_modules is up to date with package-lock.json" >&2
fi

step "Database"
DATABASE_URL="$(setting DATABASE_URL postgres://postgres@127.0.0.1:5432/n8n_bridge)" node - <<'JS'
// Creates the database named in DATABASE_URL when it does not exist (connects to the server's
// `postgres` maintenance database with the same credentials).
const { Client } = require('pg');
const target = new URL(process.env.DATABASE_URL);
const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
const where = `${target.hostname}:${target.port || 5432}`;
if (!name) { console.error('DATABASE_URL names no database'); process.exit(1); }
const admin = new URL(target.href);
admin.pathname = '/postgres';
(async () => {
  const client = new Client({ connectionString: admin.href });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) console.error(`Database "${name}" exists on ${where}`);
    else {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      console.error(`Created database "${name}" on ${where}`);
    }
  } finally {
    await client.end();
  }
})().catch((error) => {
  console.error(`Cannot prepare database "${name}" on ${where}: ${error.message}`);
  process.exit(1);
});
JS

step "Build"
npm run build --silent

port="$(setting PORT 3000)"
step "Starting on http://127.0.0.1:${port} (migrations run at boot; health: /health/ready, API docs: /docs)"
exec node --max-old-space-size=256 --max-semi-space-size=16 --env-file-if-exists=.env dist/src/main.js

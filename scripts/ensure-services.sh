#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on 127.0.0.1:5432 and 127.0.0.1:6379: starts them when
# installed but down, installs them from the OS packages when absent (Debian/Ubuntu, root or sudo).
# Already running elsewhere (Docker, a managed service on those ports)? Nothing is touched.
set -euo pipefail

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
wait_for() { for _ in $(seq 1 60); do "$1" && return 0; sleep 0.5; done; return 1; }

source "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh"

# ---- PostgreSQL ----
pg_installed_now=
if ! pg_up && { ! command -v pg_isready >/dev/null || ! ls -d /etc/postgresql/*/main >/dev/null 2>&1; }; then
  apt_install postgresql postgresql-contrib
  pg_installed_now=1
fi
if [ -n "$pg_installed_now" ]; then
  # A cluster we just created: let local TCP connections in as `postgres` without a password,
  # the local default this project assumes (DATABASE_URL=postgres://postgres@127.0.0.1:5432/...).
  for hba in /etc/postgresql/*/main/pg_hba.conf; do
    as_root sed -ri 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+\s*$/\1trust/' "$hba"
  done
  echo "New PostgreSQL cluster: local TCP connections (127.0.0.1, ::1) trusted, for development only" >&2
fi
if ! pg_up; then
  echo "Starting PostgreSQL" >&2
  for conf in /etc/postgresql/*/main; do
    [ -d "$conf" ] || continue
    v="$(basename "$(dirname "$conf")")"
    as_root pg_ctlcluster --skip-systemctl-redirect "$v" main start || true
  done
  wait_for pg_up || { echo "PostgreSQL did not come up on 127.0.0.1:5432" >&2; exit 1; }
elif [ -n "$pg_installed_now" ]; then
  for conf in /etc/postgresql/*/main; do as_root pg_ctlcluster --skip-systemctl-redirect "$(basename "$(dirname "$conf")")" main reload || true; done
fi
# The `postgres` role must connect over TCP without a password (trust) unless URLs carry one.
if command -v psql >/dev/null && ! psql -h 127.0.0.1 -U postgres -d postgres -tAc 'select 1' >/dev/null 2>&1; then
  echo "PostgreSQL is up but role 'postgres' cannot connect over 127.0.0.1 without a password." >&2
  echo "Put credentials in DATABASE_URL (.env) and TEST_ADMIN_DATABASE_URL (tests), or trust local TCP in pg_hba.conf." >&2
  [ -n "${TEST_ADMIN_DATABASE_URL:-}" ] || exit 1
fi

# ---- Redis ----
if ! redis_up && ! command -v redis-server >/dev/null; then apt_install redis-server; fi
if ! redis_up; then
  echo "Starting Redis" >&2
  dir=/var/lib/redis
  { mkdir -p "$dir" && [ -w "$dir" ]; } 2>/dev/null || dir="${TMPDIR:-/tmp}/redis-$(id -u)"
  mkdir -p "$dir"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir "$dir" --logfile "$dir/redis-local.log"
  wait_for redis_up || { echo "Redis did not come up on 127.0.0.1:6379 (log: $dir/redis-local.log)" >&2; exit 1; }
fi
echo "PostgreSQL and Redis are up" >&2

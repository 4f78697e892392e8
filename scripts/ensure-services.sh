#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on 127.0.0.1: starts them when installed but down,
# installs them from the OS packages when absent (Debian/Ubuntu, as root).
set -euo pipefail

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
wait_for() { for _ in $(seq 1 60); do "$1" && return 0; sleep 0.5; done; return 1; }

apt_install() {
  command -v apt-get >/dev/null || { echo "Cannot install $*: no apt-get; install it yourself" >&2; exit 1; }
  [ -n "${APT_UPDATED:-}" ] || { apt-get update -qq; APT_UPDATED=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! command -v pg_isready >/dev/null || ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
  if ! pg_up; then apt_install postgresql postgresql-contrib; fi
fi
if ! pg_up; then
  echo "Starting PostgreSQL" >&2
  for v in $(ls /etc/postgresql 2>/dev/null); do pg_ctlcluster --skip-systemctl-redirect "$v" main start || true; done
  wait_for pg_up || { echo "PostgreSQL did not come up on 127.0.0.1:5432" >&2; exit 1; }
fi
# Trust or password auth for the `postgres` role over TCP is expected (the default here and in docker-compose).
psql -h 127.0.0.1 -U postgres -d postgres -tAc 'select 1' >/dev/null 2>&1 || {
  echo "PostgreSQL is up but role 'postgres' cannot connect over 127.0.0.1; set TEST_ADMIN_DATABASE_URL" >&2
  [ -n "${TEST_ADMIN_DATABASE_URL:-}" ] || exit 1
}

if ! command -v redis-server >/dev/null && ! redis_up; then apt_install redis-server; fi
if ! redis_up; then
  echo "Starting Redis" >&2
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for redis_up || { echo "Redis did not come up on 127.0.0.1:6379" >&2; exit 1; }
fi
echo "PostgreSQL and Redis are up" >&2

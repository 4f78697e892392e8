#!/usr/bin/env bash
# A local Redis Cluster for tests and trials: 3 masters (and, when asked, 1 replica each) on
# 127.0.0.1, ports BASEPORT, BASEPORT+1, … (cluster bus on port + 10000), without persistence,
# with a short node timeout so that a replica takes over a killed master within a few seconds.
#   bash scripts/redis-cluster.sh start DIR BASEPORT [replicas]   # replicas: 0 (default) or 1
#   bash scripts/redis-cluster.sh stop DIR
# DIR holds each node's nodes.conf, pid file and log; `stop` kills the nodes and removes DIR.
# The binaries are REDIS_SERVER_BIN and REDIS_CLI_BIN (default: redis-server and redis-cli on PATH),
# installed from the OS packages when absent (Debian/Ubuntu, root or sudo).
# REDIS_CLUSTER_NODE_TIMEOUT_MS (default 1000) is cluster-node-timeout.
set -euo pipefail

MARKER=.redis-cluster
SERVER_BIN="${REDIS_SERVER_BIN:-redis-server}"
CLI_BIN="${REDIS_CLI_BIN:-redis-cli}"
NODE_TIMEOUT_MS="${REDIS_CLUSTER_NODE_TIMEOUT_MS:-1000}"

usage() {
  echo "usage: $0 start DIR BASEPORT [replicas 0|1] | stop DIR" >&2
  exit 2
}

source "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh"

ensure_binaries() {
  command -v "$SERVER_BIN" >/dev/null && command -v "$CLI_BIN" >/dev/null && return 0
  apt_install redis-server redis-tools
}

cli() { "$CLI_BIN" -h 127.0.0.1 -p "$1" "${@:2}"; }

port_busy() { cli "$1" ping >/dev/null 2>&1 || (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

node_pids() {
  local dir=$1 pidfile
  for pidfile in "$dir"/*/redis.pid; do
    [ -f "$pidfile" ] && cat "$pidfile"
  done
  return 0
}

stop_cluster() {
  local dir=$1 pid
  [ -d "$dir" ] || return 0
  [ -f "$dir/$MARKER" ] || { echo "$dir was not made by $0 start: left alone" >&2; exit 1; }
  for pid in $(node_pids "$dir"); do kill -KILL "$pid" 2>/dev/null || true; done
  rm -rf "$dir"
}

# Every node answers, every node says cluster_state:ok, the cluster check passes (all 16384
# slots covered, the nodes agree) and every replica has finished its first sync.
cluster_ready() {
  local port
  for port in "$@"; do
    cli "$port" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || return 1
    if cli "$port" info replication 2>/dev/null | grep -q '^role:slave'; then
      cli "$port" info replication | grep -q '^master_link_status:up' || return 1
      cli "$port" info replication | grep -q '^master_sync_in_progress:0' || return 1
    fi
  done
  cli "$1" --cluster check "127.0.0.1:$1" >/dev/null 2>&1
}

start_cluster() {
  local dir=$1 base=$2 replicas=$3
  [[ "$base" =~ ^[0-9]+$ ]] || usage
  [[ "$replicas" =~ ^[01]$ ]] || usage
  local count=$((replicas == 1 ? 6 : 3))
  ((base >= 1024 && base + count - 1 + 10000 <= 65535)) || { echo "BASEPORT must be 1024..$((65535 - 10000 - count + 1))" >&2; exit 2; }
  if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
    echo "$dir exists and is not empty" >&2
    exit 1
  fi
  ensure_binaries
  local ports=() port
  for ((i = 0; i < count; i++)); do
    port=$((base + i))
    if port_busy "$port" || port_busy $((port + 10000)); then
      echo "Port $port (or its cluster bus port $((port + 10000))) is in use" >&2
      exit 1
    fi
    ports+=("$port")
  done
  mkdir -p "$dir"
  touch "$dir/$MARKER"
  for port in "${ports[@]}"; do
    mkdir -p "$dir/$port"
    "$SERVER_BIN" --port "$port" --bind 127.0.0.1 --daemonize yes \
      --dir "$dir/$port" --pidfile "$dir/$port/redis.pid" --logfile "$dir/$port/redis.log" \
      --save "" --appendonly no \
      --cluster-enabled yes --cluster-config-file "$dir/$port/nodes.conf" \
      --cluster-node-timeout "$NODE_TIMEOUT_MS" --cluster-replica-validity-factor 0 \
      --repl-diskless-sync-delay 0
  done
  local up
  for port in "${ports[@]}"; do
    up=
    for _ in $(seq 1 100); do
      if cli "$port" ping 2>/dev/null | grep -q PONG; then up=1; break; fi
      sleep 0.1
    done
    [ -n "$up" ] || { echo "redis-server did not come up on port $port (log: $dir/$port/redis.log)" >&2; stop_cluster "$dir"; exit 1; }
  done
  local addresses=()
  for port in "${ports[@]}"; do addresses+=("127.0.0.1:$port"); done
  if ! cli "${ports[0]}" --cluster create "${addresses[@]}" --cluster-replicas "$replicas" --cluster-yes >"$dir/create.log" 2>&1; then
    cat "$dir/create.log" >&2
    stop_cluster "$dir"
    exit 1
  fi
  for _ in $(seq 1 300); do
    if cluster_ready "${ports[@]}"; then
      echo "Redis Cluster up: $(IFS=,; echo "${addresses[*]}")" >&2
      return 0
    fi
    sleep 0.1
  done
  echo "The cluster did not reach cluster_state:ok in 30 s" >&2
  cli "${ports[0]}" cluster nodes >&2 || true
  stop_cluster "$dir"
  exit 1
}

case "${1:-}" in
  start)
    [ $# -ge 3 ] && [ $# -le 4 ] || usage
    start_cluster "$2" "$3" "${4:-0}"
    ;;
  stop)
    [ $# -eq 2 ] || usage
    stop_cluster "$2"
    ;;
  *) usage ;;
esac

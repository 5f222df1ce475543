#!/usr/bin/env bash
# Several instances of Lumières on one PostgreSQL, behind HAProxy, on this
# machine's loopback: the deployment the README describes, to try it and to
# break it (end2end/bench/faults.sh).
#
#   cluster.sh up [N]      start N instances (default 2) and HAProxy, wait; Ctrl-C stops all
#   cluster.sh start [N]   the same in the background (state in target/cluster)
#   cluster.sh stop        stop what `start` started
#   cluster.sh kill I      kill -9 instance I (1-based), as a crash would
#   cluster.sh revive I    start instance I again
#   cluster.sh config PORT INSTANCE_PORT…   print HAProxy's configuration
#
# `make cluster` installs what is missing, builds, and runs `up`. Every
# instance is the same `server serve` with the same DATABASE_URL; they share
# nothing but the database. HAProxy checks each one's /healthz every second
# and sends a client address always to the same instance while it is up
# (`balance source`): the signing rate limit, kept in each instance's memory,
# then counts all of one address's requests (README, "Several instances").
#
# Settings (environment): CLUSTER_PORT (HAProxy, 8080), CLUSTER_FIRST_PORT
# (the instances: 3101, 3102, …), DATABASE_URL (default: database
# lumieres_cluster on the local PostgreSQL, made and given the demo data if
# new), and anything `server serve` reads, passed on to every instance.
set -euo pipefail
cd "$(dirname "$0")/../.."

PORT=${CLUSTER_PORT:-8080}
FIRST=${CLUSTER_FIRST_PORT:-3101}
STATE=${CLUSTER_STATE:-target/cluster}
ADMIN=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
SERVER=${CLUSTER_SERVER:-./target/release/server}
export DATABASE_URL=${DATABASE_URL:-${ADMIN%/*}/lumieres_cluster}
# Every instance seals and opens with the same data key: made once, kept
# with the cluster's state, unless one is given.
if [ -z "${DATA_KEY:-}" ] && [ -z "${DATA_KEY_FILE:-}" ]; then
  mkdir -p "$STATE"
  [ -s "$STATE/data.key" ] || (umask 077 && head -c 32 /dev/urandom | base64 >"$STATE/data.key")
  export DATA_KEY_FILE=$STATE/data.key
fi

instances() { cat "$STATE/instances" 2>/dev/null || echo 0; }

database() {
  case "$DATABASE_URL" in
    postgres://* | postgresql://*) ;;
    *) echo "DATABASE_URL must be a postgres:// address: instances share nothing but PostgreSQL" >&2; exit 1 ;;
  esac
  local name=${DATABASE_URL##*/}
  name=${name%%\?*}
  if [ "$DATABASE_URL" = "${ADMIN%/*}/$name" ] &&
    [ -z "$(psql "$ADMIN" -qtAc "SELECT 1 FROM pg_database WHERE datname = '$name'")" ]; then
    psql "$ADMIN" -qc "CREATE DATABASE $name" >/dev/null
  fi
  "$SERVER" migrate >/dev/null
  "$SERVER" seed-demo --if-empty >/dev/null
}

start_instance() { # i
  local i=$1 port=$((FIRST + $1 - 1))
  LEPTOS_SITE_ADDR="127.0.0.1:$port" PUBLIC_URL=${PUBLIC_URL:-http://127.0.0.1:$PORT} \
    CLIENT_IP_HEADER=X-Forwarded-For TRUSTED_PROXIES=127.0.0.1 LEPTOS_SITE_ROOT=${LEPTOS_SITE_ROOT:-target/site} \
    OUTBOX_DIR=${OUTBOX_DIR:-$STATE/outbox} \
    "$SERVER" serve >>"$STATE/instance-$i.log" 2>&1 &
  echo $! >"$STATE/instance-$i.pid"
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return
    sleep 0.1
  done
  echo "instance $i did not answer on port $port: see $STATE/instance-$i.log" >&2
  return 1
}

haproxy_config() { # listen_port instance_port…
  local listen=$1
  shift
  # More connections than HAProxy's default allows (end2end/bench/fame.sh).
  [ -n "${CLUSTER_MAXCONN:-}" ] && printf 'global\n    maxconn %s\n\n' "$CLUSTER_MAXCONN"
  cat <<EOF
defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    # an instance answers /healthz within 2 s, even with its database away
    timeout check 3s
    # X-Forwarded-For: the instances count the client's address, not ours
    option forwardfor
    # a connection refused by a dead instance goes to a living one
    option redispatch
    retries 2

frontend lumieres
    bind 127.0.0.1:$listen
    default_backend instances

backend instances
    # one client address, one instance, while it is up: the per-instance
    # signing rate limit then sees all of that address's requests
    balance source
    hash-type consistent
    option httpchk GET /healthz
    http-check expect status 200
    default-server check inter 1s fall 2 rise 1
EOF
  local i=1
  for port in "$@"; do
    echo "    server instance$i 127.0.0.1:$port"
    i=$((i + 1))
  done
}

start() { # n
  local n=${1:-2}
  command -v haproxy >/dev/null || { echo "HAProxy is missing: run make cluster (or apt-get install haproxy)" >&2; exit 1; }
  [ -x "$SERVER" ] || { echo "$SERVER is missing: run make build" >&2; exit 1; }
  [ "$(instances)" = 0 ] || { echo "a cluster is running already: $0 stop" >&2; exit 1; }
  mkdir -p "$STATE"
  database
  echo "$n" >"$STATE/instances"
  for i in $(seq 1 "$n"); do start_instance "$i" || { stop; exit 1; }; done
  # shellcheck disable=SC2046
  haproxy_config "$PORT" $(seq "$FIRST" $((FIRST + n - 1))) >"$STATE/haproxy.cfg"
  haproxy -c -q -f "$STATE/haproxy.cfg"
  haproxy -D -p "$(realpath "$STATE")/haproxy.pid" -f "$STATE/haproxy.cfg" >>"$STATE/haproxy.log" 2>&1
  for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
  echo "Lumières on $n instances (ports $FIRST–$((FIRST + n - 1))) behind HAProxy: http://127.0.0.1:$PORT"
  echo "Database: ${DATABASE_URL%%\?*}; logs in $STATE/"
}

stop() {
  local pid
  [ -f "$STATE/haproxy.pid" ] && kill "$(cat "$STATE/haproxy.pid")" 2>/dev/null || true
  for f in "$STATE"/instance-*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$f"
  done
  rm -f "$STATE/haproxy.pid" "$STATE/instances"
}

case "${1:-up}" in
  up)
    trap 'stop; echo stopped' EXIT
    trap 'exit 0' INT TERM
    start "${2:-2}"
    echo "Ctrl-C stops them all."
    while sleep 3600; do :; done
    ;;
  start) start "${2:-2}" ;;
  stop) stop ;;
  kill)
    kill -9 "$(cat "$STATE/instance-$2.pid")"
    rm -f "$STATE/instance-$2.pid"
    ;;
  revive) start_instance "$2" ;;
  # The configuration alone, for instances started otherwise (the tests).
  config) shift; haproxy_config "$@" ;;
  *) sed -n '6,12p' "$0" >&2; exit 2 ;;
esac

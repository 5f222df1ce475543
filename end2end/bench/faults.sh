#!/usr/bin/env bash
# Faults (issue 15): two instances on one PostgreSQL behind HAProxy
# (end2end/cluster/cluster.sh), a signing surge through HAProxy from eight
# loopback addresses (so that `balance source` shares it out), and in its
# middle: (1) `kill -9` of one instance; (2) a restart of PostgreSQL. After
# each, every acknowledged signature must be stored exactly once; the
# failed requests and when they came are reported.
#
# Needs `make build` and HAProxy (`make bench` / `make haproxy`). Restarts
# the local PostgreSQL with pg_ctlcluster (its newest cluster, which must be
# the server TEST_POSTGRES_URL names, as by default): do not run it beside
# the tests. Prints Markdown.
set -euo pipefail
cd "$(dirname "$0")/../.."

WORK=target/faults
export CLUSTER_STATE=$WORK CLUSTER_PORT=${FAULTS_PORT:-8180} CLUSTER_FIRST_PORT=3301
export SIGNING_RATE_LIMIT_PER_MINUTE=0 RUST_LOG=warn SURGE_SOURCES=8
BASE="http://127.0.0.1:$CLUSTER_PORT"
ACTION=solidarity-with-vahid-afkari
CONCURRENCY=${SURGE_CONCURRENCY:-64}
PG_VERSION=$(ls /etc/postgresql | sort -V | tail -1)

cargo build --release -q -p server --example surge
SURGE=./target/release/examples/surge

rm -rf "$WORK" && mkdir -p "$WORK"
source end2end/bench/common.sh
trap './end2end/cluster/cluster.sh stop >/dev/null 2>&1 || true' EXIT
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%Y-%m-%d)."
echo "Two instances behind HAProxy ($(haproxy -v | head -1 | awk '{print $3}'); health check every second, down after two failures), PostgreSQL $PG_VERSION; $CONCURRENCY concurrent signers from 8 loopback addresses."
echo

# surge NAME SECONDS FAULT: a fresh database and cluster, a surge through
# HAProxy for SECONDS with FAULT run 4 s into it, then every acknowledged
# signature looked up.
surge() {
  local name=$1 seconds=$2 fault=$3 url load
  echo '```'
  url=$(fresh_database postgres lumieres_faults)
  DATABASE_URL="$url" ./end2end/cluster/cluster.sh start 2 >/dev/null
  started=$(now)
  $SURGE load "$BASE" "$ACTION" "$seconds" "$CONCURRENCY" "$WORK/acked-$name.txt" >"$WORK/load-$name.txt" &
  load=$!
  sleep 4
  $fault
  wait $load
  cat "$WORK/load-$name.txt"
  ./end2end/cluster/cluster.sh stop
  $SURGE verify "$url" "$WORK/acked-$name.txt"
  echo '```'
}

kill_an_instance() {
  ./end2end/cluster/cluster.sh kill 1
  echo "instance 1 killed with SIGKILL $(since "$started" "$(now)") s after the start"
}

restart_postgresql() {
  local down up health
  down=$(now)
  pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main restart
  up=$(now)
  echo "PostgreSQL restarted (pg_ctlcluster restart) from $(since "$started" "$down") s to $(since "$started" "$up") s after the start"
  health=$(curl -s -o /dev/null -w '%{http_code} in %{time_total} s' "http://127.0.0.1:$CLUSTER_FIRST_PORT/healthz")
  echo "an instance's /healthz right after: $health"
}

echo "### kill -9 of one instance in the middle of the surge"
surge kill 12 kill_an_instance
echo "### PostgreSQL restarted in the middle of the surge"
surge restart 15 restart_postgresql
psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS lumieres_faults WITH (FORCE)" >/dev/null

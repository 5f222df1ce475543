#!/usr/bin/env bash
# An A/B of the signing surge: two release servers (say, before and after a
# change: build each commit and copy target/release/server aside) started in
# turn on fresh databases, the same load generator, interleaved rounds, so
# that the ratio is measured within one run on one machine.
#   end2end/bench/surge_ab.sh BEFORE_BINARY AFTER_BINARY   (SURGE_CONCURRENCY, ROUNDS, SURGE_SECONDS)
# Build the generator first: cargo build --release -p server --example surge
set -euo pipefail
cd "$(dirname "$0")/../.."
BEFORE=$1; AFTER=$2
PORT=${BENCH_PORT:-3200}; BASE="http://127.0.0.1:$PORT"; WORK=target/surge-ab
SECONDS_OF_LOAD=${SURGE_SECONDS:-10}; CONCURRENCY=${SURGE_CONCURRENCY:-64}
mkdir -p "$WORK"
source end2end/bench/common.sh
run() { # label binary backend
  local url
  url=$(fresh_database "$3" lumieres_surge_ab)
  DATABASE_URL="$url" "$2" seed-demo >/dev/null
  DATABASE_URL="$url" LEPTOS_SITE_ADDR="127.0.0.1:$PORT" LEPTOS_SITE_ROOT=target/site \
    OUTBOX_DIR="$WORK/outbox" SIGNING_RATE_LIMIT_PER_MINUTE=0 DATABASE_MAX_CONNECTIONS=${SURGE_POOL:-16} \
    RUST_LOG=warn "$2" serve >>"$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done
  echo "$1 $3: $(./target/release/examples/surge load "$BASE" solidarity-with-vahid-afkari "$SECONDS_OF_LOAD" "$CONCURRENCY" "$WORK/acked.txt" | sed -n 1p)"
  kill $SERVER; wait $SERVER 2>/dev/null || true; SERVER=
}
echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo); $(date -u +%Y-%m-%d). $CONCURRENCY signers, ${SECONDS_OF_LOAD}s each."
for _ in $(seq 1 "${ROUNDS:-2}"); do
  for backend in sqlite postgres; do
    run before "$BEFORE" $backend
    run after "$AFTER" $backend
  done
done
psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS lumieres_surge_ab WITH (FORCE)" >/dev/null

#!/usr/bin/env bash
# The signing surge (issue 3): distinct signatures posted at high concurrency
# to the release server by a second process (server/examples/surge.rs), on
# SQLite (synchronous=FULL: an fsync at every commit) and on PostgreSQL
# (default synchronous_commit=on); then every acknowledged signature is looked
# up in the database. Then the same with `kill -9` of the server in the middle
# of the load and a restart: nothing acknowledged may be missing.
#
# The per-address rate limit is turned off for the run
# (SIGNING_RATE_LIMIT_PER_MINUTE=0): all load comes from 127.0.0.1.
# Run `make build` first (or `make bench`). Prints Markdown.
set -euo pipefail
cd "$(dirname "$0")/../.."

PORT=${BENCH_PORT:-3200}
BASE="http://127.0.0.1:$PORT"
SECONDS_OF_LOAD=${SURGE_SECONDS:-20}
CONCURRENCY=${SURGE_CONCURRENCY:-64}
ACTION=solidarity-with-vahid-afkari
WORK=target/surge

cargo build --release -q -p server --example surge
SURGE=./target/release/examples/surge

rm -rf "$WORK" && mkdir -p "$WORK"
source end2end/bench/common.sh

echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%Y-%m-%d)."
echo "Load: $CONCURRENCY concurrent signers, and 4 readers each fetching a person page every 50 ms, for ${SECONDS_OF_LOAD}s, from a second process on loopback."
echo
for backend in sqlite postgres; do
  url=$(fresh_database $backend)
  DATABASE_URL="$url" ./target/release/server seed-demo >/dev/null
  start_server "$url" "$WORK/server-$backend.log"
  echo "### $backend"
  echo '```'
  $SURGE load "$BASE" "$ACTION" "$SECONDS_OF_LOAD" "$CONCURRENCY" "$WORK/acked-$backend.txt"
  RSS_KB=$(ps -o rss= -p $SERVER | tr -d ' ')
  kill $SERVER; wait $SERVER 2>/dev/null || true; SERVER=
  $SURGE verify "$url" "$WORK/acked-$backend.txt"
  echo "server RSS after the surge: $((RSS_KB / 1024)) MiB"
  echo '```'

  echo "### $backend, kill -9 in the middle"
  echo '```'
  url=$(fresh_database $backend)
  DATABASE_URL="$url" ./target/release/server seed-demo >/dev/null
  start_server "$url" "$WORK/server-$backend-kill.log"
  $SURGE load "$BASE" "$ACTION" 10 "$CONCURRENCY" "$WORK/acked-$backend-kill.txt" &
  LOAD=$!
  sleep 4
  kill -9 $SERVER; wait $SERVER 2>/dev/null || true
  echo "server killed with SIGKILL after 4 s of load; restarted"
  start_server "$url" "$WORK/server-$backend-kill.log"
  wait $LOAD
  kill $SERVER; wait $SERVER 2>/dev/null || true; SERVER=
  $SURGE verify "$url" "$WORK/acked-$backend-kill.txt"
  echo '```'
done
psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS lumieres_surge WITH (FORCE)" >/dev/null

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
PG_ADMIN=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PG_URL="${PG_ADMIN%/*}/lumieres_surge"

cargo build --release -q -p server --example surge
SURGE=./target/release/examples/surge

rm -rf "$WORK" && mkdir -p "$WORK"
SERVER=
trap '[ -n "$SERVER" ] && kill -9 $SERVER 2>/dev/null || true' EXIT

start_server() { # database_url log
  DATABASE_URL="$1" LEPTOS_SITE_ADDR="127.0.0.1:$PORT" LEPTOS_SITE_ROOT=target/site \
    OUTBOX_DIR="$WORK/outbox" SIGNING_RATE_LIMIT_PER_MINUTE=0 DATABASE_MAX_CONNECTIONS=${SURGE_POOL:-16} \
    RUST_LOG=warn ./target/release/server serve >>"$2" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do curl -sf "$BASE/healthz" >/dev/null && return; sleep 0.1; done
  echo "server did not start" >&2; exit 1
}

fresh_database() { # backend -> prints url
  if [ "$1" = sqlite ]; then
    rm -f "$WORK"/surge.db*; echo "sqlite://$WORK/surge.db"
  else
    psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS lumieres_surge WITH (FORCE)" >/dev/null
    psql "$PG_ADMIN" -qc "CREATE DATABASE lumieres_surge" >/dev/null
    echo "$PG_URL"
  fi
}

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

#!/usr/bin/env bash
# Partner feeds (issue 5): how fast the sync code ingests a 10,000-entry
# corpus (fetch, parse, sanitize, match, store, as `server sync-feeds` does),
# and how long a pass over 1,000 followed feeds takes when the partner answers
# mostly 304 Not Modified; peak resident memory of the syncing process during
# each. The partner server runs in its own process on loopback
# (server/examples/feed_bench.rs). Prints Markdown.
set -euo pipefail
cd "$(dirname "$0")/../.."

PORT=${BENCH_PORT:-3210}
BASE="http://127.0.0.1:$PORT"
FEEDS=${FEED_COUNT:-1000}
WORK=target/feed-bench
PG_ADMIN=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PG_URL="${PG_ADMIN%/*}/lumieres_feed_bench"

cargo build --release -q -p server --bin server --example feed_bench
BENCH=./target/release/examples/feed_bench

rm -rf "$WORK" && mkdir -p "$WORK"
PARTNER=
trap '[ -n "$PARTNER" ] && kill $PARTNER 2>/dev/null || true' EXIT
$BENCH partner "$PORT" &
PARTNER=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "$BASE/feeds/1.xml" && break; sleep 0.1; done

fresh_database() { # backend -> prints url
  if [ "$1" = sqlite ]; then
    rm -f "$WORK"/feeds.db*; echo "sqlite://$WORK/feeds.db"
  else
    psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS lumieres_feed_bench WITH (FORCE)" >/dev/null
    psql "$PG_ADMIN" -qc "CREATE DATABASE lumieres_feed_bench" >/dev/null
    echo "$PG_URL"
  fi
}

echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%Y-%m-%d)."
echo
for backend in sqlite postgres; do
  echo "### $backend"
  echo '```'
  url=$(fresh_database $backend)
  DATABASE_URL="$url" ./target/release/server seed-demo >/dev/null
  $BENCH ingest "$url" "$BASE"
  url=$(fresh_database $backend)
  DATABASE_URL="$url" ./target/release/server seed-demo >/dev/null
  $BENCH refresh "$url" "$BASE" "$FEEDS"
  echo '```'
done

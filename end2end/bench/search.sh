#!/usr/bin/env bash
# Search (issue 31): the index of 10,000 persons × 10 timeline events × 3
# languages, built and asked as an instance does, on each backend: build
# time, memory, and the answer time of a mix of queries (names, their
# starts, words in each language, a filter), hits read back from the
# database (server/examples/search_bench.rs). Prints Markdown.
set -euo pipefail
cd "$(dirname "$0")/../.."

PERSONS=${SEARCH_PERSONS:-10000}
QUERIES=${SEARCH_QUERIES:-2000}
WORK=target/search-bench
# PG_ADMIN, and the data key PostgreSQL's migrations need (the run stopped
# there without it); no server is started here.
source end2end/bench/common.sh
PG_URL="${PG_ADMIN%/*}/lumieres_search_bench"

cargo build --release -q -p server --bin server --example search_bench
rm -rf "$WORK" && mkdir -p "$WORK"

echo "## Search: $PERSONS persons"
echo
echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%Y-%m-%d)."
echo
for backend in sqlite postgres; do
  if [ "$backend" = sqlite ]; then
    url="sqlite://$WORK/search.db"
  else
    psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS lumieres_search_bench WITH (FORCE)" >/dev/null
    psql "$PG_ADMIN" -qc "CREATE DATABASE lumieres_search_bench" >/dev/null
    url="$PG_URL"
  fi
  # Migrated as the server migrates, with no demo: only the generated network.
  DATABASE_URL="$url" ./target/release/server migrate >/dev/null
  echo "### $backend"
  echo '```'
  ./target/release/examples/search_bench "$url" "$PERSONS" "$QUERIES"
  echo '```'
done

#!/usr/bin/env bash
# Readers during the surge (issue 13): does polling the live count slow
# signing? The signing surge of surge.sh on SQLite, once alone and once with
# wrk polling /api/v1/actions/{slug}/count and /actions/{slug}/badge.svg
# (each wrk connection asks every POLL_MS: READERS connections per route),
# in one run on this machine. Signatures/s and their p99 with readers are
# given as a ratio of those without; the count's and the badge's latency
# as wrk measured it. Both are served from the in-process cache
# (AppState::action_counts), read from the database at most twice a second.
# Run `make build` first (or `make bench`). Prints Markdown.
set -euo pipefail
cd "$(dirname "$0")/../.."

PORT=${BENCH_PORT:-3210}
BASE="http://127.0.0.1:$PORT"
SECONDS_OF_LOAD=${SURGE_SECONDS:-20}
CONCURRENCY=${SURGE_CONCURRENCY:-64}
READERS=${READERS:-100}
export POLL_MS=${POLL_MS:-100}
ACTION=solidarity-with-vahid-afkari
WORK=target/readers

command -v wrk >/dev/null || { apt-get update && apt-get install -y wrk; }
cargo build --release -q -p server --example surge
SURGE=./target/release/examples/surge
rm -rf "$WORK" && mkdir -p "$WORK"
source end2end/bench/common.sh

# Runs in this shell (not in $(…), where `set -e` and the trap would not
# hold): a lost signature or a server that does not start stops the bench.
surge() { # label readers?
  local url
  url=$(fresh_database sqlite "readers_$1")
  DATABASE_URL="$url" ./target/release/server seed-demo >/dev/null
  start_server "$url" "$WORK/server-$1.log"
  local polling=()
  if [ "$2" = yes ]; then
    for route in "api/v1/actions/$ACTION/count" "actions/$ACTION/badge.svg"; do
      wrk -t1 -c"$READERS" -d"${SECONDS_OF_LOAD}s" --latency -s end2end/bench/poll.lua "$BASE/$route" \
        >"$WORK/wrk-$(basename "$route").txt" &
      polling+=($!)
    done
  fi
  $SURGE load "$BASE" "$ACTION" "$SECONDS_OF_LOAD" "$CONCURRENCY" "$WORK/acked-$1.txt" >"$WORK/surge-$1.txt"
  for reader in "${polling[@]}"; do wait "$reader"; done
  kill $SERVER; wait $SERVER 2>/dev/null || true; SERVER=
  $SURGE verify "$url" "$WORK/acked-$1.txt" >"$WORK/verify-$1.txt"
}

rate() { sed -E 's/.* = ([0-9]+)\/s.*/\1/' <<<"$1"; }
p99() { sed -E 's/.*p99 ([0-9.]+) ms.*/\1/' <<<"$1"; }
# wrk's latency distribution line for 99%, in ms.
wrk_p99() { awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /m$/) { sub(/m/, "", v); v *= 60000 } else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 } print v }' "$1"; }
wrk_rate() { awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$1"; }
wrk_errors() { awk '/Non-2xx|Socket errors/ { print }' "$1" | tr '\n' ' '; }

echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%Y-%m-%d)."
echo "Load: $CONCURRENCY concurrent signers for ${SECONDS_OF_LOAD}s on SQLite; readers: wrk, $READERS connections on each of the count and the badge, each asking every $POLL_MS ms."
echo
surge alone no
surge readers yes
alone=$(grep '^signatures:' "$WORK/surge-alone.txt")
read_too=$(grep '^signatures:' "$WORK/surge-readers.txt")
echo '```'
echo "without readers: $alone"
echo "with readers:    $read_too"
echo "count (wrk):  $(wrk_rate "$WORK/wrk-count.txt") requests/s, p99 $(wrk_p99 "$WORK/wrk-count.txt") ms $(wrk_errors "$WORK/wrk-count.txt")"
echo "badge (wrk):  $(wrk_rate "$WORK/wrk-badge.svg.txt") requests/s, p99 $(wrk_p99 "$WORK/wrk-badge.svg.txt") ms $(wrk_errors "$WORK/wrk-badge.svg.txt")"
awk -v a="$(rate "$alone")" -v b="$(rate "$read_too")" -v pa="$(p99 "$alone")" -v pb="$(p99 "$read_too")" \
  'BEGIN { printf "with readers / without: signatures/s %.2f, signing p99 %.2f (goal: within 10 %%)\n", b / a, pb / pa }'
cat "$WORK/verify-alone.txt" "$WORK/verify-readers.txt"
echo '```'

#!/usr/bin/env bash
# A day of fame (issue 27): WATCHERS people keep one support action open and
# each asks once a second for its page, its live count or its badge (a third
# each, as a browser asks: Accept, Accept-Encoding, Accept-Language), while
# SIGNING_RATE citizens a second sign and confirm from the mailed link. Open
# loop (server/examples/fame.rs): latency counts from when a request was due.
# Reported per WATCHERS: reads and signatures served a second, their p50,
# p99 and max, errors and time-outs, how old the live count was, and the
# server's resident memory during the load (highest) and 10 s after.
#
# First one release instance on SQLite for each of FAME_WATCHERS (default
# 1000 5000 10000), then FAME_CLUSTER_WATCHERS (default 9000) through HAProxy
# with two instances on PostgreSQL (the watchers spread over 16 loopback
# addresses, which HAProxy's `balance source` shares out). Not 10,000 there:
# HAProxy reserves two descriptors a connection, and 10,000 would need 22,019
# of the 20,000 this machine allows. Run `make build` first (or `make bench`).
# Prints Markdown.
set -euo pipefail
cd "$(dirname "$0")/../.."

PORT=${BENCH_PORT:-3230}
BASE="http://127.0.0.1:$PORT"
SECONDS_OF_LOAD=${FAME_SECONDS:-20}
RATE=${SIGNING_RATE:-500}
WATCHERS_LIST=${FAME_WATCHERS:-1000 5000 10000}
ACTION=solidarity-with-vahid-afkari
WORK=target/fame
# Each watcher is a connection, at both ends: the hard limit here is 20,000.
ulimit -n "$(ulimit -Hn)"

cargo build --release -q -p server --example fame
FAME=./target/release/examples/fame
rm -rf "$WORK" && mkdir -p "$WORK"
source end2end/bench/common.sh

# The resident memory of PIDs, summed, in MiB, every half second into FILE.
sample_rss() { # file pid…
  local file=$1
  shift
  while true; do
    local total=0
    for pid in "$@"; do
      total=$((total + $(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)))
    done
    echo $((total / 1024)) >>"$file"
    sleep 0.5
  done
}
max_of() { sort -n "$1" | tail -1; }

# row LABEL WATCHERS URL OUTBOX PIDS…: the load, then a table row.
row() {
  local label=$1 watchers=$2 url=$3 outbox=$4 sampler out after
  shift 4
  sample_rss "$WORK/rss-$label-$watchers.txt" "$@" &
  sampler=$!
  out=$($FAME "$url" "$ACTION" "$watchers" "$SECONDS_OF_LOAD" "$RATE" $outbox)
  kill $sampler
  sleep 10
  after=0
  for pid in "$@"; do after=$((after + $(awk '/VmRSS/ {print $2}' "/proc/$pid/status") / 1024)); done
  echo "$out" >"$WORK/fame-$label-$watchers.txt"
  # key=value pairs as shell variables (all numbers).
  local $(tr ' ' '\n' <<<"$out")
  echo "| $label | $watchers | $reads_per_s | $reads_p50_ms / $reads_p99_ms / $reads_max_ms | $read_errors / $read_timeouts | $signs_per_s | $signs_p50_ms / $signs_p99_ms / $signs_max_ms | $sign_errors | $confirms_per_s | $count_age_p99_ms / $count_age_max_ms | $(max_of "$WORK/rss-$label-$watchers.txt") | $after |"
}

echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%Y-%m-%d)."
echo "Load: ${SECONDS_OF_LOAD}s; each watcher one keep-alive connection asking once a second (page, live count or badge, browser headers); $RATE signatures a second, each confirmed from its mail; load generator on the same machine."
echo
echo "| instances | watchers | reads/s | read p50 / p99 / max ms | read errors / time-outs | signatures/s | signing p50 / p99 / max ms | signing errors | confirmations/s | count age p99 / max ms | RSS during (MiB) | RSS 10 s after |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for watchers in $WATCHERS_LIST; do
  url=$(fresh_database sqlite "fame_$watchers")
  DATABASE_URL="$url" ./target/release/server seed-demo >/dev/null
  rm -rf "$WORK/outbox"
  start_server "$url" "$WORK/server-$watchers.log"
  row "one, SQLite" "$watchers" "$BASE" "$WORK/outbox" "$SERVER"
  kill $SERVER; wait $SERVER 2>/dev/null || true; SERVER=
done

# Through HAProxy, two instances on PostgreSQL: as many as HAProxy may hold.
CLUSTER_WATCHERS=${FAME_CLUSTER_WATCHERS:-9000}
export CLUSTER_STATE=$WORK/cluster CLUSTER_PORT=${FAME_CLUSTER_PORT:-8190} CLUSTER_FIRST_PORT=3331
export CLUSTER_MAXCONN=9900 SIGNING_RATE_LIMIT_PER_MINUTE=0 RUST_LOG=warn FAME_SOURCES=16
trap './end2end/cluster/cluster.sh stop >/dev/null 2>&1 || true' EXIT
DATABASE_URL=$(fresh_database postgres lumieres_fame) ./end2end/cluster/cluster.sh start 2 >/dev/null
row "two behind HAProxy, PostgreSQL" "$CLUSTER_WATCHERS" "http://127.0.0.1:$CLUSTER_PORT" "$CLUSTER_STATE/outbox" \
  "$(cat "$CLUSTER_STATE/instance-1.pid")" "$(cat "$CLUSTER_STATE/instance-2.pid")"
./end2end/cluster/cluster.sh stop >/dev/null
psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS lumieres_fame WITH (FORCE)" >/dev/null
echo
echo "Goal at 10,000 watchers: no error or time-out, read p99 ≤ 200 ms, signing p99 ≤ 100 ms, count age ≤ 1 s, RSS ≤ 256 MiB during and under 100 MiB after."

#!/usr/bin/env bash
# Page benchmarks on the release build (run `make build` first, or `make bench`):
#  1. wrk against a person page and an action page versus a static file of
#     the same size, served by the same server in the same run, as ratios:
#     with the render cache off, then on; every request as a browser sends
#     it (Accept, Accept-Encoding: gzip, deflate, br, zstd, Accept-Language),
#     and, for the ratio of compressed to plain, the pages once more without
#     Accept-Encoding;
#  2. the compressed size of everything a first visit downloads, and what a
#     second visit downloads again (assets are kept a year under their
#     version);
#  3. the server's resident memory: idle, after the load, and with the render
#     cache filled past its cap.
# Load comes from wrk, a second process on loopback. Prints Markdown.
set -euo pipefail
cd "$(dirname "$0")/../.."

PORT=${BENCH_PORT:-3200}
BASE="http://127.0.0.1:$PORT"
PAGE=/persons/loujain-al-hathloul
ACTION=/actions/solidarity-with-vahid-afkari
DURATION=${BENCH_DURATION:-6s}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
WORK=target/bench
command -v wrk >/dev/null || { apt-get update && apt-get install -y wrk; }

rm -rf "$WORK" && mkdir -p "$WORK"
export DATABASE_URL="sqlite://$WORK/lumieres.db" LEPTOS_SITE_ADDR="127.0.0.1:$PORT" LEPTOS_SITE_ROOT=target/site RUST_LOG=warn
./target/release/server seed-demo >/dev/null
SERVER=
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; rm -f target/site/bench-static.html' EXIT
serve() { # RENDER_CACHE_MIB
  [ -n "$SERVER" ] && { kill $SERVER; wait $SERVER 2>/dev/null || true; }
  RENDER_CACHE_MIB=$1 ./target/release/server serve >>"$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 50); do curl -sf "$BASE/healthz" >/dev/null && return; sleep 0.2; done
  echo "server did not start" >&2; exit 1
}
# As a browser asks (end2end/bench/browser.lua), or the same without
# Accept-Encoding (plain.lua).
run_wrk() { wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s "end2end/bench/${2:-browser}.lua" "$BASE$1"; }
rps() { awk '/^Requests\/sec/ {print $2}' <<<"$1"; }
pct() { awk -v p="$2" '$1 == p {print $2}' <<<"$1"; }
rss_mib() { echo $(( $(ps -o rss= -p $SERVER | tr -d ' ') / 1024 )); }

# Without the render cache first, then with it (the default), each with its
# own static-file run, so that each ratio is within one server's run.
serve 0
# A static file exactly as large as the rendered page.
curl -sf -H 'Accept: text/html' "$BASE$PAGE" -o "$WORK/page.html"
SIZE=$(stat -c %s "$WORK/page.html")
head -c "$SIZE" /dev/urandom | base64 -w 100 | head -c "$SIZE" > target/site/bench-static.html
curl -sf "$BASE/bench-static.html" -o /dev/null
UNCACHED_OUT=$(run_wrk "$PAGE")
UNCACHED_STATIC_OUT=$(run_wrk /bench-static.html)

CACHE_MIB=${BENCH_RENDER_CACHE_MIB:-16}
serve "$CACHE_MIB"
sleep 1
IDLE_RSS=$(rss_mib)
PAGE_OUT=$(run_wrk "$PAGE")
PAGE_PLAIN_OUT=$(run_wrk "$PAGE" plain)
ACTION_OUT=$(run_wrk "$ACTION")
ACTION_PLAIN_OUT=$(run_wrk "$ACTION" plain)
STATIC_OUT=$(run_wrk /bench-static.html)
LOADED_RSS=$(rss_mib)
# The cache filled to its cap: distinct addresses (a query the page ignores)
# until the entries weigh more than the cap twice over.
ENTRIES=$(( CACHE_MIB * 1024 * 1024 * 2 / SIZE + 1 ))
seq 1 "$ENTRIES" | xargs -P 4 -I{} curl -sf -o /dev/null "$BASE/persons?fill={}"
FULL_RSS=$(rss_mib)
PAGE_RPS=$(rps "$PAGE_OUT"); STATIC_RPS=$(rps "$STATIC_OUT")
PAGE_PLAIN_RPS=$(rps "$PAGE_PLAIN_OUT"); ACTION_RPS=$(rps "$ACTION_OUT"); ACTION_PLAIN_RPS=$(rps "$ACTION_PLAIN_OUT")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
UNCACHED_RPS=$(rps "$UNCACHED_OUT"); UNCACHED_STATIC_RPS=$(rps "$UNCACHED_STATIC_OUT")

# Everything a first visit downloads, as a browser asks for it (gzip and br
# offered): the person page (no island) and the action page (the signing island).
first_visit() { # page -> sets total, again (what a second visit downloads) and lines
  local html assets path bytes enc kept
  html=$(curl -sf -H 'Accept: text/html' "$BASE$1")
  mapfile -t assets < <(grep -oE '/pkg/[A-Za-z0-9_./-]+\.(css|js|wasm)' <<<"$html" | sort -u)
  total=0; again=0; lines=""
  for path in "$1" "${assets[@]}"; do
    IFS='|' read -r bytes enc kept < <(curl -s -o /dev/null -H 'Accept: text/html' -H 'Accept-Encoding: gzip, deflate, br, zstd' \
      -w '%{size_download}|%header{content-encoding}|%header{cache-control}\n' "$BASE$path")
    total=$((total + bytes))
    [[ "$kept" == *immutable* ]] || again=$((again + bytes))
    lines+="| \`$path\` | ${enc:-identity} | ${kept:-none} | $bytes |"$'\n'
  done
}
first_visit "$PAGE"; PAGE_TOTAL=$total; PAGE_AGAIN=$again; PAGE_LINES=$lines
first_visit "$ACTION"; ACTION_TOTAL=$total; ACTION_AGAIN=$again; ACTION_LINES=$lines

cat <<MD
Machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%Y-%m-%d).
Load: wrk -t2 -c$CONNECTIONS -d$DURATION on loopback, sharing the machine with the server; every
request as a browser sends it (Accept, Accept-Encoding: gzip, deflate, br, zstd, Accept-Language: fr-BE),
"plain" the same without Accept-Encoding.

| target | requests/s | p50 | p99 |
| --- | ---: | ---: | ---: |
| \`$PAGE\` ($SIZE bytes of HTML, SQLite), render cache on ($CACHE_MIB MiB) | $PAGE_RPS | $(pct "$PAGE_OUT" 50%) | $(pct "$PAGE_OUT" 99%) |
| the same, plain | $PAGE_PLAIN_RPS | $(pct "$PAGE_PLAIN_OUT" 50%) | $(pct "$PAGE_PLAIN_OUT" 99%) |
| \`$ACTION\` (the signing island), render cache on | $ACTION_RPS | $(pct "$ACTION_OUT" 50%) | $(pct "$ACTION_OUT" 99%) |
| the same, plain | $ACTION_PLAIN_RPS | $(pct "$ACTION_PLAIN_OUT" 50%) | $(pct "$ACTION_PLAIN_OUT" 99%) |
| static file of the same size as the person page, same server | $STATIC_RPS | $(pct "$STATIC_OUT" 50%) | $(pct "$STATIC_OUT" 99%) |
| \`$PAGE\`, render cache off (\`RENDER_CACHE_MIB=0\`) | $UNCACHED_RPS | $(pct "$UNCACHED_OUT" 50%) | $(pct "$UNCACHED_OUT" 99%) |
| static file of the same size, same server | $UNCACHED_STATIC_RPS | $(pct "$UNCACHED_STATIC_OUT" 50%) | $(pct "$UNCACHED_STATIC_OUT" 99%) |

With the render cache, as a browser asks: person page / static file **$(ratio "$PAGE_RPS" "$STATIC_RPS")**, action page / static file **$(ratio "$ACTION_RPS" "$STATIC_RPS")** (goal ≥ 2);
compressed / plain: person page **$(ratio "$PAGE_RPS" "$PAGE_PLAIN_RPS")**, action page **$(ratio "$ACTION_RPS" "$ACTION_PLAIN_RPS")** (goal ≥ 0.8).
Without the render cache: person page / static file $(ratio "$UNCACHED_RPS" "$UNCACHED_STATIC_RPS").

First visit of \`$PAGE\` (no island), compressed as sent:

| resource | encoding | Cache-Control | bytes |
| --- | --- | --- | ---: |
$PAGE_LINES| **total** | | | **$PAGE_TOTAL** ($(awk -v t="$PAGE_TOTAL" 'BEGIN {printf "%.1f", t / 1024}') KiB); a second visit: $PAGE_AGAIN |

First visit of \`$ACTION\` (the signing island), compressed as sent:

| resource | encoding | Cache-Control | bytes |
| --- | --- | --- | ---: |
$ACTION_LINES| **total** | | | **$ACTION_TOTAL** ($(awk -v t="$ACTION_TOTAL" 'BEGIN {printf "%.1f", t / 1024}') KiB); a second visit: $ACTION_AGAIN |

Server RSS (render cache on, $CACHE_MIB MiB): idle after start $IDLE_RSS MiB; after the load $LOADED_RSS MiB; after $ENTRIES distinct pages filled the cache past its cap $FULL_RSS MiB.
MD

# Shared by the benchmarks that start the release server on a fresh
# database: source it after setting PORT, BASE and WORK.
PG_ADMIN=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
# PostgreSQL needs the data key given (README "Configuration"): one per run.
export DATA_KEY=${DATA_KEY:-$(head -c 32 /dev/urandom | base64)}
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

fresh_database() { # backend [name] -> prints url
  local name=${2:-lumieres_surge}
  if [ "$1" = sqlite ]; then
    rm -f "$WORK"/"$name".db*; echo "sqlite://$WORK/$name.db"
  else
    psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null
    psql "$PG_ADMIN" -qc "CREATE DATABASE $name" >/dev/null
    echo "${PG_ADMIN%/*}/$name"
  fi
}

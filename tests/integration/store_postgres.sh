#!/usr/bin/env bash
# The store's conformance, adapter and multi-process tests (unit_store, instances Postgres/*) on a
# REAL PostgreSQL 15 from Debian's postgresql package: initdb into a temp data directory, a server
# on a private port (loopback TCP and a socket in that directory), the tests with
# VIGIL_TEST_POSTGRES_URL pointing at it, then the server stopped and the directory removed (trap).
# Run as root (CI), the server runs as the postgres user, which owns the data directory. A missing
# PostgreSQL fails under CI=true and skips (exit 77) elsewhere.
# Env: VIGIL_BINARY_DIR (set by CTest), VIGIL_PG_BIN (default /usr/lib/postgresql/15/bin),
# VIGIL_PG_PORT (default: the first free port in 55150..55199).
set -euo pipefail
PG_BIN=${VIGIL_PG_BIN:-/usr/lib/postgresql/15/bin}
UNIT="${VIGIL_BINARY_DIR:?}/tests/unit_store"
fail() { echo "FAIL: $*" >&2; exit 1; }

if [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
  [ "${CI:-}" = true ] && fail "no PostgreSQL at $PG_BIN (scripts/setup installs Debian's postgresql)"
  echo "SKIP: no PostgreSQL at $PG_BIN"
  exit 77
fi
[ -x "$UNIT" ] || fail "$UNIT not built"

# as_pg CMD...: runs CMD as the postgres user when we are root (PostgreSQL refuses to run as root).
if [ "$(id -u)" = 0 ]; then
  getent passwd postgres >/dev/null || fail "no postgres user (Debian's postgresql package creates it)"
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

TMP=$(mktemp -d /tmp/vigil-pg.XXXXXX)
STARTED=
cleanup() {
  if [ -n "$STARTED" ]; then as_pg "$PG_BIN/pg_ctl" -D "$TMP/data" -m immediate -w stop >/dev/null 2>&1 || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] && chown postgres: "$TMP"

PORT=${VIGIL_PG_PORT:-}
if [ -z "$PORT" ]; then
  for p in $(seq 55150 55199); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then PORT=$p; break; fi
  done
fi
[ -n "$PORT" ] || fail "no free port in 55150..55199"

as_pg "$PG_BIN/initdb" -D "$TMP/data" -U vigil -A trust -E UTF8 --no-sync > "$TMP/initdb.log" 2>&1 \
  || { cat "$TMP/initdb.log" >&2; fail "initdb"; }
STARTED=1
as_pg "$PG_BIN/pg_ctl" -D "$TMP/data" -l "$TMP/server.log" -w -t 60 \
  -o "-p $PORT -k $TMP -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start >/dev/null \
  || { cat "$TMP/server.log" >&2; fail "PostgreSQL did not start on port $PORT"; }
echo "ok  PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT, data in $TMP/data"

export VIGIL_TEST_POSTGRES_URL="postgresql://vigil@127.0.0.1:$PORT/postgres?connect_timeout=10"
status=0
"$UNIT" --gtest_filter='Postgres/*' --gtest_brief=0 > "$TMP/unit.log" 2>&1 || status=$?
cat "$TMP/unit.log"
[ "$status" = 0 ] || { tail -30 "$TMP/server.log" >&2; fail "unit_store on PostgreSQL (exit $status)"; }
ran=$(sed -n 's/^\[==========\] \([0-9]*\) tests\? from .* ran\..*/\1/p' "$TMP/unit.log")
[ "${ran:-0}" -ge 20 ] || fail "only ${ran:-0} PostgreSQL tests ran"
echo "ok  $ran store tests passed on PostgreSQL"

#!/usr/bin/env bash
# The store's conformance (jobs and hash banks), adapter and multi-process tests (unit_store,
# instances Postgres/*) on a REAL PostgreSQL 15 from Debian's postgresql package: initdb into a
# temp data directory, a server
# on a private port (loopback TCP and a socket in that directory), the tests with
# VIGIL_TEST_POSTGRES_URL pointing at it, then the server stopped and the directory removed (trap).
# Run as root (CI), the server runs as the postgres user, which owns the data directory. A missing
# PostgreSQL fails under CI=true and skips (exit 77) elsewhere.
# Env: VIGIL_BINARY_DIR (set by CTest), VIGIL_PG_BIN (default /usr/lib/postgresql/15/bin),
# VIGIL_PG_PORT (default: the first free port in 25150..25199).
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

as_pg "$PG_BIN/initdb" -D "$TMP/data" -U vigil -A trust -E UTF8 --no-sync > "$TMP/initdb.log" 2>&1 \
  || { cat "$TMP/initdb.log" >&2; fail "initdb"; }

# start_on PORT: starts the server on PORT; returns 2 when the port was taken (another test, or
# another PostgreSQL, bound it between our probe and the server's bind), 1 on any other failure.
start_on() {
  rm -f "$TMP/server.log"
  STARTED=1
  if as_pg "$PG_BIN/pg_ctl" -D "$TMP/data" -l "$TMP/server.log" -w -t 60 \
      -o "-p $1 -k $TMP -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start >/dev/null; then
    return 0
  fi
  STARTED=
  grep -q 'Address already in use' "$TMP/server.log" && return 2
  return 1
}

PORT=
if [ -n "${VIGIL_PG_PORT:-}" ]; then
  start_on "$VIGIL_PG_PORT" || { cat "$TMP/server.log" >&2; fail "PostgreSQL did not start on port $VIGIL_PG_PORT"; }
  PORT=$VIGIL_PG_PORT
else
  # A port that looks free can be taken before the server binds it (CTest runs tests in
  # parallel), so a bind failure moves on to the next port instead of failing the test. The range
  # lies below the kernel's ephemeral ports (32768..60999), which client sockets of other tests take.
  for p in $(seq 25150 25199); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then continue; fi
    rc=0; start_on "$p" || rc=$?
    if [ "$rc" = 0 ]; then PORT=$p; break; fi
    if [ "$rc" = 2 ]; then echo "port $p taken at bind time, trying the next" >&2; continue; fi
    cat "$TMP/server.log" >&2; fail "PostgreSQL did not start on port $p"
  done
  [ -n "$PORT" ] || fail "no port in 25150..25199 where PostgreSQL could listen"
fi
echo "ok  PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT, data in $TMP/data"

export VIGIL_TEST_POSTGRES_URL="postgresql://vigil@127.0.0.1:$PORT/postgres?connect_timeout=10"
status=0
"$UNIT" --gtest_filter='Postgres/*' --gtest_brief=0 > "$TMP/unit.log" 2>&1 || status=$?
cat "$TMP/unit.log"
[ "$status" = 0 ] || { tail -30 "$TMP/server.log" >&2; fail "unit_store on PostgreSQL (exit $status)"; }
ran=$(sed -n 's/^\[==========\] \([0-9]*\) tests\? from .* ran\..*/\1/p' "$TMP/unit.log")
[ "${ran:-0}" -ge 20 ] || fail "only ${ran:-0} PostgreSQL tests ran"
banks=$(grep -c '^\[       OK \] Postgres/BankStoreConformance' "$TMP/unit.log" || true)
[ "${banks:-0}" -ge 6 ] || fail "only ${banks:-0} hash-bank store tests passed on PostgreSQL"
echo "ok  $ran store tests passed on PostgreSQL"

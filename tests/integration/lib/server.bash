# Sourced by the server integration scripts (not a test itself: only tests/integration/*.sh are).
# start_server: runs `vigil serve --config $TMP/vigil.yaml` in the background and waits until it
# listens; sets PID, PORT and URL. Needs VIGIL_BIN, TMP and a fail() function.
start_server() {
  : > "$TMP/server.out"
  "$VIGIL_BIN" serve --config "$TMP/vigil.yaml" > "$TMP/server.out" 2>> "$TMP/server.err" &
  PID=$!
  for _ in $(seq 1 150); do grep -q "listening on" "$TMP/server.out" 2>/dev/null && break; sleep 0.1; done
  PORT=$(grep -o 'http://127.0.0.1:[0-9]*' "$TMP/server.out" | head -1 | sed 's/.*://')
  [ -n "$PORT" ] || fail "server did not start"
  URL="http://127.0.0.1:$PORT"
}

# Sourced by integration scripts (not a test itself: only tests/integration/*.sh are).
# have_fixture PATH WHAT: true when PATH exists. Otherwise, with CI=true the script FAILS (exit 1: a
# skipped check in CI hides exactly what it was meant to check); locally it prints SKIP and returns
# false so the caller skips that part. The bash twin of tests/unit/require_fixture.h.
have_fixture() {
  local path=$1 what=$2
  [ -e "$path" ] && return 0
  if [ "${CI:-}" = true ]; then
    echo "FAIL: missing $what ($path) with CI=true: a skip would hide it"
    exit 1
  fi
  echo "SKIP: missing $what ($path): run scripts/setup"
  return 1
}

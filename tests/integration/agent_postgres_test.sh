#!/usr/bin/env bash
# The agent's PostgreSQL store on a real server: starts a throwaway cluster
# (initdb -A trust for the test user "drydock", fsync off, listening only
# on a unix socket in a private temporary folder: no TCP port at all), runs
# the [.pgstore] cases against it and always stops and removes it. Run as
# root, the server runs as the postgres user; otherwise as the caller.
# PostgreSQL not installed: says why and passes, except under CI=true.
# Usage: agent_postgres_test.sh PATH/TO/drydock_tests
set -u
tests=$(realpath "$1")

bin=""
for candidate in /usr/lib/postgresql/*/bin; do
  [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ] && bin=$candidate
done
if [ -z "$bin" ] && command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
  bin=$(dirname "$(command -v initdb)")
fi
if [ -z "$bin" ]; then
  echo "PostgreSQL is not installed (no initdb and pg_ctl in /usr/lib/postgresql/*/bin or on PATH)"
  if [ "${CI:-}" = true ]; then
    echo "FAIL: CI=true needs it: .ci/setup installs it"
    exit 1
  fi
  echo "skipped: the [.pgstore] cases did not run"
  exit 0
fi

root=$(mktemp -d)
chmod 755 "$root" # the server's user must enter it when we are root
data=$root/data
socket=$root/socket
log=$root/server.log
as_server=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || { echo "FAIL: run as root, but there is no postgres user to run the server"; exit 1; }
  as_server=(runuser -u postgres --)
fi

cleanup() {
  if [ -f "$data/postmaster.pid" ]; then
    "${as_server[@]}" "$bin/pg_ctl" -D "$data" -m immediate -t 20 -w stop >/dev/null 2>&1
  fi
  rm -rf "$root"
}
trap cleanup EXIT

mkdir "$data" "$socket"
chmod 700 "$data" "$socket"
[ ${#as_server[@]} -eq 0 ] || chown postgres: "$data" "$socket" "$root"

if ! "${as_server[@]}" "$bin/initdb" -D "$data" -A trust -U drydock --no-sync >"$root/initdb.log" 2>&1; then
  echo "FAIL: initdb:"
  cat "$root/initdb.log"
  exit 1
fi
cat >>"$data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$socket'
port = 5432
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 16MB
max_connections = 40
CONF
if ! "${as_server[@]}" "$bin/pg_ctl" -D "$data" -l "$log" -t 30 -w start >/dev/null 2>&1; then
  echo "FAIL: the server did not start within 30 s:"
  cat "$log"
  exit 1
fi

export DRYDOCK_TEST_PG_URL="host=$socket port=5432 user=drydock dbname=postgres"
cd "$root" || exit 1
# --warn NoTests: no [.pgstore] case at all is a failure, not a pass.
timeout 240 "$tests" "[.pgstore]" --warn NoTests
code=$?
left=$("${as_server[@]}" "$bin/psql" -h "$socket" -U drydock -d postgres -At -c \
  "SELECT count(*) FROM pg_database WHERE datname LIKE 'drydock_test_%'" 2>&1)
if [ "$code" -eq 0 ] && [ "$left" != 0 ]; then
  echo "FAIL: the cases left databases behind: $left"
  code=1
fi
[ "$code" -eq 0 ] || { echo "FAIL: drydock_tests [.pgstore] exited $code; the server's log:"; tail -20 "$log"; }
exit "$code"

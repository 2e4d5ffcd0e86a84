#!/usr/bin/env bash
# The agent's PostgreSQL store on a real server: starts a throwaway cluster
# (initdb -A trust for the test user "drydock", fsync off, listening only
# on a unix socket in a private temporary folder: no TCP port at all), runs
# the [.pgstore] cases against it and always stops and removes it. Run as
# root, the server runs as the postgres user; otherwise as the caller.
# PostgreSQL not installed: says why and passes, except under CI=true.
# The cluster's start and stop are pg_cluster.sh's.
# Usage: agent_postgres_test.sh PATH/TO/drydock_tests
set -u
tests=$(realpath "$1")

source "$(dirname "$0")/pg_cluster.sh"
trap pg_cluster_stop EXIT
if ! pg_cluster_find; then
  echo "skipped: the [.pgstore] cases did not run"
  exit 0
fi
pg_cluster_start || exit 1

export DRYDOCK_TEST_PG_URL=$PG_CLUSTER_URL
cd "$pg_cluster_root" || exit 1
# --warn NoTests: no [.pgstore] case at all is a failure, not a pass.
timeout 240 "$tests" "[.pgstore]" --warn NoTests
code=$?
left=$(pg_cluster_psql -c "SELECT count(*) FROM pg_database WHERE datname LIKE 'drydock_test_%'" 2>&1)
if [ "$code" -eq 0 ] && [ "$left" != 0 ]; then
  echo "FAIL: the cases left databases behind: $left"
  code=1
fi
[ "$code" -eq 0 ] || { echo "FAIL: drydock_tests [.pgstore] exited $code; the server's log:"; tail -20 "$pg_cluster_log"; }
exit "$code"

# Sourced: a throwaway PostgreSQL cluster (initdb -A trust for the user
# "drydock", fsync off, listening only on a unix socket in a private
# temporary folder: no TCP port at all). Run as root, the server runs as the
# postgres user; otherwise as the caller. Nothing here sets a trap: the
# caller's EXIT trap calls pg_cluster_stop, which is safe to call at any
# point, even before pg_cluster_start or twice.
#
#   pg_cluster_find || { echo "skipped: ..."; exit 0; }  # CI=true: exits 1
#   pg_cluster_start || exit 1    # sets and exports PG_CLUSTER_URL
#   pg_cluster_psql -c "SELECT 1" # psql on it, as the test user
#   trap pg_cluster_stop EXIT     # stops the server, removes its folder
#
# After pg_cluster_start: pg_cluster_socket (the socket's folder),
# pg_cluster_log (the server's log) and PG_CLUSTER_URL, a libpq conninfo
# "host=SOCKET port=5432 user=drydock dbname=postgres".
pg_cluster_bin=""
pg_cluster_root=""
pg_cluster_data=""
pg_cluster_socket=""
pg_cluster_log=""
pg_cluster_as_server=()

# Sets pg_cluster_bin. Not installed: says so and returns 1, or exits 1
# under CI=true (.ci/setup installs it, so its absence is a failure there).
pg_cluster_find() {
  local candidate
  pg_cluster_bin=""
  for candidate in /usr/lib/postgresql/*/bin; do
    [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ] && pg_cluster_bin=$candidate
  done
  if [ -z "$pg_cluster_bin" ] && command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    pg_cluster_bin=$(dirname "$(command -v initdb)")
  fi
  if [ -z "$pg_cluster_bin" ]; then
    echo "PostgreSQL is not installed (no initdb and pg_ctl in /usr/lib/postgresql/*/bin or on PATH)"
    if [ "${CI:-}" = true ]; then
      echo "FAIL: CI=true needs it: .ci/setup installs it"
      exit 1
    fi
    return 1
  fi
}

# Creates and starts the cluster in a new temporary folder (under TMPDIR).
# Says why and returns 1 when it cannot.
pg_cluster_start() {
  [ -n "$pg_cluster_bin" ] || pg_cluster_find || return 1
  pg_cluster_root=$(mktemp -d) || return 1
  chmod 755 "$pg_cluster_root" # the server's user must enter it when we are root
  pg_cluster_data=$pg_cluster_root/data
  pg_cluster_socket=$pg_cluster_root/socket
  pg_cluster_log=$pg_cluster_root/server.log
  pg_cluster_as_server=()
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || { echo "FAIL: run as root, but there is no postgres user to run the server"; return 1; }
    pg_cluster_as_server=(runuser -u postgres --)
  fi
  mkdir "$pg_cluster_data" "$pg_cluster_socket"
  chmod 700 "$pg_cluster_data" "$pg_cluster_socket"
  [ ${#pg_cluster_as_server[@]} -eq 0 ] || chown postgres: "$pg_cluster_data" "$pg_cluster_socket" "$pg_cluster_root"

  if ! "${pg_cluster_as_server[@]}" "$pg_cluster_bin/initdb" -D "$pg_cluster_data" -A trust -U drydock --no-sync \
    >"$pg_cluster_root/initdb.log" 2>&1; then
    echo "FAIL: initdb:"
    cat "$pg_cluster_root/initdb.log"
    return 1
  fi
  cat >>"$pg_cluster_data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$pg_cluster_socket'
port = 5432
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 16MB
max_connections = 40
CONF
  if ! "${pg_cluster_as_server[@]}" "$pg_cluster_bin/pg_ctl" -D "$pg_cluster_data" -l "$pg_cluster_log" -t 30 -w start \
    >/dev/null 2>&1; then
    echo "FAIL: the server did not start within 30 s:"
    cat "$pg_cluster_log"
    return 1
  fi
  export PG_CLUSTER_URL="host=$pg_cluster_socket port=5432 user=drydock dbname=postgres"
}

# psql on the cluster as the test user, unaligned and tuples only.
pg_cluster_psql() {
  "${pg_cluster_as_server[@]}" "$pg_cluster_bin/psql" -h "$pg_cluster_socket" -U drydock -d postgres -At "$@"
}

pg_cluster_stop() {
  if [ -n "$pg_cluster_data" ] && [ -f "$pg_cluster_data/postmaster.pid" ]; then
    "${pg_cluster_as_server[@]}" "$pg_cluster_bin/pg_ctl" -D "$pg_cluster_data" -m immediate -t 20 -w stop >/dev/null 2>&1
  fi
  [ -z "$pg_cluster_root" ] || rm -rf "$pg_cluster_root"
  pg_cluster_root=""
  pg_cluster_data=""
}

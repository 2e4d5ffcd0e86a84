#!/bin/sh
# The entrypoint of drydock-postgres:15 (made by .ci/engine): Debian's
# postgresql-15 with the official postgres image's conventions, so either
# image serves drydock.database's `provider: container`:
#   POSTGRES_USER (default postgres) is the superuser, POSTGRES_DB (default
#   the user) is created, POSTGRES_HOST_AUTH_METHOD (default trust) applies
#   to every TCP client. The data directory is meant to be a tmpfs.
set -eu
bin=/usr/lib/postgresql/15/bin
data=${PGDATA:-/var/lib/postgresql/data}
user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }

mkdir -p "$data"
chown postgres:postgres "$data"
chmod 700 "$data"
if [ ! -s "$data/PG_VERSION" ]; then
  as_postgres "$bin/initdb" --pgdata "$data" --username "$user" --auth trust --no-sync --no-instructions
  echo "host all all all ${POSTGRES_HOST_AUTH_METHOD:-trust}" >>"$data/pg_hba.conf"
  if [ "$db" != postgres ]; then
    # On the socket only while the database is created, as the official image does.
    as_postgres "$bin/pg_ctl" --pgdata "$data" --wait --options "-c listen_addresses='' -c unix_socket_directories=/tmp" start
    as_postgres "$bin/createdb" --host /tmp --username "$user" -- "$db"
    as_postgres "$bin/pg_ctl" --pgdata "$data" --wait --mode fast stop
  fi
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups -- "$bin/postgres" -D "$data" \
  -c listen_addresses='*' -c unix_socket_directories=/tmp -c fsync=off -c full_page_writes=off

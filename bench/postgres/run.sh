#!/usr/bin/env bash
# Benchmark (issue 14): what the throwaway cluster (`machine.services:
# [postgresql]`) costs a run, from the template and without one.
#   no database   `drydock run` of one `true` step: the floor
#   warm          the same with the cluster, its template reused (copy,
#                 start, user and database, immediate stop)
#   cold          the same with the template removed before each run: initdb
#                 as every run did before templates, plus saving the template
# and the pieces, by hand on PostgreSQL 15's own tools:
#   initdb        as drydock runs it (1 MB WAL segments), and with the default
#                 16 MB segments (the old path's initdb)
#   stop          `pg_ctl stop` of a fresh copy, -m immediate (now) and -m fast
#                 (before)
# Also the median "ready in N ms" drydock reports for warm runs (copy to
# accepting connections, user and database made), with TMPDIR (where the
# run's cluster is) on the disk and on tmpfs. Goal: under 300 ms warm.
# Needs .ci/setup (PostgreSQL 15) and root (the pieces run as postgres).
# Measure on an idle machine.
# Usage: bench/postgres/run.sh [DRYDOCK] (RUNS=N for hyperfine's runs)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
drydock=$(realpath "${1:-$root/build/drydock}")
runs=${RUNS:-10}
bin=/usr/lib/postgresql/15/bin
command -v hyperfine >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine jq >/dev/null; }
[ -x "$drydock" ] || bash "$root/.ci/setup"

work=$(mktemp -d)
shm=$(mktemp -d /dev/shm/drydock-bench-XXXXXX) # TMPDIR on tmpfs, for comparison
chmod 755 "$work" "$shm" # the cluster runs as postgres when we are root
as_server() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  as_server "$bin/pg_ctl" -D "$work/copy" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work" "$shm"
}
trap cleanup EXIT
export XDG_CACHE_HOME=$work/cache TMPDIR=$work
cd "$work"
printf 'test:\n  override:\n    - "true"\n' >base.yml
printf 'machine:\n  services: [postgresql]\ntest:\n  override:\n    - "true"\n' >pg.yml

median_ms() { jq -r ".results[$1].median * 1000 | round" "$work/$2"; }

# One --prepare per command: a single one would run before every command.
hyperfine -N --runs "$runs" --warmup 2 --export-json runs.json \
  --prepare true --prepare true --prepare true --prepare "rm -rf $work/cache/drydock/postgres" \
  --command-name "no database" "$drydock run -q base.yml" \
  --command-name "warm" "$drydock run -q pg.yml" \
  --command-name "warm, TMPDIR on tmpfs" "env TMPDIR=$shm $drydock run -q pg.yml" \
  --command-name "cold" "$drydock run -q pg.yml"

ready_median() { # the median "ready in N ms (...)" line of warm runs, TMPDIR=$1
  for _ in $(seq 1 "$runs"); do
    TMPDIR=$1 "$drydock" run pg.yml 2>&1 | sed -n 's/.*; ready in \([0-9]* ms.*\)/\1/p'
  done | sort -n | sed -n "$(((runs + 1) / 2))p"
}
ready=$(ready_median "$work")
ready_shm=$(ready_median "$shm")

# The pieces, by hand.
mkdir -p "$work/initdb" && chown postgres "$work/initdb"
hyperfine -N --runs "$runs" --export-json initdb.json \
  --prepare "rm -rf $work/initdb/data" \
  --command-name "initdb, 1 MB WAL" \
  "$(printf '%q ' runuser -u postgres -- "$bin/initdb" -D "$work/initdb/data" -U postgres --auth trust -E UTF8 --wal-segsize 1 --no-sync --no-instructions)" \
  --command-name "initdb, 16 MB WAL" \
  "$(printf '%q ' runuser -u postgres -- "$bin/initdb" -D "$work/initdb/data" -U postgres --auth trust -E UTF8 --no-sync --no-instructions)"
template=$(ls -d "$work"/cache/drydock/postgres/pg15-*)
start_copy="rm -rf $work/copy; cp -a $template/data $work/copy; printf \"port = 54329\nlisten_addresses = ''\nunix_socket_directories = '$work/copy'\n\" >>$work/copy/postgresql.conf; runuser -u postgres -- $bin/pg_ctl -D $work/copy -l $work/copy/server.log -w start >/dev/null"
hyperfine --runs "$runs" --export-json stop.json --prepare "$start_copy" \
  --command-name "stop -m immediate" "runuser -u postgres -- $bin/pg_ctl -D $work/copy -m immediate -w stop" \
  --command-name "stop -m fast" "runuser -u postgres -- $bin/pg_ctl -D $work/copy -m fast -w stop"
rm -rf "$work/copy"

echo
echo "median ms:"
printf '  run, no database            %s\n' "$(median_ms 0 runs.json)"
printf '  run, cluster warm           %s (cluster: +%s)\n' "$(median_ms 1 runs.json)" "$(($(median_ms 1 runs.json) - $(median_ms 0 runs.json)))"
printf '  run, cluster warm on tmpfs  %s (cluster: +%s)\n' "$(median_ms 2 runs.json)" "$(($(median_ms 2 runs.json) - $(median_ms 0 runs.json)))"
printf '  run, cluster cold           %s (cluster: +%s)\n' "$(median_ms 3 runs.json)" "$(($(median_ms 3 runs.json) - $(median_ms 0 runs.json)))"
printf '  warm, ready in              %s\n' "$ready"
printf '  warm on tmpfs, ready in     %s\n' "$ready_shm"
printf '  initdb, 1 MB WAL            %s\n' "$(median_ms 0 initdb.json)"
printf '  initdb, 16 MB WAL (old)     %s\n' "$(median_ms 1 initdb.json)"
printf '  stop -m immediate           %s\n' "$(median_ms 0 stop.json)"
printf '  stop -m fast (old)          %s\n' "$(median_ms 1 stop.json)"

#!/usr/bin/env bash
# Benchmark (issue 4): the seed's hand-written script against drydock, on
# the same app (samples/app), the same base image and the same Postgres.
#   seed script   bench/docker/seed-build-docker-image.sh, then the seed's
#                 `docker run --rm --add-host postgresdb:<docker0 address>
#                 -e DATABASE_URL=... IMAGE:SHA python3 -m unittest ...`
#   drydock       `drydock run` of a circle.yml with the same image and test
#                 step (drydock.images + drydock.database provider url: the
#                 same Postgres as the script's)
#   drydock-pg    the same with the embedded cluster (machine.services:
#                 [postgresql], drydock.database with no provider): a
#                 throwaway cluster of its own on every run
# Runs, each alternating script and drydock:
#   cold      no image in the engine, no archive: build, save
#   warm      image in the engine and the archive on disk
#   restore   no image in the engine, the archive on disk
# Also the bare test command (`docker run --rm ... unittest`) to show what
# each tool costs beyond it, and the archive bytes each leaves behind.
# Goals (issue 14): warm, drydock with the URL costs at most 60 ms beyond
# the test command and drydock with the embedded cluster at most 400 ms;
# cold and restore no slower than the script's; the archive is at most half
# the script's plain tar.
# Needs .ci/setup (engine, PostgreSQL, base image). Measure on an idle machine.
# DRYDOCK: the binary to measure (default build/drydock); CASES: which runs
# (default "cold warm restore").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
runs=${RUNS:-5}
command -v hyperfine >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine jq >/dev/null; }
drydock=${DRYDOCK:-$root/build/drydock}
cases=${CASES:-cold warm restore}
[ -x "$drydock" ] || bash "$root/.ci/setup"

work=$(mktemp -d)
chmod 755 "$work"
sha=0123456789abcdef0123456789abcdef01234567
pg_dir=$work/pg
cleanup() {
  runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true
  for repo in bench-seed/app bench-drydock/app; do
    docker images -q "$repo" | sort -u | xargs -r docker rmi -f >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# One Postgres for both, listening on loopback and the bridge gateway.
gateway=$(ip -4 addr show docker0 | grep "inet\b" | awk '{print $2}' | cut -d/ -f1)
port=$((20000 + RANDOM % 20000))
mkdir -p "$pg_dir" && chown postgres "$pg_dir"
runuser -u postgres -- /usr/lib/postgresql/15/bin/initdb -D "$pg_dir/data" -U postgres --auth=trust --no-sync >/dev/null
printf "listen_addresses = '127.0.0.1,%s'\nport = %s\nunix_socket_directories = '%s'\nfsync = off\n" "$gateway" "$port" "$pg_dir" >>"$pg_dir/data/postgresql.conf"
printf "local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all 172.16.0.0/12 trust\n" >"$pg_dir/data/pg_hba.conf"
runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$pg_dir/data" -l "$pg_dir/log" -w start >/dev/null
runuser -u postgres -- /usr/lib/postgresql/15/bin/createuser -h "$pg_dir" -p "$port" -s ubuntu
runuser -u postgres -- /usr/lib/postgresql/15/bin/createdb -h "$pg_dir" -p "$port" -O ubuntu test_app
url="postgres://ubuntu@postgresdb:$port/test_app"

# The app, once for each tool (the same files).
for tool in seed drydock drydock-pg; do
  mkdir -p "$work/$tool"
  cp -r "$root/samples/app" "$work/$tool/app"
done
cat >"$work/drydock/circle.yml" <<YAML
machine:
  services: [docker]
test:
  override:
    - python3 -m unittest discover -s tests:
        drydock: {image: app, database: true}
drydock:
  images:
    app:
      repository: bench-drydock/app
      context: app
      dockerfile: app/Dockerfile
      inputs: [app/requirements/*.txt, app/notes/**/*.py, app/tests/**/*.py]
      cache_dir: $work/drydock-cache
  database: {provider: url, url: "$url", user: ubuntu}
YAML
# The embedded cluster: its own user and database on every run.
sed -e 's/services: \[docker\]/services: [docker, postgresql]/' \
  -e 's/^  database: .*/  database: {user: ubuntu, databases: [test_app]}/' \
  "$work/drydock/circle.yml" >"$work/drydock-pg/circle.yml"
grep -q 'postgresql' "$work/drydock-pg/circle.yml" && ! grep -q 'provider' "$work/drydock-pg/circle.yml"

# Each tool's run, and the bare test command, as scripts hyperfine can time.
cat >"$work/seed.sh" <<SH
set -e
cd "$work/seed/app"
IMAGE_NAME=bench-seed/app CACHE_DIR_SETTING=$work/seed-cache CIRCLE_SHA1=$sha bash "$here/seed-build-docker-image.sh" >/dev/null 2>&1
docker run --rm --add-host "postgresdb:\$(ip addr show docker0 | grep "inet\b" | awk '{print \$2}' | cut -d/ -f1)" \
  -e DATABASE_URL="$url" bench-seed/app:$sha python3 -m unittest discover -s tests >/dev/null 2>&1
SH
cat >"$work/drydock.sh" <<SH
cd "$work/drydock" && exec "$drydock" run -q --env CIRCLE_SHA1=$sha circle.yml >/dev/null 2>&1
SH
cat >"$work/drydock-pg.sh" <<SH
cd "$work/drydock-pg" && exec "$drydock" run -q --env CIRCLE_SHA1=$sha circle.yml >/dev/null 2>&1
SH
cat >"$work/bare.sh" <<SH
exec docker run --rm --add-host postgresdb:host-gateway -e DATABASE_URL="$url" bench-seed/app:$sha \
  python3 -m unittest discover -s tests >/dev/null 2>&1
SH
cat >"$work/forget.sh" <<SH
for repo in bench-seed/app bench-drydock/app; do
  docker images -q \$repo | sort -u | xargs -r docker rmi -f >/dev/null 2>&1 || true
done
[ "\$1" = images ] || rm -rf "$work/seed-cache" "$work/drydock-cache"
SH

bench() { # NAME HYPERFINE-OPTIONS...: prints mean and stddev of seed, drydock, drydock-pg (and bare)
  local name=$1; shift
  hyperfine -N --export-json "$work/$name.json" "$@" >/dev/null
  jq -r --arg name "$name" '.results[] | "\($name)\t\(.command | split("/") | last)\tmean \(.mean * 1000 | floor) ms\t± \((.stddev // 0) * 1000 | floor) ms\tmin \(.min * 1000 | floor) ms"' "$work/$name.json"
}
echo "machine: $(nproc) cores; docker $(docker version --format '{{.Server.Version}}')"
tools=("bash $work/seed.sh" "bash $work/drydock.sh" "bash $work/drydock-pg.sh")
wanted() { [[ " $cases " == *" $1 "* ]]; }
if wanted cold; then
  bench cold --runs "$runs" --prepare "bash $work/forget.sh all" "${tools[@]}"
fi
wanted warm || wanted restore || exit 0
for tool in seed drydock; do bash "$work/$tool.sh"; done # both caches filled for what follows
if wanted warm; then
  bench warm --warmup 2 --runs "$((runs * 4))" "${tools[@]}" "bash $work/bare.sh"
fi
if wanted restore; then
  bench restore --runs "$runs" --prepare "bash $work/forget.sh images" "${tools[@]}"
fi
wanted warm || exit 0
mean_ms() { jq -r --arg i "$2" '.results[$i | tonumber].mean * 1000 | floor' "$work/$1.json"; }
beyond() { echo "$(($(mean_ms warm "$1") - $(mean_ms warm 3))) ms"; }
echo "warm run beyond the bare test command (means): drydock $(beyond 1), drydock-pg $(beyond 2), seed script $(beyond 0)"
seed_bytes=$(stat -c %s "$work"/seed-cache/*.tar)
drydock_bytes=$(stat -c %s "$work"/drydock-cache/*.tar.zst)
echo "archive bytes: seed plain tar $seed_bytes, drydock tar.zst $drydock_bytes ($(awk -v a="$drydock_bytes" -v b="$seed_bytes" 'BEGIN {printf "%.2f", a / b}')x)"

#!/usr/bin/env bash
# Integration tests on the real Docker engine and a real PostgreSQL cluster:
# the image cache (cold build, warm reuse, archive restore, corrupted
# archive, changed input, pruning) and containerized steps (DATABASE_URL,
# failures, SIGINT, no engine), each time checking that no container and
# no cluster is left behind.
# Needs what .ci/engine provides: a running engine and drydock-base:bookworm.
# Usage: docker_test.sh PATH/TO/drydock
set -u
drydock=$(realpath "$1")
source "$(dirname "$0")/harness.sh"
repository="drydock-it-$tag/app"
base="drydock-it-$tag/base"
step_id="it-$tag"
cleanup_more() {
  mountpoint -q "$scratch/tiny" && umount "$scratch/tiny"
  docker ps -aq --filter "label=io.drydock.step=$step_id" | xargs -r docker rm -f >/dev/null 2>&1
  remove_images "$repository" "$base"
}
archives() { find "$scratch/cache" -name 'app-*.tar.zst' 2>/dev/null | wc -l; }
nothing_left() {
  local left
  left=$(docker ps -aq --filter "label=io.drydock.step=$step_id")
  [ -z "$left" ] || fail "$1: containers left: $left"
  compgen -G "$scratch/drydock-postgres-*" >/dev/null && fail "$1: cluster directory left: $(ls -d "$scratch"/drydock-postgres-*)"
  pgrep -f "$scratch/drydock-postgres" >/dev/null && fail "$1: postgres still running"
  compgen -G "$scratch/cache/.app-*partial*" >/dev/null && fail "$1: partial archive left"
  return 0
}

docker image inspect drydock-base:bookworm >/dev/null 2>&1 || { echo "FAIL: no drydock-base:bookworm image; run .ci/engine"; exit 1; }

# A base image of the test's own, so it can change under the same tag.
make_base() { printf 'FROM drydock-base:bookworm\nRUN echo %s > /base-version\n' "$1" | docker build -q -t "$base" - >/dev/null; }
make_base 1
mkdir -p app/requirements
cat >app/Dockerfile <<DOCKERFILE
FROM $base
WORKDIR /code
ADD . /code
DOCKERFILE
echo "first==1" >app/requirements/base.txt
cat >app/query.py <<'PY'
import os, psycopg2
conn = psycopg2.connect(os.environ["DATABASE_URL"])
cur = conn.cursor()
cur.execute("SELECT current_database(), current_user")
print("db says %s as %s" % cur.fetchone())
PY
cat >circle.yml <<YAML
machine:
  services: [docker, postgresql]
test:
  override:
    - python3 query.py && echo "secret is \$SECRET_TOKEN":
        environment:
          SECRET_TOKEN: hunter2
        drydock:
          id: $step_id
          image: app
          database: true
drydock:
  images:
    app:
      repository: $repository
      context: app
      dockerfile: app/Dockerfile
      inputs: [app/requirements/*.txt]
      cache_dir: $scratch/cache
      keep: 2
  database:
    user: tester
    databases: [it_db]
YAML

# cold: built, archive written, tests reach the database by DATABASE_URL
run run circle.yml
expect_code 0
contains "[image:app] building $repository:"
contains " built (tagged $repository:local)"
contains "db says it_db as tester"
contains "secret is hunter2"
[ "$(archives)" -eq 1 ] || fail "cold run: expected 1 archive, found $(archives)"
key=$(echo "$out" | sed -n "s|.*building $repository:\([0-9a-f]*\).*|\1|p" | head -1)
nothing_left "cold run"

# warm: the engine has the image, so nothing is built or loaded; the
# archive counts as just used (pruning keeps the most recently used)
archive="$scratch/cache/app-$key.tar.zst"
touch -d '2 hours ago' "$archive"
run run circle.yml
[ "$(( $(date +%s) - $(stat -c %Y "$archive") ))" -lt 600 ] || fail "a warm run did not mark the archive as used"
expect_code 0
contains "$repository:$key present"
lacks "building"
lacks "loading"
nothing_left "warm run"

# present in the engine but the archive is gone (a killed save, a cleaned
# cache): the archive is written again, so a fresh machine need not build
rm "$archive"
run run circle.yml
expect_code 0
contains "[image:app] $repository:$key is present but its archive is missing; it is written beside the steps that use it"
contains "[archive:app] wrote $archive"
[ -e "$archive" ] || fail "the missing archive was not written again"

# a disk too small for the archive: a warning, the build passes, nothing partial
mkdir -p "$scratch/tiny"
mount -t tmpfs -o size=1m tmpfs "$scratch/tiny" || fail "cannot mount a small tmpfs for the disk-full check"
sed "s|cache_dir: $scratch/cache|cache_dir: $scratch/tiny|" circle.yml >tiny.yml
run run tiny.yml
expect_code 0
contains "[archive:app] warning: could not write the archive $scratch/tiny/app-$key.tar.zst"
contains "the image is in the engine, so the build goes on"
[ -z "$(ls -A "$scratch/tiny" | grep -v '^app.lock$' | grep -v '^app.archive.lock$' | grep -v '^app.inputs$')" ] \
  || fail "disk full: left $(ls -A "$scratch/tiny")"
umount "$scratch/tiny"
nothing_left "disk full"

# after docker rmi the archive is loaded, not rebuilt
docker rmi "$repository:$key" "$repository:local" >/dev/null
run run circle.yml
expect_code 0
contains "$repository:$key loaded"
lacks "building"
nothing_left "restore run"

# a corrupted archive is detected, removed and the image rebuilt
docker rmi "$repository:$key" "$repository:local" >/dev/null
archive="$scratch/cache/app-$key.tar.zst"
size=$(stat -c %s "$archive")
printf 'corruption' | dd of="$archive" bs=1 seek=$((size / 2)) conv=notrunc status=none
run run circle.yml
expect_code 0
contains "archive $archive: the archive is corrupted"
contains "$repository:$key built"
nothing_left "corrupted archive run"

# a truncated one too
docker rmi "$repository:$key" "$repository:local" >/dev/null
truncate -s $((size / 3)) "$archive"
run run circle.yml
expect_code 0
contains "the archive is truncated; removed it"
contains "$repository:$key built"

# a changed requirement file gives a new key; explain names the change
echo "second==2" >>app/requirements/base.txt
run explain circle.yml
expect_code 0
contains "changed (was "
contains "app/requirements/base.txt"
contains "a run would build it"
run run circle.yml
expect_code 0
key2=$(echo "$out" | sed -n "s|.*building $repository:\([0-9a-f]*\).*|\1|p" | head -1)
[ -n "$key2" ] && [ "$key2" != "$key" ] || fail "changed input: key '$key2' should differ from '$key'"
[ "$(archives)" -eq 2 ] || fail "after a second key: expected 2 archives, found $(archives)"

# a third key prunes the oldest archive (keep: 2)
echo "third==3" >>app/requirements/base.txt
run run circle.yml
expect_code 0
contains "[archive:app] pruned $archive"
[ "$(archives)" -eq 2 ] || fail "keep 2: found $(archives) archives"
[ -e "$archive" ] && fail "the oldest archive was kept"

# a base image rebuilt under the same tag gives a new key too
make_base 2
run explain circle.yml
contains "base-image    $base"
contains "a run would build it"
run run circle.yml
expect_code 0
contains "[image:app] building $repository:"
run run circle.yml
contains " present (tagged"

# two cold runs of a new key at once on one cache: one builds, the other
# waits and finds it present; one archive, no temporary file, no dangling image
echo "concurrent==1" >>app/requirements/base.txt
dangling_before=$(docker images -q --filter dangling=true | wc -l)
"$drydock" run circle.yml >"$scratch/first.log" 2>&1 & first=$!
"$drydock" run circle.yml >"$scratch/second.log" 2>&1 & second=$!
wait "$first"; first_code=$?
wait "$second"; second_code=$?
[ "$first_code" -eq 0 ] && [ "$second_code" -eq 0 ] || fail "concurrent cold runs: exits $first_code and $second_code"
[ "$(cat "$scratch/first.log" "$scratch/second.log" | grep -c "\[image:app\] building $repository:")" -eq 1 ] \
  || fail "concurrent cold runs: not exactly one build: $(grep -h 'image:app' "$scratch/first.log" "$scratch/second.log")"
grep -q "waiting for another run that is making app" "$scratch/first.log" "$scratch/second.log" \
  || fail "concurrent cold runs: neither waited for the other"
key3=$(sed -n "s|.*building $repository:\([0-9a-f]*\).*|\1|p" "$scratch/first.log" "$scratch/second.log" | head -1)
[ -e "$scratch/cache/app-$key3.tar.zst" ] || fail "concurrent cold runs: no archive for $key3"
[ "$(docker images -q --filter dangling=true | wc -l)" -eq "$dangling_before" ] || fail "concurrent cold runs left a dangling image"
nothing_left "concurrent cold runs"

# SIGINT while the archive is written: no partial file is left
echo "fourth==4" >>app/requirements/base.txt
"$drydock" run circle.yml >"$scratch/saving.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do grep -q 'Successfully tagged' "$scratch/saving.log" && break; sleep 0.05; done
sleep 0.2 # docker save has started
kill -INT "$pid"
wait "$pid"; code=$?
out=$(cat "$scratch/saving.log")
expect_code 130
nothing_left "SIGINT while saving"

# a failing containerized step fails the build and leaves nothing behind
sed -i 's|python3 query.py && |python3 query.py \&\& exit 3 \&\& |' circle.yml
run run circle.yml
expect_code 1
contains "failed (exit 3)"
nothing_left "failing step"

# SIGINT during a containerized step: exit 130, container and cluster gone
sed -i 's|python3 query.py && exit 3 && |echo started \&\& sleep 60 \&\& |' circle.yml
"$drydock" run circle.yml >"$scratch/interrupted.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do grep -q '] started' "$scratch/interrupted.log" && break; sleep 0.1; done
grep -q '] started' "$scratch/interrupted.log" || fail "the container step did not start: $(cat "$scratch/interrupted.log")"
# the secret is passed by name: never on docker's command line
docker_argv=$(pgrep -a -f "docker run --rm --init --name drydock-.*$step_id")
case "$docker_argv" in *"--env SECRET_TOKEN "*) ;; *) fail "docker run lacks --env SECRET_TOKEN: $docker_argv";; esac
case "$docker_argv" in *hunter2*) fail "the secret is on docker's argv: $docker_argv";; esac
kill -INT "$pid"
wait "$pid"; code=$?
out=$(cat "$scratch/interrupted.log")
expect_code 130
nothing_left "SIGINT"

# no engine: one clear message, non-zero exit, nothing started, and no
# build number taken nor artifacts directory made
next_number() { "$drydock" plan circle.yml 2>/dev/null | sed -n 's/.*: build #\([0-9]*\) .*/\1/p' | head -1; }
number_before=$(next_number)
dirs_before=$(compgen -G "$scratch/drydock-*-*" | wc -l)
DOCKER_HOST=unix://$scratch/no-engine.sock run run circle.yml
expect_code 1
contains "drydock: machine.services: docker: no Docker engine answers at unix://$scratch/no-engine.sock:"
lacks "[image:app]"
[ -n "$number_before" ] && [ "$(next_number)" = "$number_before" ] || fail "no engine: took build #$number_before"
[ "$(compgen -G "$scratch/drydock-*-*" | wc -l)" -eq "$dirs_before" ] || fail "no engine: left directories"
nothing_left "no engine"

finish "all docker integration checks passed"

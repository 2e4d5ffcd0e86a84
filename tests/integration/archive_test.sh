#!/usr/bin/env bash
# Integration tests on the real Docker engine: an image's archive is
# written by its own step, archive:NAME, beside the steps that use the
# image. A cold run's steps in the image run while its archive waits, and
# the archive loads afterwards; two cold runs at once on one cache write
# one archive and leave no temporary file; SIGINT while the archive is
# written leaves no temporary file.
# Needs what .ci/engine provides: a running engine and drydock-base:bookworm.
# Usage: archive_test.sh PATH/TO/drydock
set -u
drydock=$(realpath "$1")
source "$(dirname "$0")/harness.sh"
repository="drydock-it-$tag/archived"
cache="$scratch/cache"
cleanup_more() {
  [ -n "${holder:-}" ] && kill "$holder" 2>/dev/null
  remove_images "$repository"
}
archives() { find "$cache" -name 'app-*.tar.zst' 2>/dev/null | wc -l; }
# Temporary files (archives', the manifest's) and archive requests.
leftovers() { find "$cache" -name '.*' 2>/dev/null; }
key_of() { sed -n "s|.*building $repository:\([0-9a-f]*\).*|\1|p" "$@" | head -1; }
line_of() { grep -n -F -- "$2" "$1" | head -1 | cut -d: -f1; }

docker image inspect drydock-base:bookworm >/dev/null 2>&1 || { echo "FAIL: no drydock-base:bookworm image; run .ci/engine"; exit 1; }

mkdir -p app
printf 'FROM drydock-base:bookworm\nCOPY version /version\n' >app/Dockerfile
echo "v1 $tag" >app/version
cat >circle.yml <<YAML
test:
  override:
    - 'echo "in the image: \$(cat /version)"':
        drydock: {image: app}
    - 'echo "archives while the tests ran: \$(find $cache -name "app-*.tar.zst" | wc -l)"'
    - touch $scratch/release
drydock:
  images:
    app:
      repository: $repository
      context: app
      dockerfile: app/Dockerfile
      inputs: [app/version]
      cache_dir: $cache
YAML

# plan: the archive step follows the image step, and no step waits for it
run plan circle.yml
expect_code 0
contains "  5  archive:app       dependencies  image:app                 archive app: docker save $repository:<input..."
contains "critical path: 4 steps: image:app -> test.override[0] -> test.override[1] -> test.override[2]"
run plan --format json circle.yml
[ "$(jq -r '.steps[] | select(.id == "archive:app") | .waits_for | join(",")' <<<"$out")" = "image:app" ] \
  || fail "plan json: archive:app should wait for image:app only: $out"
[ -z "$(jq -r '.steps[] | select(.waits_for | index("archive:app")) | .id' <<<"$out")" ] \
  || fail "plan json: a step waits for archive:app: $out"

# (a) a cold run: the steps that use the image run while its archive step
# waits. Another "run" holds the archive lock until the last test step
# releases it, so the archive cannot be written before the tests ran.
mkdir -p "$cache"
(
  flock 9
  : >"$scratch/locked"
  for _ in $(seq 1 1200); do [ -e "$scratch/release" ] && break; sleep 0.05; done
) 9>"$cache/app.archive.lock" &
holder=$!
for _ in $(seq 1 100); do [ -e "$scratch/locked" ] && break; sleep 0.05; done
"$drydock" run circle.yml >"$scratch/cold.log" 2>&1; code=$?
touch "$scratch/release" # whatever the run did
wait "$holder"; holder=""
out=$(cat "$scratch/cold.log")
expect_code 0
contains "[image:app] building $repository:"
contains "[test.override[0]] in the image: v1 $tag"
contains "[test.override[1]] archives while the tests ran: 0"
contains "[archive:app] waiting for another run that is writing an archive of app"
contains "[archive:app] wrote $cache/app-"
tested=$(line_of "$scratch/cold.log" "[test.override[0]] in the image")
built=$(line_of "$scratch/cold.log" " built (tagged $repository:")
wrote=$(line_of "$scratch/cold.log" "[archive:app] wrote ")
[ -n "$tested" ] && [ -n "$built" ] && [ -n "$wrote" ] && [ "$built" -lt "$tested" ] && [ "$tested" -lt "$wrote" ] \
  || fail "cold run: expected built < tested < wrote, got lines $built, $tested, $wrote: $out"
[ "$(archives)" -eq 1 ] || fail "cold run: expected 1 archive, found $(archives)"
[ -z "$(leftovers)" ] || fail "cold run: left $(leftovers)"
key=$(key_of "$scratch/cold.log")

# ... and the archive loads: the image gone from the engine, a run loads it
docker rmi "$repository:$key" "$repository:local" >/dev/null
rm -f "$scratch/release"
run run circle.yml
expect_code 0
contains "[image:app] $repository:$key loaded (tagged $repository:local)"
contains "[archive:app] nothing to write: image:app did not build the image, and its archive was there"
contains "[test.override[0]] in the image: v1 $tag"
lacks "building"

# a warm run: present with its archive, nothing written
run run circle.yml
expect_code 0
contains "[image:app] $repository:$key present (tagged $repository:local)"
contains "[archive:app] nothing to write"

# a dry run lists the archive step and runs nothing
run run --dry-run circle.yml
expect_code 0
contains "archive:app"

# (b) two cold runs of a new key at once on one cache: both pass, one
# image built, one archive written, no temporary file or request left
echo "v2 $tag" >app/version
"$drydock" run circle.yml >"$scratch/first.log" 2>&1 & first=$!
"$drydock" run circle.yml >"$scratch/second.log" 2>&1 & second=$!
wait "$first"; first_code=$?
wait "$second"; second_code=$?
both=$(cat "$scratch/first.log" "$scratch/second.log")
[ "$first_code" -eq 0 ] && [ "$second_code" -eq 0 ] || fail "concurrent cold runs: exits $first_code and $second_code: $both"
[ "$(grep -c "\[image:app\] building $repository:" <<<"$both")" -eq 1 ] || fail "concurrent cold runs: not one build: $both"
[ "$(grep -c "\[archive:app\] wrote " <<<"$both")" -eq 1 ] || fail "concurrent cold runs: not one archive write: $both"
key2=$(key_of "$scratch/first.log" "$scratch/second.log")
[ -e "$cache/app-$key2.tar.zst" ] || fail "concurrent cold runs: no archive for $key2"
zstd -tq "$cache/app-$key2.tar.zst" || fail "concurrent cold runs: the archive does not check"
[ "$(archives)" -eq 2 ] || fail "concurrent cold runs: expected 2 archives (keep 2), found $(archives)"
[ -z "$(leftovers)" ] || fail "concurrent cold runs: left $(leftovers)"

# (c) SIGINT while the archive is written: exit 130, no temporary file
echo "v3 $tag" >app/version
"$drydock" run circle.yml >"$scratch/saving.log" 2>&1 &
pid=$!
for _ in $(seq 1 1200); do compgen -G "$cache/.app-*.tar.zst.partial-*" >/dev/null && break; sleep 0.02; done
compgen -G "$cache/.app-*.tar.zst.partial-*" >/dev/null || fail "SIGINT: the archive was never being written: $(cat "$scratch/saving.log")"
kill -INT "$pid"
wait "$pid"; code=$?
out=$(cat "$scratch/saving.log")
expect_code 130
lacks "[archive:app] wrote "
[ -z "$(leftovers)" ] || fail "SIGINT while the archive was written: left $(leftovers)"
[ "$(archives)" -eq 2 ] || fail "SIGINT: expected the 2 earlier archives, found $(archives)"

finish "all archive integration checks passed"

#!/usr/bin/env bash
# CircleCI 2.x caches and workspaces end to end on the real engine, with
# tests/circle2/caches's config: restore_cache finds nothing, then the
# exact key, then the newest cache of a prefix (never failing the job);
# save_cache saves once per key (immutable) under
# $XDG_CACHE_HOME/drydock/caches (else ~/.cache), paths relative, under ~
# and absolute, and warns of a path that is not there; every key template
# renders; persist_to_workspace/attach_workspace hand files to the jobs
# that require the persisting job (directly or through others) and to no
# other; one file from two jobs beside each other cannot be attached, the
# downstream job's wins when one requires the other; an unknown template is
# an error at its line before anything runs; a slow reader of the output
# does not break a run; no temporary file stays in the store, no container
# on the engine.
# Needs what .ci/engine provides (drydock-base:bookworm).
# Usage: circle2_caches_test.sh PATH/TO/drydock
set -u
drydock=$(realpath "$1")
here=$(realpath "$(dirname "$0")/..")
source "$(dirname "$0")/harness.sh"
unset XDG_CACHE_HOME # the store under the scratch HOME, whatever the caller has
all_of_runs() { docker ps -aq --filter label=io.drydock.run | wc -l; }
cleanup_more() { docker ps -aq --filter label=io.drydock.job-container=true | xargs -r docker rm -f >/dev/null 2>&1; }
nothing_left() {
  [ "$(all_of_runs)" -eq 0 ] || fail "$1: containers left: $(docker ps -a --filter label=io.drydock.run --format '{{.Names}}')"
  local tmp
  tmp=$(find "$HOME/.cache/drydock" "$scratch/xdg" \( -name '*.partial-*' -o -name '*.tmp*' \) 2>/dev/null)
  [ -z "$tmp" ] || fail "$1: temporary files left in the cache store: $tmp"
  return 0
}
docker image inspect drydock-base:bookworm >/dev/null 2>&1 || { echo "FAIL: no drydock-base:bookworm image; run .ci/engine"; exit 1; }

# CircleCI's checksum: base64 of the file's SHA-256
checksum() { openssl dgst -sha256 -binary "$1" | base64; }
last_run() { ls .git/drydock/runs | sort -n | tail -1; }
# the line number of the first line of $out with this text (0: none)
line_of() { printf '%s\n' "$out" | grep -nF -m1 -- "$1" | cut -d: -f1 | grep . || echo 0; }
# the cache store's folder of this project, into $store: exactly one
store_of() { # $1: the caches folder
  store=$(find "$1" -mindepth 1 -maxdepth 1 -type d 2>/dev/null)
  [ "$(printf '%s' "$store" | grep -c .)" -eq 1 ] && return 0
  fail "expected one project folder in $1, got: '$store' ($(find "$1" 2>/dev/null))"
  store=
  return 1
}
# a cache of exactly this key in the folder: its .key file and the .tar.zst beside it
has_cache() { # $1: folder, $2: key
  local keyfile
  keyfile=$(grep -lxF -- "$2" "$1"/*.key 2>/dev/null | head -1)
  [ -n "$keyfile" ] || { fail "no .key file in $1 holds '$2': $(cat "$1"/*.key 2>/dev/null)"; return 1; }
  [ -s "${keyfile%.key}.tar.zst" ] || fail "the cache of '$2' has no archive beside $keyfile: $(ls "$1")"
}

export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
mkdir -p repo/.circleci && cd repo || exit 1
cp "$here/circle2/caches/config.yml" .circleci/config.yml
echo "alpha 1.0" >deps.txt
echo "a small project" >README
git init -q -b main && git add -A && git commit -qm "a project with a lock file" || exit 1
sha1=$(git rev-parse HEAD)
sum1=$(checksum deps.txt)
store=
caches=$HOME/.cache/drydock/caches

run validate
expect_code 0
contains ".circleci/config.yml: valid"

# plan: the four steps, where they are written
run plan
expect_code 0
contains "deps: Restoring cache"
contains "deps: Saving cache"
contains "deps: Persisting to workspace"
contains "use: Attaching workspace"
contains "unrelated: Attaching workspace"
contains "keys: Restoring cache"
contains "keys: Saving cache"
contains "merge: Attaching workspace"

# 1: nothing to restore (not a failure): the deps are built and saved; the
# workspace reaches the job requiring deps and not the unrelated one
run run --workflow build
expect_code 0
n=$(last_run)
contains "Restoring cache] no cache found for keys: v1-deps-$sum1, v1-deps-: nothing restored"
contains "Deps] built deps: alpha 1.0"
lacks "Deps] deps from cache"
contains "Saving cache] saved cache v1-deps-$sum1"
contains "deps: Persisting to workspace] persisted to the workspace:"
contains "use: Attaching workspace] attached the workspace at"
contains "Use] built from alpha 1.0"
contains "Look] unrelated sees 0 file(s)"
persisted=$(line_of "deps: Persisting to workspace] persisted to the workspace:")
attached=$(line_of "unrelated: Attaching workspace]")
[ "$persisted" -gt 0 ] && [ "$attached" -gt "$persisted" ] ||
  fail "unrelated attached (line $attached) before deps persisted (line $persisted): the check proves nothing: $out"
# every template of the keys job's key, and a path that is not there
contains "Restoring cache] no cache found for keys: v1-keys-: nothing restored"
contains "Tools] tools: none yet"
lacks "<no value>"
keys_key=$(printf '%s\n' "$out" | grep -oE "saved cache v1-keys-main-keys-$sha1-$n-[^ ]+-[0-9]{10}\b" | head -1)
keys_key=${keys_key#saved cache }
if [ -z "$keys_key" ]; then
  fail "no 'saved cache v1-keys-main-keys-$sha1-$n-ARCH-EPOCH' line: $out"
else
  epoch=${keys_key##*-}
  now=$(date +%s)
  [ $((now - epoch)) -ge 0 ] && [ $((now - epoch)) -lt 600 ] || fail "{{ epoch }} rendered $epoch, now is $now"
fi
contains "warning: nothing at"
printf '%s\n' "$out" | grep -F "warning: nothing at" | grep -qF "missing-dir" ||
  fail "the warning does not name ~/missing-dir: $out"
contains "build #$n passed"
store_of "$caches" && {
  has_cache "$store" "v1-deps-$sum1"
  [ -n "$keys_key" ] && has_cache "$store" "$keys_key"
}
nothing_left "first run"

# 2: another commit, the same lock file: the exact key restored, not saved again
echo "more words" >>README
git commit -qam "not the deps" || exit 1
sha2=$(git rev-parse HEAD)
run run --workflow build
expect_code 0
n=$(last_run)
contains "Restoring cache] restored cache v1-deps-$sum1 from key v1-deps-$sum1 (exact)"
contains "Deps] deps from cache: alpha 1.0"
lacks "Deps] built deps"
contains "cache v1-deps-$sum1 exists: not saved again"
lacks "saved cache v1-deps-"
contains "restored cache v1-keys-main-keys-$sha1-"
contains "from key v1-keys- (a prefix; the newest of 1)"
contains "Tools] tools restored: vendored tooled absolute"
contains "saved cache v1-keys-main-keys-$sha2-$n-"
contains "Use] built from alpha 1.0"
contains "Look] unrelated sees 0 file(s)"
contains "build #$n passed"
nothing_left "second run"

# 3: the lock file changes: its key is new, the prefix finds the old cache
echo "beta 2.0" >deps.txt
git commit -qam "new deps" || exit 1
sum2=$(checksum deps.txt)
[ "$sum2" != "$sum1" ] || fail "the test's two lock files have one checksum"
run run --workflow build
expect_code 0
n=$(last_run)
contains "restored cache v1-deps-$sum1 from key v1-deps- (a prefix; the newest of 1)"
contains "Deps] deps from cache: alpha 1.0"
contains "Saving cache] saved cache v1-deps-$sum2"
contains "Use] built from beta 2.0"
lacks "Use] built from alpha"
contains "restored cache v1-keys-main-keys-$sha2-"
contains "from key v1-keys- (a prefix; the newest of 2)"
contains "build #$n passed"
[ -n "$store" ] && has_cache "$store" "v1-deps-$sum2"
nothing_left "changed lock file"

# 4: once more, the output into a slow pipe: the newest of two caches
echo "gamma 3.0" >deps.txt
git commit -qam "newer deps" || exit 1
sum3=$(checksum deps.txt)
"$drydock" run --workflow build 2>&1 | (sleep 2; cat) >piped.log
code=${PIPESTATUS[0]}
out=$(cat piped.log)
expect_code 0
contains "restored cache v1-deps-$sum2 from key v1-deps- (a prefix; the newest of 2)"
contains "saved cache v1-deps-$sum3"
contains "Use] built from gamma 3.0"
contains "build #$(last_run) passed"
nothing_left "slow pipe"

# XDG_CACHE_HOME moves the store: nothing there yet
out=$(XDG_CACHE_HOME=$scratch/xdg "$drydock" run --workflow build --job deps --only 2>&1)
code=$?
expect_code 0
contains "no cache found for keys: v1-deps-$sum3, v1-deps-: nothing restored"
contains "Deps] built deps: gamma 3.0"
contains "saved cache v1-deps-$sum3"
hstore=$store
store_of "$scratch/xdg/drydock/caches" && has_cache "$store" "v1-deps-$sum3"
store=$hstore
nothing_left "XDG_CACHE_HOME"

# two cold runs at once on one store: both pass, one cache of the key stays, nothing temporary
XDG_CACHE_HOME=$scratch/both "$drydock" run --workflow build --job deps --only >both1.log 2>&1 &
first=$!
XDG_CACHE_HOME=$scratch/both "$drydock" run --workflow build --job deps --only >both2.log 2>&1 &
second=$!
wait "$first"; code1=$?
wait "$second"; code2=$?
[ "$code1" -eq 0 ] && [ "$code2" -eq 0 ] || fail "two runs at once: exits $code1 and $code2: $(cat both1.log both2.log)"
hstore=$store
if store_of "$scratch/both/drydock/caches"; then
  has_cache "$store" "v1-deps-$sum3"
  [ "$(grep -lxF -- "v1-deps-$sum3" "$store"/*.key | wc -l)" -eq 1 ] || fail "two runs at once left two caches of one key"
  [ "$(find "$store" -type f | wc -l)" -eq 2 ] || fail "two runs at once left more than one cache: $(ls -a "$store")"
  zstd -tq "${store}"/*.tar.zst || fail "the cache two runs at once wrote is not a whole zstd archive"
fi
store=$hstore
nothing_left "two runs at once"
[ -z "$(find "$scratch/both" -name '*.partial-*')" ] || fail "two runs at once left temporary files"

# one file persisted by two jobs beside each other: their dependant cannot attach it
run run --workflow clash
expect_code 1
contains "cannot be attached"
printf '%s\n' "$out" | grep -F "cannot be attached" | grep -F "same.txt" | grep -F "left" | grep -qF "right" ||
  fail "no 'cannot be attached' line naming same.txt, left and right: $out"
lacks "Merged] merged"
nothing_left "clash"

# one requires the other: the downstream job's file wins, through a job in between
run run --workflow ordered
expect_code 0
contains "Second] second saw from-first"
contains "Third] x is from-second, y is only-first"
lacks "Third] x is from-first"
lacks "cannot be attached"
contains "build #$(last_run) passed"
nothing_left "ordered"

# an unknown template: an error at its line, before a number is taken
line=$(grep -n 'key: v1-deps-{{ checksum' .circleci/config.yml | cut -d: -f1)
sed -i "${line}s/checksum/checksun/" .circleci/config.yml
grep -q 'checksun' .circleci/config.yml || fail "the test's sed did not make the mistake"
records=$(ls .git/drydock/runs | wc -l)
run validate
expect_code 2
contains ".circleci/config.yml:$line:"
run run --workflow build
expect_code 2
contains ".circleci/config.yml:$line:"
[ "$(ls .git/drydock/runs | wc -l)" -eq "$records" ] || fail "a config with an unknown template took a build number"
git checkout -q .circleci/config.yml
nothing_left "unknown template"

# setup_remote_docker mounts the engine's socket; add_ssh_keys says what it does not do
run run --workflow remote
expect_code 0
contains "warning: setup_remote_docker: job 'remote' reaches this machine's Docker engine"
contains "warning: add_ssh_keys: drydock adds no keys and does not forward your SSH agent"
contains "Remote] the engine's socket is here"
nothing_left "remote docker"

# an interrupt while a cache is written: no partial archive, no temporary file, no container
"$drydock" run --workflow big >big.log 2>&1 &
pid=$!
wait_for 60 grep -q "Saving cache\] \\$" big.log || fail "the big cache's save never started: $(cat big.log)"
kill -INT "$pid"
wait "$pid"
code=$?
out=$(cat big.log)
[ "$code" -eq 130 ] || fail "an interrupted run exited $code, expected 130: $out"
lacks "saved cache v1-big-"
for key in "$store"/*.key; do # the key may be written, never its archive
  grep -q '^v1-big-' "$key" && [ -e "${key%.key}.tar.zst" ] && fail "an interrupted save left a cache: $(cat "$key")"
done
nothing_left "interrupted save"

finish "circle2 caches: restore_cache (exact, prefix, none), save_cache (immutable, templates, paths), workspaces (requires, clash, downstream wins), bad templates, an interrupted save"

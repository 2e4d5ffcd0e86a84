#!/usr/bin/env bash
# dependencies.cache_directories with --fresh: a directory of the checkout
# is restored before the dependencies phase and saved after it, so the
# next fresh checkout starts with it; per branch, a new branch starting
# from main's; never over a directory that is
# there already; nothing cached on a plain run (the directory stays in
# place); two runs at once leave one valid archive and no partial file, also
# when they save at the same moment; an interrupted save leaves no partial
# file.
set -u
drydock=$1
source "$(dirname "$0")/harness.sh"

export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
git init -q -b main repo && cd repo || exit 1
cat >circle.yml <<'YAML'
dependencies:
  cache_directories:
    - vendor
    - "odd name's dir"
  override:
    - if [ -f vendor/lib.txt ]; then echo "vendor from cache $(cat vendor/lib.txt)"; else mkdir -p vendor && echo v1 >vendor/lib.txt && echo "vendor fetched"; fi
    - mkdir -p "odd name's dir" && echo x >>"odd name's dir/log" && echo "odd lines $(wc -l <"odd name's dir/log")"
test:
  override:
    - echo tested
YAML
git add -A && git commit -qm one
cache_root="$HOME/.cache/drydock/directories"
archives() { find "$cache_root" -name '*.tar.gz' 2>/dev/null | wc -l; }
partials() { find "$cache_root" -name '*.partial.*' 2>/dev/null | wc -l; }

# a plain run: the directories stay where they are, nothing is cached
out=$("$drydock" run circle.yml 2>&1); code=$?
[ "$code" -eq 0 ] || fail "plain run: exit $code: $out"
lacks "$out" "cache:restore"
[ "$(archives)" -eq 0 ] || fail "a plain run cached something"
rm -rf vendor "odd name's dir"

# first fresh run: nothing saved yet, then saved
out=$("$drydock" run --fresh circle.yml 2>&1); code=$?
[ "$code" -eq 0 ] || fail "first fresh run: exit $code: $out"
contains "$out" "[cache:restore] cache vendor: nothing saved yet"
contains "$out" "vendor fetched"
contains "$out" "[cache:save] cache vendor: saved"
contains "$out" "[cache:save] cache odd name's dir: saved"
[ "$(archives)" -eq 2 ] || fail "expected 2 archives, found $(archives)"

# second fresh run: a new checkout, restored from the cache
out=$("$drydock" run --fresh circle.yml 2>&1); code=$?
[ "$code" -eq 0 ] || fail "second fresh run: exit $code: $out"
contains "$out" "[cache:restore] cache vendor: restored"
contains "$out" "vendor from cache v1"
contains "$out" "odd lines 2"

# per branch, as CircleCI kept them: a new branch starts from main's, then has its own
git checkout -qb feature
out=$("$drydock" run --fresh circle.yml 2>&1); code=$?
[ "$code" -eq 0 ] || fail "first feature run: exit $code: $out"
contains "$out" "[cache:restore] cache vendor: restored (branch-main)"
[ "$(archives)" -eq 4 ] || fail "the feature branch did not save its own archives: $(archives)"
out=$("$drydock" run --fresh circle.yml 2>&1); code=$?
contains "$out" "[cache:restore] cache vendor: restored (branch-feature)"
git checkout -q main

# a dry run shows the steps
out=$("$drydock" run --fresh --dry-run circle.yml 2>&1); code=$?
contains "$out" "restore the cached vendor, odd name's dir"

# with --with-changes a directory that is there already is kept as it is
mkdir -p vendor && echo local >vendor/lib.txt && git add vendor && git commit -qm vendored
out=$("$drydock" run --fresh circle.yml 2>&1); code=$?
[ "$code" -eq 0 ] || fail "vendored run: exit $code: $out"
contains "$out" "[cache:restore] cache vendor: already there, kept as it is"
contains "$out" "vendor from cache local"
git rm -rq vendor && git commit -qm unvendored

# Two `run --fresh CONFIG` at once; their output in a.log and b.log, their exits in code_a and code_b.
two_at_once() {
  "$drydock" run --fresh "$1" >a.log 2>&1 &
  local a=$!
  "$drydock" run --fresh "$1" >b.log 2>&1 &
  local b=$!
  wait "$a"; code_a=$?
  wait "$b"; code_b=$?
}

# two runs at once on one cache: both pass, the archives stay valid, nothing partial
two_at_once circle.yml
[ "$code_a" -eq 0 ] && [ "$code_b" -eq 0 ] || fail "concurrent runs: exits $code_a $code_b: $(cat a.log b.log)"
[ "$(archives)" -eq 4 ] || fail "concurrent runs: expected 4 archives (2 per branch), found $(archives)"
[ "$(partials)" -eq 0 ] || fail "concurrent runs left partial files"
for archive in $(find "$cache_root" -name '*.tar.gz'); do
  tar -tzf "$archive" >/dev/null 2>&1 || fail "an archive is not a valid tar.gz after concurrent saves: $archive"
done

# two runs saving the same branch's cache at the same moment: both wait at
# a barrier at the end of dependencies, so their cache:save steps start
# together; both save, one valid archive per directory remains, nothing partial
cat >barrier.yml <<'YAML'
dependencies:
  cache_directories: [vendor, "odd name's dir"]
  override:
    - mkdir -p vendor "odd name's dir" && head -c 3000000 /dev/urandom >vendor/blob
    - echo "$$" >vendor/writer; touch "$HOME/barrier-$$"; for _ in $(seq 1 400); do [ "$(ls "$HOME"/barrier-* | wc -l)" -ge 2 ] && break; sleep 0.05; done
test:
  override: [echo tested]
YAML
git add barrier.yml && git commit -qm barrier
before=$(archives)
two_at_once barrier.yml
[ "$code_a" -eq 0 ] && [ "$code_b" -eq 0 ] || fail "concurrent saves: exits $code_a $code_b: $(cat a.log b.log)"
[ "$(cat a.log b.log | grep -c '\[cache:save\] cache vendor: saved')" -eq 2 ] \
  || fail "concurrent saves: not both saved: $(cat a.log b.log)"
[ "$(archives)" -eq $((before + 2)) ] || fail "concurrent saves: expected $((before + 2)) archives, found $(archives)"
[ "$(partials)" -eq 0 ] || fail "concurrent saves left partial files: $(find "$cache_root" -name '*.partial.*')"
vendor_archive=$(find "$cache_root" -name '*.tar.gz' -newer barrier.yml -exec sh -c 'tar -tzf "$1" 2>/dev/null | grep -q blob && echo "$1"' _ {} \;)
[ "$(echo "$vendor_archive" | wc -l)" -eq 1 ] || fail "concurrent saves: not one vendor archive: $vendor_archive"
writer=$(tar -xzOf "$vendor_archive" ./writer 2>/dev/null)
[ -n "$writer" ] && [ -e "$HOME/barrier-$writer" ] || fail "concurrent saves: the archive is not one run's whole directory"
[ "$(ls "$HOME"/barrier-* | wc -l)" -eq 2 ] || fail "concurrent saves: the runs did not meet at the barrier"
rm -f "$HOME"/barrier-*

# an interrupt while saving leaves no partial file
cat >>circle.yml <<YAML
    - mkdir -p vendor/big && head -c 200000000 /dev/zero >vendor/big/zeros # $marker
YAML
git commit -qam big
"$drydock" run --fresh circle.yml >big.log 2>&1 &
pid=$!
for _ in $(seq 1 200); do grep -q "\[cache:save\] \\$" big.log && break; sleep 0.05; done
kill -INT "$pid"; wait "$pid"; code=$?
[ "$code" -eq 130 ] || [ "$code" -eq 0 ] || fail "interrupted save: exit $code: $(cat big.log)"
[ "$(partials)" -eq 0 ] || fail "an interrupted save left a partial file: $(find "$cache_root" -name '*.partial.*')"

# a stop that falls between mktemp making the temporary file and the shell
# learning its name (mktemp stopped before it prints) leaves no partial file
mkdir -p "$HOME/fakebin"
cat >"$HOME/fakebin/mktemp" <<'SH'
#!/bin/sh
made=$(/usr/bin/mktemp "$@") || exit 1
case "$*" in *.partial.*) kill -TERM 0; sleep 5 ;; esac
echo "$made"
SH
chmod +x "$HOME/fakebin/mktemp"
out=$(PATH="$HOME/fakebin:$PATH" "$drydock" run --fresh circle.yml 2>&1); code=$?
[ "$code" -ne 0 ] || fail "a save stopped in mktemp passed: $out"
[ "$(partials)" -eq 0 ] || fail "a save stopped in mktemp left a partial file: $(find "$cache_root" -name '*.partial.*')"
finish "cache_directories: fresh restore and save, kept when present, none on a plain run, concurrent runs, interrupted save, a stop inside mktemp"

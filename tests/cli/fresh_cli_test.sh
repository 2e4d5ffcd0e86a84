#!/usr/bin/env bash
# drydock run --fresh on a real git repository: the commit alone (no
# untracked files, no local edits), --with-changes, --keep, the dirty-tree
# warning, the branch and build counter of the work tree, and no checkout
# left behind by a finished, interrupted or killed run.
set -u
drydock=$1
source "$(dirname "$0")/harness.sh"

export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
git init -q -b feature repo && cd repo || exit 1
mkdir -p ci
cat >ci/circle.yml <<'YAML'
test:
  override:
    - echo "sha=$CIRCLE_SHA1 branch=$CIRCLE_BRANCH num=$CIRCLE_BUILD_NUM pwd=$PWD"
    - echo "tracked=$(cat ../tracked.txt)"
    - if [ -e ../untracked.txt ]; then echo "untracked present"; else echo "untracked absent"; fi
YAML
echo committed >tracked.txt
git add -A && git commit -qm one
sha=$(git rev-parse HEAD)
echo edited >tracked.txt
echo junk >untracked.txt
checkouts() { ls -d "$scratch"/drydock-checkout-* 2>/dev/null | wc -l; }

# Without --fresh the build sees the work tree, and says so once.
out=$("$drydock" run ci/circle.yml 2>&1); code=$?
[ "$code" -eq 0 ] || fail "plain run: exit $code: $out"
contains "$out" "drydock: warning: the build sees uncommitted and untracked files (1 changed, 1 untracked); --fresh builds the commit alone"
contains "$out" "tracked=edited"
contains "$out" "untracked present"

# --fresh: the commit alone, for the work tree's branch, with its counter.
out=$("$drydock" run --fresh ci/circle.yml 2>&1); code=$?
[ "$code" -eq 0 ] || fail "--fresh: exit $code: $out"
contains "$out" "drydock: building ${sha:0:12} in a fresh checkout"
contains "$out" "sha=$sha branch=feature num=2 pwd=$scratch/drydock-checkout-"
contains "$out" "tracked=committed"
contains "$out" "untracked absent"
lacks "$out" "warning: the build sees"
[ "$(checkouts)" -eq 0 ] || fail "--fresh left its checkout: $(ls -d "$scratch"/drydock-checkout-*)"
[ "$(cat .git/drydock/build_num)" = 2 ] || fail "the work tree's counter did not move on"

# --with-changes: tracked edits come along, untracked files never.
out=$("$drydock" run --fresh --with-changes ci/circle.yml 2>&1); code=$?
[ "$code" -eq 0 ] || fail "--with-changes: exit $code: $out"
contains "$out" "with the uncommitted changes of tracked files"
contains "$out" "tracked=edited"
contains "$out" "untracked absent"

# --keep leaves it and says where; the options need --fresh.
out=$("$drydock" run --fresh --keep ci/circle.yml 2>&1); code=$?
[ "$code" -eq 0 ] || fail "--keep: exit $code: $out"
kept=$(printf '%s\n' "$out" | sed -n 's/^drydock: kept the checkout at //p')
[ -n "$kept" ] && [ -e "$kept/ci/circle.yml" ] || fail "--keep: no checkout at '$kept': $out"
rm -rf "$(dirname "$kept")"
out=$("$drydock" run --keep ci/circle.yml 2>&1); code=$?
[ "$code" -eq 2 ] || fail "--keep without --fresh: exit $code"
contains "$out" "drydock: --keep needs --fresh"

# A failing build and an interrupted one remove the checkout too.
cat >>ci/circle.yml <<'YAML'
    - sleep 30 # drydock-cli-marker
YAML
sed -i "s/drydock-cli-marker/$marker/" ci/circle.yml
git commit -qam slow
"$drydock" run --fresh ci/circle.yml >slow.log 2>&1 &
run=$!
for _ in $(seq 1 100); do grep -q "sleep 30" slow.log && break; sleep 0.1; done
[ "$(checkouts)" -eq 1 ] || fail "no checkout while the fresh run runs"
kill -INT "$run"; wait "$run"; code=$?
[ "$code" -eq 130 ] || fail "interrupted --fresh: exit $code: $(cat slow.log)"
[ "$(checkouts)" -eq 0 ] || fail "an interrupted --fresh left its checkout"

# kill -9 leaves it; drydock clean finds it once its owner is gone.
"$drydock" run --fresh ci/circle.yml >killed.log 2>&1 &
run=$!
for _ in $(seq 1 100); do grep -q "sleep 30" killed.log && break; sleep 0.1; done
kill -9 "$run"; wait "$run" 2>/dev/null
pkill -f "$marker"
left=$(ls -d "$scratch"/drydock-checkout-* 2>/dev/null)
[ -n "$left" ] || fail "kill -9 left no checkout to clean (test is wrong)"
out=$("$drydock" clean 2>&1)
contains "$out" "removed checkout $left"
[ "$(checkouts)" -eq 0 ] || fail "clean left the checkout of a killed run"

# Outside git, --fresh is a usage error that says why.
mkdir "$scratch/plain" && cp ci/circle.yml "$scratch/plain/"
out=$("$drydock" run --fresh "$scratch/plain/circle.yml" 2>&1); code=$?
[ "$code" -eq 2 ] || fail "--fresh outside git: exit $code"
contains "$out" "drydock: --fresh: --fresh needs a git work tree with a commit"

finish "fresh CLI: all checks passed"

#!/usr/bin/env bash
# [ci skip] and [skip ci] in HEAD's commit message, title or body, on a real
# git repository: `run` skips the build with its reason and exits 0 (also
# with -n and --fresh, and whatever --env says), `plan` says it would be
# skipped and why, and a commit without it builds.
set -u
drydock=$1
source "$(dirname "$0")/harness.sh"
expect_exit() {
  local want=$1; shift
  out=$("$@" 2>"$scratch/stderr"); local got=$?
  err=$(cat "$scratch/stderr")
  [ "$got" -eq "$want" ] || fail "'$*' exited $got, expected $want; stderr: $err"
}

export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
git init -q -b master repo && cd repo || exit 1
cat >circle.yml <<'YAML'
test:
  override:
    - echo "built $CIRCLE_SHA1"; touch "$HOME/ran"
YAML
git add circle.yml && git commit -qm "Add the build"
ran() { [ -e "$HOME/ran" ]; }

# A commit without the marker builds, and plan says why it runs.
expect_exit 0 "$drydock" plan
contains "$out" "commit: build runs (the commit message holds no [ci skip] or [skip ci])"
contains "$out" "test.override[0]"
expect_exit 0 "$drydock" run
ran || fail "a commit without [ci skip] did not build: $out"
contains "$out" "built $(git rev-parse HEAD)"
rm -f "$HOME/ran"

# [ci skip] in the body: run skips with the reason, as a branch filter does.
git commit -q --allow-empty -m "Update the docs" -m "Nothing to build here. [ci skip]"
sha=$(git rev-parse HEAD)
reason="the commit message of ${sha:0:12} holds [ci skip]"
outputs() { ls -d "$scratch"/drydock-artifacts.* "$scratch"/drydock-test-reports.* 2>/dev/null | wc -l; }
before=$(outputs)
expect_exit 0 "$drydock" run
[ "$out" = "drydock: build skipped: $reason" ] || fail "run of a [ci skip] commit printed: $out"
ran && fail "a [ci skip] commit built"
[ "$(outputs)" -eq "$before" ] || fail "a skipped build left its empty artifacts directories"
expect_exit 0 "$drydock" run -n
[ "$out" = "drydock: build skipped: $reason" ] || fail "dry run of a [ci skip] commit printed: $out"
expect_exit 0 "$drydock" run --fresh
contains "$out" "drydock: build skipped: $reason"
ran && fail "--fresh built a [ci skip] commit"
# --env changes the variables, not the commit: no way around it there
expect_exit 0 "$drydock" run --env CIRCLE_SHA1=0000000000000000000000000000000000000000
contains "$out" "drydock: build skipped: $reason"
ran && fail "--env CIRCLE_SHA1 built a [ci skip] commit"

# plan says the build would be skipped, why, and lists no steps.
expect_exit 0 "$drydock" plan
contains "$out" "commit: build skipped ($reason)"
lacks "$out" "test.override[0]"
expect_exit 0 "$drydock" plan --format json
echo "$out" | jq -e --arg reason "$reason" '.commit == {"runs": false, "reason": $reason} and .steps == []
  and .branches.runs == true' >/dev/null || fail "plan json of a [ci skip] commit: $out"

# [skip ci] in the title skips too.
git commit -q --amend --allow-empty -m "[skip ci] Fix a typo"
expect_exit 0 "$drydock" run
contains "$out" "drydock: build skipped: the commit message of $(git rev-parse --short=12 HEAD) holds [skip ci]"
ran && fail "a [skip ci] commit built"

# To build it anyway: a commit without the marker on top (or amend the message).
git commit -q --allow-empty -m "Build the docs fix"
expect_exit 0 "$drydock" run
ran || fail "the commit on top of a [skip ci] commit did not build: $out"
rm -f "$HOME/ran"
git reset -q --hard HEAD~1
git commit -q --amend --allow-empty -m "Fix a typo"
expect_exit 0 "$drydock" run
ran || fail "the amended commit did not build: $out"

finish "skip CLI: all checks passed"

#!/usr/bin/env bash
# CircleCI 2.x scheduled workflows end to end, on the host (machine jobs):
# validate checks the triggers where they are written; plan and run leave a
# scheduled workflow out of a push build, saying why; `run --workflow NAME`
# runs it on a branch a schedule runs on, and says why not on another
# branch, a detached HEAD or a tag.
# Usage: schedule_cli_test.sh PATH/TO/drydock
set -u
drydock=$(realpath "$1")
source "$(dirname "$0")/harness.sh"

mkdir -p project/.circleci && cd project || exit 1
git init -q -b main .
cat >.circleci/config.yml <<'YAML'
version: 2.1
jobs:
  quick:
    machine: true
    steps: [{run: echo "quick on $CIRCLE_BRANCH"}]
  slow:
    machine: true
    steps: [{run: echo "slow on $CIRCLE_BRANCH"}]
workflows:
  commit:
    jobs: [quick]
  nightly:
    triggers:
      - schedule:
          cron: "0 3 * * 1-5"
          filters: {branches: {only: [main, /release-.*/]}}
    jobs:
      - slow
YAML
commit() { git add -A && git -c user.email=ci@example.invalid -c user.name=ci commit -qm "$1"; }
commit "scheduled"

out=$("$drydock" validate 2>&1); code=$?
[ "$code" = 0 ] || fail "validate: exit $code: $out"
out=$("$drydock" plan 2>&1); code=$?
[ "$code" = 0 ] || fail "plan: exit $code: $out"
contains "$out" "nightly/slow"
contains "$out" "does not run: workflow 'nightly' runs on a schedule (cron \"0 3 * * 1-5\"), not for a push: --workflow nightly runs it now"
out=$("$drydock" plan --format json 2>&1); code=$?
[ "$code" = 0 ] || fail "plan --format json: exit $code: $out"
[ "$(echo "$out" | jq -r '.jobs[] | select(.name == "nightly/slow") | .runs')" = false ] ||
  fail "the json plan runs the scheduled job: $out"

out=$("$drydock" run 2>&1); code=$?
[ "$code" = 0 ] || fail "a push build: exit $code: $out"
contains "$out" "quick on main"
lacks "$out" "slow on"
contains "$out" "drydock: job 'nightly/slow' does not run: workflow 'nightly' runs on a schedule"

out=$("$drydock" run --workflow nightly 2>&1); code=$?
[ "$code" = 0 ] || fail "the schedule run now: exit $code: $out"
contains "$out" "slow on main"
lacks "$out" "quick on"

git checkout -q -b release-2 && out=$("$drydock" run --workflow nightly 2>&1); code=$?
[ "$code" = 0 ] || fail "on a release branch: exit $code: $out"
contains "$out" "slow on release-2"

git checkout -q -b feature && out=$("$drydock" run --workflow nightly 2>&1); code=$?
[ "$code" = 0 ] || fail "on a branch the schedule leaves out: exit $code: $out"
lacks "$out" "slow on"
contains "$out" "workflow 'nightly' is not scheduled on this branch: branch 'feature' matches no branches.only"

git checkout -q --detach && out=$("$drydock" run --workflow nightly 2>&1); code=$?
[ "$code" = 0 ] || fail "a detached HEAD: exit $code: $out"
lacks "$out" "slow on"
contains "$out" "workflow 'nightly' runs on a schedule, on branches: this build has none"
out=$("$drydock" run --workflow nightly --env CIRCLE_BRANCH=main 2>&1); code=$?
[ "$code" = 0 ] || fail "a detached HEAD named main: exit $code: $out"
contains "$out" "slow on main"

git checkout -q main
sed -i 's/cron: "0 3 \* \* 1-5"/cron: "0 3 * 1-5"/' .circleci/config.yml
out=$("$drydock" validate 2>&1); code=$?
[ "$code" = 2 ] || fail "a broken cron: exit $code: $out"
contains "$out" ".circleci/config.yml:15:17: error: 'workflows.nightly.triggers[0].schedule.cron': '0 3 * 1-5' has 4 fields"

finish "schedule CLI tests passed"

#!/usr/bin/env bash
# CircleCI 2.1 reuse end to end on the real engine: tests/circle2/reuse's
# config (executors with parameters, commands with typed and steps
# parameters, one job run twice with different arguments, a matrix, pre- and
# post-steps, when/unless steps, pipeline values and parameters, a
# workflow switched on by --param, behind an approval) validates, plans and runs green on the
# web app; a mistake in it is an error at its file:line:col before
# anything runs; nothing is left on the engine.
# Needs what .ci/engine provides (drydock-base:bookworm, drydock-postgres:15).
# Usage: circle2_reuse_test.sh PATH/TO/drydock
set -u
drydock=$(realpath "$1")
here=$(realpath "$(dirname "$0")/..")
source "$(dirname "$0")/harness.sh"
all_of_runs() { docker ps -aq --filter label=io.drydock.run | wc -l; }
cleanup_more() { docker ps -aq --filter label=io.drydock.job-container=true | xargs -r docker rm -f >/dev/null 2>&1; }
for image in drydock-base:bookworm drydock-postgres:15; do
  docker image inspect "$image" >/dev/null 2>&1 || { echo "FAIL: no $image image; run .ci/engine"; exit 1; }
done

export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
cp -r "$here/circle2/webapp" repo && cd repo || exit 1
cp "$here/circle2/reuse/config.yml" .circleci/config.yml
git init -q -b main && git add -A && git commit -qm "the web app, 2.1" || exit 1
sha=$(git rev-parse HEAD)

run validate
expect_code 0
contains ".circleci/config.yml: valid"

# plan: each workflow entry its own job; the deploy workflow off by default, with why
run plan
expect_code 0
contains "build-test/test-quiet"
contains "build-test/test-verbose: echo \"before the verbose tests\""
contains "ship/deploy          does not run: workflow 'ship' does not run: its when: does not hold"
contains "build-test/test-quiet: Wait for db:5432 127.0.0.1:6380"
contains "build-test/lint-compile"
contains "build-test/lint-syntax"
contains "build-test/summary: Wait for the required jobs"
lacks "<<"

# run: the workflow green, each instance with its own arguments
run run
expect_code 0
contains "hello from build on main (pipeline 1) APP_ENV=test SHARED=from-job"
contains "[build-test/test-verbose: echo \"before the verbose tests\"] before the verbose tests"
contains "[build-test/test-verbose: echo \"verbose report for unittest\"] verbose report for unittest"
contains "[build-test/test-quiet: echo \"quiet run\"] quiet run"
contains "[build-test/test-verbose: echo \"after the verbose tests\"] after the verbose tests"
contains "start unittest"
contains "end unittest"
contains "test_notes_go_to_postgres"
contains "[build-test/lint-syntax: echo \"lint by syntax\"] lint by syntax"
contains "[build-test/summary: echo \"all checks done\"] all checks done"
case "$out" in *"[build-test/test-quiet: echo \"verbose"*) fail "the quiet instance ran the verbose step";; esac
case "$out" in *"[build-test/test-verbose: echo \"quiet run\"]"*) fail "the verbose instance ran the unless step";; esac
lacks "deploying"
contains "build #1 passed"
[ "$(all_of_runs)" -eq 0 ] || fail "containers left after the run"

# --param switches the deploy workflow on; pipeline values are this build's
run run --param run-deploy=true --param greeting=hi --workflow ship
expect_code 0
contains "job 'hold' does not run: on hold: approve it with --approve hold"
contains "job 'deploy' does not run: it waits for the approval of 'hold' (--approve hold)"
lacks "deploying"
run run --param run-deploy=true --workflow ship --approve hold
expect_code 0
contains "[hold: Approval] ok"
contains "deploying $sha"
contains "build #3 passed"
run run --workflow ship --approve hodl
expect_code 2
contains "drydock: --approve hodl: no approval job of that name (approval jobs: hold)"
run run --param run-deploy=true --workflow build-test --job build
expect_code 0
contains "hello from build on main (pipeline 4)"

# --param mistakes: at the config's parameters, before a number is taken
run plan --param run-deploi=true
expect_code 2
contains ".circleci/config.yml:8:1: error: --param run-deploi: the config declares no pipeline parameter 'run-deploi'; did you mean 'run-deploy'?"
run run --param run-deploy=maybe
expect_code 2
contains ".circleci/config.yml:9:3: error: parameter 'run-deploy' of the pipeline must be true or false, got 'maybe'"
run run --param greeting
expect_code 2
contains "drydock: --param greeting: expected NAME=VALUE"
[ ! -d .git/drydock/runs/5 ] || fail "a refused --param or --approve took a build number"

# mistakes in the reuse: every one at once, where it is written
sed -i -e 's/services: db:5432 /service: db:5432 /' -e 's/executor: python$/executor: pyton/' \
  -e 's/verbose: true/verbose: loud/' .circleci/config.yml
run validate
expect_code 2
contains "'service' is not a parameter of command 'wait-for'; did you mean 'services'?"
contains "command 'wait-for' needs parameter 'services' (it has no default)"
contains "job 'build' uses an unknown executor 'pyton'; did you mean 'python'?"
contains "parameter 'verbose' of job 'test' must be true or false, got 'loud'"
[ "$(all_of_runs)" -eq 0 ] || fail "containers left"
finish "circle2 reuse: executors, commands, parameters, instances, pre/post-steps, when/unless, pipeline values, --param"

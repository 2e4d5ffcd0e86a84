#!/usr/bin/env bash
# CircleCI 2.x end to end on the real engine: tests/circle2/webapp's
# .circleci/config.yml (a primary image, Postgres and a Redis-like cache
# on its localhost, a machine job, a requires DAG) validates, plans and
# runs green from a git repository with no file named; a failing job
# skips what requires it (its `when: always` steps too) while the others
# go on; --job and --only pick jobs; an image the engine lacks is one clear
# error; an interrupt stops the step in its job container; hostile job
# names are only names; and nothing is left on the engine after any run.
# Needs what .ci/engine provides: a running engine, drydock-base:bookworm
# and drydock-postgres:15.
# Usage: circle2_test.sh PATH/TO/drydock
set -u
drydock=$(realpath "$1")
webapp=$(realpath "$(dirname "$0")/../circle2/webapp")
source "$(dirname "$0")/harness.sh"
job_containers() { docker ps -aq --filter label=io.drydock.job-container=true | wc -l; }
all_of_runs() { docker ps -aq --filter label=io.drydock.run | wc -l; }
cleanup_more() { docker ps -aq --filter label=io.drydock.job-container=true | xargs -r docker rm -f >/dev/null 2>&1; }
nothing_left() {
  [ "$(all_of_runs)" -eq 0 ] || fail "$1: containers left: $(docker ps -a --filter label=io.drydock.run --format '{{.Names}}')"
  compgen -G "$scratch/drydock-checkout-*" >/dev/null && fail "$1: a checkout's clone left"
  return 0
}
for image in drydock-base:bookworm drydock-postgres:15; do
  docker image inspect "$image" >/dev/null 2>&1 || { echo "FAIL: no $image image; run .ci/engine"; exit 1; }
done
[ "$(all_of_runs)" -eq 0 ] || { echo "FAIL: containers of another run exist already"; exit 1; }

export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
cp -r "$webapp" repo && cd repo || exit 1
git init -q -b main && git add -A && git commit -qm "the web app" || exit 1
sha=$(git rev-parse HEAD)
echo "not committed" >untracked.txt

# validate and plan read .circleci/config.yml when no file is named
run validate
expect_code 0
contains ".circleci/config.yml: valid"
run plan
expect_code 0
contains "test: Spin up environment"
contains "drydock-base:bookworm and 2 sidecar(s)"
contains "deploy: Spin up environment"
run plan --format json
expect_code 0
contains '"kind": "container"'
contains '"runs_in": "container j2"'

# the workflow, green: services on the job container's localhost, the
# commit (with .git, without untracked files) in ~/webapp
run run
expect_code 0
contains "checkout has .git"
contains "job=build dir=~/webapp pwd=/root/webapp env=test cache=\$HOME/.cache/pip"
contains "up: db:5432"
contains "test_cache_answers_on_localhost (test_store.StoreTest.test_cache_answers_on_localhost) ... ok"
contains "db says webapp_test as webapp"
contains "tests finished"
contains "[test: Uploading test results] stored /root/webapp/test-results in "
contains "[test: Uploading artifacts] stored /tmp/reports in "
record=.git/drydock/runs/1
grep -q 'testcase classname="StoreTest" name="test_notes_go_to_postgres"' "$record/test-results/test/unittest/unittest.xml" ||
  fail "the job's test results are not in the record: $(find "$record" -name '*.xml')"
[ "$(cat "$record/artifacts/test/reports/summary.txt" 2>/dev/null)" = "tests finished" ] ||
  fail "the job's artifacts are not in the record: $(find "$record/artifacts")"
grep -q 'test_notes_go_to_postgres' "$record/junit.xml" || fail "the record's junit.xml lacks the job's results"
contains "lint ok in repo"
contains "deploying ${sha:0:7} from main"
contains "build #1 passed"
nothing_left "green workflow"

# a failing job: its later steps are skipped but `when: always`; what
# requires it does not run at all; an independent job still runs
cat >failing.yml <<'YAML'
version: 2
jobs:
  broken:
    docker: [{image: drydock-base:bookworm}]
    steps:
      - run: echo before; exit 3
      - run: echo never after the failure
      - run: {name: collect, command: echo collected after the failure, when: always}
      - run: {name: on failure, command: echo noticed the failure, when: on_fail}
  downstream:
    docker: [{image: drydock-base:bookworm}]
    steps:
      - run: {name: downstream always, command: echo downstream ran, when: always}
  "we'ird $(touch pwned) job":
    machine: true
    steps:
      - run: echo "independent job ran"
  on-machine-after:
    machine: true
    steps:
      - run: {name: machine always, command: echo machine dependant ran, when: always}
workflows:
  main:
    jobs:
      - broken
      - downstream: {requires: [broken]}
      - "we'ird $(touch pwned) job"
      - on-machine-after: {requires: [broken]}
YAML
run run failing.yml
expect_code 1
contains "broken: echo before; exit 3"
contains "exit 3"
lacks "] never after the failure"
contains "collected after the failure"
contains "noticed the failure"
lacks "downstream ran"
lacks "machine dependant ran"
contains "independent job ran"
[ -e pwned ] && fail "a job's name reached a shell"
nothing_left "failing workflow"

# --job takes what the job requires; --only the job alone
run run --job test
expect_code 0
contains "[build: Compile]"
contains "db says webapp_test as webapp"
lacks "[deploy:"
lacks "[lint:"
run run --job deploy --only
expect_code 0
contains "deploying ${sha:0:7} from main"
lacks "[test:"
records=$(ls .git/drydock/runs | wc -l)
run run --job nosuch
expect_code 2
[ "$(ls .git/drydock/runs | wc -l)" -eq "$records" ] || fail "a mistyped --job took a build number"
contains "drydock: --job nosuch: no workflow has a job of that name"
run run --only
expect_code 2
contains "drydock: --only goes with --job NAME"
run run --container drydock-base:bookworm
expect_code 2
contains "drydock: --container is for circle.yml 1.0: a 2.x job names its own images"
nothing_left "selected jobs"

# an image the engine does not have: one clear error, nothing left
cat >missing.yml <<YAML
version: 2
jobs:
  build:
    docker: [{image: "drydock-it-missing-$tag:none"}]
    steps: [{run: echo never}]
YAML
run run missing.yml
expect_code 1
contains "the job container: the engine has no image drydock-it-missing-$tag:none (drydock never pulls"
lacks "] never"
nothing_left "missing image"

# an interrupt stops the step in its job container and removes the containers
cat >slow.yml <<'YAML'
version: 2
jobs:
  build:
    docker: [{image: drydock-base:bookworm}, {image: drydock-postgres:15}]
    steps: [{run: echo started; sleep 100; echo never}]
YAML
"$drydock" run slow.yml >slow.log 2>&1 &
pid=$!
wait_for 20 grep -qs "] started" slow.log || fail "the slow step never started: $(cat slow.log)"
kill -INT "$pid"
wait "$pid"
code=$?
[ "$code" -eq 130 ] || fail "interrupted run: exit $code: $(cat slow.log)"
grep -q "] never$" slow.log && fail "the step went on after the interrupt"
nothing_left "interrupted run"

# kill -9 leaves the job container and its sidecar; drydock clean removes them
rm -f slow.log
"$drydock" run slow.yml >slow.log 2>&1 &
pid=$!
wait_for 20 grep -qs "] started" slow.log || fail "the slow step never started: $(cat slow.log)"
kill -9 "$pid"
wait "$pid" 2>/dev/null
[ "$(job_containers)" -eq 1 ] || fail "after kill -9: $(job_containers) job containers, expected the one of the run"
[ "$(all_of_runs)" -eq 2 ] || fail "after kill -9: $(all_of_runs) containers of the run, expected the job's two"
run clean
expect_code 0
nothing_left "clean after kill -9"

# filters: branches by name and /regex/ (whole names), and CircleCI's tag
# rule: a tag build runs only jobs whose filters have tags, and what they require
cat >filtered.yml <<'YAML'
version: 2.1
jobs:
  test: {machine: true, steps: [{run: echo testing}]}
  docs: {machine: true, steps: [{run: echo docs}]}
  release: {machine: true, steps: [{run: echo releasing}]}
workflows:
  main:
    jobs:
      - test: {filters: {tags: {only: /.*/}}}
      - docs: {filters: {branches: {ignore: /feature-.*/}}}
      - release:
          requires: [test]
          filters:
            branches: {ignore: /.*/}
            tags:
              only: /^v[0-9]+(\.[0-9]+)*$/
YAML
run plan filtered.yml --env CIRCLE_BRANCH=feature-x
expect_code 0
contains "test: echo testing"
lacks "docs: echo docs"
contains "does not run: branch 'feature-x' matches branches.ignore /feature-.*/"
contains "does not run: branch 'feature-x' matches branches.ignore /.*/"
run plan filtered.yml --env CIRCLE_TAG=v1.2
expect_code 0
contains "release: echo releasing"
contains "runs: tag 'v1.2' matches tags.only /^v[0-9]+(\.[0-9]+)*$/"
contains "does not run: a build of tag 'v1.2': CircleCI runs a job for a tag only when its filters have tags"
run run filtered.yml --env CIRCLE_TAG=nightly
expect_code 0
contains "testing"
contains "drydock: job 'release' does not run: tag 'nightly' matches no tags.only"
lacks "releasing"

# a job cannot lead a store step out of the record: the links it makes do not
# come along, so a later step cannot write through one
mkdir -p "$scratch/outside"
cat >links.yml <<YAML
version: 2
jobs:
  build:
    docker: [{image: drydock-base:bookworm}]
    steps:
      - run: mkdir -p out && echo data > out/data.txt && ln -s /etc out/etc && ln -s $scratch/outside out/link
      - store_artifacts: {path: out}
      - run: mkdir -p more && echo planted > more/planted.txt
      - store_artifacts: {path: more, destination: out/link}
workflows:
  main: {jobs: [build]}
YAML
run run links.yml
expect_code 0
contains "(without its 2 symbolic link(s))"
record=.git/drydock/runs/$(ls .git/drydock/runs | sort -n | tail -1)
[ "$(cat "$record/artifacts/build/out/data.txt" 2>/dev/null)" = data ] || fail "the artifact was not stored"
[ -e "$scratch/outside/planted.txt" ] && fail "a store step wrote through a link the job made"
[ -L "$record/artifacts/build/out/etc" ] && fail "a link the job made is in the record"

# every job filtered out: the build is skipped, as a 1.0 branch filter skips it
run run filtered.yml --env CIRCLE_BRANCH=feature-y --job docs --only
expect_code 0
contains "drydock: build skipped: no job runs for this build (their filters)"
nothing_left "filters and links"

# a bad config: every error at once, with file:line:col
cat >bad.yml <<'YAML'
version: 2.1
jobs:
  build:
    docker: [{image: drydock-base:bookworm}]
    steps:
      - chekout
      - run: {command: make, when: sometimes}
workflows:
  main:
    jobs: [biuld]
YAML
run validate bad.yml
expect_code 2
contains "bad.yml:6:9: error: unknown step 'chekout' in 'jobs.build.steps[0]'; did you mean 'checkout'?"
contains "bad.yml:7:36: error: 'jobs.build.steps[1].run.when' must be on_success, on_fail or always, got 'sometimes'"
contains "bad.yml:10:12: error: workflow 'main' runs an unknown job 'biuld'; did you mean 'build'?"

finish "circle2: a 2.x workflow validated, planned and ran on the engine; failures, selection, interrupts and bad configs behave"

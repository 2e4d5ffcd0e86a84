#!/usr/bin/env bash
# CircleCI 2.1 orbs on the real engine: tests/circle2/orbs's config runs a
# registry orb's executor, commands and parallel job (and the orb that orb
# imports) from a local orb cache, and an inline orb's executor and steps
# command, green end to end; the job names of orbs (unit:0, unit:1 of
# acme/pytest's test) keep their records apart, and no container is left;
# a setup config's docker job continues the pipeline from its container.
# Needs what .ci/engine provides (drydock-base:bookworm).
# Usage: circle2_orbs_test.sh PATH/TO/drydock
set -u
drydock=$(realpath "$1")
here=$(realpath "$(dirname "$0")/..")
source "$(dirname "$0")/harness.sh"
all_of_runs() { docker ps -aq --filter label=io.drydock.run | wc -l; }
cleanup_more() { docker ps -aq --filter label=io.drydock.job-container=true | xargs -r docker rm -f >/dev/null 2>&1; }
docker image inspect drydock-base:bookworm >/dev/null 2>&1 || { echo "FAIL: no drydock-base:bookworm; run .ci/engine"; exit 1; }

# The user's orb cache, as `drydock orb fetch` (or `circleci orb source`) leaves it.
mkdir -p "$HOME/.cache/drydock/orbs" project/.circleci
cp -r "$here/circle2/orbs/orb-cache/." "$HOME/.cache/drydock/orbs/"
cd project || exit 1
cp "$here/circle2/orbs/config.yml" .circleci/config.yml
git init -q && git add -A && git -c user.email=ci@example.invalid -c user.name=ci commit -qm orbs

run validate
expect_code 0
run plan
expect_code 0
contains "unit:0"
contains "unit:1"
contains "node 1 of 2"

run run
expect_code 0
contains "== prepare =="
contains "would pip install pytest==8 requests"
contains "== end prepare =="
contains "lint on python 3.11 as root"
contains "notify - tests start in unit"
contains "node 0 of 2 ran: tests/test_a.py tests/test_b.py"
contains "node 1 of 2 ran: tests/test_c.py tests/test_d.py"
contains "after the orb's steps"
contains "build #1 passed"
for node in 0 1; do
  [ -s ".git/drydock/runs/1/test-results/unit_$node/junit.xml" ] || fail "node $node's test results were not kept"
done
[ "$(all_of_runs)" -eq 0 ] || fail "containers left after the run: $(docker ps -a --filter label=io.drydock.run --format '{{.Names}}')"

# Without the cache, the run stops before anything starts, at the orb.
rm -rf "$HOME/.cache/drydock/orbs/acme/notify@0.3.1.yml"
run run
expect_code 2
contains ".circleci/config.yml:9:11: error: orb 'pytest/notify' (acme/notify@0.3.1) is not in the local orb cache"
[ "$(all_of_runs)" -eq 0 ] || fail "a run without its orbs started containers"

# setup: true with a docker job: the continuation comes out of its container, and runs next.
cd .. && mkdir -p dynamic/.circleci && cd dynamic || exit 1
cat >.circleci/config.yml <<'YAML'
version: 2.1
setup: true
orbs:
  continuation: circleci/continuation@1.0.0
jobs:
  generate:
    docker: [{image: drydock-base:bookworm, user: nobody}]
    working_directory: /tmp/work
    steps:
      - checkout
      - run: sed 's/PLACEHOLDER/generated in the container/' .circleci/template.yml > /tmp/next.yml
      - continuation/continue:
          configuration_path: /tmp/next.yml
          parameters: '{"who": "setup"}'
workflows:
  setup:
    jobs: [generate]
YAML
cat >.circleci/template.yml <<'YAML'
version: 2.1
parameters:
  who: {type: string, default: nobody}
jobs:
  build:
    docker: [{image: drydock-base:bookworm}]
    steps:
      - run: echo "PLACEHOLDER, continued for << pipeline.parameters.who >>"
workflows:
  main:
    jobs: [build]
YAML
git init -q && git add -A && git -c user.email=ci@example.invalid -c user.name=ci commit -qm dynamic
run run
expect_code 0
contains "Handing over the continuation"
contains "the setup workflow continues with"
contains "generated in the container, continued for setup"
contains "build #2 passed"
[ "$(all_of_runs)" -eq 0 ] || fail "containers left after a continued run: $(docker ps -a --filter label=io.drydock.run --format '{{.Names}}')"

finish "circle2 orbs: ok"

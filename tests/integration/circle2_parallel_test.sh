#!/usr/bin/env bash
# CircleCI 2.x parallelism on the real engine: tests/circle2/parallel's
# docker job of 3 nodes (a user that is not root) splits its tests with the
# `circleci` stand-in drydock puts in each job container; the job behind it
# waits for every node and sees what each persisted; an interrupt while the
# nodes run removes every node's container.
# Needs what .ci/engine provides (drydock-base:bookworm).
# Usage: circle2_parallel_test.sh PATH/TO/drydock
set -u
drydock=$(realpath "$1")
here=$(realpath "$(dirname "$0")/..")
source "$(dirname "$0")/harness.sh"
all_of_runs() { docker ps -aq --filter label=io.drydock.run | wc -l; }
cleanup_more() { docker ps -aq --filter label=io.drydock.job-container=true | xargs -r docker rm -f >/dev/null 2>&1; }
docker image inspect drydock-base:bookworm >/dev/null 2>&1 || { echo "FAIL: no drydock-base:bookworm; run .ci/engine"; exit 1; }

mkdir -p project/.circleci && cd project || exit 1
cp "$here/circle2/parallel/config.yml" .circleci/config.yml

run validate
expect_code 0
run plan
expect_code 0
contains "unit:0"
contains "unit:2"

run run
expect_code 0
# by file size, largest first to the lightest node: 900 | 500, 100 | 400, 300
contains "node 0 of 3 as nobody: tests/models/big_test.py"
contains "node 1 of 3 as nobody: tests/models/least_test.py tests/views/mid_test.py"
contains "node 2 of 3 as nobody: tests/tiny_test.py tests/views/small_test.py"
contains "-rwxr-xr-x 1 root root"
contains "all 5 tests ran once over 3 nodes"
contains "build #1 passed"
[ "$(all_of_runs)" -eq 0 ] || fail "containers left after the run: $(docker ps -a --filter label=io.drydock.run --format '{{.Names}}')"

# an interrupt while the three nodes run removes all three containers
cat >slow.yml <<'YAML'
version: 2
jobs:
  build:
    docker: [{image: drydock-base:bookworm}]
    parallelism: 3
    steps: [{run: echo "started $CIRCLE_NODE_INDEX"; sleep 100; echo never}]
YAML
"$drydock" run -j 3 slow.yml >slow.log 2>&1 &
pid=$!
for node in 0 1 2; do
  wait_for 30 grep -qs "] started $node" slow.log || fail "node $node never started: $(cat slow.log)"
done
[ "$(all_of_runs)" -eq 3 ] || fail "3 nodes running: $(all_of_runs) containers"
kill -INT "$pid"
wait "$pid"
code=$?
[ "$code" -eq 130 ] || fail "interrupted run: exit $code: $(cat slow.log)"
grep -q "] never$" slow.log && fail "a node went on after the interrupt"
[ "$(all_of_runs)" -eq 0 ] || fail "containers left after the interrupt: $(docker ps -a --filter label=io.drydock.run --format '{{.Names}}')"

finish "circle2 parallel: ok"

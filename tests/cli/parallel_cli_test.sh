#!/usr/bin/env bash
# --parallelism N: a `parallel: true` test command runs as N nodes at once
# (each waits here until all N have started, so they must overlap), each
# with CIRCLE_NODE_INDEX and its share of the files; other commands run
# once with CIRCLE_NODE_TOTAL=N; a failing node fails the build; bad values
# are usage errors.
set -u
drydock=$1
source "$(dirname "$0")/harness.sh"

mkdir -p project/spec && cd project || exit 1
for i in 1 2 3 4 5 6 7; do : >"spec/t$i.rb"; done
cat >circle.yml <<'YAML'
dependencies:
  override:
    - echo "setup on $CIRCLE_NODE_INDEX of $CIRCLE_NODE_TOTAL"
test:
  override:
    - touch "started.$CIRCLE_NODE_INDEX"; for i in $(seq 1 100); do [ "$(ls started.* | wc -l)" -ge "$CIRCLE_NODE_TOTAL" ] && break; sleep 0.1; done; echo "node $CIRCLE_NODE_INDEX of $CIRCLE_NODE_TOTAL saw $(ls started.* | wc -l) nodes, files" :
        parallel: true
        files: [spec/*.rb]
    - echo "after the nodes on $CIRCLE_NODE_INDEX"
YAML
out=$("$drydock" run -j 4 --parallelism 3 circle.yml 2>&1); code=$?
[ "$code" -eq 0 ] || fail "exit $code: $out"
contains "$out" "[dependencies.override[0]] setup on 0 of 3"
contains "$out" "[test.override[0]:0] node 0 of 3 saw 3 nodes, files spec/t1.rb spec/t4.rb spec/t7.rb"
contains "$out" "[test.override[0]:1] node 1 of 3 saw 3 nodes, files spec/t2.rb spec/t5.rb"
contains "$out" "[test.override[0]:2] node 2 of 3 saw 3 nodes, files spec/t3.rb spec/t6.rb"
contains "$out" "[test.override[1]] after the nodes on 0"

# one failing node fails the build; the others still run (test phase)
rm -f started.*
cat >failing.yml <<'YAML'
test:
  override:
    - '[ "$CIRCLE_NODE_INDEX" != 1 ]':
        parallel: true
YAML
out=$("$drydock" run --parallelism 2 failing.yml 2>&1); code=$?
[ "$code" -eq 1 ] || fail "failing node: exit $code: $out"
contains "$out" "test.override[0]:0  test          ok"
contains "$out" "test.override[0]:1  test          failed"

out=$("$drydock" run --parallelism 0 circle.yml 2>&1); code=$?
[ "$code" -eq 2 ] || fail "--parallelism 0: exit $code: $out"
out=$("$drydock" plan --parallelism x circle.yml 2>&1); code=$?
[ "$code" -eq 2 ] || fail "--parallelism x: exit $code: $out"
finish "--parallelism: nodes at once, index, files split, once for the rest, a failing node, bad values"

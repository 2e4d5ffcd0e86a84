#!/usr/bin/env bash
# general.artifacts: each path copied into $CIRCLE_ARTIFACTS by one step
# after all the others, whatever they did (a failure that stopped the build
# included, an interrupt not); paths relative to the build directory or
# under ~; a missing one is said, not a failure; names with quotes and
# spaces survive.
set -u
drydock=$1
source "$(dirname "$0")/harness.sh"

mkdir -p project && cd project || exit 1
cat >circle.yml <<'YAML'
compile:
  override:
    - echo built > out.txt && mkdir -p ~/reports "odd dir" && echo r > ~/reports/r.txt && echo q > "odd dir/it's.txt"
    - exit 4
    - echo never ran
general:
  artifacts:
    - out.txt
    - ~/reports
    - odd dir/it's.txt
    - not-there
YAML
out=$("$drydock" run circle.yml 2>&1); code=$?
[ "$code" -eq 1 ] || fail "failing build: exit $code: $out"
contains "$out" "[artifacts] artifact out.txt: stored"
contains "$out" "[artifacts] artifact ~/reports: stored"
contains "$out" "[artifacts] artifact odd dir/it's.txt: stored"
contains "$out" "[artifacts] artifact not-there: not found"
contains "$out" "artifacts            artifacts     ok"
contains "$out" "not started: 'compile.override[1]' failed"
lacks "$out" "] never ran"
dir=$(printf '%s\n' "$out" | sed -n 's/^artifacts: *//p')
[ -d "$dir" ] || fail "no artifacts directory in the summary: $out"
[ "$(cat "$dir/out.txt" 2>/dev/null)" = built ] || fail "out.txt not stored in $dir"
[ "$(cat "$dir/reports/r.txt" 2>/dev/null)" = r ] || fail "~/reports not stored in $dir"
[ "$(cat "$dir/it's.txt" 2>/dev/null)" = q ] || fail "odd dir/it's.txt not stored in $dir"

# plan shows the step, waiting for the last one
out=$("$drydock" plan circle.yml 2>&1); code=$?
[ "$code" -eq 0 ] || fail "plan: exit $code: $out"
contains "$out" "artifacts            artifacts     compile.override[2]       copy into \$CIRCLE_ARTIFACTS: out.txt"

# an interrupt stops the build without the copy
cat >slow.yml <<YAML
test:
  override:
    - echo started; sleep 30 # $marker
general:
  artifacts: [slow.yml]
YAML
"$drydock" run slow.yml >slow.log 2>&1 &
pid=$!
for _ in $(seq 1 100); do grep -q "] started" slow.log && break; sleep 0.1; done
kill -INT "$pid"; wait "$pid"; code=$?
[ "$code" -eq 130 ] || fail "interrupted: exit $code: $(cat slow.log)"
grep -q "artifacts         artifacts     skipped           -  not started: interrupted" slow.log \
  || fail "the artifacts step ran or was not reported after an interrupt: $(cat slow.log)"
finish "general.artifacts: stored after a stopped build, relative, ~, odd names, missing, plan, not after an interrupt"

#!/usr/bin/env bash
# CircleCI 1.0's inferred commands: plan lists what CircleCI would have run
# for phases without override (from the repository's files), run says it
# does not run them, and --infer runs them where override would be (here
# with a stand-in npm on PATH: the tool is not what is tested).
set -u
drydock=$1
source "$(dirname "$0")/harness.sh"

mkdir -p project bin && cd project || exit 1
printf '#!/bin/sh\necho "npm ran: $*"\n' >../bin/npm && chmod +x ../bin/npm
export PATH="$scratch/bin:$PATH"
echo '{"name": "app", "scripts": {"test": "mocha"}}' >package.json
cat >circle.yml <<'YAML'
dependencies:
  pre:
    - echo "before the inferred"
  post:
    - echo "after the inferred"
YAML

out=$("$drydock" plan circle.yml 2>&1); code=$?
[ "$code" -eq 0 ] || fail "plan: exit $code: $out"
contains "$out" "inferred by CircleCI, not run (--infer runs them):
  dependencies         npm install (from package.json)
  test                 npm test (from package.json)"
lacks "$out" "dependencies.inferred"
out=$("$drydock" plan --format json circle.yml 2>&1)
contains "$out" '"inferred": {'
contains "$out" '"dependencies": "npm install (from package.json)"'

out=$("$drydock" run circle.yml 2>&1); code=$?
[ "$code" -eq 0 ] || fail "run: exit $code: $out"
contains "$out" "drydock: CircleCI 1.0 would have inferred commands for dependencies, test (not run: --infer runs them, plan lists them)"
lacks "$out" "npm ran"

out=$("$drydock" run --infer circle.yml 2>&1); code=$?
[ "$code" -eq 0 ] || fail "run --infer: exit $code: $out"
contains "$out" "[dependencies.inferred[0]] npm ran: install"
contains "$out" "[test.inferred[0]] npm ran: test"
lacks "$out" "would have inferred"
first=$(printf '%s\n' "$out" | grep -n "before the inferred$" | head -1 | cut -d: -f1)
inferred=$(printf '%s\n' "$out" | grep -n "npm ran: install" | head -1 | cut -d: -f1)
after=$(printf '%s\n' "$out" | grep -n "after the inferred$" | head -1 | cut -d: -f1)
[ "$first" -lt "$inferred" ] && [ "$inferred" -lt "$after" ] || fail "the inferred command did not run between pre and post: $out"

# an override replaces the inferred commands: nothing to list or run
printf 'dependencies:\n  override:\n    - echo mine\ntest:\n  override:\n    - echo tests\n' >circle.yml
out=$("$drydock" plan circle.yml 2>&1)
lacks "$out" "inferred"
finish "inferred commands: plan lists them, run says so, --infer runs them in place, override replaces them"

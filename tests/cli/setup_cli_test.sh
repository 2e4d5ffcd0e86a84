#!/usr/bin/env bash
# CircleCI 2.1 dynamic configuration end to end, on the host (machine
# jobs): a `setup: true` config's job continues the pipeline through
# drydock's circleci/continuation (its command, and its job), and drydock
# runs the configuration handed over, with its parameters, as the next
# build; finish, no continuation, two continuations, a failed setup, bad
# parameters, a continued config that is a setup config itself and a
# continuation outside a setup config each end as a user would expect.
# Usage: setup_cli_test.sh PATH/TO/drydock
set -u
drydock=$(realpath "$1")
source "$(dirname "$0")/harness.sh"

mkdir -p project/.circleci && cd project || exit 1
git init -q .
cat >.circleci/continue.yml <<'YAML'
version: 2.1
parameters:
  target: {type: string, default: none}
  fast: {type: boolean, default: false}
  shards: {type: integer, default: 1}
jobs:
  build:
    machine: true
    steps:
      - run: echo "continued target=<< pipeline.parameters.target >> fast=<< pipeline.parameters.fast >> shards=<< pipeline.parameters.shards >> build=$CIRCLE_BUILD_NUM"
workflows:
  main:
    jobs: [build]
YAML
setup_config() { # $1: the steps of the setup job, indented for steps:
  cat >.circleci/config.yml <<YAML
version: 2.1
setup: true
orbs:
  continuation: circleci/continuation@1.0.0
jobs:
  generate:
    machine: true
    steps:
$1
workflows:
  setup:
    jobs: [generate]
YAML
}
commit() { git add -A && git -c user.email=ci@example.invalid -c user.name=ci commit -qm "$1"; }

# --- the command: the configuration runs next, with its parameters ----------------
setup_config '      - run: echo "setup with key=$CIRCLE_CONTINUATION_KEY"
      - continuation/continue:
          configuration_path: .circleci/continue.yml
          parameters: '"'"'{"target": "api", "fast": true, "shards": 3}'"'"''
commit "command"
out=$("$drydock" validate 2>&1); code=$?
[ "$code" = 0 ] || fail "validate a setup config: exit $code: $out"
out=$("$drydock" run 2>&1); code=$?
[ "$code" = 0 ] || fail "run a setup config: exit $code: $out"
contains "$out" "setup with key=drydock-build-1"
contains "$out" "circleci: the pipeline continues with .circleci/continue.yml once the setup workflow passed"
contains "$out" "build #1 passed"
contains "$out" "drydock: the setup workflow continues with $PWD/.git/drydock/runs/1/continuation/generate/configuration.yml (fast=true, shards=3, target=api)"
contains "$out" "continued target=api fast=true shards=3 build=2"
contains "$out" "build #2 passed"
cmp -s .circleci/continue.yml .git/drydock/runs/1/continuation/generate/configuration.yml ||
  fail "the configuration handed over is not the one continued with"

# --- the orb's job, its parameters from a file -------------------------------------
echo '{"target": "from-a-file"}' >params.json
cat >.circleci/config.yml <<'YAML'
version: 2.1
setup: true
orbs:
  continuation: circleci/continuation@1
workflows:
  setup:
    jobs:
      - continuation/continue:
          configuration_path: .circleci/continue.yml
          parameters: params.json
YAML
commit "job"
out=$("$drydock" run 2>&1); code=$?
[ "$code" = 0 ] || fail "run the orb's continue job: exit $code: $out"
contains "$out" "continued target=from-a-file fast=false shards=1 build=4"

# --- finish, no continuation, a failed setup: nothing runs next --------------------------
setup_config '      - continuation/finish'
commit "finish"
out=$("$drydock" run 2>&1); code=$?
[ "$code" = 0 ] || fail "finish: exit $code: $out"
contains "$out" "drydock: the setup workflow finished the pipeline (continuation/finish)"
lacks "$out" "continued target="
setup_config '      - run: echo nothing to continue'
commit "none"
out=$("$drydock" run 2>&1); code=$?
[ "$code" = 0 ] || fail "no continuation: exit $code: $out"
contains "$out" "drydock: the setup workflow passed without continuing the pipeline (continuation/continue): nothing runs next"
setup_config '      - continuation/continue: {configuration_path: .circleci/continue.yml}
      - run: exit 3'
commit "failed"
out=$("$drydock" run 2>&1); code=$?
[ "$code" = 1 ] || fail "a failed setup workflow: exit $code: $out"
lacks "$out" "continued target="
lacks "$out" "the setup workflow continues"
contains "$out" "drydock: the setup workflow did not pass: the configuration it continues with does not run"

# --- what is refused -----------------------------------------------------------------------
setup_config '      - continuation/continue:
          configuration_path: .circleci/continue.yml
          parameters: "[1, 2]"'
commit "bad parameters"
out=$("$drydock" run 2>&1); code=$?
[ "$code" = 1 ] || fail "parameters that are not a JSON object: exit $code: $out"
contains "$out" "circleci: continue: PARAMETERS aren't valid json: a JSON object, or a file of one"
setup_config '      - continuation/continue: {configuration_path: .circleci/no-such.yml}'
commit "no file"
out=$("$drydock" run 2>&1); code=$?
[ "$code" = 1 ] || fail "a configuration that is not there: exit $code: $out"
contains "$out" "circleci: continue: cannot read the configuration .circleci/no-such.yml"
cat >.circleci/config.yml <<'YAML'
version: 2.1
setup: true
orbs:
  continuation: circleci/continuation@1.0.0
jobs:
  one:
    machine: true
    steps: [{continuation/continue: {configuration_path: .circleci/continue.yml}}]
  two:
    machine: true
    steps: [{continuation/continue: {configuration_path: .circleci/continue.yml}}]
workflows:
  setup:
    jobs: [one, two]
YAML
commit "two"
out=$("$drydock" run 2>&1); code=$?
[ "$code" = 1 ] || fail "two continuations: exit $code: $out"
contains "$out" "jobs continued the pipeline ("
contains "$out" "): a pipeline continues once"
lacks "$out" "continued target="
cp .circleci/config.yml .circleci/again.yml
setup_config '      - continuation/continue: {configuration_path: .circleci/again.yml}'
sed -i 's/jobs: \[one, two\]/jobs: [one]/' .circleci/again.yml
commit "again"
out=$("$drydock" run 2>&1); code=$?
[ "$code" = 2 ] || fail "a continued setup config: exit $code: $out"
contains "$out" "the configuration a setup workflow continues with cannot be \`setup: true\` itself"
# Outside a setup config the job has no continuation key.
sed -i '/^setup: true$/d' .circleci/config.yml
commit "not setup"
out=$("$drydock" run 2>&1); code=$?
[ "$code" = 1 ] || fail "continue outside a setup config: exit $code: $out"
contains "$out" "circleci: continue: CIRCLE_CONTINUATION_KEY is required: only the jobs of a config with setup: true continue a pipeline"
# Nor does it get one from where drydock runs (drydock inside a CircleCI setup job).
out=$(CIRCLE_CONTINUATION_KEY=host-key DRYDOCK_CONTINUATION_DIR="$scratch/host" "$drydock" run 2>&1); code=$?
[ "$code" = 1 ] || fail "continue with the host's key: exit $code: $out"
contains "$out" "circleci: continue: CIRCLE_CONTINUATION_KEY is required"
[ ! -e "$scratch/host" ] || fail "the host's DRYDOCK_CONTINUATION_DIR was written to"
# Under --record-dir (the agent's runs) the continuation is said, not run.
setup_config '      - continuation/continue: {configuration_path: .circleci/continue.yml}'
commit "agent"
out=$("$drydock" run --build-number 40 --record-dir "$scratch/given" 2>&1); code=$?
[ "$code" = 1 ] || fail "a continuation under --record-dir: exit $code: $out"
contains "$out" "drydock does not run a continuation under --record-dir (the agent) yet"

finish "setup CLI tests passed"

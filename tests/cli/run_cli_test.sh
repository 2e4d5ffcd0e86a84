#!/usr/bin/env bash
# End-to-end checks of `drydock plan` and `drydock run`: exit codes, output
# modes, environment options, branch filters and signals.
# Usage: run_cli_test.sh PATH/TO/drydock
set -u
drydock=$1
source "$(dirname "$0")/harness.sh"
expect_exit() {
  local want=$1; shift
  out=$("$@" 2>"$scratch/stderr"); local got=$?
  err=$(cat "$scratch/stderr")
  [ "$got" -eq "$want" ] || fail "'$*' exited $got, expected $want; stderr: $err"
}

cat >circle.yml <<'YAML'
machine:
  environment:
    WHO: "world"
test:
  override:
    - echo "hello $WHO from ${CIRCLE_BRANCH:-nowhere}" > greeting.txt
    - cat greeting.txt
deployment:
  prod:
    branch: master
    commands: [touch deployed]
  staging:
    branch: /^dev-/
    commands: [echo staging]
YAML

# plan: text, json, dot; nothing runs
expect_exit 0 "$drydock" plan --env CIRCLE_BRANCH=dev-1
contains "$out" "prod                 does not run: branch 'dev-1' does not match 'master'"
contains "$out" "staging              runs: branch 'dev-1' matches /^dev-/"
contains "$out" "deployment.staging.commands[0]"
[ -e greeting.txt ] && fail "plan ran a step"
expect_exit 0 "$drydock" plan --format json --env CIRCLE_BRANCH=master
echo "$out" | jq -e '.branch == "master" and (.steps | length) == 3 and .deployment[0].runs == true
  and .steps[2].waits_for == ["test.override[1]"]' >/dev/null || fail "plan json: $out"
# ... and each step as the pipeline model has it: group, policy, action
echo "$out" | jq -e '.format == "circle.yml 1.0"
  and .steps[0].group == "test" and .steps[0].when == "always" and .steps[0].on_failure == "continue_build"
  and .steps[0].action.kind == "shell" and .steps[0].action.shell == ["bash", "-eo", "pipefail", "-c"]
  and .steps[0].container == null
  and .steps[2].group == "deployment" and .steps[2].when == "on_success" and .steps[2].on_failure == "stop_build"
  and .steps[2].action.script == "touch deployed"' >/dev/null || fail "plan json, the model: $out"
# ... where each step runs, its directory, the names of its variables (never their values), its files
cat >modifiers.yml <<'YAML'
test:
  override:
    - bundle exec rspec:
        pwd: api
        timeout: 240
        environment:
          API_TOKEN: s3cr3t-token-value
        files: ["spec/*_spec.rb"]
YAML
expect_exit 0 "$drydock" plan modifiers.yml
contains "$out" "build directory (\$build_dir): $(pwd -P)"
contains "$out" "bundle exec rspec
       dir \$build_dir/api; env API_TOKEN; files spec/*_spec.rb; no-output timeout 240 s"
lacks "$out" "s3cr3t-token-value"
lacks "$out" "build container"
expect_exit 0 "$drydock" plan modifiers.yml --format json
lacks "$out" "s3cr3t-token-value"
echo "$out" | jq -e --arg dir "$(pwd -P)" '.build_dir == $dir and .build_container == null
  and .steps[0].runs_in == "host" and .steps[0].workdir == "$build_dir/api"
  and .steps[0].env_names == ["API_TOKEN"] and .steps[0].files == ["spec/*_spec.rb"] and .steps[0].timeout == 240' \
  >/dev/null || fail "plan json, a step's details: $out"
expect_exit 0 "$drydock" plan modifiers.yml --container drydock-base:bookworm
contains "$out" "build container: drydock-base:bookworm (--container): host steps run in it, and ~ is its home"
expect_exit 0 "$drydock" plan modifiers.yml --container drydock-base:bookworm --format json
echo "$out" | jq -e '.build_container.image == "drydock-base:bookworm" and .steps[0].runs_in == "build container"' \
  >/dev/null || fail "plan json, the build container: $out"
expect_exit 0 "$drydock" plan --format dot
contains "$out" "digraph drydock {"
contains "$out" "\"test.override[0]\" -> \"test.override[1]\";"

# run: environment options, deployment on master
printf 'WHO="env file"\n' >vars.env
expect_exit 0 "$drydock" run --no-mask-env-file --env-file vars.env --env CIRCLE_BRANCH=master
contains "$out" "[test.override[1]] hello env file from master"
contains "$out" "build #1 passed"
# --env takes one value each time: a file named after it stays the file
expect_exit 0 "$drydock" run --no-mask-env-file --env-file vars.env --env CIRCLE_BRANCH=master circle.yml
contains "$out" "[test.override[1]] hello env file from master"
[ -e deployed ] || fail "deployment did not run on master"
rm -f deployed

# dry run: the order, nothing run
rm -f greeting.txt
expect_exit 0 "$drydock" run --dry-run --env CIRCLE_BRANCH=master
contains "$out" "[test.override[0]] would run echo"
contains "$out" "[deployment.prod.commands[0]] would run touch deployed"
[ -e greeting.txt ] && fail "--dry-run ran a step"

# failures: exit 1; --quiet shows only the failure and the verdict
cat >fail.yml <<'YAML'
test:
  override:
    - echo visible-line; echo failing-line; exit 3
    - echo second-step-output
YAML
expect_exit 1 "$drydock" run fail.yml
contains "$out" "[test.override[0]] failed (exit 3)"
contains "$out" "[test.override[1]] second-step-output"
expect_exit 1 "$drydock" run -q fail.yml
lacks "$out" "second-step-output"
contains "$out" "  | failing-line"
contains "$out" "failed in"

# branch filters skip the build with exit 0
printf 'general:\n  branches:\n    only: [master]\ntest:\n  override: [touch ran]\n' >only.yml
outputs() { ls -d "$scratch"/drydock-artifacts.* "$scratch"/drydock-test-reports.* 2>/dev/null | wc -l; }
before=$(outputs)
expect_exit 0 "$drydock" run only.yml --env CIRCLE_BRANCH=topic
contains "$out" "drydock: build skipped: branch 'topic' is not in general.branches.only ('master')"
[ -e ran ] && fail "a filtered build ran"
[ "$(outputs)" -eq "$before" ] || fail "a filtered build left its empty artifacts directories"

# a build is for a branch or a tag: a tagged branch is a branch build, a
# detached HEAD at the tag or --env CIRCLE_TAG a tag build with no branch
mkdir tagged && (cd tagged && git init -q -b master . && printf '%s\n' 'test:' '  override: [true]' 'deployment:' \
  '  prod:' '    branch: master' '    commands: [echo prod]' '  release:' '    tag: /^v[0-9]/' '    commands: [echo release]' \
  >circle.yml && git add circle.yml && git -c user.name=t -c user.email=t@t commit -q -m one && git tag v2.0.0) ||
  fail "could not make the tagged repository"
expect_exit 0 "$drydock" plan tagged/circle.yml
contains "$out" "for branch 'master' at"
contains "$out" "prod                 runs: branch 'master' matches 'master'"
expect_exit 0 "$drydock" plan tagged/circle.yml --format json
echo "$out" | jq -e '.branch == "master" and .tag == ""' >/dev/null || fail "tagged branch is not a branch build: $out"
expect_exit 0 "$drydock" plan tagged/circle.yml --env CIRCLE_TAG=v2.0.0
contains "$out" "for tag 'v2.0.0' at"
contains "$out" "prod                 does not run: the build has no branch"
contains "$out" "release              runs: tag 'v2.0.0' matches /^v[0-9]/"
git -C tagged checkout -q --detach v2.0.0
expect_exit 0 "$drydock" plan tagged/circle.yml
contains "$out" "for tag 'v2.0.0' at"
contains "$out" "release              runs: tag 'v2.0.0' matches /^v[0-9]/"
expect_exit 0 "$drydock" run tagged/circle.yml
contains "$out" "[deployment.release.commands[0]] release"
expect_exit 0 "$drydock" plan tagged/circle.yml --env CIRCLE_BRANCH=master
contains "$out" "prod                 runs: branch 'master' matches 'master'"
expect_exit 2 "$drydock" plan tagged/circle.yml --env CIRCLE_BRANCH=master --env CIRCLE_TAG=v2.0.0
[ "$err" = "drydock: CIRCLE_BRANCH ('master') and CIRCLE_TAG ('v2.0.0') are both set: a build is for a branch or for a tag; set one of them" ] ||
  fail "branch and tag overrides: $err"

# --env reaches machine.environment values derived from it
printf 'machine:\n  environment:\n    A: config\n    B: "${A}-derived"\ntest:\n  override: [echo "A=$A B=$B"]\n' >derived.yml
expect_exit 0 "$drydock" run derived.yml --env A=x
contains "$out" "A=x B=x-derived"

# config problems: exit 2, diagnostics on stderr
printf 'test:\n  override:\n    - a:\n        drydock: {id: a, requires: [b]}\n    - b:\n        drydock: {id: b}\n' >cycle.yml
expect_exit 2 "$drydock" run cycle.yml
contains "$err" "cycle.yml:3:7: error: dependency cycle: a (cycle.yml:3:7) -> b (cycle.yml:5:7) -> a (cycle.yml:3:7)"
# plan refuses what validate refuses: a cycle through a deployment section
# even on a branch that does not run it, with the text validate prints.
printf 'test:\n  override:\n    - a:\n        drydock: {id: a, requires: [d]}\ndeployment:\n  prod:\n    branch: master\n    commands:\n      - d:\n          drydock: {id: d}\n' >section_cycle.yml
expect_exit 2 "$drydock" plan section_cycle.yml --env CIRCLE_BRANCH=topic
validate_out=$("$drydock" validate section_cycle.yml)
[ "$err" = "$validate_out" ] || fail "plan and validate differ: $err / $validate_out"
contains "$err" "section_cycle.yml:3:7: error: dependency cycle: a (section_cycle.yml:3:7) -> d (section_cycle.yml:9:9)"
# warnings are shown by plan too, and do not stop it
printf 'machine:\n  xcode:\n    version: "9.0"\ntest:\n  override: [xcodebuild test]\n' >ios.yml
expect_exit 0 "$drydock" plan ios.yml
contains "$err" "ios.yml:3:5: warning: 'machine.xcode': drydock runs no Xcode; version 9.0 is not installed and the build runs without it"
# every 1.0 key drydock does not act on says so once, at its place, in plan and in run
printf 'machine:\n  services: [redis]\n  ruby: {version: 2.4.1}\nnotify:\n  webhooks:\n    - url: https://example.invalid/h\ntest:\n  override: [true]\n' >unused.yml
for command in plan run; do
  expect_exit 0 "$drydock" "$command" unused.yml
  for warning in "unused.yml:2:14: warning: 'machine.services[0]': drydock starts no system service 'redis'" \
    "unused.yml:3:9: warning: 'machine.ruby': drydock installs no language version; Ruby 2.4.1 is not installed" \
    "unused.yml:6:5: warning: 'notify.webhooks': drydock sends no notifications"; do
    [ "$(grep -cF "$warning" <<<"$err")" = 1 ] || fail "$command does not warn once: $warning: $err"
  done
done
printf 'tset:\n  override: [x]\n' >typo.yml
expect_exit 2 "$drydock" run typo.yml
contains "$err" "unknown key 'tset' at the top level; did you mean 'test'?"
expect_exit 2 "$drydock" run --env NOEQUALS
contains "$err" "--env: expected NAME=value, got 'NOEQUALS'"
expect_exit 2 "$drydock" run -j 0

# regex filters are RE2: a 100 KB branch name against /^(a|b)*$/ is matched, not a crash;
# \A and \z anchor the name
printf 'general:\n  branches:\n    only: ["/^(a|b)*$/", "/\\\\Amaster\\\\z/"]\ntest:\n  override: [echo hi]\n' >re2.yml
printf 'CIRCLE_BRANCH=%s\n' "$(head -c 102400 /dev/zero | tr '\0' a)" >long-branch.env
expect_exit 0 "$drydock" plan re2.yml --env-file long-branch.env
contains "$out" "passes general.branches"
expect_exit 0 "$drydock" plan re2.yml --env CIRCLE_BRANCH=master
contains "$out" "branch 'master' passes general.branches"
expect_exit 0 "$drydock" plan re2.yml --env CIRCLE_BRANCH=Amasterz
contains "$out" "branch 'Amasterz' is not in general.branches.only"

# Ctrl-C and SIGTERM: every process group is stopped, exit 130
printf 'test:\n  override:\n    - touch started; exec -a %s sleep 60\n    - touch never\n' "$marker" >slow.yml
for sig in INT TERM HUP; do
  rm -f started never
  "$drydock" run slow.yml >"$scratch/slow.out" 2>&1 &
  pid=$!
  for _ in $(seq 100); do [ -e started ] && break; sleep 0.05; done
  sleep 0.2
  kill -s "$sig" "$pid"
  wait "$pid"; code=$?
  [ "$code" -eq 130 ] || fail "SIG$sig: exit $code, expected 130"
  pgrep -f "$marker" >/dev/null && fail "SIG$sig left '$marker' running"
  [ -e never ] && fail "SIG$sig: a step started after the interrupt"
  contains "$(cat "$scratch/slow.out")" "build #"
  contains "$(cat "$scratch/slow.out")" "interrupted"
done

# A reader that goes away (drydock run | head -1) stops the build like an
# interrupt instead of killing drydock and orphaning the step.
# The step prints nothing more, so drydock must notice the reader leaving
# by itself; `timeout` only keeps a regression from hanging the suite.
rm -f started never
timeout 30 "$drydock" run slow.yml | head -1 >/dev/null
code=${PIPESTATUS[0]}
[ "$code" -eq 130 ] || fail "closed stdout: exit $code, expected 130"
pgrep -f "$marker" >/dev/null && fail "closed stdout left '$marker' running"
[ -e never ] && fail "closed stdout: a step started after the reader left"

finish "run CLI: all checks passed"

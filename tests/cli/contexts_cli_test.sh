#!/usr/bin/env bash
# CircleCI 2.x contexts end to end, on the host (machine jobs): a workflow
# entry's `context` gives its steps the variables of CONTEXTS/NAME.env,
# masked in everything drydock writes; a job that names no context sees
# none of them; a missing context stops a run before it starts (a plan
# warns); a file that does not parse is an error that names its line.
# Usage: contexts_cli_test.sh PATH/TO/drydock
set -u
drydock=$(realpath "$1")
source "$(dirname "$0")/harness.sh"

mkdir -p project/.circleci contexts "$HOME/.config/drydock/contexts"
cat >project/.circleci/config.yml <<'YAML'
version: 2.1
jobs:
  deploy:
    machine: true
    environment:
      REGION: from-the-job
    steps:
      - run: echo "token=$API_TOKEN user=$DEPLOY_USER region=$REGION job=$CIRCLE_JOB dollar=$LITERAL"
      - run: printf '%s|%s|%s' "$API_TOKEN" "$DEPLOY_USER" "$LITERAL" > seen.txt
  test:
    machine: true
    steps:
      - run: echo "test sees token=[${API_TOKEN:-}]"
workflows:
  main:
    jobs:
      - test
      - deploy:
          context: [org-global, aws]
          requires: [test]
YAML
printf '%s\n' '# shared by every project' 'API_TOKEN=tok-from-org' 'DEPLOY_USER=deployer' \
  'REGION=from-the-context' 'CIRCLE_JOB=not-this' >contexts/org-global.env
# a later context wins; $ is literal, as CircleCI's values are
printf '%s\n' 'API_TOKEN=s3cr3t-aws-token' "LITERAL='\$HOME-not-expanded'" >contexts/aws.env
cd project || exit 1

out=$("$drydock" validate 2>&1); code=$?
[ "$code" -eq 0 ] || fail "validate with contexts: exit $code: $out"

# a run: the deploy job gets both contexts, masked; the job's own environment and CIRCLE_JOB win
out=$("$drydock" run --contexts ../contexts 2>&1); code=$?
[ "$code" -eq 0 ] || fail "run with contexts: exit $code: $out"
contains "$out" "token=*** user=*** region=from-the-job job=deploy dollar=***" # every context value is a secret
contains "$out" "test sees token=[]"
lacks "$out" "s3cr3t-aws-token"
lacks "$out" "tok-from-org"
[ "$(cat seen.txt 2>/dev/null)" = 's3cr3t-aws-token|deployer|$HOME-not-expanded' ] ||
  fail "the step did not get the contexts' values: $(cat seen.txt 2>/dev/null)"
# nothing drydock wrote holds it: the record's logs, events, reports
if grep -rqs "s3cr3t-aws-token" "$HOME" --exclude=seen.txt --exclude-dir=contexts; then
  fail "a context's value was written outside the step: $(grep -rls "s3cr3t-aws-token" "$HOME" --exclude=seen.txt --exclude-dir=contexts)"
fi

# plan, in every format, names the variables, never their values
for format in text json dot; do
  out=$("$drydock" plan --contexts ../contexts --format "$format" 2>&1); code=$?
  [ "$code" -eq 0 ] || fail "plan --format $format: exit $code: $out"
  lacks "$out" "s3cr3t-aws-token"
  lacks "$out" "tok-from-org"
done
out=$("$drydock" plan --contexts ../contexts --format json 2>&1)
contains "$out" '"API_TOKEN"'

# the default folder: ~/.config/drydock/contexts, or under XDG_CONFIG_HOME
cp ../contexts/*.env "$HOME/.config/drydock/contexts/"
out=$("$drydock" run 2>&1); code=$?
[ "$code" -eq 0 ] || fail "run with the default contexts folder: exit $code: $out"
grep -q '|deployer|' seen.txt || fail "the default folder's context was not read: $(cat seen.txt)"
mkdir -p ../xdg/drydock/contexts
printf 'API_TOKEN=xdg-token-value\nDEPLOY_USER=xdg-user\n' >../xdg/drydock/contexts/org-global.env
printf 'LITERAL=x\n' >../xdg/drydock/contexts/aws.env
out=$(XDG_CONFIG_HOME=$(realpath ../xdg) "$drydock" run 2>&1); code=$?
[ "$code" -eq 0 ] || fail "run with XDG_CONFIG_HOME: exit $code: $out"
[ "$(cat seen.txt)" = 'xdg-token-value|xdg-user|x' ] || fail "XDG_CONFIG_HOME's contexts were not read: $(cat seen.txt)"
contains "$out" "drydock: warning: LITERAL is shorter than 4 characters and is not masked"

# a context with no file: the run stops before it takes a number; a plan warns
rm ../contexts/aws.env
out=$("$drydock" run --contexts ../contexts 2>&1); code=$?
[ "$code" -eq 2 ] || fail "run with a missing context: exit $code: $out"
contains "$out" ".circleci/config.yml:19:33: error: job 'deploy' needs the context 'aws', which has no file here: write its variables to $(realpath ../contexts)/aws.env (NAME=value lines), or name another folder with --contexts DIR"
lacks "$out" "token="
out=$("$drydock" plan --contexts ../contexts 2>&1); code=$?
[ "$code" -eq 0 ] || fail "plan with a missing context: exit $code: $out"
contains "$out" "19:33: warning: job 'deploy' needs the context 'aws'"
contains "$out" "; a run would stop here"
# ... but only for a job that runs: --job test needs no context
out=$("$drydock" run --contexts ../contexts --job test 2>&1); code=$?
[ "$code" -eq 0 ] || fail "run --job test with a missing context of deploy: exit $code: $out"
contains "$out" "build #4 passed" # the stopped run took no number

# a file that does not parse names its line; a hostile name is refused where it is written
printf 'API_TOKEN=ok\nnot an assignment\n' >../contexts/aws.env
out=$("$drydock" run --contexts ../contexts 2>&1); code=$?
[ "$code" -eq 2 ] || fail "run with a broken context file: exit $code: $out"
contains "$out" "drydock: context 'aws': $(realpath ../contexts)/aws.env: line 2: "
# a multi-line value is masked line by line; true and false are not masked, as on CircleCI
printf '%s\n' 'API_TOKEN="line-one-secret\nline-two-secret"' 'LITERAL=false' >../contexts/aws.env
out=$("$drydock" run --contexts ../contexts 2>&1); code=$?
[ "$code" -eq 0 ] || fail "run with a multi-line context value: exit $code: $out"
contains "$out" "build #5 passed" # nor did the one whose context file is broken
lacks "$out" "line-one-secret"
lacks "$out" "line-two-secret"
contains "$out" "dollar=false"
sed -i 's|context: \[org-global, aws\]|context: [org-global, ../../etc/passwd]|' .circleci/config.yml
out=$("$drydock" validate 2>&1); code=$?
[ "$code" -eq 2 ] || fail "validate with a context named ../../etc/passwd: exit $code: $out"
contains "$out" "19:33: error: 'workflows.main.jobs[1].deploy.context': the context name '../../etc/passwd' cannot name a file"

# --contexts is for 2.x
cd .. && printf 'test:\n  override:\n    - "true"\n' >circle.yml
out=$("$drydock" run --contexts contexts circle.yml 2>&1); code=$?
[ "$code" -eq 2 ] || fail "--contexts with circle.yml 1.0: exit $code: $out"
contains "$out" "drydock: --contexts is for CircleCI 2.x configs; circle.yml is circle.yml 1.0"

finish "contexts: ok"

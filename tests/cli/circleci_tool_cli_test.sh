#!/usr/bin/env bash
# CircleCI 2.x `parallelism` on the host and the `circleci` stand-in end to
# end: a machine job of 3 nodes splits its tests with `circleci tests glob
# | circleci tests split`, each node gets its share and every file runs
# once; then the stand-in the run wrote (record/tools/circleci) is driven
# directly through the cases a user hits: glob's **, braces, classes,
# absolute and literal names; split by name, by file size, --index and
# --total, timings without data and from the last passed run's stored test
# results; env subst; what it does not answer.
# Usage: circleci_tool_cli_test.sh PATH/TO/drydock
set -u
drydock=$(realpath "$1")
source "$(dirname "$0")/harness.sh"

mkdir -p project/.circleci project/tests/unit/deep project/tests/api && cd project || exit 1
printf '1' >tests/unit/a_test.sh                        # 1 byte
printf '%0100d' 0 >tests/unit/deep/b_test.sh            # 100 bytes
printf '%050d' 0 >tests/api/c_test.sh                   # 50 bytes
printf '%040d' 0 >tests/api/d_test.sh                   # 40 bytes
printf '%020d' 0 >tests/e_test.sh                       # 20 bytes
printf 'x' >tests/unit/notes.txt
cat >.circleci/config.yml <<'YAML'
version: 2.1
jobs:
  test:
    machine: true
    parallelism: 3
    steps:
      - run: |
          mine=$(circleci tests glob "tests/**/*_test.sh" | circleci tests split --split-by=filesize | tr '\n' ' ')
          echo "node $CIRCLE_NODE_INDEX/$CIRCLE_NODE_TOTAL of $CIRCLE_JOB runs: $mine"
          for f in $mine; do echo "$CIRCLE_NODE_INDEX $f" >> "ran-$CIRCLE_NODE_INDEX.txt"; done
  after:
    machine: true
    steps:
      - run: cat ran-*.txt | sort -k2 > ran.txt
workflows:
  main:
    jobs:
      - test
      - after: {requires: [test]}
YAML

out=$("$drydock" plan 2>&1); code=$?
[ "$code" -eq 0 ] || fail "plan of a parallel job: exit $code: $out"
contains "$out" "test:0"
contains "$out" "test:2"
out=$("$drydock" run 2>&1); code=$?
[ "$code" -eq 0 ] || fail "run of a parallel job: exit $code: $out"
# by file size, largest first to the lightest node: 100 | 50, 1 | 40, 20
contains "$out" "node 0/3 of test runs: tests/unit/deep/b_test.sh "
contains "$out" "node 1/3 of test runs: tests/api/c_test.sh tests/unit/a_test.sh "
contains "$out" "node 2/3 of test runs: tests/api/d_test.sh tests/e_test.sh "
[ "$(cut -d' ' -f2 ran.txt | tr '\n' ' ')" = "tests/api/c_test.sh tests/api/d_test.sh tests/e_test.sh tests/unit/a_test.sh tests/unit/deep/b_test.sh " ] ||
  fail "every test file once across the nodes: $(cat ran.txt)"
contains "$out" "build #1 passed"

tool=$(find "$HOME" -path '*/1/tools/circleci' | head -1)
[ -x "$tool" ] || { fail "no tools/circleci in the run's record"; finish "-"; }
circleci() { "$tool" "$@"; }

# glob: ** crosses folders, * and ? do not, braces and classes, literal regex characters, absolute patterns
[ "$(circleci tests glob 'tests/*_test.sh')" = "tests/e_test.sh" ] || fail "glob tests/*_test.sh: $(circleci tests glob 'tests/*_test.sh')"
[ "$(circleci tests glob 'tests/**/*.txt')" = "tests/unit/notes.txt" ] || fail "glob **/*.txt"
[ "$(circleci tests glob 'tests/api/?_test.sh' | wc -l)" -eq 2 ] || fail "glob ?"
[ "$(circleci tests glob 'tests/api/[c]_test.sh')" = "tests/api/c_test.sh" ] || fail "glob [c]"
[ "$(circleci tests glob 'tests/api/[!c]_test.sh')" = "tests/api/d_test.sh" ] || fail "glob [!c]"
[ "$(circleci tests glob 'tests/{api,unit}/*.{sh,txt}' | tr '\n' ' ')" = "tests/api/c_test.sh tests/api/d_test.sh tests/unit/a_test.sh tests/unit/notes.txt " ] ||
  fail "glob braces: $(circleci tests glob 'tests/{api,unit}/*.{sh,txt}')"
[ "$(circleci tests glob "$PWD/tests/api/c*")" = "$PWD/tests/api/c_test.sh" ] || fail "glob of an absolute pattern"
mkdir -p odd && : >'odd/a+b (1).py' && : >'odd/ab 1.py'
[ "$(circleci tests glob 'odd/a+b (1).py')" = "odd/a+b (1).py" ] || fail "regex characters in a name are literal"
[ "$(circleci tests glob 'odd/*$(touch pwned)*' "odd/'")" = "" ] || fail "a hostile pattern matched something"
[ ! -e pwned ] || fail "a pattern was run as a command"
[ -z "$(circleci tests glob 'nothing/**/*.py')" ] || fail "a glob of nothing prints nothing"
# what cannot be a wildcard is literal: a { without }, an empty class; a negated class never matches /
mkdir -p 'odd/{x' && : >'odd/{x/y.py'
[ "$(circleci tests glob 'odd/{x/*.py')" = "odd/{x/y.py" ] || fail "a { without } is literal: $(circleci tests glob 'odd/{x/*.py' 2>&1)"
[ -z "$(circleci tests glob 'odd/[]x' 2>&1)" ] || fail "an empty class: $(circleci tests glob 'odd/[]x' 2>&1)"
[ -z "$(circleci tests glob 'tests[!x]api/c_test.sh')" ] || fail "[!x] matched a /"
[ "$(circleci tests glob 'tests/api/[!d]_test.sh')" = "tests/api/c_test.sh" ] || fail "glob [!d]"
ln -s tests linked
[ "$(circleci tests glob 'linked/**/b_test.sh')" = "linked/unit/deep/b_test.sh" ] || fail "a symbolic link to a folder is searched"
out=$(circleci tests glob 2>&1); code=$?
[ "$code" -eq 2 ] || fail "glob without a pattern: exit $code"
contains "$out" "circleci: tests glob: give one or more patterns"

# split: by name, sorted, in runs of nearly equal length; --index/--total over the environment
names="e d c b a f g"
[ "$(echo "$names" | CIRCLE_NODE_INDEX=0 CIRCLE_NODE_TOTAL=3 "$tool" tests split | tr '\n' ' ')" = "a b c " ] || fail "split by name, node 0"
[ "$(echo "$names" | CIRCLE_NODE_INDEX=2 CIRCLE_NODE_TOTAL=3 "$tool" tests split | tr '\n' ' ')" = "f g " ] || fail "split by name, node 2"
[ "$(echo "$names" | CIRCLE_NODE_INDEX=0 CIRCLE_NODE_TOTAL=3 "$tool" tests split --index=1 --total=2 | tr '\n' ' ')" = "e f g " ] ||
  fail "split --index=1 --total=2: $(echo "$names" | "$tool" tests split --index=1 --total=2)"
printf 'b\na\n' >list.txt
[ "$(CIRCLE_NODE_INDEX=0 CIRCLE_NODE_TOTAL=1 "$tool" tests split list.txt | tr '\n' ' ')" = "a b " ] || fail "split of a file's names"
[ -z "$(printf '' | "$tool" tests split)" ] || fail "split of nothing prints nothing"
all=""
for node in 0 1 2 3 4; do # more nodes than names: each name once, some nodes none
  share=$(echo "a b c" | CIRCLE_NODE_INDEX=$node CIRCLE_NODE_TOTAL=5 "$tool" tests split)
  [ "$(printf '%s' "$share" | grep -c .)" -le 1 ] || fail "node $node of 5 got more than one of 3 names: $share"
  all="$all$share"
done
[ "$all" = "abc" ] || fail "3 names over 5 nodes: $all"
out=$(echo "b a" | CIRCLE_NODE_INDEX=1 CIRCLE_NODE_TOTAL=2 "$tool" tests split --split-by=timings 2>split.err); code=$?
[ "$code" -eq 0 ] || fail "split by timings without data: exit $code"
[ "$out" = "b" ] || fail "split by timings without data, node 1 of 2: '$out'"
contains "$(cat split.err)" "circleci: Error autodetecting timing type, falling back to weighting by name."
[ "$(echo "c b a" | "$tool" tests split --index 2 --total 3 --split-by name)" = "c" ] || fail "split's options with their values apart"
out=$(echo a | "$tool" tests split --total 2>&1); code=$?
[ "$code" -eq 2 ] || fail "split --total without a value: exit $code"
contains "$out" "circleci: tests split: --total needs a value"
out=$("$tool" tests split no-such-list.txt 2>&1); code=$?
[ "$code" -eq 2 ] || fail "split of a file that is not there: exit $code"
contains "$out" "circleci: tests split: cannot read no-such-list.txt"
out=$(echo a | "$tool" tests split --split-by=lines 2>&1); code=$?
[ "$code" -eq 2 ] || fail "split by an unknown kind: exit $code"
contains "$out" "circleci: tests split: --split-by is name, filesize or timings, not 'lines'"
out=$(echo a | "$tool" tests split --index=2 --total=2 2>&1); code=$?
[ "$code" -eq 2 ] || fail "split for node 2 of 2: exit $code"
out=$(echo a | "$tool" tests split --frobnicate 2>&1); code=$?
[ "$code" -eq 2 ] || fail "split with an unknown option: exit $code"
contains "$out" "circleci: tests split: unknown option --frobnicate"

# env subst: $NAME and ${NAME}; unset is empty; the rest stays
out=$(echo 'url=https://$HOST_NAME:${PORT}/x cost=5$ none=[$NOT_SET_ANYWHERE]' | HOST_NAME=db PORT=5432 "$tool" env subst)
[ "$out" = 'url=https://db:5432/x cost=5$ none=[]' ] || fail "env subst from stdin: $out"
[ "$(GREETING=hi "$tool" env subst 'say $GREETING')" = "say hi" ] || fail "env subst of an argument"

# what it does not answer goes to another circleci on the PATH (CircleCI's CLI), else is said
out=$(PATH=$(dirname "$tool"):/usr/bin:/bin "$tool" config validate 2>&1); code=$?
[ "$code" -eq 2 ] || fail "an unknown command: exit $code"
contains "$out" "circleci: drydock's stand-in answers: circleci tests glob PATTERN..."
mkdir -p real-cli && printf '#!/bin/sh\necho "the real CLI: $*"\n' >real-cli/circleci && chmod +x real-cli/circleci
out=$(PATH=$(dirname "$tool"):$PWD/real-cli:/usr/bin:/bin "$tool" config validate .circleci/config.yml 2>&1)
[ "$out" = "the real CLI: config validate .circleci/config.yml" ] || fail "an unknown command was not handed on: $out"
out=$("$tool" step halt 2>&1); code=$?
[ "$code" -eq 1 ] || fail "step halt outside a step: exit $code"
contains "$out" "circleci: step halt: this is not a step of a job drydock runs"

# step halt in a run: the job passes without its later steps (but its always ones); what requires it runs;
# a command that exits 187 on its own is a failure (exit 1), never a halt
cd .. && mkdir -p halting/.circleci && cd halting || exit 1
cat >.circleci/config.yml <<'YAML'
version: 2.1
jobs:
  maybe:
    machine: true
    steps:
      - run: echo "nothing to do"; circleci step halt; echo "the step itself ends"
      - run: echo "NOT AFTER A HALT"
      - run: {command: echo "NOR ALWAYS AFTER A HALT", when: always}
  fails:
    machine: true
    steps:
      - run: exit 187
  next:
    machine: true
    steps:
      - run: echo "after the halted job"
workflows:
  main:
    jobs: [maybe, fails, {next: {requires: [maybe]}}]
YAML
out=$("$drydock" run 2>&1); code=$?
[ "$code" -eq 1 ] || fail "a run with a halted job and a failed one: exit $code: $out"
contains "$out" "circleci: the job halts after this step, passed"
contains "$out" "the step itself ends"
lacks "$out" "] NOT AFTER A HALT"
lacks "$out" "] NOR ALWAYS AFTER A HALT"
contains "$out" "halted its job"
contains "$out" "] after the halted job"
contains "$out" "fails: exit 187 (exit 1)"

# split by timings: a run splits by the timings of the last passed run's stored test results
cd .. && mkdir -p timed/.circleci timed/t && cd timed || exit 1
touch t/a.sh t/b.sh t/c.sh t/d.sh
cat >.circleci/config.yml <<'YAML'
version: 2.1
jobs:
  timings: # what a test run's reporter would store
    machine: true
    steps:
      - run: |
          mkdir -p results
          {
            echo '<testsuites><testsuite name="t">'
            for f in a:1 b:2 c:3 d:10; do
              echo "<testcase classname=\"T\" name=\"${f%:*}\" file=\"./t/${f%:*}.sh\" time=\"${f#*:}\"/>"
            done
            echo '</testsuite></testsuites>'
          } > results/junit.xml
      - store_test_results: {path: results}
  split:
    machine: true
    parallelism: 2
    steps:
      - run: |
          echo "node $CIRCLE_NODE_INDEX runs: $(circleci tests glob "t/*.sh" | circleci tests split --split-by=timings | tr '\n' ' ')"
workflows:
  main:
    jobs: [timings, split]
YAML
git init -q . && git add -A && git -c user.email=ci@example.invalid -c user.name=ci commit -qm timed
out=$("$drydock" run 2>&1); code=$?
[ "$code" -eq 0 ] || fail "the first timed run: exit $code: $out"
contains "$out" "circleci: Error autodetecting timing type, falling back to weighting by name."
contains "$out" "node 0 runs: t/a.sh t/b.sh "
contains "$out" "node 1 runs: t/c.sh t/d.sh "
out=$("$drydock" run 2>&1); code=$?
[ "$code" -eq 0 ] || fail "the second timed run: exit $code: $out"
# heaviest first to the lightest node: d (10) | c (3), b (2), a (1)
contains "$out" "node 0 runs: t/d.sh "
contains "$out" "node 1 runs: t/a.sh t/b.sh t/c.sh "
lacks "$out" "falling back to weighting by name"
# A passed run that stored no test results in between: the timings come from the one before it.
printf 'version: 2.1\njobs:\n  build:\n    machine: true\n    steps: [{run: echo other}]\n' >other.yml
out=$("$drydock" run other.yml 2>&1); code=$?
[ "$code" -eq 0 ] || fail "a run that stores no test results: exit $code: $out"
out=$("$drydock" run 2>&1); code=$?
[ "$code" -eq 0 ] || fail "the timed run after it: exit $code: $out"
contains "$out" "node 0 runs: t/d.sh "
lacks "$out" "falling back to weighting by name"
timings=$(cat .git/drydock/runs/2/tools/.circleci-timings)
contains "$timings" "$(printf 'filename\tt/d.sh\t10000')"
contains "$timings" "$(printf 'classname\tT\t16000')"

finish "circleci tool: ok"

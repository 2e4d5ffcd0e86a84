#!/usr/bin/env bash
# The reports of a run record: `drydock run` writes junit.xml, trace.json
# and report.html and ends with the report's path; `drydock internal report
# DIR` replays the events into the same bytes; a stored JUnit file is
# merged, a broken one is a warning that does not change the verdict;
# `drydock report` names the file; a died run's record still replays.
set -u
drydock=$1
source "$(dirname "$0")/harness.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 is needed to read the reports"; exit 125; }

export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
git init -q -b main repo && cd repo || exit 1
cat >circle.yml <<'YAML'
dependencies:
  override:
    - printf 'step <one> & "q"\n\001\377\n'
test:
  override:
    - printf '<testsuite name="stored" tests="1"><testcase name="t" classname="c"/></testsuite>' >"$CIRCLE_TEST_REPORTS/a.xml"
    - echo "broken"; exit 4
YAML
git add -A && git commit -qm one
runs=$PWD/.git/drydock/runs
out=$("$drydock" run circle.yml 2>&1); code=$?
[ "$code" -eq 1 ] || fail "failing build: exit $code: ${out:0:2000}"
[ "$(tail -n 1 <<<"$out")" = "report: $runs/1/report.html" ] || fail "the run does not end with its report: $(tail -n 2 <<<"$out")"
for file in junit.xml trace.json report.html; do
  [ -s "$runs/1/$file" ] || fail "no $file in the record"
done
[ -z "$(find "$runs/1" -maxdepth 1 -name '.*partial*')" ] || fail "a temporary file was left: $(ls -a "$runs/1")"
python3 - "$runs/1" <<'PY' || fail "junit.xml or trace.json is not what the run did"
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1] + "/junit.xml").getroot()
assert root.tag == "testsuites", root.tag
suites = root.findall("testsuite")
assert [s.get("name") for s in suites] == ["dependencies", "test", "stored"], [s.get("name") for s in suites]
cases = root.findall("./testsuite/testcase")
assert all(c.get("name") and c.get("classname") for c in cases)
assert int(root.get("tests")) == len(cases) == 4 and int(root.get("failures")) == 1, root.attrib
failure = root.find("./testsuite/testcase/failure")
assert failure.get("message") == "exit code 4" and "broken" in failure.text, failure.attrib
trace = json.load(open(sys.argv[1] + "/trace.json"))
assert len([e for e in trace["traceEvents"] if e["ph"] == "X"]) == 3
PY

# Replay: the events alone give the same three files.
mkdir written && cp "$runs/1/junit.xml" "$runs/1/trace.json" "$runs/1/report.html" written/
rm "$runs/1/junit.xml" "$runs/1/trace.json" "$runs/1/report.html"
out=$("$drydock" internal report "$runs/1" 2>&1); code=$?
[ "$code" -eq 0 ] && [ "$out" = "$runs/1/report.html" ] || fail "internal report: exit $code: $out"
for file in junit.xml trace.json report.html; do
  cmp -s "written/$file" "$runs/1/$file" || fail "the replayed $file differs from the run's"
done

out=$("$drydock" report 2>&1); code=$?
[ "$code" -eq 0 ] && [ "$out" = "$runs/1/report.html" ] || fail "report: exit $code: $out"

# A broken stored file: a warning; the build still passes.
cat >broken.yml <<'YAML'
test:
  override:
    - printf '<testsuite><testcase' >"$CIRCLE_TEST_REPORTS/bad.xml"
YAML
out=$("$drydock" run broken.yml 2>&1); code=$?
[ "$code" -eq 0 ] || fail "a broken stored JUnit file failed the build: exit $code: $out"
contains "$out" "drydock: warning: test-results/bad.xml: not merged into junit.xml: "
[ "$(tail -n 1 <<<"$out")" = "report: $runs/2/report.html" ] || fail "broken: $(tail -n 2 <<<"$out")"

# A run killed with -9 has no reports; its events replay into them, its step unfinished.
cat >slow.yml <<YAML
test:
  override:
    - echo started; sleep 30 # $marker
YAML
"$drydock" run slow.yml >killed.log 2>&1 &
run=$!
for _ in $(seq 1 100); do grep -q "] started" killed.log && break; sleep 0.1; done
kill -9 "$run"; wait "$run" 2>/dev/null
pkill -f "$marker"
[ ! -e "$runs/3/report.html" ] || fail "a killed run wrote a report"
"$drydock" internal report "$runs/3" >/dev/null 2>&1 || fail "the died run's record does not replay"
grep -q '"status":"unfinished"' "$runs/3/report.html" || fail "the died run's step is not unfinished"
grep -q '<error message="did not finish: the run ended first"' "$runs/3/junit.xml" || fail "junit.xml of the died run"
out=$("$drydock" internal report "$scratch/nothing" 2>&1); code=$?
[ "$code" -eq 1 ] || fail "internal report of no record: exit $code"
contains "$out" "drydock: warning: no reports: cannot read $scratch/nothing/events.jsonl"
finish "reports: junit.xml, trace.json, report.html written, replayed byte for byte, merged, warned, died runs"

#!/usr/bin/env bash
# The run record: every run writes .git/drydock/runs/N/ (events.jsonl,
# each step's whole log, artifacts/ and test-results/ as CIRCLE_ARTIFACTS
# and CIRCLE_TEST_REPORTS), `run --json` streams the events on stdout,
# --keep-runs prunes, `runs` lists, `report` names the report, and a run
# killed with -9 leaves a valid prefix of events that `clean` removes;
# cache decisions are events.
set -u
drydock=$1
source "$(dirname "$0")/harness.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 is needed to read the events"; exit 125; }

export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
git init -q -b main repo && cd repo || exit 1
cat >circle.yml <<'YAML'
machine:
  pre:
    - echo "$CIRCLE_ARTIFACTS" >"$HOME/artifacts-path"; echo a >"$CIRCLE_ARTIFACTS/a.txt"; echo t >"$CIRCLE_TEST_REPORTS/t.xml"
test:
  override:
    - head -c 1048576 /dev/zero | tr '\0' 'x'; echo; echo end of the big step
    - exit 3
YAML
git add -A && git commit -qm one
runs=$PWD/.git/drydock/runs

# Lines that are all JSON objects, run_started first and run_finished last; prints the events' names.
check_events() {
  python3 - "$1" <<'PY'
import json, sys
events = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
assert all(isinstance(e, dict) and "event" in e and isinstance(e["t"], int) for e in events), "an event lacks event or t"
assert events[0]["event"] == "run_started" and events[0]["version"] == 1, events[0]
assert events[-1]["event"] == "run_finished", events[-1]
print(" ".join(e["event"] for e in events))
PY
}

out=$("$drydock" run circle.yml 2>&1); code=$?
[ "$code" -eq 1 ] || fail "failing build: exit $code: ${out:0:2000}"
[ -d "$runs/1" ] || fail "no record at $runs/1"
names=$(check_events "$runs/1/events.jsonl") || fail "events.jsonl of run 1 is not valid: $names"
contains "$names" "run_started step_queued step_started step_finished"
contains "$names" "artifacts_stored test_results_stored run_finished"
python3 - "$runs/1/events.jsonl" <<'PY' || fail "run 1's events are not what it did"
import json, sys
events = [json.loads(line) for line in open(sys.argv[1])]
start, end = events[0], events[-1]
assert start["build"] == 1 and start["branch"] == "main" and len(start["commit"]) == 40, start
assert [s["id"] for s in start["steps"]] == ["machine.pre[0]", "test.override[0]", "test.override[1]"], start
assert end["result"] == "failed", end
failed = [e for e in events if e["event"] == "step_finished" and e["status"] == "failed"]
assert len(failed) == 1 and failed[0]["step"] == "test.override[1]" and failed[0]["exit_code"] == 3, failed
stored = [e for e in events if e["event"] == "artifacts_stored"][0]
assert stored["files"] == 1, stored
PY
[ "$(tail -n 1 <<<"$out")" = "report: $runs/1/report.html" ] || fail "the run does not end with its report: $(tail -n 3 <<<"$out")"
big=$runs/1/logs/001-test.override_0_.log
[ "$(head -c 1048576 "$big" 2>/dev/null | tr -d x | wc -c)" -eq 0 ] && [ "$(wc -c <"$big")" -eq 1048597 ] \
  || fail "the big step's log is not its whole output: $(wc -c <"$big" 2>&1)"
[ "$(tail -n 1 "$big")" = "end of the big step" ] || fail "the big step's log lacks its last line"
[ "$(cat "$HOME/artifacts-path")" = "$runs/1/artifacts" ] || fail "CIRCLE_ARTIFACTS is $(cat "$HOME/artifacts-path")"
[ -f "$runs/1/artifacts/a.txt" ] && [ -f "$runs/1/test-results/t.xml" ] || fail "the step's files are not in the record"
left=$(find "$scratch" -maxdepth 1 -name 'drydock-artifacts.*' -o -maxdepth 1 -name 'drydock-test-reports.*')
[ -z "$left" ] || fail "a run left directories in TMPDIR: $left"

# --json: only JSON lines on stdout, the human output on stderr.
"$drydock" run --json circle.yml >json.out 2>json.err
python3 -c '
import json, sys
lines = open("json.out").read().splitlines()
assert lines and all(isinstance(json.loads(l), dict) for l in lines)
assert json.loads(lines[0])["event"] == "run_started" and json.loads(lines[-1])["event"] == "run_finished"
' || fail "--json stdout is not JSON lines only: $(head -c 600 json.out)"
cmp -s json.out "$runs/2/events.jsonl" || fail "--json did not stream what the record holds"
grep -q "end of the big step" json.err || fail "--json: no human output on stderr"

# --keep-runs 2 leaves two records, the newest.
"$drydock" run --keep-runs 2 circle.yml >/dev/null 2>&1
[ "$(ls "$runs")" = "$(printf '2\n3')" ] || fail "--keep-runs 2 left: $(ls "$runs" | tr '\n' ' ')"

# runs: newest first; report: the path, and that it does not exist yet.
out=$("$drydock" runs 2>&1); code=$?
[ "$code" -eq 0 ] || fail "runs: exit $code: $out"
sha=$(git rev-parse HEAD | cut -c1-12)
contains "$out" "  RUN  COMMIT        BRANCH  RESULT       DURATION"
contains "$out" "    3  $sha  main    failed "
[ "$(sed -n 2p <<<"$out" | awk '{print $1}')" = 3 ] || fail "runs: not newest first: $out"
out=$("$drydock" report 2>/dev/null); code=$?
[ "$out" = "$runs/3/report.html" ] || fail "report: $out"
[ "$code" -eq 0 ] || fail "report of a run with report.html: exit $code"
rm "$runs/2/report.html"
out=$("$drydock" report 2 2>/dev/null); code=$?
[ "$code" -eq 1 ] || fail "report of a run without report.html: exit $code"
contains "$("$drydock" report 2 2>&1)" "$runs/2/report.html does not exist yet"
contains "$("$drydock" report 1 2>&1)" "no record of run 1"
touch "$runs/2/report.html"
out=$(DISPLAY= WAYLAND_DISPLAY= "$drydock" report 2 --open 2>&1); code=$?
[ "$code" -eq 1 ] || fail "report --open without a display: exit $code"
contains "$out" "no display"

# A dry run writes no record.
"$drydock" run -n circle.yml >/dev/null 2>&1
[ "$(ls "$runs" | wc -l)" -eq 2 ] || fail "a dry run wrote a record: $(ls "$runs")"

# kill -9: the events so far are whole lines; runs says died; clean removes it.
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
python3 -c '
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
assert events[0]["event"] == "run_started" and events[-1]["event"] == "step_started", events
' "$runs/4/events.jsonl" || fail "the killed run's events are not a valid prefix"
contains "$("$drydock" runs 2>&1)" "    4  $sha  main    died "
out=$("$drydock" clean 2>&1)
contains "$out" "removed run record $runs/4 (run 4 died)"
[ ! -d "$runs/4" ] || fail "clean left the record of the killed run"
[ -d "$runs/3" ] || fail "clean removed a finished run's record"

# Cache decisions: nothing saved yet and saved, then restored with the branch's key.
cat >cache.yml <<'YAML'
dependencies:
  cache_directories: ["vendor \"q\""]
  override:
    - mkdir -p 'vendor "q"' && echo v >'vendor "q"/lib'
YAML
git add cache.yml && git commit -qm cache
cache_events() { grep '"event":"cache"' "$runs/$1/events.jsonl" | python3 -c '
import json, sys
print(" ".join("%s:%s:%s" % (e["dir"], e["decision"], e["key"]) for e in map(json.loads, sys.stdin)))'; }
"$drydock" run --fresh cache.yml >/dev/null 2>&1 || fail "cache run 5 failed"
"$drydock" run --fresh cache.yml >/dev/null 2>&1 || fail "cache run 6 failed"
[ "$(cache_events 5)" = 'vendor "q":nothing: vendor "q":saved:branch-main' ] || fail "cache events of run 5: $(cache_events 5)"
[ "$(cache_events 6)" = 'vendor "q":restored:branch-main vendor "q":saved:branch-main' ] \
  || fail "cache events of run 6: $(cache_events 6)"

# Outside git: the state folder, as the build counter.
mkdir "$scratch/plain" && cp circle.yml "$scratch/plain/" && cd "$scratch/plain" || exit 1
"$drydock" run circle.yml >/dev/null 2>&1
found=$(ls -d "$HOME"/.local/state/drydock/runs/*/1 2>/dev/null)
[ -n "$found" ] && [ -f "$found/events.jsonl" ] || fail "no record outside git under ~/.local/state/drydock/runs"
contains "$("$drydock" runs 2>&1)" "    1  -             -       failed "
finish "run records: events, whole logs, artifacts inside, --json, --keep-runs, runs, report, kill -9 and clean"

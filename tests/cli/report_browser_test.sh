#!/usr/bin/env bash
# report.html in a real browser: a real run (a failing step, a parallel
# group, the embedded PostgreSQL cluster as a service) opened in Debian's
# headless chromium; the DOM it draws has a bar per step with the events'
# status, the verdict, the first failure first, the service's time to ready,
# and the hostile output as text; a screenshot is saved under the build dir.
# Usage: report_browser_test.sh PATH/TO/drydock
set -u
drydock=$(realpath "$1")
source "$(dirname "$0")/harness.sh"
shots=$(dirname "$drydock")/report-browser
browser=$(command -v chromium || true)
if [ -z "$browser" ] || [ -z "$(compgen -G '/usr/lib/postgresql/*/bin/initdb')" ]; then
  [ "${CI:-}" = true ] && { echo "FAIL: chromium and PostgreSQL are needed (bash .ci/setup installs them)"; exit 1; }
  echo "SKIP: chromium or PostgreSQL is missing (bash .ci/setup installs them)"; exit 125
fi
command -v python3 >/dev/null || { echo "SKIP: python3 is needed to read the DOM"; exit 125; }
# As root chromium needs --no-sandbox; --disable-dev-shm-usage for small /dev/shm in containers.
chrome() { timeout 60 "$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
  --user-data-dir="$scratch/chrome" "$@" 2>"$scratch/chrome.log"; }

# As root the cluster runs as postgres, which must be able to reach its directory under TMPDIR.
chmod 755 "$scratch"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
git init -q -b main repo && cd repo || exit 1
cat >circle.yml <<'YAML'
machine:
  services: [postgresql]
dependencies:
  override:
    - echo "installing"
test:
  override:
    - echo "node $CIRCLE_NODE_INDEX"; sleep 0.5:
        parallel: true
    - psql -At -c 'select 1'
    - echo 'the tests broke <script>alert(1)</script>'; exit 3
  post:
    - echo after
YAML
git add -A && git commit -qm one
out=$(timeout 120 "$drydock" run -j 4 --parallelism 2 circle.yml 2>&1); code=$?
[ "$code" -eq 1 ] || fail "the failing build: exit $code: ${out:0:3000}"
report=$(tail -n 1 <<<"$out" | sed -n 's/^report: //p')
[ -f "$report" ] || { fail "the run does not end with its report: $(tail -n 3 <<<"$out")"; finish ""; }
record=$(dirname "$report")

chrome --dump-dom "file://$report" >dom.html || fail "chromium --dump-dom failed: $(tail -5 "$scratch/chrome.log")"
python3 - "$record/events.jsonl" dom.html <<'PY' || fail "the report's DOM is not the run's"
import json, sys
from html.parser import HTMLParser
events = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
status = {s["id"]: "not run" for s in events[0]["steps"]}
for e in events:
    if e["event"] == "step_finished": status[e["step"]] = e["status"]
    if e["event"] == "step_skipped": status[e["step"]] = "skipped"
first_failure = min((e["t"], e["step"]) for e in events if e["event"] == "step_finished" and e["status"] == "failed")[1]

class Dom(HTMLParser):
    def __init__(self):
        super().__init__(); self.bars = {}; self.failures = []; self.verdict = None; self.rendered = None
        self.stack = []; self.text = {}
    def handle_starttag(self, tag, attrs):
        a = dict(attrs); classes = (a.get("class") or "").split()
        if tag == "html": self.rendered = a.get("data-render-ms")
        if "bar" in classes: self.bars.setdefault(a["data-step"], []).append(a["data-status"])
        if tag == "li" and "data-step" in a and self.stack and self.stack[-1] == "failures": self.failures.append(a["data-step"])
        if a.get("id") == "verdict": self.verdict = a.get("data-result")
        self.stack.append(a.get("id") or tag)
    def handle_endtag(self, tag):
        if self.stack: self.stack.pop()
    def handle_data(self, data):
        for name in ("services", "fact-branch"):
            if name in self.stack: self.text[name] = self.text.get(name, "") + data
dom = Dom(); dom.feed(open(sys.argv[2], encoding="utf-8").read())
assert dom.rendered is not None, "the script did not finish drawing"
assert dom.verdict == "failed", dom.verdict
assert set(dom.bars) == set(status), (sorted(dom.bars), sorted(status))
for step, seen in dom.bars.items():
    assert seen == [status[step]], (step, seen, status[step])
assert "test.override[0]:0" in status and "test.override[0]:1" in status, status
assert dom.failures and dom.failures[0] == first_failure == "test.override[2]", (dom.failures, first_failure)
assert "postgresql" in dom.text.get("services", ""), dom.text
assert dom.text.get("fact-branch") == "main", dom.text
print("bars:", len(dom.bars), "statuses:", sorted(set(status.values())))
PY
grep -q '<script>alert' dom.html && fail "the step's output reached the DOM as markup"
grep -q 'the tests broke &lt;script&gt;alert(1)&lt;/script&gt;' dom.html || fail "the failure's last lines are not shown"
python3 - "$record/trace.json" <<'PY' || fail "the parallel nodes do not share the time on two lanes"
import json, sys
slices = {e["args"]["id"]: e for e in json.load(open(sys.argv[1]))["traceEvents"] if e["ph"] == "X"}
a, b = slices["test.override[0]:0"], slices["test.override[0]:1"]
assert a["tid"] != b["tid"] and a["ts"] < b["ts"] + b["dur"] and b["ts"] < a["ts"] + a["dur"], (a, b)
PY

mkdir -p "$shots"
rm -f "$shots/report.png"
chrome --screenshot="$shots/report.png" --window-size=1400,1000 --hide-scrollbars "file://$report" >/dev/null \
  || fail "chromium --screenshot failed: $(tail -5 "$scratch/chrome.log")"
[ "$(stat -c %s "$shots/report.png" 2>/dev/null || echo 0)" -gt 10000 ] || fail "no screenshot at $shots/report.png"
echo "screenshot: $shots/report.png"
finish "report.html in chromium: a bar per step with its status, the verdict, the first failure first, the service"

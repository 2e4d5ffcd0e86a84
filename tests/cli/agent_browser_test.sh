#!/usr/bin/env bash
# drydock agent's web UI in a real browser (Debian's headless chromium) on
# real builds: the list draws a row per build with its status and the commit's
# hostile title as text, and its filter keeps only the failed one; a finished
# build's page shows its status and frames its report, which is the run's
# report.html; a running build's page (one live tab, looked at twice through
# the DevTools protocol: an open EventSource keeps --dump-dom from ever
# catching it) grows its log from the SSE stream without a reload, and turns
# canceled when the build is canceled through the API; the page's Rebuild
# button, given the token, queues a rebuild. Then the agent again, on the same
# state, with --reads-need-token (as a browser on another machine meets it):
# reads without the token are refused, POST /api/session with it gives a
# read-session cookie that reads and cannot write; in the browser the list's
# refused read asks the token with prompt() (answered through the DevTools
# protocol) and draws the builds, and then, in the same tab, a running build's
# log grows over SSE and a finished build's report loads in its frame, both on
# the cookie alone; a wrong token answered shows the refusal and no builds.
# Screenshots are saved under the build dir. Everything listens on 127.0.0.1 only.
# Usage: agent_browser_test.sh PATH/TO/drydock
set -u
drydock=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
source "$here/harness.sh"
shots=$(dirname "$drydock")/agent-browser
browser=$(command -v chromium || true)
if [ -z "$browser" ]; then
  [ "${CI:-}" = true ] && { echo "FAIL: chromium is needed (bash .ci/setup installs it)"; exit 1; }
  echo "SKIP: chromium is missing (bash .ci/setup installs it)"; exit 125
fi
for tool in python3 curl jq git; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is needed"; exit 125; }
done
# As root chromium needs --no-sandbox; --disable-dev-shm-usage for small /dev/shm in containers. The
# marker in its profile's path lets the harness's cleanup find a chromium left behind.
quiet=(--disable-background-networking --disable-component-update --disable-sync)
chrome() { timeout 60 "$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
  "${quiet[@]}" --user-data-dir="$scratch/chrome-$marker" "$@" 2>>"$scratch/chrome.log"; }
# dump URL FILE: the DOM once the page's scripts and fetches are done (virtual time runs while none is pending).
dump() { chrome --virtual-time-budget=3000 --dump-dom "$1" >"$2" || fail "chromium --dump-dom $1: $(tail -5 "$scratch/chrome.log")"; }

export GIT_AUTHOR_NAME=Ada GIT_AUTHOR_EMAIL=ada@example.com GIT_COMMITTER_NAME=Ada GIT_COMMITTER_EMAIL=ada@example.com
git init -q --bare app.git
git clone -q app.git work 2>/dev/null && cd work || exit 1
git checkout -q -b main
cd "$scratch" || exit 1
hostile='hostile <img src=x onerror=alert(1)> & <b>title</b>'
push_commit() { # $1: branch, $2: the test command, $3: message
  (cd work && git checkout -q -B "$1" && printf 'test:\n  override:\n    - %s\n' "$2" >circle.yml && git add -A &&
    git commit -q --allow-empty -m "$3" && git push -q -f origin "$1")
}
push_commit main 'echo all good' 'a passing commit'
push_commit bad 'echo failing on purpose; exit 3' "$hostile"
live="$marker-live" # exec -a: the live step's last process is named by the test
# The lines are not in the command's text, which the log shows too.
push_commit live "printf '%s-line\\n' first; sleep 6; printf '%s-line\\n' second; exec -a $live sleep 60" 'a slow commit'
printf 'tok-%s\n' "$RANDOM$RANDOM$RANDOM" >token && token=$(cat token)
state=$scratch/state

listening() { grep -q -o 'listening on http://127.0.0.1:[0-9]*/' "$1"; }
start_agent() { # LOG [FLAGS...]: an agent on $state; its pid in $agent_pid, its address in $api
  local log=$1; shift
  : >"$log"
  "$drydock" agent --repo "$scratch/app.git" --state "$state" --listen 127.0.0.1:0 --token-file token \
    --no-poll --name "$marker" "$@" >>agent.out 2>"$log" &
  agent_pid=$!
  wait_for 20 listening "$log" || { fail "the agent did not start: $(cat "$log")"; finish "-"; }
  api=$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | head -1)
}
stop_agent() {
  kill -TERM "$agent_pid"
  wait_for 20 bash -c "! kill -0 $agent_pid 2>/dev/null" || fail "the agent did not stop on SIGTERM"
}
start_agent agent.log
# With the token: the agent started with --reads-need-token answers no read without it.
status_is() { [ "$(curl -s -H "Authorization: Bearer $token" "$api/api/builds/$1" | jq -r .status)" = "$2" ]; }
enqueue() { "$drydock" agent enqueue --state "$state" app "$1" >/dev/null 2>&1 || fail "enqueue $1"; }
# cancel ID: through the API (when the browser's part failed before it, the rest need not wait for the step).
cancel() { curl -s -o /dev/null -X POST -H "Authorization: Bearer $token" "$api/api/builds/$1/cancel"; }

# --- the list ----------------------------------------------------------------
enqueue main
wait_for 60 status_is 1 success || fail "build 1: $(curl -s "$api/api/builds/1") $(tail -5 agent.log)"
enqueue bad
wait_for 60 status_is 2 failed || fail "build 2: $(curl -s "$api/api/builds/2") $(tail -5 agent.log)"
cat >dom.py <<'PY'
import json, sys
from html.parser import HTMLParser

class Dom(HTMLParser):
    """The rows of table#builds, the ids' elements, and every tag seen."""
    def __init__(self):
        super().__init__(); self.rows = []; self.ids = {}; self.tags = []; self.stack = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs); classes = (a.get("class") or "").split()
        self.tags.append(tag)
        if tag == "tr" and "build" in classes:
            self.rows.append({"id": a.get("data-id"), "status": a.get("data-status"), "cells": []})
        if tag == "td" and self.rows: self.rows[-1]["cells"].append("")
        if "id" in a: self.ids[a["id"]] = dict(a, text="", tag=tag)
        if tag not in ("img", "br", "input", "meta", "link", "hr"): self.stack.append((tag, a.get("id")))
    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag: break
    def handle_data(self, data):
        if self.stack and self.stack[-1][0] == "td" and self.rows: self.rows[-1]["cells"][-1] += data
        for _, name in self.stack:
            if name: self.ids[name]["text"] += data

def load(path):
    dom = Dom(); dom.feed(open(path, encoding="utf-8").read()); return dom
PY
check_list() { # $1: the DOM file, $2: the API's JSON, $3: the hostile title
  python3 - "$@" <<'PY'
import json, sys
sys.path.insert(0, ".")
from dom import load
dom = load(sys.argv[1]); api = json.load(open(sys.argv[2]))["builds"]
assert "builds" in dom.ids and "filter" in dom.ids and dom.ids["filter"]["tag"] == "form", sorted(dom.ids)
assert "hidden" in dom.ids["error"], ("the page shows an error", dom.ids["error"])
want = [(str(b["id"]), b["status"], b["title"]) for b in api]
seen = [(r["id"], r["status"], r["cells"][5] if len(r["cells"]) > 5 else None) for r in dom.rows]
assert seen == want, ("rows", seen, "want", want)
for row in dom.rows:
    assert row["cells"][6] == row["status"], row
if any(b["title"] == sys.argv[3] for b in api):
    assert "img" not in dom.tags and "b" not in dom.tags, "the hostile title became markup"
print("rows:", seen)
PY
}
curl -s "$api/api/builds" >all.json
[ "$(jq '.builds | length' all.json)" = 2 ] || fail "the API does not list two builds: $(cat all.json)"
dump "$api/" list.html
check_list list.html all.json "$hostile" || fail "the list's DOM is not the builds'"
grep -q '<img' list.html && fail "the hostile title reached the DOM as markup"
grep -qF 'hostile &lt;img src=x onerror=alert(1)&gt; &amp; &lt;b&gt;title&lt;/b&gt;' list.html ||
  fail "the hostile title is not shown as text"
curl -s "$api/api/builds?status=failed" >failed.json
[ "$(jq -r '[.builds[].id] | join(",")' failed.json)" = 2 ] || fail "the API's filter: $(cat failed.json)"
dump "$api/?status=failed" failed.html
check_list failed.html failed.json "$hostile" || fail "the filtered list is not only the failed build"
curl -s "$api/api/builds?status=success" >passed.json
dump "$api/?status=success&repo=app" passed.html
check_list passed.html passed.json "$hostile" || fail "the list filtered on success is not only build 1"

# --- a finished build's page, and its report -------------------------------------
dump "$api/builds/1" build1.html
python3 - build1.html <<'PY' || fail "build 1's page"
import sys
sys.path.insert(0, ".")
from dom import load
ids = load(sys.argv[1]).ids
assert ids["status"].get("data-status") == "success" and ids["status"]["text"] == "success", ids["status"]
assert ids["report"]["tag"] == "iframe" and ids["report"].get("src") == "/builds/1/report", ids["report"]
assert "hidden" not in ids["report"] and "hidden" in ids["log"], (ids["report"], ids["log"])
assert "disabled" in ids["cancel"] and "disabled" not in ids["rebuild"], (ids["cancel"], ids["rebuild"])
assert ids["number"]["text"] == "app #1", ids["number"]
PY
dump "$api/builds/2" build2.html
python3 - build2.html <<'PY' || fail "build 2's page"
import sys
sys.path.insert(0, ".")
from dom import load
ids = load(sys.argv[1]).ids
assert ids["status"].get("data-status") == "failed" and ids["status"]["text"] == "failed", ids["status"]
assert ids["report"].get("src") == "/builds/2/report", ids["report"]
PY
record=$state/builds/1/record
[ -f "$record/report.html" ] || fail "build 1 has no report.html in $record"
curl -s -o served.html "$api/builds/1/report"
cmp -s served.html "$record/report.html" || fail "/builds/1/report is not the record's report.html"
dump "$api/builds/1/report" report.html
python3 - "$record/events.jsonl" report.html <<'PY' || fail "the report's DOM is not the run's"
import json, sys
from html.parser import HTMLParser
events = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
status = {s["id"]: "not run" for s in events[0]["steps"]}
for e in events:
    if e["event"] == "step_finished": status[e["step"]] = e["status"]
result = [e["result"] for e in events if e["event"] == "run_finished"]
assert result == ["passed"], result
class Dom(HTMLParser):
    def __init__(self):
        super().__init__(); self.bars = {}; self.verdict = None; self.rendered = None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html": self.rendered = a.get("data-render-ms")
        if "bar" in (a.get("class") or "").split(): self.bars.setdefault(a["data-step"], []).append(a["data-status"])
        if a.get("id") == "verdict": self.verdict = a.get("data-result")
dom = Dom(); dom.feed(open(sys.argv[2], encoding="utf-8").read())
assert dom.rendered is not None, "the report's script did not run under its policy"
assert dom.verdict == result[0], (dom.verdict, result)
assert dom.bars == {step: [s] for step, s in status.items()}, (dom.bars, status)
print("report: verdict", dom.verdict, "bars", dom.bars)
PY

# --- a running build's page, live ------------------------------------------------
enqueue live
# One tab kept open from before the step's first line: its log grows from the stream (the same
# document: a mark set at the first look is still there at the second) and it turns canceled with the
# build; then build 1's page draws build 1's report in its frame, and its Rebuild button works.
mkdir -p "$shots"
rm -f "$shots"/*.png
timeout 150 python3 - "$browser" "$scratch/chrome-live-$marker" "$scratch/chrome.log" "$api" 3 "$token" "$shots" \
  "$here" <<'PY' || { fail "the live pages in chromium"; cancel 3; }
import json, sys, time, urllib.request
browser, profile, log, api, build, token, shots, here = sys.argv[1:]
sys.path.insert(0, here)
from chromium_cdp import Browser, Error as CdpError, http_get, until

def get(path):
    return http_get(api + path)

LOG = "document.querySelector('pre#log').textContent"
STATUS = "(document.querySelector('span#status').dataset.status || '')"
with Browser(browser, profile, log, ["--disable-background-networking", "--disable-component-update", "--disable-sync"]) as b:
    # Opened while the build is queued or starting: all the page's log comes from the stream.
    page = b.open(f"{api}/builds/{build}")
    b.wait_for(page, f"{LOG}.includes('first-line')", 60, "first-line on the page")
    # The page fetches the build's fields again at its first log line: it says running soon after.
    b.wait_for(page, f"{STATUS} === 'running'", 10, "running on the page")
    b.evaluate(page, "window.drydockProbe = 'same page'")
    first, status = b.evaluate(page, f"[{LOG}, {STATUS}]")
    served = get(f"/api/builds/{build}/log")
    assert "first-line" in served, "the page shows a line the build's log lacks"
    assert "second-line" not in served, "the step printed second-line before the first look: the test's timing"
    assert "first-line" in first and "second-line" not in first, repr(first)
    assert status == "running", status
    print("first look:", repr(first))
    b.screenshot(page, f"{shots}/build-running.png")

    until(lambda: "second-line" in get(f"/api/builds/{build}/log"), 30, "second-line in the build's log")
    b.wait_for(page, f"{LOG}.includes('second-line')", 10, "second-line on the page")
    second, probe = b.evaluate(page, f"[{LOG}, window.drydockProbe]")
    assert probe == "same page", "the page was reloaded"
    assert second.count("first-line") == 1 and second.count("second-line") == 1, repr(second)
    assert second.index("first-line") < second.index("second-line"), repr(second)
    print("second look:", repr(second))

    request = urllib.request.Request(f"{api}/api/builds/{build}/cancel", method="POST",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=5) as r:
        assert r.status == 200, r.status
    b.wait_for(page, f"{STATUS} === 'canceled'", 30, "canceled on the page")
    assert b.evaluate(page, "document.querySelector('#cancel').disabled"), "cancel is still enabled"
    assert b.evaluate(page, "window.drydockProbe") == "same page", "the page was reloaded"
    print("after the cancel:", b.evaluate(page, f"{STATUS}"))

    # A finished build's page frames its report, sandboxed (an opaque origin: the report's script cannot
    # reach the page's token), and the report's script draws it inside the frame.
    page = b.open(f"{api}/builds/1")
    b.wait_for(page, "(function () { var f = document.querySelector('iframe#report');"
                     " return !!(f && !f.hidden && f.sandbox.value === 'allow-scripts'); })()", 15,
               "build 1's report framed, sandboxed")
    assert b.evaluate(page, "(function () { try { return document.querySelector('iframe#report')"
                            ".contentDocument === null; } catch (e) { return true; } })()"), \
        "the page can reach into its report's frame: it is not sandboxed"
    deadline, why = time.monotonic() + 15, ""
    while True:
        try:
            drawn = b.evaluate_in_child_frame(page, "document.documentElement.dataset.renderMs != null")
        except CdpError as error:
            drawn, why = False, error
        if drawn or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert drawn, f"build 1's report was not drawn in its frame ({why if not drawn else ''})"
    b.screenshot(page, f"{shots}/build.png")
    # The page's own write: with the token in the tab's session, Rebuild queues build 4 and goes to its page.
    b.evaluate(page, f"sessionStorage.setItem('drydock-token', {json.dumps(token)}); "
                     "document.querySelector('#rebuild').click(); true")
    b.wait_for(page, "location.pathname === '/builds/4' && document.querySelector('span#status').dataset.status",
               15, "build 4's page after Rebuild")
    errors = [e for e in b.console_errors() if "favicon.ico" not in e]
    assert not errors, errors
PY
wait_for 30 status_is 3 canceled || fail "build 3 after the cancel: $(curl -s "$api/api/builds/3")"
wait_for 60 status_is 4 success || fail "build 4, the rebuild from the page: $(curl -s "$api/api/builds/4")"
[ "$(curl -s "$api/api/builds/4" | jq -r .reason)" = "rebuild of #1" ] || fail "build 4 is not build 1's rebuild"
step_gone() { ! pgrep -f "$live" >/dev/null; }
wait_for 10 step_gone || fail "build 3's step outlived its cancel"
dump "$api/builds/3" build3.html
python3 - build3.html <<'PY' || fail "build 3's page after the cancel"
import sys
sys.path.insert(0, ".")
from dom import load
ids = load(sys.argv[1]).ids
assert ids["status"].get("data-status") == "canceled" and ids["status"]["text"] == "canceled", ids["status"]
PY

# --- screenshots -----------------------------------------------------------------
chrome --virtual-time-budget=3000 --screenshot="$shots/list.png" --window-size=1400,1000 --hide-scrollbars \
  "$api/" >/dev/null || fail "chromium --screenshot failed: $(tail -5 "$scratch/chrome.log")"
for shot in list build build-running; do
  [ "$(stat -c %s "$shots/$shot.png" 2>/dev/null || echo 0)" -gt 10000 ] || fail "no screenshot at $shots/$shot.png"
done
echo "screenshots: $shots/{list,build,build-running}.png"

stop_agent

# --- reads that need the token: a read session ---------------------------------------
# The same state again, its reads refused without the token on this machine too: what a browser
# elsewhere meets.
start_agent agent-reads.log --reads-need-token
code_of() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@"; }
[ "$(code_of "$api/api/builds")" = 401 ] || fail "a read without the token: $(curl -s "$api/api/builds" | head -c 300)"
[ "$(code_of "$api/builds/1/report")" = 401 ] || fail "the report without the token: $(code_of "$api/builds/1/report")"
[ "$(code_of "$api/")" = 200 ] && [ "$(code_of "$api/ui.js")" = 200 ] || fail "the page or its script needs the token"
[ "$(code_of -X POST -H "Authorization: Bearer $token-wrong" "$api/api/session")" = 401 ] ||
  fail "a wrong token opened a read session"
curl -s --max-time 5 -D - -o /dev/null -X POST -H "Authorization: Bearer $token" "$api/api/session" | tr -d '\r' \
  >session.head
set_cookie=$(grep -i '^set-cookie:' session.head)
# drydock_read_<12 hex of the token's HMAC>=<expiry, Unix s>.<64 hex HMAC of it>, 12 hours
attributes='; Path=/; Max-Age=43200; HttpOnly; SameSite=Strict'
pair=$(printf '%s' "$set_cookie" |
  sed -n "s|^[^:]*: \(drydock_read_[0-9a-f]\{12\}=[0-9]\{10,\}\.[0-9a-f]\{64\}\)$attributes\$|\1|p")
head -1 session.head | grep -q '^HTTP/1.1 204 ' && [ -n "$pair" ] ||
  fail "POST /api/session with the token: $(head -1 session.head), ${set_cookie:-no Set-Cookie}"
expires=${pair#*=}; expires=${expires%%.*}
[ "$((expires - $(date +%s)))" -gt 43100 ] && [ "$((expires - $(date +%s)))" -le 43200 ] ||
  fail "the session's expiry: $expires, now $(date +%s)"
cookie_name=${pair%%=*} cookie=${pair#*=}
session="Cookie: $pair"
curl -s --max-time 5 -H "$session" "$api/api/builds" >session.json
[ "$(jq -r '[.builds[].id] | sort | join(",")' session.json 2>/dev/null)" = 1,2,3,4 ] ||
  fail "a read with the session's cookie: $(head -c 300 session.json)"
[ "$(code_of -H "$session" "$api/builds/1/report")" = 200 ] || fail "the report with the session's cookie"
curl -s --max-time 3 -D - -o /dev/null -H "$session" "$api/api/builds/1/stream" | tr -d '\r' >stream.head
head -1 stream.head | grep -q '^HTTP/1.1 200 ' && grep -qix 'content-type: text/event-stream.*' stream.head ||
  fail "build 1's stream with the session's cookie: $(head -3 stream.head)"
[ "$(code_of -H "Cookie: ${pair%.*}.$(printf '%s' "${pair##*.}" | tr 0-9a-f 1-9a-f0)" "$api/api/builds")" = 401 ] ||
  fail "a wrong session cookie reads"
[ "$(code_of -H "Cookie: $cookie_name=$((expires + 60)).${pair##*.}" "$api/api/builds")" = 401 ] ||
  fail "a session cookie with its expiry moved reads"
[ "$(code_of -X POST -H "$session" "$api/api/builds/1/rebuild")" = 401 ] || fail "the session's cookie rebuilds"
[ "$(code_of -X POST -H "$session" "$api/api/session")" = 401 ] || fail "the session's cookie opens a session"
[ "$(code_of -H "Authorization: Bearer $token" "$api/api/builds/5")" = 404 ] || fail "build 5 was queued: a write"
curl -s -H "Authorization: Bearer $token" "$api/api/builds" >reads.json
# In chromium: one tab asks the token at the list's refused read, then reads on its session (a cookie) --
# the list; a running build's log from the stream, which an EventSource can give no header to; a
# finished build's report in its frame, the same. Then a browser of its own answering a wrong token.
timeout 120 python3 - "$browser" "$scratch/chrome-reads-$marker" "$scratch/chrome.log" "$api" "$token" "$cookie_name" \
  "$here" "$drydock" "$state" <<'PY' || { fail "the read session in chromium"; cancel 5; }
import re, subprocess, sys, time, urllib.request
browser, profile, log, api, token, cookie_name, here, drydock, state = sys.argv[1:]
sys.path.insert(0, here)
from chromium_cdp import Browser, Error as CdpError, http_get, until

def get(path):
    return http_get(api + path, token)

def api_calls(b, page, since):
    """The page's requests to the API since the mark: (method, path, status)."""
    return [(m, url[len(api):], status) for m, url, status in b.exchanges(page, since) if url.startswith(api + "/api/")]

def wait(b, page, expression, seconds, what, since):
    """wait_for, its failure telling the page's API calls and dialogs since the mark (an open dialog stops the
    page's script: evaluate gets no answer)."""
    try:
        return b.wait_for(page, expression, seconds, what)
    except CdpError as error:
        dialogs = sum(e.get("method") == "Page.javascriptDialogOpening" and e.get("sessionId") == page
                      for e in b.events[since:])
        raise AssertionError(f"{error}; the page's API calls: {api_calls(b, page, since)}; {dialogs} dialogs"
                             " opened") from None

def session_cookies(b, page):
    return [c for c in b.call("Network.getCookies", session=page)["cookies"] if c["name"].startswith("drydock_read")]

ROWS = "document.querySelectorAll('table#builds tr.build').length"
ERROR = "(function () { var e = document.getElementById('error'); return e.hidden ? null : e.textContent; })()"
STORED = "sessionStorage.getItem('drydock-token')"
LOG = "document.querySelector('pre#log').textContent"
STATUS = "(document.querySelector('span#status').dataset.status || '')"
REPORT = ("(function () { var v = document.getElementById('verdict'); return [location.pathname,"
          " v && v.dataset.result, document.documentElement.dataset.renderMs != null,"
          " (document.body ? document.body.textContent : '').slice(0, 100)]; })()")
with Browser(browser, profile, log, ["--disable-background-networking", "--disable-component-update", "--disable-sync"]) as b:
    mark = len(b.events)
    page = b.open(f"{api}/")
    dialog = b.answer_prompt(page, token, 15, mark)
    assert (dialog["type"], dialog["message"]) == ("prompt", "The agent's token"), dialog
    wait(b, page, f"{ROWS} > 0", 10, "the list's rows after the token", mark)
    assert b.evaluate(page, ERROR) is None, b.evaluate(page, ERROR)
    assert b.evaluate(page, STORED) == token, "the tab did not keep the token"
    calls = api_calls(b, page, mark)
    want = [("GET", "/api/builds?", 401), ("POST", "/api/session", 204), ("GET", "/api/builds?", 200)]
    assert calls[:3] == want, calls
    jar = session_cookies(b, page)
    # The same name as curl's session (the token's); its own expiry, so its own value.
    assert [(c["name"], c["httpOnly"], c["sameSite"], c["path"]) for c in jar] == [(cookie_name, True, "Strict", "/")], jar
    assert re.fullmatch(r"[0-9]{10,}\.[0-9a-f]{64}", jar[0]["value"]), jar
    assert "drydock_read" not in b.evaluate(page, "document.cookie"), "the page's script reads the session cookie"
    with open("session-list.html", "w", encoding="utf-8") as out:
        out.write(b.evaluate(page, "document.documentElement.outerHTML"))
    print("the list after the prompt:", b.evaluate(page, ROWS), "rows;", calls[:3])

    # The same tab, on a build queued now: its log comes from the stream alone.
    queued = subprocess.run([drydock, "agent", "enqueue", "--state", state, "app", "live"], capture_output=True,
                            text=True, timeout=30)
    assert queued.returncode == 0 and queued.stdout.startswith("queued build 5 "), (queued.stdout, queued.stderr)
    mark = len(b.events)
    b.navigate(page, f"{api}/builds/5")
    wait(b, page, f"{LOG}.includes('first-line')", 30, "first-line on build 5's page", mark)
    b.evaluate(page, "window.drydockProbe = 'same page'")
    first = b.evaluate(page, LOG)
    assert "second-line" not in get("/api/builds/5/log"), "second-line before the first look: the test's timing"
    assert "first-line" in first and "second-line" not in first, repr(first)
    until(lambda: "second-line" in get("/api/builds/5/log"), 30, "second-line in build 5's log")
    b.wait_for(page, f"{LOG}.includes('second-line')", 10, "second-line on build 5's page")
    second, probe = b.evaluate(page, f"[{LOG}, window.drydockProbe]")
    assert probe == "same page", "the page was reloaded"
    assert second.count("first-line") == 1 and second.count("second-line") == 1, repr(second)
    calls = api_calls(b, page, mark)
    assert ("GET", "/api/builds/5/stream", 200) in calls and all(s != 401 for _, _, s in calls), calls
    print("build 5's log, grown over the stream:", repr(second), calls)
    request = urllib.request.Request(f"{api}/api/builds/5/cancel", method="POST",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=5) as r:
        assert r.status == 200, r.status
    b.wait_for(page, f"{STATUS} === 'canceled'", 30, "canceled on build 5's page")

    b.navigate(page, f"{api}/builds/1")
    b.wait_for(page, "(function () { var f = document.querySelector('iframe#report');"
                     " return !!(f && !f.hidden && f.getAttribute('src') === '/builds/1/report'); })()", 15,
               "build 1's report framed")
    deadline = time.monotonic() + 15
    while True:
        try:
            drawn = b.evaluate_in_child_frame(page, REPORT)
        except CdpError as error:
            drawn = str(error)
        if drawn[:3] == ["/builds/1/report", "passed", True] or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert drawn[:3] == ["/builds/1/report", "passed", True], f"build 1's report in its frame: {drawn}"
    print("build 1's report in its frame:", drawn[:3])

    # Another browser (a context of its own: no cookie, no token kept) answers a wrong token.
    wrong = token + "-wrong"
    mark = len(b.events)
    other = b.open(f"{api}/", fresh=True)
    b.answer_prompt(other, wrong, 15, mark)
    error = wait(b, other, ERROR, 10, "an error on the list after a wrong token", mark)
    assert error == "the token was refused", error
    kept = b.evaluate(other, f"[{ROWS}, {STORED}]")
    assert kept == [0, None], ("rows, the token kept", kept)
    calls = api_calls(b, other, mark)
    assert calls[:2] == [("GET", "/api/builds?", 401), ("POST", "/api/session", 401)], calls
    assert all(s != 200 for _, _, s in calls) and session_cookies(b, other) == [], (calls, session_cookies(b, other))
    mark = len(b.events)
    b.navigate(other, f"{api}/builds/1")
    b.answer_prompt(other, wrong, 15, mark)
    error = wait(b, other, ERROR, 10, "an error on build 1's page after a wrong token", mark)
    assert error == "the token was refused", error
    shown = b.evaluate(other, "(function () { var f = document.querySelector('iframe#report');"
                              " return [document.getElementById('status').textContent,"
                              " document.getElementById('log').textContent, f.hidden, f.hasAttribute('src')]; })()")
    assert shown == ["", "", True, False], shown
    print("a wrong token:", error, api_calls(b, other, mark))
    errors = [e for e in b.console_errors() if "favicon.ico" not in e and "status of 401" not in e]
    assert not errors, errors
PY
check_list session-list.html reads.json "$hostile" || fail "the list drawn after the prompt is not the builds'"
wait_for 30 status_is 5 canceled ||
  fail "build 5 after the cancel: $(curl -s -H "Authorization: Bearer $token" "$api/api/builds/5")"
wait_for 10 step_gone || fail "build 5's step outlived its cancel"
stop_agent
chrome_gone() { ! pgrep -f "chrome-.*$marker" >/dev/null; }
wait_for 10 chrome_gone || fail "a chromium was left running: $(pgrep -af "chrome-.*$marker" | head -3)"
finish "agent UI in chromium: the list and its filter, a build's page and report, a live log over SSE, a cancel, \
a rebuild, and with --reads-need-token the same reads on a session opened at the page's prompt"

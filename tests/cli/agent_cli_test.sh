#!/usr/bin/env bash
# drydock agent end to end, on real parts: a bare repository and real
# pushes, the agent's SQLite store, its HTTP API through curl, and real
# child runs. Polling (the first poll only remembers; a push is built with
# its number, branch and masked secret; its commit statuses reach a receiver), the push webhook (signed, unsigned,
# unknown repository), cancel and rebuild with the token, enqueue, a
# stop by SIGTERM, and a kill -9 mid-build: the build is marked interrupted
# at the restart, its step's processes are gone, no checkout is left; a
# slow fetch holds up only its own build.
set -u
drydock=$1
source "$(dirname "$0")/harness.sh"

export GIT_AUTHOR_NAME=Ada GIT_AUTHOR_EMAIL=ada@example.com GIT_COMMITTER_NAME=Ada GIT_COMMITTER_EMAIL=ada@example.com
git init -q --bare app.git
git clone -q app.git work 2>/dev/null && cd work || exit 1
git checkout -q -b main
write_config() { # $1: the test command
  printf 'test:\n  override:\n    - %s\n' "$1" >circle.yml
}
write_config 'echo "num=$CIRCLE_BUILD_NUM branch=$CIRCLE_BRANCH sha=$CIRCLE_SHA1 repo=$CIRCLE_PROJECT_REPONAME secret=$APP_SECRET"'
git add -A && git commit -qm "first commit" && git push -q origin main
cd "$scratch" || exit 1
printf 'tok-%s\n' "$RANDOM$RANDOM$RANDOM" >token && token=$(cat token)
printf 'hook-secret-%s\n' "$RANDOM$RANDOM" >hook && hook_secret=$(cat hook)
mkdir secrets && echo "APP_SECRET=hunter2-hunter2" >secrets/app.env
state=$scratch/state

listening() { grep -q -o 'listening on http://127.0.0.1:[0-9]*/' "$1"; }
start_agent() { # $1: its log; the rest: more options
  local log=$1; shift
  : >"$log"
  "$drydock" agent --repo "$scratch/app.git" --state "$state" --listen 127.0.0.1:0 --token-file token \
    --secrets-dir secrets --name "$marker" "$@" 2>"$log" &
  agent_pid=$!
  wait_for 20 listening "$log" || { fail "the agent did not start: $(cat "$log")"; finish "-"; }
  api=$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | head -1)
}
build_field() { curl -s "$api/api/builds/$1" | jq -r ".$2"; }
status_is() { [ "$(build_field "$1" status)" = "$2" ]; }
builds_count() { curl -s "$api/api/builds" | jq ".builds | length"; }
checkouts() { ls -d "$scratch"/drydock-checkout-* 2>/dev/null | wc -l; }
push_commit() { # $1: branch, $2: the test command, $3: message
  (cd work && git checkout -q -B "$1" && write_config "$2" && git commit -q --allow-empty -am "$3" && git push -q -f origin "$1" &&
    git rev-parse HEAD)
}
hook() { # $1: body; the rest: curl options
  local body=$1; shift
  curl -s -o /dev/stderr -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data-binary "$body" "$@" \
    "$api/api/hooks/push" 2>/dev/null
}
signature() { printf '%s' "$1" | openssl dgst -sha256 -hmac "$hook_secret" | sed 's/.*= */sha256=/'; }

# A commit-status receiver on 127.0.0.1: each POST's path, token and body, a line each.
cat >receiver.py <<'PY'
import http.server, json, sys
class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(sys.argv[2], "a") as out:
            out.write(json.dumps({"path": self.path, "auth": self.headers.get("Authorization"),
                                  "body": json.loads(body)}) + "\n")
        self.send_response(201); self.end_headers()
    def log_message(self, *args): pass
server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
open(sys.argv[1], "w").write(str(server.server_port))
server.serve_forever()
PY
python3 receiver.py receiver.port statuses.jsonl "$marker" &
wait_for 10 test -s receiver.port || fail "the status receiver did not start"
echo "status-token-1234" >status-token

# The run options the agent gives: together, and never into another run's record.
out=$("$drydock" run --build-number 3 work/circle.yml 2>&1); code=$?
[ "$code" = 2 ] || fail "--build-number alone: exit $code"
contains "$out" "drydock: --build-number and --record-dir go together"
mkdir -p taken && echo old >taken/events.jsonl
out=$(cd work && "$drydock" run --build-number 3 --record-dir ../taken circle.yml 2>&1); code=$?
[ "$code" = 2 ] || fail "--record-dir of another run: exit $code"
contains "$out" "already holds files"
[ "$(cat taken/events.jsonl)" = old ] || fail "another run's record was replaced"
out=$(cd work && "$drydock" run --build-number 7 --record-dir ../given circle.yml 2>&1); code=$?
[ "$code" = 0 ] || fail "--record-dir: exit $code: $out"
contains "$out" "num=7 branch=main"
contains "$out" "report: $scratch/given/report.html"
[ ! -e work/.git/drydock/build_num ] || fail "--build-number took the repository's counter"

# A repos file's mistakes at FILE:LINE:COL, before anything starts.
printf 'repos:\n  - url: %s\n    brnches: [main]\n' "$scratch/app.git" >repos.yml
out=$("$drydock" agent --repos repos.yml --state "$scratch/unused" 2>&1); code=$?
[ "$code" = 2 ] || fail "a bad repos file: exit $code"
contains "$out" "repos.yml:3:5: error: unknown key 'brnches'; did you mean 'branches'?"
[ ! -e "$scratch/unused" ] || fail "a bad repos file made the state folder"

# --- polling -------------------------------------------------------------
start_agent agent1.log --poll-interval 0.3 \
  --status-url "http://127.0.0.1:$(cat receiver.port)/repos/{repo}/statuses/{sha}" --status-token-file status-token
sleep 1 # a few polls: the first only remembers the heads
[ "$(builds_count)" = 0 ] || fail "the first poll queued builds: $(curl -s "$api/api/builds")"
sha=$(push_commit main 'echo "num=$CIRCLE_BUILD_NUM branch=$CIRCLE_BRANCH sha=$CIRCLE_SHA1 repo=$CIRCLE_PROJECT_REPONAME secret=$APP_SECRET"' "second commit")
wait_for 60 status_is 1 success || fail "build 1: $(curl -s "$api/api/builds/1") $(cat agent1.log)"
log=$(curl -s "$api/api/builds/1/log")
contains "$log" "num=1 branch=main sha=$sha repo=app secret=***"
lacks "$log" "hunter2"
[ "$(build_field 1 number)" = 1 ] || fail "build 1's number: $(build_field 1 number)"
[ "$(build_field 1 author)" = Ada ] || fail "build 1's author: $(build_field 1 author)"
[ "$(build_field 1 title)" = "second commit" ] || fail "build 1's title: $(build_field 1 title)"
[ "$(build_field 1 reason)" = poll ] || fail "build 1's reason: $(build_field 1 reason)"
[ -f "$state/builds/1/record/report.html" ] || fail "no report.html in build 1's record"
[ -f "$state/builds/1/record/junit.xml" ] || fail "no junit.xml in build 1's record"
code=$(curl -s -o report.html -w '%{http_code}' "$api/builds/1/report")
[ "$code" = 200 ] || fail "GET /builds/1/report: $code"
contains "$(cat report.html)" "<html"
[ "$(checkouts)" = 0 ] || fail "a checkout was left: $(ls "$scratch")"
# Its statuses: pending when queued and started, then success, each for its commit.
states() { jq -r "select(.path == \"/repos/app/statuses/$sha\") | .body.state" statuses.jsonl 2>/dev/null | tr '\n' ' '; }
wait_for 20 bash -c "grep -q success statuses.jsonl 2>/dev/null" || fail "no success status: $(cat statuses.jsonl)"
[ "$(states)" = "pending pending success " ] || fail "the statuses of build 1: $(states) $(cat statuses.jsonl)"
status=$(jq -c "select(.body.state == \"success\")" statuses.jsonl)
contains "$status" '"auth":"token status-token-1234"'
contains "$status" '"context":"drydock"'
contains "$status" "\"target_url\":\"$api/builds/1\""
contains "$status" '"description":"drydock build #1: success"'
# A push the webhook announces and the poll then sees is built once; the
# build's step holds no descriptor of the agent's (its socket, its pipes).
sha=$(push_commit main 'echo "fds=$(ls /proc/self/fd | tr "\n" " ")"' "third commit")
code=$(hook "{\"repo\": \"app\", \"ref\": \"refs/heads/main\", \"sha\": \"$sha\"}")
[ "$code" = 201 ] || fail "an unsigned hook from loopback: $code"
wait_for 60 status_is 2 success || fail "build 2: $(curl -s "$api/api/builds/2")"
sleep 1.5 # several polls
[ "$(builds_count)" = 2 ] || fail "one push built twice: $(curl -s "$api/api/builds" | jq -c '[.builds[] | {id, sha, reason}]')"
contains "$(curl -s "$api/api/builds/2/log")" "fds=0 1 2 3 "
# SIGTERM stops it, with nothing running.
kill -TERM "$agent_pid"
wait_for 20 bash -c "! kill -0 $agent_pid 2>/dev/null" || fail "the agent did not stop on SIGTERM"
wait "$agent_pid"; code=$?
[ "$code" = 130 ] || fail "the agent's exit on SIGTERM: $code"

# --- the webhook, cancel, rebuild, enqueue ---------------------------------
start_agent agent2.log --no-poll --hook-secret-file hook
sha=$(push_commit feature 'echo failing on purpose; exit 3' "a failing commit")
body="{\"repo\": \"app\", \"ref\": \"refs/heads/feature\", \"sha\": \"$sha\"}"
code=$(hook "$body")
[ "$code" = 401 ] || fail "an unsigned hook: $code"
code=$(hook "$body" -H "X-Hub-Signature-256: sha256=0000")
[ "$code" = 401 ] || fail "a wrongly signed hook: $code"
other="{\"repo\": \"nope\", \"ref\": \"refs/heads/main\", \"sha\": \"$sha\"}"
code=$(hook "$other" -H "X-Hub-Signature-256: $(signature "$other")")
[ "$code" = 422 ] || fail "a hook for an unknown repository: $code"
code=$(hook "$body" -H "X-Hub-Signature-256: $(signature "$body")")
[ "$code" = 201 ] || fail "a signed hook: $code"
wait_for 60 status_is 3 failed || fail "build 3: $(curl -s "$api/api/builds/3")"
[ "$(build_field 3 exit_code)" = 1 ] || fail "build 3's exit code: $(build_field 3 exit_code)"
contains "$(curl -s "$api/api/builds/3/log")" "failing on purpose"

# exec -a: the step's process is named by the test, whatever bash does.
slow="$marker-slow"
slow_step_gone() { ! pgrep -f "$slow" >/dev/null; } # not through bash -c, whose own command line would match
sha=$(push_commit slow "exec -a $slow sleep 300" "a slow commit")
body="{\"repo\": \"app\", \"ref\": \"refs/heads/slow\", \"sha\": \"$sha\"}"
hook "$body" -H "X-Hub-Signature-256: $(signature "$body")" >/dev/null
wait_for 60 status_is 4 running || fail "build 4 did not start: $(curl -s "$api/api/builds/4")"
wait_for 30 pgrep -f "$slow" >/dev/null || fail "build 4's step did not start"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$api/api/builds/4/cancel")
[ "$code" = 401 ] || fail "cancel without the token: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer wrong" "$api/api/builds/4/cancel")
[ "$code" = 401 ] || fail "cancel with a wrong token: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $token" "$api/api/builds/4/cancel")
[ "$code" = 200 ] || fail "cancel with the token: $code"
wait_for 30 status_is 4 canceled || fail "build 4 was not canceled: $(curl -s "$api/api/builds/4")"
wait_for 10 slow_step_gone || fail "build 4's step outlived its cancel"
wait_for 10 bash -c '[ "$(ls -d '"$scratch"'/drydock-checkout-* 2>/dev/null | wc -l)" = 0 ]' ||
  fail "build 4's checkout was left"

out=$("$drydock" agent enqueue --state "$state" app main 2>&1); code=$?
[ "$code" = 0 ] || fail "enqueue: exit $code: $out"
contains "$out" "queued build 5 (app #5): refs/heads/main at"
wait_for 60 status_is 5 success || fail "build 5: $(curl -s "$api/api/builds/5")"
out=$("$drydock" agent enqueue --state "$state" app no-such-branch 2>&1); code=$?
[ "$code" = 2 ] || fail "enqueue of a missing branch: exit $code"
contains "$out" "drydock agent enqueue: app has no branch or tag no-such-branch"

code=$(curl -s -o rebuild.json -w '%{http_code}' -X POST -H "Authorization: Bearer $token" "$api/api/builds/1/rebuild")
[ "$code" = 201 ] || fail "rebuild: $code $(cat rebuild.json)"
wait_for 60 status_is 6 success || fail "build 6: $(curl -s "$api/api/builds/6")"
[ "$(build_field 6 sha)" = "$(build_field 1 sha)" ] || fail "the rebuild built another commit"
[ "$(build_field 6 reason)" = "rebuild of #1" ] || fail "build 6's reason: $(build_field 6 reason)"

# --- kill -9 mid-build, and the restart ---------------------------------
body="{\"repo\": \"app\", \"ref\": \"refs/heads/slow\", \"sha\": \"$(cd work && git rev-parse slow)\"}"
hook "$body" -H "X-Hub-Signature-256: $(signature "$body")" >/dev/null
wait_for 60 status_is 7 running || fail "build 7 did not start"
wait_for 30 pgrep -f "$slow" >/dev/null || fail "build 7's step did not start"
kill -KILL "$agent_pid"
wait "$agent_pid" 2>/dev/null
# The run stops by itself (its parent died): its step goes with it.
wait_for 30 slow_step_gone || fail "build 7's step outlived the agent"
start_agent agent3.log --no-poll
status_is 7 interrupted || fail "build 7 after the restart: $(curl -s "$api/api/builds/7")"
contains "$(build_field 7 message)" "restarted"
[ "$(checkouts)" = 0 ] || fail "the killed agent's checkout was left: $(ls "$scratch")"
[ "$(builds_count)" = 7 ] || fail "the history after the restart: $(builds_count) builds"
contains "$(cat agent3.log)" "build 7 (app #7) was left by $marker/"
contains "$(cat agent3.log)" "drydock agent: drydock clean: " # its log, not stdout

# --requeue-lost: a build left by a killed agent runs again, its first
# attempt's record kept beside the new one.
body="{\"repo\": \"app\", \"ref\": \"refs/heads/slow\", \"sha\": \"$(cd work && git rev-parse slow)\"}"
curl -s -o /dev/null -X POST --data-binary "$body" "$api/api/hooks/push"
wait_for 60 status_is 8 running || fail "build 8 did not start: $(curl -s "$api/api/builds/8")"
wait_for 30 pgrep -f "$slow" >/dev/null || fail "build 8's step did not start"
kill -KILL "$agent_pid"
wait "$agent_pid" 2>/dev/null
wait_for 30 slow_step_gone || fail "build 8's step outlived the agent"
start_agent agent4.log --no-poll --requeue-lost
contains "$(cat agent4.log)" "build 8 (app #8) was left by a stopped agent: queued again"
wait_for 60 status_is 8 running || fail "build 8 did not run again: $(curl -s "$api/api/builds/8")"
[ -d "$state/builds/8/record.1" ] || fail "the first attempt's record was not kept"
curl -s -o /dev/null -X POST -H "Authorization: Bearer $token" "$api/api/builds/8/cancel"
wait_for 30 status_is 8 canceled || fail "build 8 was not canceled: $(curl -s "$api/api/builds/8")"

# --- a slow fetch holds up only its own build ------------------------------
# A build's fetch and checkout run beside the agent's loop: while app's
# fetch hangs (a git on PATH that waits while the file "gate" exists),
# lib's build runs to its end, and a cancel asked meanwhile ends app's
# build at once, before its run. SIGTERM while a fetch hangs ends that
# build as interrupted; the agent waits for the fetch, and a second
# SIGTERM makes it exit at once.
kill -TERM "$agent_pid"
wait "$agent_pid" 2>/dev/null
git init -q --bare lib.git
(cd work && git push -q "$scratch/lib.git" main:main)
mkdir slowgit
cat >slowgit/git <<EOF
#!/bin/sh
case "\$*" in *fetch*app.git*)
  touch "$scratch/fetching"
  i=0; while [ -e "$scratch/gate" ] && [ \$i -lt 900 ]; do sleep 0.1; i=\$((i + 1)); done
  rm -f "$scratch/fetching" ;;
esac
exec $(command -v git) "\$@"
EOF
chmod +x slowgit/git
state=$scratch/state-slow
PATH="$scratch/slowgit:$PATH" start_agent agent5.log --no-poll --jobs 2 --repo "$scratch/lib.git"
touch gate
sha=$(push_commit fetchy "touch $scratch/app-ran" "a commit behind a slow fetch")
code=$(hook "{\"repo\": \"app\", \"ref\": \"refs/heads/fetchy\", \"sha\": \"$sha\"}")
[ "$code" = 201 ] || fail "the hook of app's slow fetch: $code"
wait_for 20 test -f fetching || fail "app's fetch did not start: $(cat agent5.log)"
code=$(hook "{\"repo\": \"lib\", \"ref\": \"refs/heads/main\", \"sha\": \"$(cd work && git rev-parse main)\"}")
[ "$code" = 201 ] || fail "the hook of lib: $code"
wait_for 30 status_is 2 success || fail "lib's build: $(curl -s "$api/api/builds/2") $(cat agent5.log)"
# A plain hook names no author or title: the build takes its commit's.
[ "$(build_field 2 author)" = Ada ] || fail "lib's build's author: $(build_field 2 author)"
[ "$(build_field 2 title)" = "$(cd work && git log -1 --format=%s main)" ] || fail "lib's build's title: $(build_field 2 title)"
[ -f fetching ] || fail "lib's build waited for app's fetch"
status_is 1 running || fail "app's build during its fetch: $(curl -s "$api/api/builds/1")"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $token" "$api/api/builds/1/cancel")
[ "$code" = 200 ] || fail "cancel during the fetch: $code"
wait_for 30 status_is 1 canceled || fail "app's build was not canceled: $(curl -s "$api/api/builds/1")"
[ "$(build_field 1 message)" = "canceled before it started" ] || fail "app's build's message: $(build_field 1 message)"
[ -f fetching ] || fail "the cancel waited for the fetch"
contains "$(curl -s "$api/api/builds/1/log")" "drydock agent: canceled before it started"
rm -f gate # the fetch ends; what it prepared is dropped
wait_for 20 bash -c '[ ! -e fetching ] && [ "$(ls -d '"$scratch"'/drydock-checkout-* 2>/dev/null | wc -l)" = 0 ]' ||
  fail "the canceled build's checkout was left: $(ls "$scratch")"
sleep 0.5
[ ! -e app-ran ] || fail "app's build ran after its cancel"
touch gate
sha=$(push_commit fetchy2 "touch $scratch/app-ran" "another commit behind a slow fetch")
hook "{\"repo\": \"app\", \"ref\": \"refs/heads/fetchy2\", \"sha\": \"$sha\"}" >/dev/null
wait_for 20 test -f fetching || fail "build 3's fetch did not start: $(cat agent5.log)"
kill -TERM "$agent_pid"
wait_for 10 status_is 3 interrupted || fail "build 3 after SIGTERM during its fetch: $(curl -s "$api/api/builds/3")"
[ "$(build_field 3 message)" = "the agent stopped before it started" ] || fail "build 3's message: $(build_field 3 message)"
wait_for 10 grep -q "waiting for 1 build preparation(s) to end" agent5.log || fail "no word of the fetch waited for"
kill -0 "$agent_pid" 2>/dev/null || fail "the agent did not wait for the fetch"
kill -TERM "$agent_pid"
wait_for 10 bash -c "! kill -0 $agent_pid 2>/dev/null" || fail "a second SIGTERM did not stop the agent"
wait "$agent_pid"; code=$?
[ "$code" = 130 ] || fail "the agent's exit on a second SIGTERM: $code"
contains "$(cat agent5.log)" "Terminated again: exiting now"
rm -f gate
[ ! -e app-ran ] || fail "build 3 ran"

finish "agent: polling, webhook, statuses, cancel, rebuild, enqueue, SIGTERM, kill -9, --requeue-lost and a slow fetch passed"

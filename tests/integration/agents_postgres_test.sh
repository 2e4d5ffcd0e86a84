#!/usr/bin/env bash
# Two drydock agents sharing one queue in PostgreSQL, on a throwaway
# cluster (pg_cluster.sh: unix socket only) and a real bare repository:
# 20 queued builds are each claimed once, by either agent, all succeed and
# are numbered 1..20; both agents build. Then, with each agent running two
# slow builds, agent a is killed with -9: its steps stop (the child runs
# see their parent die), agent b's go on; a restarted with the same name and
# state marks its two builds interrupted ("restarted") and leaves b's alone.
# PostgreSQL not installed: says why and passes, except under CI=true.
# Usage: agents_postgres_test.sh PATH/TO/drydock
set -u
drydock=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd) # harness.sh moves to the scratch folder
source "$here/harness.sh"
source "$here/pg_cluster.sh"
# In the slow steps' names: the cleanup kills whatever is left by it.
marker="drydock-agents-pg-$tag"
agent_pids=()
# The agents, then their steps; their child runs stop when they see their
# parent gone (waited for, so that none writes in the scratch being removed).
cleanup_more() {
  local pid deadline=$((SECONDS + 15))
  for pid in "${agent_pids[@]}"; do kill -KILL "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  pkill -KILL -f "$marker" 2>/dev/null
  for pid in "${agent_pids[@]}"; do
    while pgrep -f -- "--parent-pid $pid( |$)" >/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
  done
  pg_cluster_stop
}
if ! pg_cluster_find; then
  echo "skipped: the agents did not run on PostgreSQL"
  exit 0
fi
pg_cluster_start || exit 1
db=$PG_CLUSTER_URL


export GIT_AUTHOR_NAME=Ada GIT_AUTHOR_EMAIL=ada@example.com GIT_COMMITTER_NAME=Ada GIT_COMMITTER_EMAIL=ada@example.com
git init -q --bare app.git
git clone -q app.git work 2>/dev/null || exit 1
(cd work && git checkout -q -b main && printf 'test:\n  override:\n    - true\n' >circle.yml &&
  git add -A && git commit -qm "trivial" && git push -q origin main) || exit 1

declare -A api log pid
printf '%s\n' "$db" >db.url # --database-file: agent b and enqueue read the URL from it
listening() { grep -q 'listening on http://127.0.0.1:[0-9]*/' "$1"; }
start_agent() { # $1: its name (a, b), $2: its log; its state is state-NAME
  local name=$1 file=$scratch/$2 database=(--database "$db")
  [ "$name" = b ] && database=(--database-file "$scratch/db.url")
  : >"$file" # there before listening reads it
  "$drydock" agent --repo "$scratch/app.git" --state "$scratch/state-$name" "${database[@]}" --name "$name" \
    --no-poll --jobs 2 --listen 127.0.0.1:0 >"$file" 2>&1 &
  agent_pids+=($!)
  pid[$name]=$!
  log[$name]=$file
  wait_for 30 listening "$file" || { fail "agent $name did not start: $(cat "$file")"; finish "-"; }
  api[$name]=$(grep -o 'http://127.0.0.1:[0-9]*' "$file" | head -1)
}
builds() { curl -s "${api[b]}/api/builds?limit=500"; }
enqueue() { # $1: a branch
  "$drydock" agent enqueue --state "$scratch/state-enqueue" --database-file db.url app "$1" >>enqueue.log 2>&1 ||
    fail "enqueue $1: $(tail -2 enqueue.log)"
}
final_count() {
  builds | jq '[.builds[] | select(.status | IN("queued", "running") | not)] | length'
}
all_final() { [ "$(final_count)" = "$1" ]; }

start_agent a a.log
start_agent b b.log

# --- 20 builds, two agents ------------------------------------------------
# Twenty branches on one commit: a queued build of the same ref would be
# coalesced, distinct refs are not.
branches=()
for i in $(seq -w 1 20); do branches+=("b$i"); done
(cd work && git push -q origin $(printf 'HEAD:refs/heads/%s ' "${branches[@]}")) || fail "pushing the branches"
for branch in "${branches[@]}"; do enqueue "$branch"; done
wait_for 120 all_final 20 || fail "not all final within 120 s: $(builds | jq -c '[.builds[] | {id, status}]')"
json=$(builds)
[ "$(jq '.builds | length' <<<"$json")" = 20 ] || fail "20 builds expected: $(jq -c '[.builds[] | {id, ref}]' <<<"$json")"
bad=$(jq -c '[.builds[] | select(.status != "success") | {id, status, message}]' <<<"$json")
[ "$bad" = "[]" ] || fail "builds that did not succeed: $bad"
# Each build claimed once: one agent of a or b each, and no build folder in
# both agents' states.
bad=$(jq -c '[.builds[] | select((.agent // "") | test("^[ab]/[0-9]+:") | not) | {id, agent}]' <<<"$json")
[ "$bad" = "[]" ] || fail "builds without one agent a or b: $bad"
for id in $(jq '.builds[].id' <<<"$json"); do
  [ -d "state-a/builds/$id" ] && [ -d "state-b/builds/$id" ] && fail "build $id ran in both agents' folders"
  [ -d "state-a/builds/$id" ] || [ -d "state-b/builds/$id" ] || fail "build $id ran in neither agent's folder"
done
for name in a b; do
  count=$(jq --arg n "$name/" '[.builds[] | select(.agent | startswith($n))] | length' <<<"$json")
  [ "$count" -ge 1 ] || fail "agent $name built nothing: $(jq -c '[.builds[] | {id, agent}]' <<<"$json")"
  echo "agent $name built $count of 20"
  started=$(grep -c 'drydock agent: build [0-9]* (app #[0-9]*) success' "${log[$name]}")
  [ "$started" = "$count" ] || fail "agent $name's log has $started successes, the API $count"
done
numbers=$(jq -r '[.builds[].number] | sort | map(tostring) | join(" ")' <<<"$json")
[ "$numbers" = "$(seq -s ' ' 1 20)" ] || fail "the numbers are not 1..20 once each: $numbers"
# Every agent's view is the same history.
[ "$(curl -s "${api[a]}/api/builds?limit=500" | jq -c '[.builds[] | [.id, .status, .agent]]')" = \
  "$(jq -c '[.builds[] | [.id, .status, .agent]]' <<<"$json")" ] || fail "the two agents show different histories"

# --- kill -9 of agent a mid-build -----------------------------------------
# Four slow builds for four slots: each agent takes two. exec -a: each
# step's process is named by its branch, whatever bash does.
for i in 1 2 3 4; do
  (cd work && git checkout -q -B "slow$i" main && printf 'test:\n  override:\n    - exec -a %s sleep 300\n' \
    "$marker-slow$i" >circle.yml && git commit -qam "slow $i" && git push -q origin "slow$i") || fail "pushing slow$i"
  enqueue "slow$i"
done
slow_json() { builds | jq -c '[.builds[] | select(.ref | startswith("refs/heads/slow"))]'; }
four_running() { [ "$(slow_json | jq '[.[] | select(.status == "running")] | length')" = 4 ]; }
step_of() { pgrep -f "$marker-$1" >/dev/null; } # $1: slowN; not through bash -c, whose command line would match
steps_up() { local i; for i in 1 2 3 4; do step_of "slow$i" || return 1; done; }
wait_for 60 four_running || fail "the four slow builds did not all start: $(slow_json)"
wait_for 30 steps_up || fail "the four slow steps did not all start"
json=$(slow_json)
of_a=$(jq -r '.[] | select(.agent | startswith("a/")) | .branch' <<<"$json")
of_b=$(jq -r '.[] | select(.agent | startswith("b/")) | .branch' <<<"$json")
[ "$(wc -w <<<"$of_a")" = 2 ] && [ "$(wc -w <<<"$of_b")" = 2 ] || fail "not two slow builds each: $json"
kill -KILL "${pid[a]}"
wait "${pid[a]}" 2>/dev/null
steps_of_a_gone() { local b; for b in $of_a; do ! step_of "$b" || return 1; done; }
wait_for 30 steps_of_a_gone || fail "agent a's steps outlived it: $(pgrep -af "$marker-slow")"
for branch in $of_b; do step_of "$branch" || fail "agent b's step of $branch stopped with agent a"; done
start_agent a a-restarted.log
json=$(slow_json)
for branch in $of_a; do
  build=$(jq -c --arg b "$branch" '.[] | select(.branch == $b)' <<<"$json")
  [ "$(jq -r .status <<<"$build")" = interrupted ] || fail "agent a's $branch after its restart: $build"
  case "$(jq -r .message <<<"$build")" in *restarted*) ;; *) fail "the message of $branch: $build";; esac
  grep -q "build $(jq .id <<<"$build") (app #[0-9]*) was left by a/" "${log[a]}" ||
    fail "the restart did not say it recovered $branch: $(tail -5 "${log[a]}")"
done
for branch in $of_b; do
  build=$(jq -c --arg b "$branch" '.[] | select(.branch == $b)' <<<"$json")
  [ "$(jq -r .status <<<"$build")" = running ] || fail "agent b's $branch after a's restart: $build"
  step_of "$branch" || fail "agent b's step of $branch stopped at a's restart"
done
# The killed agent's checkouts are removed at its restart; b's two remain.
checkouts=$(find "$scratch" -maxdepth 1 -name 'drydock-checkout-*' | wc -l)
[ "$checkouts" = 2 ] || fail "$checkouts checkouts, agent b's two expected: $(ls "$scratch")"

if [ "$failures" -gt 0 ]; then
  for name in a b; do echo "--- agent $name's log:"; tail -20 "${log[$name]}"; done
fi
finish "agents on PostgreSQL: 20 builds claimed once each by two agents, kill -9 and restart of one passed"

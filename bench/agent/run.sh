#!/usr/bin/env bash
# Benchmark: `drydock agent` on this machine, on a real bare repository,
# real pushes and the agent's HTTP API (127.0.0.1 only). One summary line per
# measure on stdout (progress on stderr):
#   hook   push-to-start with the webhook: a commit is pushed, then the push
#          hook POSTed; from just before the POST (date +%s%3N) to the
#          build's started_at in the API (the claim), same clock. Median and
#          max of AGENT_BENCH_HOOK (10) pushes. Goal: under 1 s.
#   poll   push-to-start by polling at --poll-interval 2: from git push
#          returning to started_at. Median and max of AGENT_BENCH_POLL (5).
#          Goal: under the interval + 1 s = 3 s.
#   drain  two agents (--jobs 2 each) sharing one queue in a throwaway
#          PostgreSQL cluster (unix socket only) drain AGENT_BENCH_DRAIN
#          (200) queued trivial builds: wall time from starting them to the
#          last build final, builds per second, and a check that each build
#          ran once (one agent, one build folder) and all succeeded.
#   idle   an agent polling at the default interval (60 s), web server on:
#          after AGENT_BENCH_SETTLE (5) s, its VmRSS and its CPU
#          (utime+stime over AGENT_BENCH_IDLE (30) s of wall time). Goals:
#          under 20 MB and under 1 %.
# Each build is `drydock run` of circle.yml with one `true` step. Trivial
# builds: the figures are the agent's overhead, not a workload's. The
# machine's load is printed with them: measure on an idle machine.
# Needs git, curl, jq; PostgreSQL 15 for drain (skipped, said so, without).
# Exit 0 when every measure ran (goals met or not), 1 when a check failed
# or a measure could not finish.
# Usage: bench/agent/run.sh [DRYDOCK]   (default: build/drydock)
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
drydock=$(realpath "${1:-$root/build/drydock}")
[ -x "$drydock" ] || { echo "no drydock at $drydock: build it first (README)" >&2; exit 2; }
n_hook=${AGENT_BENCH_HOOK:-10}
n_poll=${AGENT_BENCH_POLL:-5}
n_drain=${AGENT_BENCH_DRAIN:-200}
settle=${AGENT_BENCH_SETTLE:-5}
idle_window=${AGENT_BENCH_IDLE:-30}
source "$root/tests/integration/pg_cluster.sh"

work=$(mktemp -d)
chmod 755 "$work" # the cluster runs as postgres when we are root
agent_pids=()
# The agents, then their child runs (they stop when their parent is gone:
# waited for, bounded, so that none writes in the folder being removed).
cleanup() {
  local pid deadline=$((SECONDS + 15))
  for pid in "${agent_pids[@]}"; do kill -KILL "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  for pid in "${agent_pids[@]}"; do
    while pgrep -f -- "--parent-pid $pid( |$)" >/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
  done
  pg_cluster_stop
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export HOME=$work TMPDIR=$work
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com
cd "$work" || exit 1

say() { echo "agent bench: $*" >&2; }
# wait_for SECONDS COMMAND...: until it succeeds, at most SECONDS.
source "$here/../../tests/wait_for.sh"
WAIT_PACE=0.05 # push-to-start is measured to the poll's pace
now_ms() { date +%s%3N; }
# The API's ISO times (2026-01-02T03:04:05.678Z) in Unix ms.
jq_ms='def ms: (.[0:19] + "Z" | fromdateiso8601) * 1000 + (.[20:23] | tonumber);'
listening() { grep -q 'listening on http://127.0.0.1:[0-9]*/' "$1"; }
start_agent() { # $1: name, $2: its state folder; the rest: options. Sets agent_pid, api.
  local name=$1 state=$2; shift 2
  : >"$work/$name.log" # there before listening reads it
  "$drydock" agent --repo "$work/app.git" --state "$state" --name "$name" --listen 127.0.0.1:0 "$@" \
    >"$work/$name.log" 2>&1 &
  agent_pid=$!
  agent_pids+=("$agent_pid")
  wait_for 30 listening "$work/$name.log" || { say "agent $name did not start: $(cat "$work/$name.log")"; exit 1; }
  api=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/$name.log" | head -1)
}
stop_agent() { # $1: pid; SIGTERM, as an operator would
  kill -TERM "$1" 2>/dev/null
  wait_for 30 bash -c "! kill -0 $1 2>/dev/null" || kill -KILL "$1" 2>/dev/null
  wait "$1" 2>/dev/null
}
build_of_sha() { curl -s "$api/api/builds?limit=20" | jq -c --arg s "$1" 'first(.builds[] | select(.sha == $s))'; }
polled() { [ -n "$(build_of_sha "$1")" ]; } # $1: a sha
is_final() { # $1: build id
  case "$(curl -s "$api/api/builds/$1" | jq -r .status)" in success | failed | error | canceled | interrupted) ;; *) return 1;; esac
}
push_commit() { # a new commit on main, pushed; prints its sha
  (cd clone && git commit -q --allow-empty -m "commit $RANDOM" && git push -q origin main && git rev-parse HEAD)
}
# median and max of the numbers on stdin (one a line), in ms
stats() { sort -n | awk '{v[NR] = $1} END {
  m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
  printf "median %d ms, max %d ms", m, v[NR] }'; }
verdict() { [ "$1" = 1 ] && echo "goal met" || echo "GOAL MISSED"; }
checks=0 # a failed check (drain's), not a missed goal, makes the exit 1

git init -q --bare app.git
git clone -q app.git clone 2>/dev/null || exit 1
(cd clone && git checkout -q -b main && printf 'test:\n  override:\n    - "true"\n' >circle.yml && git add -A &&
  git commit -qm first && git push -q origin main) || exit 1

echo "drydock agent benchmark: $("$drydock" --version 2>/dev/null | head -1), $(nproc) cores," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%M:%SZ)"

# --- hook: push, POST, started ---------------------------------------------
say "hook: $n_hook pushes, each followed by its webhook"
start_agent hook "$work/state-hook" --no-poll
: >hook.ms
for _ in $(seq "$n_hook"); do
  sha=$(push_commit) || exit 1
  body="{\"repo\": \"app\", \"ref\": \"refs/heads/main\", \"sha\": \"$sha\"}"
  sent=$(now_ms)
  id=$(curl -s -X POST -H 'Content-Type: application/json' --data-binary "$body" "$api/api/hooks/push" | jq -r .id)
  [ "$id" != null ] && [ -n "$id" ] || { say "the hook queued nothing"; exit 1; }
  wait_for 60 is_final "$id" || { say "build $id did not finish within 60 s"; exit 1; }
  started=$(curl -s "$api/api/builds/$id" | jq -r "$jq_ms .started_at | ms")
  echo $((started - sent)) >>hook.ms
done
stop_agent "$agent_pid"
max=$(sort -n hook.ms | tail -1)
echo "hook  push-to-start, webhook (N=$n_hook): $(stats <hook.ms) (goal < 1000 ms): $(verdict $((max < 1000)))"

# --- poll: push, started -------------------------------------------------
say "poll: $n_poll pushes, found by polling every 2 s"
start_agent poll "$work/state-poll" --poll-interval 2
sleep 3 # the first poll only remembers the heads
: >poll.ms
for _ in $(seq "$n_poll"); do
  sha=$(push_commit) || exit 1
  pushed=$(now_ms)
  wait_for 30 polled "$sha" || { say "the push of $sha was not polled within 30 s"; exit 1; }
  id=$(build_of_sha "$sha" | jq -r .id)
  wait_for 60 is_final "$id" || { say "build $id did not finish within 60 s"; exit 1; }
  started=$(curl -s "$api/api/builds/$id" | jq -r "$jq_ms .started_at | ms")
  echo $((started - pushed)) >>poll.ms
  sleep "0.$RANDOM" # pushes at random points of the interval
done
stop_agent "$agent_pid"
max=$(sort -n poll.ms | tail -1)
echo "poll  push-to-start, --poll-interval 2 (N=$n_poll): $(stats <poll.ms) (goal < 3000 ms): $(verdict $((max < 3000)))"

# --- drain: two agents, one PostgreSQL queue ---------------------------------
if ! pg_cluster_find >&2; then
  echo "drain skipped: PostgreSQL is not installed"
else
  say "drain: a throwaway cluster, $n_drain branches queued, then two agents"
  pg_cluster_start >&2 || exit 1
  db=$PG_CLUSTER_URL
  # Started once and stopped: the schema made and the repository known, so
  # that the builds can be queued before any agent runs.
  start_agent a "$work/state-a" --database "$db" --no-poll --jobs 2
  stop_agent "$agent_pid"
  # Distinct refs: a queued build of the same ref would be coalesced.
  printf 'HEAD:refs/heads/d%04d\n' $(seq "$n_drain") | (cd clone && xargs git push -q origin) || exit 1
  queue_start=$(now_ms)
  for i in $(seq "$n_drain"); do
    "$drydock" agent enqueue --state "$work/state-enqueue" --database "$db" app "$(printf 'd%04d' "$i")" \
      >>enqueue.log 2>&1 || { say "enqueue failed: $(tail -2 enqueue.log)"; exit 1; }
  done
  queue_ms=$(($(now_ms) - queue_start))
  final_count() {
    curl -s "$api/api/builds?limit=500" | jq '[.builds[] | select(.status | IN("queued", "running") | not)] | length'
  }
  all_final() { [ "$(final_count)" -ge "$n_drain" ]; }
  t0=$(now_ms)
  start_agent a "$work/state-a" --database "$db" --no-poll --jobs 2
  start_agent b "$work/state-b" --database "$db" --no-poll --jobs 2
  wait_for 900 all_final || { say "not drained within 900 s: $(final_count) of $n_drain final"; exit 1; }
  wall_ms=$(($(now_ms) - t0))
  json=$(curl -s "$api/api/builds?limit=500")
  # More than 500 builds: the rest page by page, ?before=the last id.
  while [ "$(jq '.builds | length' <<<"$json")" -lt "$n_drain" ]; do
    last=$(jq '.builds[-1].id' <<<"$json")
    json=$(jq -s '{builds: (.[0].builds + .[1].builds)}' <(echo "$json") <(curl -s "$api/api/builds?limit=500&before=$last"))
  done
  ok=1
  success=$(jq '[.builds[] | select(.status == "success")] | length' <<<"$json")
  [ "$success" = "$n_drain" ] || ok=0
  by_a=$(jq '[.builds[] | select(.agent | startswith("a/"))] | length' <<<"$json")
  by_b=$(jq '[.builds[] | select(.agent | startswith("b/"))] | length' <<<"$json")
  [ $((by_a + by_b)) = "$n_drain" ] || ok=0
  # Built twice would show as a build folder in both states, or a build
  # finished twice in the agents' logs.
  twice=0
  for id in $(jq '.builds[].id' <<<"$json"); do
    [ -d "state-a/builds/$id" ] && [ -d "state-b/builds/$id" ] && twice=$((twice + 1))
  done
  logged=$(cat a.log b.log | grep -o 'drydock agent: build [0-9]* (app #[0-9]*) [a-z]*$' | sort | uniq -d | wc -l)
  twice=$((twice + logged))
  [ "$twice" = 0 ] || ok=0
  numbers=$(jq '[.builds[].number] | unique | length' <<<"$json")
  [ "$numbers" = "$n_drain" ] || ok=0
  [ "$ok" = 1 ] || checks=1
  span=$(jq -r "$jq_ms"' ([.builds[] | .started_at | ms] | min) as $s | ([.builds[] | .finished_at | ms] | max) - $s' <<<"$json")
  echo "drain $n_drain queued builds, 2 agents x --jobs 2 on PostgreSQL: ${wall_ms} ms wall" \
    "($(awk -v n="$n_drain" -v t="$wall_ms" 'BEGIN {printf "%.2f", n * 1000 / t}') builds/s;" \
    "first start to last finish ${span} ms), a built $by_a, b $by_b; $success success, $twice built twice," \
    "$numbers distinct numbers; $n_drain enqueues took ${queue_ms} ms: $([ $ok = 1 ] && echo ok || echo FAILED)"
  for pid in "${agent_pids[@]}"; do stop_agent "$pid"; done
  pg_cluster_stop
fi

# --- idle: RSS and CPU ----------------------------------------------------
say "idle: one agent polling at the default interval, web on; ${settle} s to settle, ${idle_window} s measured"
start_agent idle "$work/state-idle"
pid=$agent_pid
sleep "$settle"
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime, after the command's "(...)": no spaces in it
hz=$(getconf CLK_TCK)
c0=$(ticks "$pid") w0=$(now_ms)
sleep "$idle_window"
c1=$(ticks "$pid") w1=$(now_ms)
rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
threads=$(awk '/^Threads/ {print $2}' "/proc/$pid/status")
cpu=$(awk -v c=$((c1 - c0)) -v hz="$hz" -v ms=$((w1 - w0)) 'BEGIN {printf "%.2f", c * 100000 / hz / ms}')
met=$(awk -v r="$rss_kb" -v c="$cpu" 'BEGIN {print (r < 20480 && c < 1) ? 1 : 0}')
echo "idle  agent, default --poll-interval 60, web on: VmRSS $(awk -v r="$rss_kb" 'BEGIN {printf "%.1f", r / 1024}') MB," \
  "CPU ${cpu} % ($((c1 - c0)) ticks of 1/$hz s in $((w1 - w0)) ms), $threads threads (goals < 20 MB, < 1 %): $(verdict "$met")"
stop_agent "$pid"
exit "$checks"

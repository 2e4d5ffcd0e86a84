#!/usr/bin/env bash
# Benchmark (issue 17): a CircleCI 2.x workflow's wall time against its
# critical path. tests/circle2/webapp's workflow (build -> test with
# Postgres and a cache beside it -> deploy, and lint on the machine) is run
# RUNS times (default 5) with `drydock run`; for each run the record's
# events give every step's duration and what it waits for, so the critical
# path is the longest chain of durations through the DAG: what no
# scheduler could beat. Prints, per run and as means, the process's wall
# time, the critical path (and how much of it is drydock's own steps:
# starting and removing job containers, checkouts, uploads) and how much
# the wall time exceeds it. Goal: the wall time within 10% of the
# critical path.
# Needs .ci/setup (engine, drydock-base:bookworm, drydock-postgres:15).
# DRYDOCK: the binary (default build/drydock).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
runs=${RUNS:-5}
drydock=$(realpath "${DRYDOCK:-$root/build/drydock}")
[ -x "$drydock" ] || bash "$root/.ci/setup"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$root/tests/circle2/webapp" "$work/repo"
cd "$work/repo"
git init -q -b main && git add -A
git -c user.name=bench -c user.email=bench@example.com commit -qm bench

# wall ms, critical path ms, steps on it: from one run's events.jsonl
critical_path() { # prints "PATH_MS OWN_MS": the path, and drydock's own steps on it
  python3 - "$1" <<'PY'
import json, sys
steps, took, needs, kind = [], {}, {}, {}
for line in open(sys.argv[1]):
    event = json.loads(line)
    if event["event"] == "run_started":
        for step in event["steps"]:
            steps.append(step["id"]); needs[step["id"]] = step["needs"]; kind[step["id"]] = step["kind"]
    elif event["event"] == "step_finished":
        took[event["step"]] = event["duration_ms"]
longest, before = {}, {}
for step in steps:  # the record lists steps in an order where needs come first
    first = max(needs[step], key=lambda n: longest[n], default=None)
    before[step] = first
    longest[step] = took.get(step, 0) + (longest[first] if first else 0)
end = max(longest, key=longest.get)
own = 0
while end:
    own += took.get(end, 0) if kind[end] != "shell" else 0
    end = before[end]
print(max(longest.values()), own)
PY
}

echo "machine: $(nproc) cores; docker $(docker version --format '{{.Server.Version}}')"
"$drydock" run -q >/dev/null 2>&1 # once, so the page cache and the engine are warm
total_wall=0 total_path=0 total_own=0
for i in $(seq 1 "$runs"); do
  started=$(date +%s%N)
  "$drydock" run -q >"$work/out" 2>&1 || { cat "$work/out"; exit 1; }
  wall=$((($(date +%s%N) - started) / 1000000))
  record=$(ls -d .git/drydock/runs/* | sort -t/ -k4 -n | tail -1)
  read -r path own < <(critical_path "$record/events.jsonl")
  echo "run $i: wall $wall ms, critical path $path ms (drydock's own steps on it: $own ms)," \
    "over it $(awk -v w="$wall" -v p="$path" 'BEGIN {printf "%.1f%%", (w / p - 1) * 100}')"
  total_wall=$((total_wall + wall)) total_path=$((total_path + path)) total_own=$((total_own + own))
done
echo "mean of $runs: wall $((total_wall / runs)) ms, critical path $((total_path / runs)) ms" \
  "(drydock's own steps: container starts, checkouts, removals, uploads: $((total_own / runs)) ms of it)," \
  "over it $(awk -v w="$total_wall" -v p="$total_path" 'BEGIN {printf "%.1f%%", (w / p - 1) * 100}') (goal: at most 10%)"

#!/usr/bin/env bash
# Benchmark (issue 10, item 8): users' regexes on long input.
#  1. branch selection: `drydock plan` with general.branches.only /^(a|b)*$/
#     and a CIRCLE_BRANCH of 1 KB, 10 KB and 100 KB;
#  2. service readiness: a service that prints one long line then "ready",
#     waited for with ready.log ".*ready", lines of 30 KB, 60 KB and 1 MB
#     (needs the Docker engine and drydock-base:bookworm from .ci/engine).
# Prints the wall time and exit status of each (139: drydock crashed).
# Usage: bench/regex/run.sh [PATH/TO/drydock]   (SKIP_DOCKER=1 for part 1 only)
set -uo pipefail
cd "$(dirname "$0")/../.."
drydock=$(realpath "${1:-build/drydock}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

timed() { # label, command...: prints "label: N.NN s (exit E)"
  local label=$1 start end status
  shift
  start=$(date +%s.%N)
  "$@" >"$work/out.log" 2>&1
  status=$?
  end=$(date +%s.%N)
  printf '%-34s %6.2f s (exit %d)\n' "$label:" "$(echo "$end - $start" | bc)" "$status"
}

cat >branches.yml <<'YAML'
general:
  branches:
    only: [/^(a|b)*$/]
test:
  override: [echo hi]
YAML
for kb in 1 10 100; do
  printf 'CIRCLE_BRANCH=%s\n' "$(head -c $((kb * 1024)) /dev/zero | tr '\0' a)" >branch.env
  timed "plan, branch of ${kb} KB" "$drydock" plan --env-file branch.env branches.yml
done

[ "${SKIP_DOCKER:-0}" = 1 ] && exit 0
docker image inspect drydock-base:bookworm >/dev/null 2>&1 || { echo "no drydock-base:bookworm: run .ci/engine"; exit 1; }
run=bench$$
network=drydock-$run
docker network create --label io.drydock.run=$run "$network" >/dev/null
trap 'docker ps -aq --filter label=io.drydock.run=$run | xargs -r docker rm -f >/dev/null; docker network rm "$network" >/dev/null; rm -rf "$work"' EXIT
for kb in 30 60 1024; do
  # The service step as `drydock run` hands it to `drydock internal step`:
  # one JSON document on stdin (runner/exec/internal_step.hpp).
  cat >ready.json <<JSON
{"action": {"kind": "service", "name": "noisy", "image": "drydock-base:bookworm", "alias": "noisy",
  "command": ["sh", "-c", "head -c $((kb * 1024)) /dev/zero | tr '\\\\0' x; echo ' ready'; sleep 600"],
  "ready": {"log": ".*ready", "times": 1, "timeout": 120}},
 "run_id": "$run", "owner": "$$", "network": "$network"}
JSON
  timed "service ready, line of ${kb} KB" sh -c '"$1" internal step <ready.json' sh "$drydock"
  grep -o 'noisy ready in [0-9.]*s' "$work/out.log" || tail -c 300 "$work/out.log"
  docker ps -aq --filter label=io.drydock.run=$run | xargs -r docker rm -f >/dev/null
done

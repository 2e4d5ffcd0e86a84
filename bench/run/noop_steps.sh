#!/usr/bin/env bash
# Benchmark (issue 3a): 200 no-op steps, run one after another.
#   drydock run          every step its own `bash -eo pipefail -c true`
#   bash loop            the same 200 `bash -eo pipefail -c true`, in a loop
#   gitlab-ci-local      4.56.2 (npm), shell executor, the same 200 steps as
#                        - 200 jobs in one stage, run one at a time (--concurrency 1)
#                        - 200 jobs in a `needs:` chain (the sequential DAG)
#                        - 1 job of 200 script lines (one shell: no per-step status)
#                        200 jobs in 200 *stages* is not measured: gitlab-ci-local's
#                        time grows explosively with stages (10: 1.2 s, 20: 53 s,
#                        40: over 300 s) and 200 did not finish in 10 minutes.
# Goals: drydock within 1.5x of the bash loop, 10x faster than gitlab-ci-local.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
steps=${STEPS:-200}
runs=${RUNS:-10}
tools=${BENCH_TOOLS:-/opt/drydock-bench-tools}

need() { command -v "$1" >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }; }
need hyperfine hyperfine
need jq jq
need rsync rsync
need npm npm
[ -x "$root/build/drydock" ] || bash "$root/.ci/setup"
if [ ! -x "$tools/node_modules/.bin/gitlab-ci-local" ]; then
  mkdir -p "$tools" && (cd "$tools" && npm install --no-audit --no-fund gitlab-ci-local@4.56.2 >/dev/null)
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
git init -q . && git -c user.name=b -c user.email=b@b commit -q --allow-empty -m bench
{
  echo "test:"
  echo "  override:"
  for ((i = 0; i < steps; i++)); do echo "    - \"true\""; done
} >circle.yml
for ((i = 0; i < steps; i++)); do printf 'job%d:\n  script: ["true"]\n' "$i"; done >many-jobs.yml
{
  printf 'job0:\n  script: ["true"]\n'
  for ((i = 1; i < steps; i++)); do printf 'job%d:\n  needs: [job%d]\n  script: ["true"]\n' "$i" $((i - 1)); done
} >needs-chain.yml
{
  echo "job:"
  echo "  script:"
  for ((i = 0; i < steps; i++)); do echo "    - \"true\""; done
} >one-job.yml
cat >loop.sh <<LOOP
for ((i = 0; i < $steps; i++)); do bash -eo pipefail -c true; done
LOOP
export HOME=$work TMPDIR=$work
gcl="$tools/node_modules/.bin/gitlab-ci-local"
hyperfine --warmup 1 --runs "$runs" --export-json "$work/fast.json" \
  -n "bash loop" "bash loop.sh" \
  -n "drydock run" "$root/build/drydock run -q circle.yml" >/dev/null
gcl_run="$gcl --shell-executor-no-image --color=false --quiet"
hyperfine --warmup 1 --runs 3 --export-json "$work/gcl.json" \
  -n "gitlab-ci-local, 200 jobs, one stage, -c 1" "cp many-jobs.yml .gitlab-ci.yml && $gcl_run --concurrency 1 > /dev/null" \
  -n "gitlab-ci-local, 1 job of 200 lines" "cp one-job.yml .gitlab-ci.yml && $gcl_run > /dev/null" >/dev/null
hyperfine --runs 2 --export-json "$work/chain.json" \
  -n "gitlab-ci-local, 200 jobs, needs chain" "cp needs-chain.yml .gitlab-ci.yml && $gcl_run > /dev/null" >/dev/null
jq -s -r '[.[].results[]] | .[] | "\(.command): mean \(.mean * 1000 | floor) ms (min \(.min * 1000 | floor) ms)"' \
  "$work/fast.json" "$work/gcl.json" "$work/chain.json"
jq -s -r '[.[].results[]] | (map({(.command): .mean}) | add) as $m | $m["drydock run"] as $d
  | "drydock / bash loop: \(($d / $m["bash loop"]) * 100 | floor / 100)x",
    ($m | to_entries[] | select(.key | startswith("gitlab")) | "\(.key) / drydock: \((.value / $d) * 10 | floor / 10)x")' \
  "$work/fast.json" "$work/gcl.json" "$work/chain.json"

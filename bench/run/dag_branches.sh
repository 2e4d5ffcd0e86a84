#!/usr/bin/env bash
# Benchmark (issue 3b): 4 parallel branches of uneven steps, joined at the end.
#   A: 0.2 1.0 0.2   B: 1.0 0.2 0.2   C: 0.2 0.2 1.0   D: 0.6 0.6   (sleep seconds)
# Critical path: 1.4 s. A level-by-level scheduler (act, woodpecker) waits for
# the slowest step of each level: 1.0 + 1.0 + 1.0 = 3.0 s.
# Goal: drydock's wall time within 10% of the critical path.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine jq >/dev/null; }
[ -x "$root/build/drydock" ] || bash "$root/.ci/setup"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
step() { # id seconds [requires]
  printf '    - sleep %s:\n        drydock: {id: %s, concurrent: true%s}\n' "$2" "$1" "${3:+, requires: [$3]}"
}
{
  echo "test:"
  echo "  override:"
  printf '    - sleep 0.2:\n        drydock: {id: a1}\n'
  step a2 1.0 a1; step a3 0.2 a2
  step b1 1.0; step b2 0.2 b1; step b3 0.2 b2
  step c1 0.2; step c2 0.2 c1; step c3 1.0 c2
  step d1 0.6; step d2 0.6 d1
  echo "  post:"
  echo "    - \"true\""
} >"$work/circle.yml"
cd "$work"
export HOME=$work TMPDIR=$work
"$root/build/drydock" plan circle.yml | tail -1
hyperfine --warmup 1 --runs "${RUNS:-10}" --export-json "$work/dag.json" -n "drydock run -j 4" \
  "$root/build/drydock run -q -j 4 circle.yml" >/dev/null
jq -r '.results[0] | "drydock run -j 4: mean \(.mean * 1000 | floor) ms, min \(.min * 1000 | floor) ms, max \(.max * 1000 | floor) ms",
  "critical path: 1400 ms; drydock / critical path: \(.mean / 1.4 * 1000 | floor / 1000)x (level by level would be 3000 ms)"' "$work/dag.json"

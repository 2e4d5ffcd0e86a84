#!/usr/bin/env bash
# Benchmark: `drydock validate` on a generated 10,000-step config.
# Goal (issue 2): under 200 ms wall time and under 100 MB peak memory.
# Prints wall time (hyperfine: mean, min, max over the runs) and peak RSS
# (GNU time, the largest of 5 runs). Builds drydock first if needed.
set -euo pipefail
cd "$(dirname "$0")/../.."
steps=${STEPS:-10000}
if ! command -v hyperfine >/dev/null || [ ! -x /usr/bin/time ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine time >/dev/null
fi
[ -x build/drydock ] || bash .ci/setup
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash bench/validate/gen_config.sh "$steps" >"$work/circle.yml"
build/drydock validate "$work/circle.yml" >/dev/null || { echo "generated config is not valid"; exit 1; }
echo "config: $steps steps, $(wc -l <"$work/circle.yml") lines, $(du -k "$work/circle.yml" | cut -f1) KiB"
hyperfine --warmup 2 --runs 20 --export-json "$work/h.json" "build/drydock validate $work/circle.yml" >/dev/null
jq -r '.results[0] | "wall time: mean \(.mean * 1000 | floor) ms, min \(.min * 1000 | floor) ms, max \(.max * 1000 | floor) ms (20 runs)"' "$work/h.json"
peak=0
for _ in 1 2 3 4 5; do
  kb=$(/usr/bin/time -f '%M' build/drydock validate "$work/circle.yml" 2>&1 >/dev/null | tail -1)
  ((kb > peak)) && peak=$kb
done
echo "peak memory: $((peak / 1024)) MiB ($peak KiB max RSS over 5 runs)"

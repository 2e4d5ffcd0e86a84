#!/usr/bin/env bash
# Benchmark (issue 15): what the reports cost.
#   1. A synthetic 10,000-step record (gen_record.py): the time to write its
#      three reports (`drydock internal report DIR`), report.html's size
#      (goal < 5 MB) and its render time in headless chromium (goal < 2 s),
#      measured twice: the page's own figure (data-render-ms: from the start
#      of its script, JSON.parse included, to the DOM drawn) and the wall time
#      of `chromium --dump-dom` less that of an empty page (start-up, HTML
#      parse, script, serialising the DOM), and that of --screenshot
#      (load, script, layout and paint) less an empty page's.
#   2. bench/run/noop_steps.sh's pipeline (200 no-op steps): `drydock run -q`
#      against the time to write its reports alone (goal: under 5% of the
#      run), and, with BASELINE=path/to/a/drydock without reports, the two
#      runs side by side.
# Usage: bench/report/run.sh [DRYDOCK]   (RUNS, STEPS to change the counts)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
drydock=$(realpath "${1:-$root/build/drydock}")
runs=${RUNS:-10}
steps=${STEPS:-10000}
need() { command -v "$1" >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }; }
need hyperfine hyperfine
need jq jq
need chromium chromium

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work TMPDIR=$work
chrome() { timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
  --user-data-dir="$work/chrome" "$@" 2>/dev/null; }
ms_of() { jq -r '.results[0] | "\(.mean * 1000 | floor) ms (min \(.min * 1000 | floor) ms)"' "$1"; }

echo "== $steps-step record"
python3 "$here/gen_record.py" "$work/big" "$steps"
hyperfine --warmup 1 --runs 5 --export-json "$work/write.json" -n write "$drydock internal report $work/big" >/dev/null
echo "write the three reports: $(ms_of "$work/write.json")"
for file in report.html junit.xml trace.json; do
  echo "$file: $(stat -c %s "$work/big/$file") bytes"
done
echo '<!DOCTYPE html><html><body></body></html>' >"$work/empty.html"
chrome --dump-dom "file://$work/empty.html" >/dev/null # a first start warms the disk cache
hyperfine --runs 5 --export-json "$work/render.json" \
  -n empty "chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --user-data-dir=$work/chrome --dump-dom file://$work/empty.html" \
  -n report "chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --user-data-dir=$work/chrome --dump-dom file://$work/big/report.html" \
  >/dev/null 2>&1
jq -r '(.results | map({(.command): .mean}) | add) as $m
  | "dump-dom wall: empty page \($m.empty * 1000 | floor) ms, report \($m.report * 1000 | floor) ms: render \(($m.report - $m.empty) * 1000 | floor) ms"' \
  "$work/render.json"
for _ in 1 2 3 4 5; do
  chrome --dump-dom "file://$work/big/report.html" | grep -o 'data-render-ms="[0-9.]*" data-ready-ms="[0-9.]*"' | head -1
done | sed 's/^/the page says: /'
shot() { echo "chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --user-data-dir=$work/chrome --window-size=1400,1000 --screenshot=$work/shot.png file://$1"; }
hyperfine --runs 5 --export-json "$work/paint.json" -n empty "$(shot "$work/empty.html")" -n report "$(shot "$work/big/report.html")" \
  >/dev/null 2>&1
jq -r '(.results | map({(.command): .mean}) | add) as $m
  | "screenshot wall (load, script, layout, paint): empty page \($m.empty * 1000 | floor) ms, report \($m.report * 1000 | floor) ms: \(($m.report - $m.empty) * 1000 | floor) ms"' \
  "$work/paint.json"

echo "== bench/run/noop_steps.sh's 200 no-op steps"
cd "$work" && git init -q repo && cd repo
git -c user.name=b -c user.email=b@b commit -q --allow-empty -m bench
{ echo "test:"; echo "  override:"; for ((i = 0; i < 200; i++)); do echo "    - \"true\""; done; } >circle.yml
commands=(-n "drydock run" "$drydock run -q circle.yml")
[ -n "${BASELINE:-}" ] && commands+=(-n "baseline run" "$(realpath "$BASELINE") run -q circle.yml")
hyperfine --warmup 2 --runs "$runs" --export-json "$work/run.json" "${commands[@]}" >/dev/null
record=$PWD/.git/drydock/runs/$(ls .git/drydock/runs | sort -n | tail -n 1)
hyperfine --warmup 2 --runs "$runs" --export-json "$work/reports.json" -N \
  -n "internal report" "$drydock internal report $record" -n "drydock --version" "$drydock --version" >/dev/null
jq -s -r '([.[].results[]] | map({(.command): .mean}) | add) as $m
  | ($m["internal report"] - $m["drydock --version"]) as $r
  | "drydock run: \($m["drydock run"] * 1000 | floor) ms" ,
    (if $m["baseline run"] then "baseline run (no reports): \($m["baseline run"] * 1000 | floor) ms" else empty end),
    "writing the reports (internal report less --version): \($r * 1000 * 10 | floor / 10) ms = \($r / $m["drydock run"] * 1000 | floor / 10)% of the run"' \
  "$work/run.json" "$work/reports.json"

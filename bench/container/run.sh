#!/usr/bin/env bash
# Benchmark (issue 13): what the build container costs.
#   host        drydock run of STEPS no-op host steps, one after another
#   container   the same with --container drydock-base:bookworm: the
#               container's start, probe and removal once, a `docker exec`
#               per step
#   start only  a pipeline of one no-op step in the container: the fixed cost
# Prints each mean and the cost per step in the container over the host.
# Needs .ci/engine (the engine and drydock-base:bookworm) and a built drydock.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
steps=${STEPS:-20}
runs=${RUNS:-5}
image=${IMAGE:-drydock-base:bookworm}
drydock=$root/build/drydock
command -v hyperfine >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null; }
[ -x "$drydock" ] || bash "$root/.ci/setup"
docker image inspect "$image" >/dev/null 2>&1 || bash "$root/.ci/engine"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
git init -q . && git -c user.name=b -c user.email=b@b commit -q --allow-empty -m bench
{
  echo "test:"
  echo "  override:"
  for ((i = 0; i < steps; i++)); do echo "    - \"true\""; done
} >many.yml
printf 'test:\n  override:\n    - "true"\n' >one.yml
export HOME=$work TMPDIR=$work
hyperfine --style basic --runs "$runs" --warmup 1 --export-json times.json \
  -n "host, $steps steps" "$drydock run -q many.yml" \
  -n "container, $steps steps" "$drydock run -q --container $image many.yml" \
  -n "container, 1 step" "$drydock run -q --container $image one.yml" >/dev/null
mean() { python3 -c "import json,sys; r=json.load(open('times.json'))['results']; print(r[int(sys.argv[1])]['mean'])" "$1"; }
host=$(mean 0)
container=$(mean 1)
one=$(mean 2)
python3 - "$host" "$container" "$one" "$steps" <<'PY'
import sys
host, container, one, steps = map(float, sys.argv[1:])
print(f"host, {steps:.0f} steps:        {host*1000:8.0f} ms")
print(f"container, {steps:.0f} steps:   {container*1000:8.0f} ms")
print(f"container, 1 step:     {one*1000:8.0f} ms  (start, probe, one exec, removal)")
print(f"per step in the container over the host: {(container - one) / (steps - 1) * 1000 - host / steps * 1000:6.0f} ms")
PY

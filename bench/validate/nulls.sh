#!/usr/bin/env bash
# Benchmark: `drydock validate` on a list of N nulls (one error each), the
# worst case for de-duplicating schema issues against loader errors
# (issue 10: 12,000 nulls took 14 s and 96,000 over 4 minutes when that was
# quadratic). Prints wall time and peak RSS (GNU time) for each size; one run
# each, since the slow case is what it measures.
# Usage: bench/validate/nulls.sh [DRYDOCK] (default build/drydock);
# SIZES="12000 96000" by default.
set -euo pipefail
cd "$(dirname "$0")/../.."
drydock=${1:-build/drydock}
sizes=${SIZES:-12000 96000}
[ -x "$drydock" ] || { echo "no drydock at $drydock; build it first"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for n in $sizes; do
  python3 -c "import sys; print('test:\n  override:\n' + '    - null\n' * int(sys.argv[1]), end='')" "$n" >"$work/n.yml"
  set +e
  /usr/bin/time -f '%e %M' -o "$work/time" "$drydock" validate "$work/n.yml" >"$work/out"
  status=$?
  set -e
  [ "$status" = 2 ] || { echo "expected exit 2 for $n nulls, got $status"; exit 1; }
  read -r seconds kb < <(tail -1 "$work/time") # after "Command exited with non-zero status 2"
  echo "$n nulls ($(du -k "$work/n.yml" | cut -f1) KiB): ${seconds} s, $((kb / 1024)) MiB peak; $(tail -1 "$work/out")"
done

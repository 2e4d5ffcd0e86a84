#!/usr/bin/env bash
# What a chatty step costs: drydock run of a step that prints N bytes, into
# a pipe, against the same command's bare pipe. Two shapes: one line with
# no newline (long-line splitting) and `yes` (one short line per 2 bytes,
# the per-line cost). Prints wall time and drydock's peak RSS.
# Usage: bench/output/run.sh [PATH/TO/drydock] [MEGABYTES_UNBROKEN] [MEGABYTES_YES]
set -euo pipefail
drydock=$(realpath "${1:-build/drydock}")
unbroken_mb=${2:-200}
yes_mb=${3:-1024}
# bc and GNU time, from Debian's packages, when missing.
if ! command -v bc >/dev/null || [ ! -x /usr/bin/time ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bc time >/dev/null
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"
export HOME=$scratch TMPDIR=$scratch

measure() { # label, config, bare command
  local label=$1 config=$2 bare=$3
  local start end
  start=$(date +%s.%N); bash -c "$bare" | cat >/dev/null; end=$(date +%s.%N)
  local bare_s; bare_s=$(echo "$end - $start" | bc)
  /usr/bin/time -f '%e %M' -o time.txt "$drydock" run -q "$config" | cat >/dev/null
  read -r wall rss <time.txt
  printf '%-28s bare %6.2f s   drydock %7.2f s   (%.1fx)   peak RSS %d MiB\n' "$label" "$bare_s" "$wall" \
    "$(echo "$wall / $bare_s" | bc -l)" $((rss / 1024))
  /usr/bin/time -f '%e %M' -o time.txt "$drydock" run "$config" | cat >/dev/null
  read -r wall rss <time.txt
  printf '%-28s                   drydock %7.2f s   (%.1fx)   peak RSS %d MiB  (every line printed)\n' "" "$wall" \
    "$(echo "$wall / $bare_s" | bc -l)" $((rss / 1024))
}

unbroken="head -c $((unbroken_mb * 1024 * 1024)) /dev/zero | tr '\\\\0' x"
printf 'test:\n  override:\n    - %s\n' "$unbroken" >unbroken.yml
measure "${unbroken_mb} MiB, no newline" unbroken.yml "head -c $((unbroken_mb * 1024 * 1024)) /dev/zero | tr '\\0' x"

printf 'test:\n  override:\n    - (yes || true) | head -c %d\n' $((yes_mb * 1024 * 1024)) >yes.yml
measure "${yes_mb} MiB of yes" yes.yml "(yes || true) | head -c $((yes_mb * 1024 * 1024))"

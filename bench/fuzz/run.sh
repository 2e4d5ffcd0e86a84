#!/usr/bin/env bash
# Benchmark (issue 14, item 4): the fuzz target (tests/fuzz/plan_fuzz.cpp,
# circle.yml text through validate and plan) for as long as asked, on every
# core given, through .ci/fuzz with FUZZ_KEEP_GOING=1: a finding is counted
# and kept (build-fuzz/findings/RUN/) and the fuzzing goes on. Goal: 10
# million executions with no crash, leak, timeout or OOM.
# Usage: bench/fuzz/run.sh [SECONDS] [JOBS]
#   SECONDS  how long to fuzz (default: $FUZZ_SECONDS, else 600)
#   JOBS     processes at once (default: $FUZZ_JOBS, else every core)
#   FUZZ_RUNS=N stops it after N executions, if that comes first
#   (FUZZ_RUNS=10000000 bench/fuzz/run.sh 14400: the goal, within 4 hours)
# Prints the total executions, executions per second and findings (the last
# line); exits 1 when there is a finding.
set -euo pipefail
cd "$(dirname "$0")/../.."
export FUZZ_SECONDS=${1:-${FUZZ_SECONDS:-600}}
export FUZZ_JOBS=${2:-${FUZZ_JOBS:-$(nproc)}}
export FUZZ_KEEP_GOING=1
exec bash .ci/fuzz

#!/usr/bin/env bash
# End-to-end checks of what `drydock run` writes: nothing lost to a slow
# reader, the shared stdout left as it was found, long lines, chatty steps,
# leftover children, quiet failures and usage errors.
# Usage: output_cli_test.sh PATH/TO/drydock
set -u
drydock=$1
source "$(dirname "$0")/harness.sh"

# A slow reader gets every line, and drydock waits for it.
printf 'test:\n  override:\n    - seq 1 200000\n' >seq.yml
lines=$("$drydock" run seq.yml | (sleep 2; cat) | grep -c '^\[test.override\[0\]\] [0-9]*$')
[ "$lines" -eq 200000 ] || fail "slow reader: $lines of 200000 lines arrived"
code=$( { "$drydock" run seq.yml; echo "exit=$?" >"$scratch/code"; } | (sleep 1; tail -1 >/dev/null); cat "$scratch/code")
[ "$code" = "exit=0" ] || fail "slow reader: drydock said $code"

# Ctrl-C while the reader is stalled: drydock still stops the steps at
# once (it used to sit in write(2) until the reader moved).
printf 'test:\n  override:\n    - seq 1 2000000; exec -a %s sleep 60\n' "$marker" >stalled.yml
( "$drydock" run stalled.yml & echo $! >"$scratch/stalled.pid"; wait ) | sleep 9 &
reader=$!
for _ in $(seq 100); do pgrep -f "$marker" >/dev/null && break; [ -s "$scratch/stalled.pid" ] && sleep 0.05; done
sleep 1
kill -INT "$(cat "$scratch/stalled.pid")"
gone=no
for _ in $(seq 60); do pgrep -f "$marker" >/dev/null || { gone=yes; break; }; sleep 0.05; done
[ "$gone" = yes ] || fail "Ctrl-C with a stalled reader: the step still runs 3 s later"
wait "$reader" 2>/dev/null

# The descriptor drydock shares with the next command keeps its flags: the
# command after drydock can still write to a slow reader.
printf 'test:\n  override:\n    - echo hi\n' >small.yml
flags=$( { "$drydock" run -q small.yml >/dev/null; "$drydock" run -q small.yml;
           python3 -c 'import fcntl, os; print("nonblock", fcntl.fcntl(1, fcntl.F_GETFL) & os.O_NONBLOCK)'; } | cat)
contains "$flags" "nonblock 0"
after=$( { "$drydock" run -q small.yml; seq 1 100000 || echo seq-failed; } 2>&1 | (sleep 1; cat))
lacks "$after" "seq-failed"
lacks "$after" "Resource temporarily unavailable"
numbers=$(grep -c '^[0-9][0-9]*$' <<<"$after")
[ "$numbers" -eq 100000 ] || fail "after drydock, seq wrote $numbers of 100000 lines"

# A step that forks and exits while the fork holds its output: no internal
# error, every step reported; the note says what was not read.
{ echo 'test:'; echo '  override:'; for _ in $(seq 40); do echo '    - (sleep 0.2) & exit 0'; done; } >forks.yml
for jobs in 1 3; do
  out=$("$drydock" run -j "$jobs" forks.yml 2>&1); code=$?
  [ "$code" -eq 0 ] || fail "forks -j $jobs: exit $code: ${out: -2000}"
  lacks "$out" "internal error"
  contains "$out" "build #"
  [ "$(grep -c '] ok in ' <<<"$out")" -eq 40 ] || fail "forks -j $jobs: not every step finished ok"
done
# The fork is not killed for writing to a pipe nobody reads: it lives on
# (until the build ends) and what it writes is dropped, as the note says.
printf 'test:\n  override:\n    - (sleep 0.6; echo late-line; touch late-done) & echo early-line\n    - sleep 1.5\n' >late.yml
rm -f late-done
out=$("$drydock" run -j 1 late.yml 2>&1)
contains "$out" "[test.override[0]] early-line"
contains "$out" "[test.override[0]] (drydock: the command exited, but processes it started still hold its output; what they write from now on is not shown)"
lacks "$out" "[test.override[0]] late-line"
[ -e late-done ] || fail "the fork that held the output was killed before it finished"

# A daemon a step starts inherits none of drydock's descriptors, so a
# reader of drydock's output sees the end when drydock exits.
printf 'test:\n  override:\n    - setsid bash -c "exec -a %s sleep 30" >/dev/null 2>&1 </dev/null &\n' "$marker" >daemon.yml
start=$SECONDS
timeout 25 "$drydock" run daemon.yml | cat >/dev/null
[ $((SECONDS - start)) -lt 15 ] || fail "a daemon kept drydock's output open after it exited"
pkill -f "$marker" 2>/dev/null

# Output with no newline: every byte shown, in pieces of at most 64 KiB.
printf 'test:\n  override:\n    - head -c 5000000 /dev/zero | tr "\\\\0" x\n' >long.yml
"$drydock" run long.yml >long.out 2>&1 || fail "long line: drydock failed"
xs=$(grep '^\[test.override\[0\]\] x' long.out | tr -cd x | wc -c)
[ "$xs" -eq 5000000 ] || fail "long line: $xs of 5000000 bytes shown"
longest=$(awk '{ if (length($0) > max) max = length($0) } END { print max }' long.out)
[ "$longest" -le $((65536 + 40)) ] || fail "long line: a line of $longest bytes was printed"

# --quiet still names a failed step, its exit code, and says it printed nothing.
printf 'test:\n  override:\n    - exit 7\n' >silent.yml
out=$("$drydock" run -q silent.yml 2>&1)
contains "$out" "[test.override[0]] failed (exit 7)"
contains "$out" "test.override[0] (exit 7) printed nothing"
printf 'test:\n  override:\n    - sleep 30:\n        timeout: 1\n' >quiet-timeout.yml
out=$("$drydock" run -q quiet-timeout.yml 2>&1)
contains "$out" "test.override[0] (no output for 1 s; stopped) printed nothing"

# The dry run ends by saying what it is.
out=$("$drydock" run -n small.yml 2>&1)
contains "$out" "dry run: 1 step would run"
lacks "$out" "passed"

# Usage: -j takes a number.
out=$("$drydock" run -j abc small.yml 2>&1); code=$?
[ "$code" -eq 2 ] || fail "-j abc: exit $code"
contains "$out" "--jobs: expected a number of steps from 1 to 1024, got 'abc'"

finish "output CLI: all checks passed"

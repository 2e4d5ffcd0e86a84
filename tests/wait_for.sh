# Sourced by the test harnesses and benchmarks.
# wait_for SECONDS COMMAND...: runs COMMAND until it succeeds, at most
# SECONDS; 1 when it never did. It looks again every $WAIT_PACE seconds (0.2).
wait_for() {
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep "${WAIT_PACE:-0.2}"
  done
}

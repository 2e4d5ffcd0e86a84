# Sourced by the CLI tests: a scratch HOME and TMPDIR (build counters and
# artifacts go there), a marker for the processes a test starts (killed at
# the end), and the checks they share.
# Usage: drydock=...; source harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/../wait_for.sh" # before the cd below: the path may be relative
failures=0
scratch=$(mktemp -d)
marker="drydock-cli-marker-$$"
cleanup() { pkill -f "$marker" 2>/dev/null; rm -rf "$scratch"; }
trap cleanup EXIT
export HOME=$scratch TMPDIR=$scratch
cd "$scratch" || exit 1

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
contains() { case "$1" in *"$2"*) ;; *) fail "output lacks '$2': ${1:0:2000}";; esac; }
lacks() { case "$1" in *"$2"*) fail "output has '$2': ${1:0:2000}";; esac; }
finish() { # $1: what passed
  if [ "$failures" -gt 0 ]; then
    echo "$failures failed"
    exit 1
  fi
  echo "$1"
}

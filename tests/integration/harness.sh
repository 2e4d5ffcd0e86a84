# Sourced by the integration tests: a scratch HOME and TMPDIR (enterable by
# the postgres user, as the cluster needs), a random tag for names, and the
# checks they share. The test defines `cleanup_more` for its own resources.
# Usage: drydock=...; source harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/../wait_for.sh" # before the cd below: the path may be relative
failures=0
scratch=$(mktemp -d)
chmod 755 "$scratch" # the cluster runs as postgres when we are root
tag=$(printf '%04x%04x' $RANDOM $RANDOM)
cleanup_more() { :; }
cleanup() {
  cleanup_more
  rm -rf "$scratch"
}
trap cleanup EXIT
export HOME=$scratch TMPDIR=$scratch
cd "$scratch" || exit 1

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
run() { out=$("$drydock" "$@" 2>&1); code=$?; }
expect_code() { [ "$code" -eq "$1" ] || fail "exit $code, expected $1: $out"; }
contains() { case "$out" in *"$1"*) ;; *) fail "output lacks '$1': $out";; esac; }
lacks() { case "$out" in *"$1"*) fail "output has '$1': $out";; esac; }
# Removes the images of these repositories, every tag: by name, since an id
# another repository's image is built on (a base) cannot be removed by id,
# so its tags would stay behind.
remove_images() {
  local repo
  for repo in "$@"; do
    docker images --format '{{.Repository}}:{{.Tag}}' "$repo" | grep -v ':<none>$' | xargs -r docker rmi -f >/dev/null 2>&1
    docker images -q "$repo" | sort -u | xargs -r docker rmi -f >/dev/null 2>&1
  done
  return 0
}
finish() { # $1: what passed
  if [ "$failures" -gt 0 ]; then
    echo "$failures failure(s)"
    exit 1
  fi
  echo "$1"
}

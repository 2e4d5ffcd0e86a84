#!/usr/bin/env bash
# `drydock tag` against docker-ci-deploy's command line: the README example's
# dry-run lines exactly, options in any order, `--`, the fixed DCD bugs, and
# usage errors (exit 2, one line, no traceback).
# Usage: tag_cli_test.sh PATH/TO/drydock
set -u
drydock=$(realpath "$1")
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
run() { out=$(timeout 10 "$drydock" tag "$@" 2>"$errfile"); code=$?; err=$(cat "$errfile"); }
errfile=$(mktemp)
trap 'rm -f "$errfile"' EXIT
same() { [ "$out" = "$1" ] || fail "tag $2: got
$out
expected
$1"; }

run --version 2.7.13 --version-semver --version-latest --registry registry:5000 --dry-run \
  praekeltorg/alpine-python praekeltorg/alpine-python:onbuild
[ "$code" -eq 0 ] || fail "README example exited $code: $err"
same "docker tag praekeltorg/alpine-python registry:5000/praekeltorg/alpine-python:2.7.13
docker tag praekeltorg/alpine-python registry:5000/praekeltorg/alpine-python:2.7
docker tag praekeltorg/alpine-python registry:5000/praekeltorg/alpine-python:2
docker tag praekeltorg/alpine-python registry:5000/praekeltorg/alpine-python:latest
docker tag praekeltorg/alpine-python:onbuild registry:5000/praekeltorg/alpine-python:2.7.13-onbuild
docker tag praekeltorg/alpine-python:onbuild registry:5000/praekeltorg/alpine-python:2.7-onbuild
docker tag praekeltorg/alpine-python:onbuild registry:5000/praekeltorg/alpine-python:2-onbuild
docker tag praekeltorg/alpine-python:onbuild registry:5000/praekeltorg/alpine-python:onbuild
docker push registry:5000/praekeltorg/alpine-python:2.7.13
docker push registry:5000/praekeltorg/alpine-python:2.7
docker push registry:5000/praekeltorg/alpine-python:2
docker push registry:5000/praekeltorg/alpine-python:latest
docker push registry:5000/praekeltorg/alpine-python:2.7.13-onbuild
docker push registry:5000/praekeltorg/alpine-python:2.7-onbuild
docker push registry:5000/praekeltorg/alpine-python:2-onbuild
docker push registry:5000/praekeltorg/alpine-python:onbuild" "README example"

# the same with the images first and short options
run praekeltorg/alpine-python -V 1.0 -L -r reg:5000 --dry-run
same "docker tag praekeltorg/alpine-python reg:5000/praekeltorg/alpine-python:1.0
docker tag praekeltorg/alpine-python reg:5000/praekeltorg/alpine-python:latest
docker push reg:5000/praekeltorg/alpine-python:1.0
docker push reg:5000/praekeltorg/alpine-python:latest" "images first"

# --tag with several images: every image (DCD tagged only the first)
run --dry-run -t abc -- img1 img2
same "docker tag img1 img1:abc
docker tag img2 img2:abc
docker push img1:abc
docker push img2:abc" "--tag with two images"

# -t/--tag takes every word up to the next option or `--`, as DCD's nargs='+'
run --dry-run --tag abc def -t ghi -- img
[ "$code" -eq 0 ] || fail "several tags after one --tag exited $code: $err"
same "docker tag img img:abc
docker tag img img:def
docker tag img img:ghi
docker push img:abc
docker push img:def
docker push img:ghi" "--tag abc def -t ghi -- img"
run img -t abc def --dry-run
same "docker tag img img:abc
docker tag img img:def
docker push img:abc
docker push img:def" "the image before -t"
# a value given with the option (--tag=X, -tX) ends its list, as in argparse
run --dry-run --tag=abc img1 img2
same "docker tag img1 img1:abc
docker tag img2 img2:abc
docker push img1:abc
docker push img2:abc" "--tag=abc img1 img2"
run --dry-run -tabc img
same "docker tag img img:abc
docker push img:abc" "-tabc img"
run img1 --dry-run img2 -t abc
same "docker tag img1 img1:abc
docker tag img2 img2:abc
docker push img1:abc
docker push img2:abc" "images around an option"

# build metadata: dropped with a note, no hang (DCD loops forever)
run --dry-run -V 1.2.3+build.5 -S img
[ "$code" -eq 0 ] || fail "build metadata exited $code: $err"
same "docker tag img img:1.2.3
docker tag img img:1.2
docker tag img img:1
docker push img:1.2.3
docker push img:1.2
docker push img:1" "build metadata"
[ "$err" = "drydock tag: note: dropped the build metadata '+build.5' from version '1.2.3+build.5': docker tags cannot hold '+'" ] \
  || fail "build metadata note: $err"

# --executable and --verbose as DCD prints them
run --dry-run --verbose --executable /opt/docker -t 2 -- img:1
same 'Tagging "img:1" as "img:2"...
/opt/docker tag img:1 img:2
Pushing tag "img:2"...
/opt/docker push img:2' "--verbose --executable"

# usage errors: exit 2, one clear line, nothing on stdout
expect_usage() {
  local message=$1; shift
  run "$@"
  [ "$code" -eq 2 ] || fail "tag $*: exit $code, expected 2"
  [ -z "$out" ] || fail "tag $*: printed $out"
  [ "$err" = "drydock tag: $message" ] || fail "tag $*: stderr '$err', expected 'drydock tag: $message'"
}
expect_usage "the minimum precision (3) is greater than the precision of version '1.2' (2)" -V 1.2 -S -P 3 --dry-run img
expect_usage "the --version-latest option requires --version" -L --dry-run img
expect_usage "the --version-semver option requires --version" -S -V '' --dry-run img
expect_usage "the --semver-precision option requires --version-semver" -V 1 -P 2 --dry-run img
expect_usage "the --semver-zero option requires --version-semver" -V 1 -Z --dry-run img
expect_usage "unable to parse image tag 'Bad Image'" --dry-run 'Bad Image'
expect_usage "no image given (drydock tag [OPTIONS] [--] IMAGE...)" --dry-run
# after `--` every word is an image, even after a -t list
expect_usage "unable to parse image tag '-V'" --dry-run -t a b -- img -V 2
# where DCD's argparse takes the images as tags, say how to write it
expect_usage "no image given: -t/--tag took 'a', 'b' and 'IMAGE' as tags; write the image after '--' (drydock tag -t a b -- IMAGE) or put -t after it" \
  -t a b IMAGE --dry-run
expect_usage "no image given: -t/--tag took 'abc', 'img1' and 'img2' as tags; write the image after '--' (drydock tag -t abc img1 -- img2) or put -t after it" \
  --dry-run -t abc img1 img2
expect_usage "no image given: -t/--tag took 'img' as a tag; write the image after '--' (drydock tag -t img -- IMAGE) or put -t after it" \
  --dry-run -t img

if [ "$failures" -gt 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "tag checks passed"

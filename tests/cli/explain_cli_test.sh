#!/usr/bin/env bash
# `drydock explain` end to end without an engine (the base image's id is
# then unknown): the whole output pinned, then what a changed input shows.
# Usage: explain_cli_test.sh PATH/TO/drydock
set -u
drydock=$(realpath "$1")
failures=0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export HOME=$scratch
export DOCKER_HOST=unix://$scratch/no-engine.sock
cd "$scratch" || exit 1
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

mkdir -p app/requirements cache
printf 'FROM debian:12\nADD . /code\n' >app/Dockerfile
echo "flask==2.2" >app/requirements/base.txt
cat >circle.yml <<YAML
drydock:
  images:
    app:
      repository: org/app
      context: app
      dockerfile: app/Dockerfile
      inputs: [app/requirements/*.txt]
      cache_dir: $scratch/cache
YAML
# The last key's inputs: XXH3-128 of "flask==2.2\n" is caa4cd88...; the
# Dockerfile was something else then, and gone.txt was an input.
printf 'key 00000000000000000000000000000000\nbase-image\tdebian:12\tsha256:1\ndockerfile\tapp/Dockerfile\tce6f1dbf5a7d5a8b2c9e7dfb5b1c7d8e\nfile\tapp/requirements/base.txt\tcaa4cd880c27614e05d2b4cb0c5c5072\nfile\tapp/requirements/gone.txt\tabc\n' >cache/app.inputs

out=$("$drydock" explain circle.yml 2>&1); code=$?
[ "$code" -eq 0 ] || fail "explain exited $code: $out"
expected="image app: org/app:? (the base images' ids are part of the key, and no engine answers)
  kind          input                      hash                              since the last key
  base-image    debian:12                  unknown                           unknown
  dockerfile    app/Dockerfile             9d71a5465162e9c55fbc8abe8ccc1212  changed (was ce6f1dbf5a7d5a8b2c9e7dfb5b1c7d8e)
  file          app/requirements/base.txt  caa4cd880c27614e05d2b4cb0c5c5072  same
  file          app/requirements/gone.txt  -                                 gone
  engine: no Docker engine answers at $DOCKER_HOST: Cannot connect to the Docker daemon at $DOCKER_HOST. Is the docker daemon running?"
echo "$out" >"$scratch/got"
echo "$expected" >"$scratch/want"
diff -u "$scratch/want" "$scratch/got" || fail "explain output differs"

if [ "$failures" -gt 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "explain checks passed"

#!/usr/bin/env bash
# Below the pipeline model nothing knows a config format: graph/, plan/,
# exec/ and report/ include neither config/ nor a front end, and the
# neutral model includes nothing from them either.
set -u
cd "$(dirname "$0")/../../runner" || exit 1
found=$(grep -rnE '#include "(config|frontends)/' graph plan exec report pipeline os record docker services publish env)
if [ -n "$found" ]; then
  echo "FAIL: a layer below the front ends includes a format's code:"
  echo "$found"
  exit 1
fi
found=$(grep -rln 'circle1' graph plan exec report pipeline)
if [ -n "$found" ]; then
  echo "FAIL: the neutral layers name the 1.0 front end: $found"
  exit 1
fi
echo "layering: the neutral layers include no config format"

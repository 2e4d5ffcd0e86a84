#!/usr/bin/env bash
# End-to-end checks of the drydock executable: exit codes, help, output
# formats and hostile files. Usage: validate_cli_test.sh PATH/TO/drydock
# (run from tests/, where corpus/ is).
set -u
drydock=$1
failures=0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect_exit CODE CMD... : runs CMD, keeps its stdout in $out.
expect_exit() {
  local want=$1; shift
  out=$("$@" 2>"$scratch/stderr"); local got=$?
  [ "$got" -eq "$want" ] || fail "'$*' exited $got, expected $want"
}
contains() { case "$1" in *"$2"*) ;; *) fail "output lacks '$2': $1";; esac; }

expect_exit 0 "$drydock" --version
[ "$out" = "drydock 0.1.0" ] || fail "--version printed '$out'"

expect_exit 0 "$drydock" --help
contains "$out" "validate"
contains "$out" "130  interrupted"

expect_exit 0 "$drydock" validate --help
contains "$out" "--format"
contains "$out" "are RE2 syntax"

expect_exit 2 "$drydock"
expect_exit 2 "$drydock" frobnicate
[ "$(cat "$scratch/stderr")" = "drydock: unknown command 'frobnicate'; the commands are validate, plan, run, explain, tag, clean, runs, report, agent, orb (drydock --help)" ] ||
  fail "unknown command: $(cat "$scratch/stderr")"
expect_exit 2 "$drydock" rnu circle.yml
[ "$(cat "$scratch/stderr")" = "drydock: unknown command 'rnu'; did you mean 'run'?" ] ||
  fail "misspelt command: $(cat "$scratch/stderr")"
expect_exit 2 "$drydock" validate --format xml corpus/valid/modifiers.yml

expect_exit 0 "$drydock" validate corpus/valid/drydock_seed_pipeline.yml corpus/valid/docker_save_load.yml
[ "$out" = $'corpus/valid/drydock_seed_pipeline.yml: valid\ncorpus/valid/docker_save_load.yml: valid' ] || fail "valid output: $out"

# The pinned text of a broken file is exactly what the binary prints.
(cd corpus && "$drydock" validate broken/unknown_keys.yml >"$scratch/unknown.txt"; echo $? >"$scratch/rc")
[ "$(cat "$scratch/rc")" = 2 ] || fail "broken file exit code $(cat "$scratch/rc")"
cmp -s "$scratch/unknown.txt" corpus/broken/unknown_keys.yml.expected || fail "broken output differs from pinned text"

# One invalid file among valid ones fails the run; all are reported.
expect_exit 2 "$drydock" validate corpus/valid/modifiers.yml corpus/broken/duplicate_keys.yml
contains "$out" "modifiers.yml: valid"
contains "$out" "duplicate_keys.yml: 2 errors"

# Default file: ./circle.yml
mkdir "$scratch/project"
cp corpus/valid/docker_save_load.yml "$scratch/project/circle.yml"
(cd "$scratch/project" && "$drydock" validate >"$scratch/default.txt"; echo $? >"$scratch/rc")
[ "$(cat "$scratch/rc")" = 0 ] || fail "default circle.yml exit $(cat "$scratch/rc")"
[ "$(cat "$scratch/default.txt")" = "circle.yml: valid" ] || fail "default output: $(cat "$scratch/default.txt")"
(cd "$scratch" && "$drydock" validate >"$scratch/missing.txt"; echo $? >"$scratch/rc")
[ "$(cat "$scratch/rc")" = 2 ] || fail "missing circle.yml exit $(cat "$scratch/rc")"
[ "$(cat "$scratch/missing.txt")" = "circle.yml: error: cannot read the file: No such file or directory" ] ||
  fail "missing output: $(cat "$scratch/missing.txt")"

expect_exit 2 "$drydock" validate "$scratch"
contains "$out" "is a directory"

# JSON for editors: parseable, with positions.
expect_exit 2 "$drydock" validate --format json corpus/broken/unknown_keys.yml corpus/valid/modifiers.yml
echo "$out" | jq -e '.valid == false and (.files | length) == 2 and .files[0].errors == 6
  and .files[0].diagnostics[0].line == 2 and .files[0].diagnostics[0].column == 3
  and .files[1].valid == true' >/dev/null || fail "json report: $out"
expect_exit 0 "$drydock" validate --format json corpus/valid/modifiers.yml
echo "$out" | jq -e '.valid == true' >/dev/null || fail "json valid report: $out"

# Step graph errors (plan and run refuse them) fail validate too, in text
# and in JSON, whichever deployment section they are in.
printf 'test:\n  override:\n    - a:\n        drydock: {id: a, requires: [b]}\n    - b:\n        drydock: {id: b}\n' >"$scratch/cycle.yml"
expect_exit 2 "$drydock" validate "$scratch/cycle.yml"
contains "$out" "cycle.yml:3:7: error: dependency cycle: a ($scratch/cycle.yml:3:7) -> b ($scratch/cycle.yml:5:7)"
expect_exit 2 "$drydock" validate --format json "$scratch/cycle.yml"
echo "$out" | jq -e '.valid == false and .files[0].errors == 1
  and (.files[0].diagnostics[0].message | startswith("dependency cycle: a"))' >/dev/null || fail "json cycle: $out"
(cd corpus && "$drydock" validate broken/graph_errors.yml >"$scratch/graph.txt"; echo $? >"$scratch/rc")
[ "$(cat "$scratch/rc")" = 2 ] || fail "graph errors exit code $(cat "$scratch/rc")"
cmp -s "$scratch/graph.txt" corpus/broken/graph_errors.yml.expected || fail "graph errors differ from pinned text"

# Many errors: the text shows 100 and counts the rest; JSON lists them all.
{ printf 'test:\n  override:\n'; for _ in $(seq 12000); do echo '    - null'; done; } >"$scratch/nulls.yml"
expect_exit 2 timeout 20 "$drydock" validate "$scratch/nulls.yml"
[ "$(echo "$out" | grep -c ': error: ')" = 100 ] || fail "nulls: not 100 errors shown"
[ "$(echo "$out" | tail -2)" = $'... and 11900 more errors\n'"$scratch/nulls.yml: 12000 errors" ] ||
  fail "nulls tail: $(echo "$out" | tail -2)"
expect_exit 2 timeout 20 "$drydock" validate --format json "$scratch/nulls.yml"
echo "$out" | jq -e '.files[0].errors == 12000 and (.files[0].diagnostics | length) == 12000' >/dev/null ||
  fail "nulls json counts"

# Hostile input: a clean error and exit 2, never a crash or a hang.
head -c 17000000 /dev/zero | tr '\0' 'a' >"$scratch/huge.yml"
expect_exit 2 timeout 20 "$drydock" validate "$scratch/huge.yml"
contains "$out" "larger than 16 MiB"
{ printf 'a: '; head -c 200000 /dev/zero | tr '\0' '['; } >"$scratch/deep.yml"
expect_exit 2 timeout 20 "$drydock" validate "$scratch/deep.yml"
contains "$out" "nesting is deeper than 64 levels"
head -c 65536 /dev/urandom >"$scratch/junk.yml"
expect_exit 2 timeout 20 "$drydock" validate "$scratch/junk.yml"
expect_exit 2 timeout 20 "$drydock" validate corpus/broken/binary.yml
contains "$out" "not a text file"
: >"$scratch/empty.yml"
expect_exit 0 "$drydock" validate "$scratch/empty.yml"
contains "$out" "warning: the config is empty"

if [ "$failures" -gt 0 ]; then
  echo "$failures failed"
  exit 1
fi
echo "validate CLI: all checks passed"

#!/usr/bin/env bash
# The throwaway cluster's template on the real PostgreSQL: the first run
# builds it with initdb, the next reuse it, a template missing its marker
# or PG_VERSION is built again, a run leaves a spare copy that the next
# run takes instead of copying, two runs at once (cold and warm) both pass
# on their own directories and ports, and nothing is left behind.
# Usage: postgres_template_test.sh PATH/TO/drydock
set -u
drydock=$(realpath "$1")
source "$(dirname "$0")/harness.sh"
root="$scratch/.cache/drydock/postgres"
spares="$scratch/drydock-spares-$(id -u)"
nothing_left() { # $1: what just happened
  compgen -G "$scratch/drydock-postgres-*" >/dev/null && fail "$1: cluster directory left: $(ls -d "$scratch"/drydock-postgres-*)"
  pgrep -f "$scratch/drydock-postgres" >/dev/null && fail "$1: postgres still running"
  compgen -G "$root/.tmp-*" >/dev/null && fail "$1: a half-built template left: $(ls -a "$root")"
  compgen -G "$root/.trash-*" >/dev/null && fail "$1: a discarded template left: $(ls -a "$root")"
  [ "$(ls "$spares" 2>/dev/null | wc -l)" -le 1 ] || fail "$1: spares: $(ls -a "$spares")"
  compgen -G "$spares/.*-*" >/dev/null && fail "$1: a half-made or claimed spare left: $(ls -a "$spares")"
  return 0
}
port_of() { sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' <<<"$1" | head -1; }

cat >circle.yml <<'YAML'
machine:
  services: [postgresql]
test:
  override:
    - psql --no-psqlrc -At -c "select current_user || ' in ' || current_database()"
    - psql --no-psqlrc -At -c "create table t (x int); insert into t values (7); select sum(x) from t"
YAML

# cold: initdb, saved as the template
run run circle.yml
expect_code 0
contains "[postgresql] postgres template: built $root/pg15-"
contains "ubuntu in circle_test"
contains "[test.override[1]] 7"
lacks "postgres template: reused"
template=$(ls -d "$root"/pg15-* 2>/dev/null)
[ "$(wc -l <<<"$template")" -eq 1 ] && [ -d "$template/data" ] || fail "cold: not one template: $(ls -a "$root")"
[ -s "$template/drydock-template" ] || fail "cold: no marker in $template"
[ -s "$template/data/PG_VERSION" ] || fail "cold: no PG_VERSION in $template"
[ "$(stat -c %a "$template/data")" = 700 ] || fail "cold: template data mode $(stat -c %a "$template/data")"
if [ "$(id -u)" -eq 0 ]; then
  [ "$(stat -c %U "$template/data")" = postgres ] || fail "cold: template owned by $(stat -c %U "$template/data")"
fi
grep -q '^port' "$template/data/postgresql.conf" && fail "cold: the template holds a run's settings"
nothing_left "cold"

# warm: the template copied, no initdb; the run's own data is a fresh copy
run run circle.yml
expect_code 0
contains "[postgresql] postgres template: reused $template"
contains "ubuntu in circle_test"
contains "[test.override[1]] 7"
lacks "postgres template: built"
contains "; ready in "
nothing_left "warm"

# a template missing its marker, then one missing PG_VERSION: built again
rm "$template/drydock-template"
run run circle.yml
expect_code 0
contains "[postgresql] postgres template: $template cannot be used (no drydock-template marker); building it again"
contains "[postgresql] postgres template: built $template in "
[ -s "$template/drydock-template" ] || fail "no marker after the rebuild"
rm "$template/data/PG_VERSION"
run run circle.yml
expect_code 0
contains "[postgresql] postgres template: $template cannot be used (no PG_VERSION); building it again"
contains "[postgresql] postgres template: built $template in "
run run circle.yml
expect_code 0
contains "postgres template: reused $template"
nothing_left "rebuilt"

# the spare: the last run copied the template for the next one, which
# takes it whole (and leaves one for the run after it)
spare=$spares/$(basename "$template")
[ -s "$spare/data/PG_VERSION" ] && [ "$(readlink "$spare/from")" = "$template" ] || fail "no spare: $(ls -a "$scratch")"
[ "$(stat -c '%a %u' "$spares")" = "700 $(id -u)" ] || fail "spares folder: $(stat -c '%a %u' "$spares")"
if [ "$(id -u)" -eq 0 ]; then
  [ "$(stat -c %U "$spare/data/PG_VERSION")" = postgres ] || fail "spare owned by $(stat -c %U "$spare/data/PG_VERSION")"
fi
run run circle.yml
expect_code 0
contains "[postgresql] postgres template: took the spare copy made by an earlier run"
lacks "postgres template: reused"
contains "ubuntu in circle_test"
contains "[test.override[1]] 7"
[ -s "$spare/data/PG_VERSION" ] || fail "the run after the spare left none"
# a spare that is not a whole copy of the template is not used
rm "$spare/from"
run run circle.yml
expect_code 0
contains "the spare $spare was not a copy of $template; removed it"
contains "postgres template: reused $template"
nothing_left "spare"
# a spares folder someone else could enter (made first by another user,
# in a shared /dev/shm) is not used: the run copies the template
mv "$spares" "$scratch/spares.kept" && mkdir -m 755 "$spares"
run run circle.yml
expect_code 0
contains "$spares is not a private folder of this user; no spare copies"
contains "postgres template: reused $template"
[ -z "$(ls -A "$spares")" ] || fail "a spare was left in a folder others can enter: $(ls -a "$spares")"
rmdir "$spares" && mv "$scratch/spares.kept" "$spares"

# two runs at once, warm then cold: both pass, each on its own port
for state in warm cold; do
  [ "$state" = cold ] && rm -rf "$root"
  "$drydock" run circle.yml >"$scratch/first.log" 2>&1 & first=$!
  "$drydock" run circle.yml >"$scratch/second.log" 2>&1 & second=$!
  wait "$first" || fail "$state concurrent: the first run failed: $(cat "$scratch/first.log")"
  wait "$second" || fail "$state concurrent: the second run failed: $(cat "$scratch/second.log")"
  one=$(port_of "$(cat "$scratch/first.log")") two=$(port_of "$(cat "$scratch/second.log")")
  [ -n "$one" ] && [ "$one" != "$two" ] || fail "$state concurrent: ports '$one' and '$two'"
  [ "$(cat "$scratch/first.log" "$scratch/second.log" | grep -c 'ubuntu in circle_test')" -eq 2 ] \
    || fail "$state concurrent: not both connected"
  [ "$(ls "$root" | grep -c '^pg')" -eq 1 ] || fail "$state concurrent: templates: $(ls -a "$root")"
  # cold: the template is new, so no run could copy it meanwhile
  [ "$state" = cold ] || [ -d "$spare/data" ] || fail "$state concurrent: no spare left for the next run"
  nothing_left "$state concurrent"
done
grep -h "postgres template:" "$scratch/first.log" "$scratch/second.log" | grep -q "built $root/pg15-" \
  || fail "cold concurrent: no run built the template"

# XDG_CACHE_HOME moves the cache, as for drydock's other caches
XDG_CACHE_HOME=$scratch/xdg run run circle.yml
expect_code 0
contains "postgres template: built $scratch/xdg/drydock/postgres/pg15-"
nothing_left "xdg"

finish "postgres template integration: ok"

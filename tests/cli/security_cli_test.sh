#!/usr/bin/env bash
# End-to-end checks that values stay values and secrets do not outlive
# their run: drydock's internal command line, credentials left by kill -9.
# Usage: security_cli_test.sh PATH/TO/drydock
set -u
drydock=$1
source "$(dirname "$0")/harness.sh"

# drydock's own steps get their work as JSON on stdin, never as options: a
# database named --help reaches the cluster step as a name (no help text, no
# "ok" for a server that never started), and what is not a step is refused.
out=$(printf '%s' "{\"action\": {\"kind\": \"database\", \"database\": {\"provider\": \"cluster\"}},
  \"cluster\": {\"dir\": \"$scratch/no/such/dir\", \"port\": 1, \"user\": \"u\", \"databases\": [\"--help\"]}}" |
  "$drydock" internal step 2>&1); code=$?
[ "$code" -eq 1 ] || fail "a cluster step with a database named --help: exit $code: $out"
contains "$out" "drydock: postgresql: "
lacks "$out" "Usage"
lacks "$out" "--help"$'\n'
out=$(printf '%s' '--help' | "$drydock" internal step 2>&1); code=$?
[ "$code" -eq 2 ] || fail "internal step fed --help: exit $code: $out"
contains "$out" "drydock: internal step: not a step of drydock's own: "
out=$("$drydock" internal step --file=circle.yml </dev/null 2>&1); code=$?
[ "$code" -eq 2 ] || fail "internal step with an option it does not take: exit $code: $out"

# The same through a real run: a throwaway cluster whose user and database
# look like options is started with exactly those names.
chmod 755 "$scratch" # the cluster runs as postgres when we are root
cat >db.yml <<'YAML'
machine:
  services: [postgresql]
test:
  override:
    - psql --no-psqlrc --tuples-only --dbname="$PGDATABASE" --command="select current_user || ' in ' || current_database()"
drydock:
  database:
    user: "-dpostgres"
    databases: ["--help"]
YAML
out=$("$drydock" run db.yml 2>&1); code=$?
[ "$code" -eq 0 ] || fail "a run with option-like database names: exit $code: ${out: -3000}"
contains "$out" "-dpostgres in --help"

# Credentials a killed publish step left: drydock clean removes them once
# their owner is gone.
sleep 0.01 & dead=$!; wait "$dead"
mkdir -p "$scratch/drydock-docker-config-dead1"
echo '{"auths":{"r":{"auth":"dXNlcjpwYXNz"}}}' >"$scratch/drydock-docker-config-dead1/config.json"
echo "$dead" >"$scratch/drydock-docker-config-dead1/drydock.owner"
out=$("$drydock" clean -n 2>&1)
contains "$out" "would remove credentials $scratch/drydock-docker-config-dead1"
out=$("$drydock" clean 2>&1)
contains "$out" "removed credentials $scratch/drydock-docker-config-dead1"
[ -e "$scratch/drydock-docker-config-dead1" ] && fail "clean left the credentials of a dead run"

# Secrets and --env-file values are masked wherever drydock writes them,
# and the steps still get the real values.
cat >secrets.yml <<'YAML'
test:
  pre:
    - echo "bg $TOKEN":
        background: true
  override:
    - echo "token $TOKEN key $API_KEY file $FROM_FILE short $SHORT"; [ "$TOKEN" = s3cr3t-value ] && echo same-token
    - sleep 0.3
YAML
printf 'API_KEY=abcd1234\nSHORT=ab\n' >vars.env
printf 'FROM_FILE=file-secret-42\n' >secrets.env
out=$("$drydock" run --secret TOKEN=s3cr3t-value --env-file vars.env --secret-file secrets.env secrets.yml 2>&1); code=$?
[ "$code" -eq 0 ] || fail "secrets run: exit $code: $out"
contains "$out" "token *** key *** file *** short ab"
contains "$out" "same-token"
contains "$out" "warning: SHORT is shorter than 4 characters and is not masked"
lacks "$out" "s3cr3t"
lacks "$out" "abcd1234"
lacks "$out" "file-secret-42"
artifacts=$(sed -n 's/^artifacts: *//p' <<<"$out")
[ "$(cat "$artifacts/background-test.pre_0_.log")" = "bg ***" ] || fail "background log: $(cat "$artifacts/background-test.pre_0_.log")"
out=$("$drydock" run --no-mask-env-file --env-file vars.env --secret TOKEN=s3cr3t-value secrets.yml 2>&1)
contains "$out" "token *** key abcd1234"
out=$("$drydock" run --secret NOEQUALS secrets.yml 2>&1); code=$?
[ "$code" -eq 2 ] || fail "--secret NOEQUALS: exit $code"
contains "$out" "--secret: expected NAME=value, got 'NOEQUALS'"

# A live run is recognised by its pid and start time, whatever the binary is
# called: clean keeps the cluster of a run by a copy named drydock-ci.
cp "$drydock" "$scratch/drydock-ci"
cat >slow-db.yml <<'YAML'
machine:
  services: [postgresql]
test:
  override:
    - touch db-up; sleep 20
YAML
"$scratch/drydock-ci" run slow-db.yml >slow.out 2>&1 &
live=$!
for _ in $(seq 200); do [ -e db-up ] && break; sleep 0.05; done
[ -e db-up ] || fail "the slow run did not start: $(cat slow.out)"
out=$("$drydock" clean -n 2>&1)
lacks "$out" "would remove cluster"
contains "$out" "0 to remove, 1 kept"
kill -TERM "$live"; wait "$live"
compgen -G "$scratch/drydock-postgres-*" >/dev/null && fail "the interrupted run left its cluster"

finish "security CLI: all checks passed"

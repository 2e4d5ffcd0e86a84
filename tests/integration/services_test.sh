#!/usr/bin/env bash
# Service containers on the real engine: readiness by log (N times), port
# and command; reaching services by alias from containerized steps;
# depends_on order; a Postgres container as drydock.database; timeouts and
# early exits with the service's last log lines; and zero leftovers after
# success, failure, a readiness timeout, SIGINT, SIGTERM, and kill -9 plus
# `drydock clean`.
# Usage: services_test.sh PATH/TO/drydock
set -u
drydock=$(realpath "$1")
source "$(dirname "$0")/harness.sh"
cleanup_more() { remove_images "drydock-svc-$tag/base"; }
run_id_of() { sed -n 's/.*on network drydock-\([0-9a-f]\{12\}\).*/\1/p' <<<"$1" | head -1; }
nothing_left() { # $1: what just happened; $2: the run id
  [ -n "$2" ] || { fail "$1: no run id in the output"; return; }
  local left
  left="$(docker ps -aq --filter "label=io.drydock.run=$2")$(docker network ls -q --filter "label=io.drydock.run=$2")"
  [ -z "$left" ] || fail "$1: run $2 left: $left"
  compgen -G "$scratch/drydock-postgres-*" >/dev/null && fail "$1: cluster directory left"
  return 0
}
docker image inspect drydock-base:bookworm drydock-postgres:15 >/dev/null 2>&1 || { echo "FAIL: run .ci/engine first"; exit 1; }

cat >circle.yml <<YAML
machine:
  services: [docker]
test:
  override:
    - python3 -c "import urllib.request as u; print('web says', u.urlopen('http://web:8000/').status)":
        drydock: {image: base, services: [web, worker]}
    - python3 -c "import psycopg2, os; c = psycopg2.connect(os.environ['DATABASE_URL']); k = c.cursor(); k.execute('select current_database(), current_user'); print('db says', k.fetchone())":
        drydock: {image: base, database: true}
    - psql -At -c "select datname from pg_database where datname = 'second'"
drydock:
  images:
    base:
      repository: drydock-svc-$tag/base
      dockerfile: Dockerfile
      cache_dir: $scratch/cache
  database:
    provider: container
    user: tester
    databases: [first, second]
  services:
    web:
      image: drydock-base:bookworm
      command: [sh, -c, "echo booting; sleep 1; echo serving; exec python3 -m http.server 8000"]
      ports: [8000]
      ready: {log: "^serving\$", port: 8000, timeout: 30}
    worker:
      image: drydock-base:bookworm
      depends_on: [web]
      environment: {GREETING: "hi from worker"}
      command: [sh, -c, "echo \$GREETING; touch /tmp/up; echo twice; echo twice; sleep 3600"]
      ready: {command: "test -e /tmp/up", log: twice, times: 2, timeout: 30}
YAML
printf 'FROM drydock-base:bookworm\n' >Dockerfile

# plan: services, and what waits for them
run plan circle.yml
expect_code 0
contains "service:web"
contains "service:worker    machine       service:web"
contains "test.override[0]  test          postgresql, image:base, service:web, service:worker"

# success: services ready in order, reachable by alias; the database container answers
run run circle.yml
expect_code 0
contains "service web ready in "
contains "service worker ready in "
contains "web says 200"
contains "db says ('first', 'tester')"
contains "[test.override[2]] second"
web_ready=$(grep -n "service web ready" <<<"$out" | head -1 | cut -d: -f1)
worker_start=$(grep -n "service worker: container" <<<"$out" | head -1 | cut -d: -f1)
[ -n "$web_ready" ] && [ -n "$worker_start" ] && [ "$web_ready" -lt "$worker_start" ] || fail "worker started before web was ready"
nothing_left "success" "$(run_id_of "$out")"

# a failing step: services still removed
sed -i 's|print(.web says., u.urlopen(.http://web:8000/.).status)|raise SystemExit(4)|' circle.yml
run run circle.yml
expect_code 1
nothing_left "failing step" "$(run_id_of "$out")"

# a readiness timeout names the service, the condition and shows its last log lines
cat >slow.yml <<YAML
machine:
  services: [docker]
test:
  override:
    - "true":
        drydock: {services: [slow]}
drydock:
  services:
    slow:
      image: drydock-base:bookworm
      command: [sh, -c, "for i in 1 2 3; do echo line \$i; done; sleep 3600"]
      ready: {log: "never printed", timeout: 2}
YAML
run run slow.yml
expect_code 1
contains "service 'slow' was not ready after 2 s: waiting for log /never printed/ 1 time: log /never printed/ matched 0 of 1 times"
contains "last 50 log lines of slow:"
contains "| line 3"
lacks "[test.override[0]] \$ true"
nothing_left "readiness timeout" "$(run_id_of "$out")"

# a service that exits before it is ready
sed -i 's|sleep 3600"|exit 7"|' slow.yml
run run slow.yml
expect_code 1
contains "service 'slow' exited (code 7) before it was ready"
nothing_left "early exit" "$(run_id_of "$out")"

# SIGINT and SIGTERM while a service runs: nothing left (and a config with
# services alone, not listing docker, gets the engine and the network)
cat >long.yml <<YAML
test:
  override:
    - echo started && sleep 60:
        drydock: {services: [idle]}
drydock:
  services:
    idle:
      image: drydock-base:bookworm
      command: [sleep, "3600"]
YAML
for signal in INT TERM; do
  "$drydock" run long.yml >"$scratch/$signal.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 150); do grep -q '] started' "$scratch/$signal.log" && break; sleep 0.1; done
  # a live run's resources are not touched by drydock clean
  if [ "$signal" = INT ]; then
    live=$(run_id_of "$(cat "$scratch/$signal.log")")
    out=$("$drydock" clean 2>&1)
    contains "kept (their runs are still going)"
    [ -n "$(docker ps -q --filter "label=io.drydock.run=$live")" ] || fail "drydock clean removed a live run's service"
  fi
  kill -"$signal" "$pid"
  wait "$pid"; code=$?
  out=$(cat "$scratch/$signal.log")
  expect_code 130
  nothing_left "SIG$signal" "$(run_id_of "$out")"
done

# kill -9: the run cannot clean up; drydock clean finds its leftovers by label
"$drydock" run long.yml >"$scratch/kill.log" 2>&1 &
pid=$!
for _ in $(seq 1 150); do grep -q '] started' "$scratch/kill.log" && break; sleep 0.1; done
kill -9 "$pid"
wait "$pid" 2>/dev/null
run_id=$(run_id_of "$(cat "$scratch/kill.log")")
[ -n "$(docker ps -aq --filter "label=io.drydock.run=$run_id")" ] || fail "kill -9 left nothing to clean (run '$run_id')"
run clean
expect_code 0
contains "removed network"
nothing_left "kill -9 and drydock clean" "$run_id"

finish "all service checks passed"

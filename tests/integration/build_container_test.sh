#!/usr/bin/env bash
# The build container on the real engine: `drydock run --container IMAGE`
# (and drydock.container) runs every host step in one long-lived container
# of the local base image: sudo and ~ touch the container, not this
# machine; the steps share its filesystem; the environment, TZ,
# machine.hosts and the throwaway cluster reach it; exit codes, timeouts
# (SIGTERM, then SIGKILL for a step that ignores it) and interrupts behave
# as on the host; a missing image is one clear error; nothing is left
# behind, and `drydock clean` finds the container after a kill -9. Ends
# with a corpus config run with --fresh --container.
# Needs what .ci/engine provides: a running engine and drydock-base:bookworm.
# Usage: build_container_test.sh PATH/TO/drydock
set -u
drydock=$(realpath "$1")
corpus=$(realpath "$(dirname "$0")/../corpus/valid")
source "$(dirname "$0")/harness.sh"
image=drydock-base:bookworm
build_containers() { docker ps -aq --filter label=io.drydock.build-container=true --filter "label=io.drydock.pid=$1"; }
leftovers() { docker ps -aq --filter label=io.drydock.build-container=true | wc -l; }
cleanup_more() { docker ps -aq --filter label=io.drydock.build-container=true | xargs -r docker rm -f >/dev/null 2>&1; }
nothing_left() {
  [ "$(leftovers)" -eq 0 ] || fail "$1: build container left: $(docker ps -a --filter label=io.drydock.build-container=true --format '{{.Names}}')"
  compgen -G "$scratch/drydock-postgres-*" >/dev/null && fail "$1: cluster directory left"
  compgen -G "$scratch/drydock-checkout-*" >/dev/null && fail "$1: checkout left"
  return 0
}

docker image inspect "$image" >/dev/null 2>&1 || { echo "FAIL: no $image image; run .ci/engine"; exit 1; }
[ "$(leftovers)" -eq 0 ] || { echo "FAIL: build containers of another run exist already"; exit 1; }

export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
git init -q -b main repo && cd repo || exit 1
mkdir -p notes
echo one >notes/a.txt
echo two >notes/b.txt
cat >circle.yml <<'YAML'
machine:
  timezone: Asia/Tokyo
  hosts: {build.internal: 10.1.2.3}
  environment: {GREETING: hello}
  pre:
    - sudo sh -c 'echo root-was-here > /etc/drydock-it-marker' && touch ~/machine-ran
dependencies:
  override:
    - echo "home=$HOME pwd=$PWD tz=$TZ greeting=$GREETING sha=$CIRCLE_SHA1 user=$(id -u)"
    - ls ~/machine-ran && cat /etc/drydock-it-marker
    - getent hosts build.internal
    - if [ -e untracked.txt ]; then echo untracked present; else echo untracked absent; fi
test:
  override:
    - python3 -c "import os, psycopg2; c = psycopg2.connect(os.environ['DATABASE_URL']); k = c.cursor(); k.execute('select current_database(), current_user'); print('db says %s as %s' % k.fetchone())"
    - psql_host="$PGHOST:$PGPORT" && echo "pg=$psql_host"
    - echo appended:
        files: [notes/*.txt]
drydock:
  database: {user: tester, databases: [bc_db]}
YAML
git add -A && git commit -qm one
sha=$(git rev-parse HEAD)
echo junk >untracked.txt

# plan says where the host steps run, and takes the same option
run plan --container "$image" circle.yml
expect_code 0

# --fresh --container: the commit alone, in the container
run run --fresh --container "$image" circle.yml
expect_code 0
contains "drydock: host steps run in the build container drydock-"
contains "($image; ~ is /root; \`sudo\` runs commands as they are, as root)"
contains "home=/root pwd=$scratch/drydock-checkout-"
contains "tz=Asia/Tokyo greeting=hello sha=$sha user=0"
contains "/root/machine-ran"
contains "root-was-here"
contains "10.1.2.3        build.internal"
contains "untracked absent"
contains "db says bc_db as tester"
contains "pg=postgresdb:"
contains "appended notes/a.txt notes/b.txt"
[ -e "$HOME/machine-ran" ] && fail "a step in the build container wrote this machine's home"
[ -e /etc/drydock-it-marker ] && fail "sudo in the build container wrote this machine's /etc"
nothing_left "passing run"

# drydock.container does the same without the option; a step's exit code
# is its own; a silent step is stopped by its timeout, one that ignores
# SIGTERM by SIGKILL after the grace period
cat >failing.yml <<YAML
test:
  override:
    - exit 3
    - sleep 60:
        timeout: 2
    - bash -c 'trap "" TERM; sleep 60':
        timeout: 1
    - echo after the failures
drydock:
  container: $image
YAML
started=$SECONDS
run run failing.yml
took=$((SECONDS - started))
expect_code 1
contains "drydock: host steps run in the build container"
contains "test.override[0]  test          failed"
contains "exit 3"
contains "test.override[1]  test          failed"
contains "no output for 2 s; stopped"
contains "no output for 1 s; stopped"
contains "after the failures"
[ "$took" -lt 30 ] || fail "the timeouts took ${took}s: the steps were not stopped in the container"
nothing_left "failing run"

# an interrupt stops the step in the container and removes the container
cat >slow.yml <<YAML
test:
  override:
    - echo started; sleep 100; echo never
YAML
"$drydock" run --container "$image" slow.yml >slow.log 2>&1 &
pid=$!
for _ in $(seq 1 100); do grep -q "started" slow.log 2>/dev/null && break; sleep 0.1; done
grep -q "started" slow.log || fail "the slow step never started: $(cat slow.log)"
kill -INT "$pid"
wait "$pid"
code=$?
[ "$code" -eq 130 ] || fail "interrupted run: exit $code: $(cat slow.log)"
grep -q "stopped: interrupted" slow.log || fail "the interrupted step is not reported: $(cat slow.log)"
grep -q "] never$" slow.log && fail "the step went on after the interrupt"
nothing_left "interrupted run"

# a step that cleans up on SIGTERM gets to do it before the container goes
cat >trapping.yml <<YAML
test:
  override:
    - trap 'echo cleaned > cleaned-up.txt; exit 1' TERM; echo started; sleep 100 & wait
YAML
rm -f cleaned-up.txt
"$drydock" run --container "$image" trapping.yml >trap.log 2>&1 &
pid=$!
for _ in $(seq 1 100); do grep -q "started" trap.log 2>/dev/null && break; sleep 0.1; done
kill -INT "$pid"
wait "$pid"
[ "$(cat cleaned-up.txt 2>/dev/null)" = cleaned ] || fail "the step's TERM trap did not run before the container was removed: $(cat trap.log)"
nothing_left "trapping run"

# kill -9 leaves the container; drydock clean removes it
"$drydock" run --container "$image" slow.yml >killed.log 2>&1 &
pid=$!
for _ in $(seq 1 100); do grep -q "started" killed.log 2>/dev/null && break; sleep 0.1; done
owner_label=$(docker ps --filter label=io.drydock.build-container=true --format '{{.Label "io.drydock.pid"}}' | head -1)
kill -9 "$pid"
wait "$pid" 2>/dev/null
[ -n "$owner_label" ] && [ -n "$(build_containers "$owner_label")" ] || fail "no build container while the run ran"
run clean
expect_code 0
nothing_left "clean after kill -9"

# an image the engine does not have: one clear error, nothing left
run run --container "drydock-it-missing-$tag:none" circle.yml
expect_code 1
contains "drydock: --container: cannot start the build container from drydock-it-missing-$tag:none: "
lacks "[machine.pre[0]] \$"
nothing_left "missing image"

# cache_directories under ~ are saved from the build container and restored
# into the next one (on this machine ~ would keep them anyway)
cat >cached.yml <<YAML
dependencies:
  cache_directories: ["~/.deps"]
  override:
    - if [ -f ~/.deps/got ]; then echo "deps from cache"; else mkdir -p ~/.deps && touch ~/.deps/got && echo "deps fetched"; fi
drydock:
  container: $image
YAML
run run cached.yml
expect_code 0
contains "deps fetched"
contains "[cache:save] cache ~/.deps: saved"
run run cached.yml
expect_code 0
contains "[cache:restore] cache ~/.deps: restored"
contains "deps from cache"
[ -e "$HOME/.deps" ] && fail "the build container's ~/.deps reached this machine's home"
nothing_left "cached directories"

# sudo VAR=value command (the stand-in), and PATH built from ~ and ${PATH}
cat >tools.yml <<YAML
machine:
  environment:
    PATH: \${HOME}/bin:\${PATH}
  pre:
    - mkdir -p ~/bin && printf '#!/bin/sh\necho "mytool ran"\n' > ~/bin/mytool && chmod +x ~/bin/mytool
test:
  override:
    - sudo DRYDOCK_GREETING=hi sh -c 'echo "sudo says \$DRYDOCK_GREETING"'
    - mytool
    - ls /usr/bin/env >/dev/null && echo "container PATH kept"
drydock:
  container: $image
YAML
run run tools.yml
expect_code 0
contains "sudo says hi"
contains "mytool ran"
contains "container PATH kept"
nothing_left "tools run"

# the build container joins the run's network: a service answers by its
# alias, and a database container by its own, with DATABASE_URL and PG*
cat >networked.yml <<YAML
test:
  override:
    - python3 -c "import urllib.request as u; print('web says', u.urlopen('http://web:8000/').status)":
        drydock: {services: [web]}
    - python3 -c "import os, psycopg2; c = psycopg2.connect(os.environ['DATABASE_URL']); k = c.cursor(); k.execute('select current_database()'); print('container db says', k.fetchone()[0], os.environ['PGHOST'])"
drydock:
  container: $image
  database:
    provider: container
    user: tester
    databases: [netdb]
  services:
    web:
      image: $image
      command: [sh, -c, "echo serving; exec python3 -m http.server 8000"]
      ready: {port: 8000, timeout: 30}
YAML
run run networked.yml
expect_code 0
contains "web says 200"
contains "container db says netdb postgresdb"

# with services the host's throwaway cluster still trusts it (it starts on the default bridge)
sed -e 's/    provider: container/    provider: cluster/' -e 's/container db says/cluster db says/' networked.yml >clustered.yml
run run clustered.yml
expect_code 0
contains "web says 200"
contains "cluster db says netdb postgresdb"
nothing_left "networked run"
[ -z "$(docker network ls -q --filter label=io.drydock.run)" ] || fail "networked run: a network was left"

# a real-world-style config from the corpus, as it is, with --fresh --container
cd "$scratch" && git init -q -b main box && cd box || exit 1
cp "$corpus/python_build_box.yml" circle.yml
mkdir -p tests
cat >tests/test_settings.py <<'PY'
import os, unittest
import psycopg2

class Settings(unittest.TestCase):
    def test_written_by_sudo(self):
        with open("/opt/app-config/settings.ini") as f:
            self.assertEqual(f.read().strip(), "db_alias=postgresdb")

    def test_database(self):
        conn = psycopg2.connect(os.environ["DATABASE_URL"])
        cur = conn.cursor()
        cur.execute("select current_database()")
        self.assertEqual(cur.fetchone()[0], "circle_test")

if __name__ == "__main__":
    unittest.main()
PY
git add -A && git commit -qm box
run run --fresh --container "$image" circle.yml
expect_code 0
contains "test_database (test_settings.Settings"
contains "test_written_by_sudo (test_settings.Settings"
contains "OK"
contains "tool ran"
contains "JST"
contains "10.20.30.40     api.internal"
[ -e /opt/app-config ] && fail "the corpus config's sudo wrote this machine's /opt"
nothing_left "corpus config"

finish "build container: sudo and ~ in the container, env, TZ, hosts, database, files, exit codes, timeouts, interrupt, kill -9 and clean, missing image, cache_directories, services with a database container or the cluster, sudo VAR=value, PATH from ~, a TERM trap on interrupt, corpus config with --fresh"

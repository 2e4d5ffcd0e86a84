#!/usr/bin/env bash
# Tagging and pushing against a real registry: Debian's docker-registry on
# 127.0.0.1 with htpasswd auth, started and stopped here. A tag build pushes
# the semver tags (checked through /v2/NAME/tags/list); the password is
# masked in every line and never stored; a wrong password fails clearly and
# nothing is reported pushed; `drydock tag` pushes for real too.
# Usage: publish_test.sh PATH/TO/drydock
set -u
drydock=$(realpath "$1")
source "$(dirname "$0")/harness.sh"
repository="drydock-pub-$tag/app"
password="pw-$tag-Secret"
port=$((20000 + RANDOM % 20000))
registry_pid=""
cleanup_more() {
  [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null && wait "$registry_pid" 2>/dev/null
  docker images --format '{{.Repository}}:{{.Tag}}' | grep -E "(^|/)drydock-pub-$tag/" | xargs -r docker rmi -f >/dev/null 2>&1
}
tags_of() { # the registry's tags of a repository, sorted, space-separated
  curl -s -u "drydock:$password" "http://127.0.0.1:$port/v2/$1/tags/list" | jq -r '(.tags // []) | sort | join(" ")'
}

# The registry: htpasswd (bcrypt), storage in the scratch dir, loopback only.
htpasswd -Bbn drydock "$password" >htpasswd
cat >registry.yml <<YAML
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $scratch/registry-data}}
http: {addr: 127.0.0.1:$port}
auth: {htpasswd: {realm: drydock-test, path: $scratch/htpasswd}}
YAML
docker-registry serve registry.yml >registry.log 2>&1 &
registry_pid=$!
for _ in $(seq 1 100); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/")" = 401 ] && break
  sleep 0.1
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/")" = 401 ] || { echo "FAIL: registry did not start: $(cat registry.log)"; exit 1; }

# A tiny image (FROM scratch), so pushes move kilobytes.
mkdir -p app
echo "hello" >app/hello.txt
printf 'FROM scratch\nCOPY hello.txt /hello.txt\n' >app/Dockerfile
cat >circle.yml <<YAML
machine:
  services: [docker]
test:
  pre:
    - echo "in the background the password is \$REGISTRY_PASSWORD":
        background: true
  override:
    - echo "the password is \$REGISTRY_PASSWORD"
deployment:
  release:
    tag: /^v[0-9]+(\.[0-9]+)*\$/
    drydock:
      publish: registry
    commands:
      - echo "deployed \$CIRCLE_TAG"
drydock:
  images:
    app:
      repository: $repository
      context: app
      dockerfile: app/Dockerfile
      cache_dir: $scratch/cache
  publish:
    registry:
      image: app
      registry: 127.0.0.1:$port
      version: \${CIRCLE_TAG}
      semver: true
      latest: true
      login: {username_env: REGISTRY_USER, password_env: REGISTRY_PASSWORD}
YAML
export REGISTRY_USER=drydock

# plan: which section runs, and the publish step before its commands
run plan --env CIRCLE_TAG=v1.4.0 circle.yml
contains "release              runs: tag 'v1.4.0' matches /^v[0-9]+(\\.[0-9]+)*\$/"
contains "publish:registry"
run plan --env CIRCLE_TAG= --env CIRCLE_BRANCH=main circle.yml
contains "release              does not run"
lacks "publish:registry"

# a wrong password: a clear failure, nothing reported pushed, nothing in the registry
REGISTRY_PASSWORD=wrong-$tag run run --env CIRCLE_TAG=v1.4.0 circle.yml
expect_code 1
contains "docker login to 127.0.0.1:$port as drydock failed"
lacks "pushed 127.0.0.1"
lacks "deployed v1.4.0"
lacks "wrong-$tag"
[ -z "$(tags_of "$repository")" ] || fail "wrong password: the registry has tags $(tags_of "$repository")"

# a tag build pushes the semver tags and latest, then deploys
REGISTRY_PASSWORD=$password run run --env CIRCLE_TAG=v1.4.0 circle.yml
expect_code 0
for t in 1.4.0 1.4 1 latest; do contains "pushed 127.0.0.1:$port/$repository:$t"; done
contains "deployed v1.4.0"
published=$out
[ "$(tags_of "$repository")" = "1 1.4 1.4.0 latest" ] || fail "registry tags: '$(tags_of "$repository")'"
# the password is masked in every line, and no credentials stay behind
contains "the password is ***"
lacks "$password"
artifacts=$(sed -n 's/^artifacts: *//p' <<<"$out")
background_log=$(cat "$artifacts/background-test.pre_0_.log" 2>/dev/null)
[ "$background_log" = "in the background the password is ***" ] || fail "background log: '$background_log'"
[ -e "$scratch/.docker/config.json" ] && grep -q auth "$scratch/.docker/config.json" && fail "credentials stored in ~/.docker"
compgen -G "$scratch/drydock-docker-config-*" >/dev/null && fail "the temporary DOCKER_CONFIG was left behind"

# a branch build runs no deployment and pushes nothing
REGISTRY_PASSWORD=$password run run --env CIRCLE_TAG= --env CIRCLE_BRANCH=main circle.yml
expect_code 0
lacks "publish:registry"

# drydock tag for real, logged in the way DCD users do it
export DOCKER_CONFIG=$scratch/docker-config
echo "$password" | docker login --username drydock --password-stdin "127.0.0.1:$port" >/dev/null 2>&1 || fail "docker login"
docker tag "$repository:local" "drydock-pub-$tag/tool:build" 2>/dev/null || docker tag "$(docker images -q "$repository" | head -1)" "drydock-pub-$tag/tool:build"
run tag -V 2.0.1 -S -P 2 -r "127.0.0.1:$port" "drydock-pub-$tag/tool:build"
expect_code 0
[ "$(tags_of "drydock-pub-$tag/tool")" = "2.0-build 2.0.1-build" ] || fail "drydock tag pushed '$(tags_of "drydock-pub-$tag/tool")'"
# a push that fails says what was and was not pushed
run tag -t x -r "127.0.0.1:1" "drydock-pub-$tag/tool:build"
expect_code 1
contains "drydock tag: pushed: nothing"
contains "drydock tag: not pushed: 127.0.0.1:1/drydock-pub-$tag/tool:x"

[ -n "${SHOW:-}" ] && echo "$published"
finish "all publish checks passed"

#!/usr/bin/env bash
# CircleCI 2.1 orbs end to end, on the host (machine jobs): `drydock orb
# fetch` fills the local orb cache from an orb API (a stand-in on
# 127.0.0.1, over http and over https with a certificate of the test's
# own, directly and through a proxy), with the orbs the fetched ones
# import; then validate, plan and run read registry and inline orbs from
# the cache, offline. A missing orb is
# one error at its file:line:col that says how to fill the cache; hostile
# or broken answers of the API leave nothing behind.
# Usage: orbs_cli_test.sh PATH/TO/drydock
set -u
drydock=$(realpath "$1")
here=$(realpath "$(dirname "$0")")
source "$here/harness.sh"

# What the API serves: node 5.1.0 and 5.2.0 (which imports acme/tools), tools.
mkdir -p api/circleci api/acme api/evil api/bad project/.circleci
node_orb() { # $1: version
  cat <<YAML
version: 2.1
description: node as a registry orb has it
orbs:
  tools: acme/tools@1.0.0
commands:
  install-packages:
    parameters:
      pkg-manager: {type: enum, enum: [npm, yarn], default: npm}
    steps:
      - tools/announce: {what: install}
      - run: echo "node $1 << parameters.pkg-manager >> install"
jobs:
  test:
    parameters:
      run-command: {type: string, default: test}
    machine: true
    steps:
      - install-packages
      - run: echo "node $1 npm run << parameters.run-command >>"
YAML
}
node_orb 5.1.0 >api/circleci/node@5.1.0.yml
node_orb 5.2.0 >api/circleci/node@5.2.0.yml
cat >api/acme/tools@1.0.0.yml <<'YAML'
version: 2.1
commands:
  announce:
    parameters:
      what: {type: string}
    steps:
      - run: echo "tools announce << parameters.what >>"
YAML
# A version that would leave the cache, a source that is not YAML, an error.
echo '{"data":{"orbVersion":{"id":"x","version":"../../../../escaped","source":"version: 2.1\n"}}}' \
  >api/evil/orb@1.0.0.answer
echo '{"data":{"orbVersion":{"id":"x","version":"1.0.0","source":"commands: [\n"}}}' >api/bad/yaml@1.0.0.answer
echo '{"errors":[{"message":"rate limited"}]}' >api/bad/limited@1.0.0.answer

python3 "$here/orb_api.py" api.port api api.log "$marker" &
wait_for 10 test -s api.port || fail "the orb API did not start"
api="http://127.0.0.1:$(cat api.port)/graphql-unstable"

cat >project/.circleci/config.yml <<'YAML'
version: 2.1
orbs:
  node: circleci/node@5
  local:
    commands:
      hello:
        parameters:
          to: {type: string, default: world}
        steps:
          - run: echo "inline hello << parameters.to >>"
jobs:
  build:
    machine: true
    steps:
      - local/hello: {to: build}
      - node/install-packages: {pkg-manager: yarn}
workflows:
  main:
    jobs:
      - build
      - node/test:
          run-command: ci
          requires: [build]
YAML
cd project || exit 1

# --- before the cache is filled: one error, where the orb is named ---------
out=$("$drydock" validate 2>&1); code=$?
[ "$code" = 2 ] || fail "validate without the orb: exit $code"
contains "$out" ".circleci/config.yml:3:9: error: orb 'node' (circleci/node@5) is not in the local orb cache: fill it with \`drydock orb fetch circleci/node@5\`"
contains "$out" "as $HOME/.cache/drydock/orbs/circleci/node@5.yml"
contains "$out" "1 error"
out=$("$drydock" run 2>&1); code=$?
[ "$code" = 2 ] || fail "run without the orb: exit $code"
contains "$out" "orb 'node' (circleci/node@5) is not in the local orb cache"

# --- fetch: the config's orbs, resolved, with what they import ---------------
# A killed writer's temporary file goes; a live one's stays.
mkdir -p "$HOME/.cache/drydock/orbs/circleci"
touch "$HOME/.cache/drydock/orbs/circleci/.node@5.2.0.yml.partial-999999-dead" \
  "$HOME/.cache/drydock/orbs/circleci/.node@5.2.0.yml.partial-$$-live"
out=$("$drydock" orb fetch --api "$api" 2>&1); code=$?
[ "$code" = 0 ] || fail "orb fetch: exit $code: $out"
contains "$out" "fetched circleci/node@5 (5.2.0) into $HOME/.cache/drydock/orbs/circleci/node@5.2.0.yml"
contains "$out" "fetched acme/tools@1.0.0 (1.0.0) into $HOME/.cache/drydock/orbs/acme/tools@1.0.0.yml"
cmp -s "$HOME/.cache/drydock/orbs/circleci/node@5.2.0.yml" ../api/circleci/node@5.2.0.yml \
  || fail "the kept orb is not the API's source"
[ ! -e "$HOME/.cache/drydock/orbs/circleci/.node@5.2.0.yml.partial-999999-dead" ] \
  || fail "a dead writer's temporary file was left"
[ -e "$HOME/.cache/drydock/orbs/circleci/.node@5.2.0.yml.partial-$$-live" ] || fail "a live writer's file was removed"
rm -f "$HOME/.cache/drydock/orbs/circleci/.node@5.2.0.yml.partial-$$-live"
query=$(head -1 ../api.log)
contains "$query" '"path": "/graphql-unstable"'
contains "$query" '"orbVersionRef": "circleci/node@5"'
contains "$query" 'orbVersion(orbVersionRef: $orbVersionRef)'

# --- validate, plan and run read the cache, offline ----------------------------
out=$("$drydock" validate 2>&1); code=$?
[ "$code" = 0 ] || fail "validate with the orbs kept: exit $code: $out"
out=$("$drydock" plan 2>&1); code=$?
[ "$code" = 0 ] || fail "plan: exit $code: $out"
contains "$out" "node/test"
kill "$(pgrep -f "orb_api.py api.port")" 2>/dev/null # nothing below may need the API
out=$("$drydock" run 2>&1); code=$?
[ "$code" = 0 ] || fail "run: exit $code: $out"
contains "$out" "inline hello build"
contains "$out" "tools announce install"
contains "$out" "node 5.2.0 yarn install"
contains "$out" "node 5.2.0 npm install"
contains "$out" "node 5.2.0 npm run ci"

# An exact version reads only that version; --orbs names another cache.
sed -i 's|circleci/node@5$|circleci/node@5.1.0|' .circleci/config.yml
out=$("$drydock" validate 2>&1); code=$?
[ "$code" = 2 ] || fail "an exact version not kept: exit $code"
contains "$out" "orb 'node' (circleci/node@5.1.0) is not in the local orb cache"
mkdir -p ../other/circleci ../other/acme
cp ../api/circleci/node@5.1.0.yml ../other/circleci/ && cp ../api/acme/tools@1.0.0.yml ../other/acme/
out=$("$drydock" run --orbs ../other 2>&1); code=$?
[ "$code" = 0 ] || fail "run --orbs: exit $code: $out"
contains "$out" "node 5.1.0 npm run ci"
out=$("$drydock" validate --orbs ../other 2>&1); code=$?
[ "$code" = 0 ] || fail "validate --orbs: exit $code: $out"
# A version X is the highest X.*.* kept, by number: 5.10.0 is above 5.2.0.
sed 's/node 5.1.0/node 5.10.0/' ../api/circleci/node@5.1.0.yml >../other/circleci/node@5.10.0.yml
sed 's/node 5.1.0/node 5.2.0/' ../api/circleci/node@5.1.0.yml >../other/circleci/node@5.2.0.yml
sed -i 's|circleci/node@5.1.0$|circleci/node@5|' .circleci/config.yml
out=$("$drydock" run --orbs ../other 2>&1); code=$?
[ "$code" = 0 ] || fail "run --orbs with node@5: exit $code: $out"
contains "$out" "node 5.10.0 npm run ci"
cd .. || exit 1

# Without HOME there is no cache, never one in the current folder; a FIFO in the cache is not read.
mkdir -p planted/.cache/drydock/orbs/circleci && cp api/circleci/node@5.1.0.yml planted/.cache/drydock/orbs/circleci/
printf 'version: 2.1\norbs:\n  node: circleci/node@5.1.0\nworkflows:\n  w:\n    jobs: [node/test]\n' >planted/config.yml
out=$(cd planted && env -u HOME -u XDG_CACHE_HOME "$drydock" validate config.yml 2>&1); code=$?
[ "$code" = 2 ] || fail "validate without HOME: exit $code: $out"
contains "$out" "(HOME is not set: set it, or give --orbs DIR)"
out=$(cd planted && XDG_CACHE_HOME=.cache "$drydock" validate config.yml 2>&1); code=$?
[ "$code" = 2 ] || fail "a relative XDG_CACHE_HOME was used: exit $code: $out"
mkdir -p fifo/acme && mkfifo fifo/acme/tools@1.0.0.yml
out=$(timeout 10 "$drydock" validate --orbs fifo planted/config.yml 2>&1); code=$?
[ "$code" = 2 ] || fail "a FIFO in the cache: exit $code: $out"
mkdir -p fifo/circleci && cp api/circleci/node@5.1.0.yml fifo/circleci/
out=$(timeout 10 "$drydock" validate --orbs fifo planted/config.yml 2>&1); code=$?
[ "$code" = 2 ] || fail "a FIFO in the cache: exit $code: $out"
contains "$out" "fifo/acme/tools@1.0.0.yml: it is not a regular file"

# --- the API's hostile and broken answers --------------------------------------
python3 "$here/orb_api.py" api2.port api api.log "$marker" &
wait_for 10 test -s api2.port || fail "the orb API did not start again"
api="http://127.0.0.1:$(cat api2.port)/graphql-unstable"
out=$("$drydock" orb fetch --api "$api" evil/orb@1.0.0 2>&1); code=$?
[ "$code" = 1 ] || fail "a hostile version: exit $code"
contains "$out" "drydock orb fetch: evil/orb@1.0.0: the API answered a version that is not one"
[ -z "$(find "$scratch" -name 'escaped*')" ] || fail "a hostile version wrote a file"
out=$("$drydock" orb fetch --api "$api" bad/yaml@1.0.0 bad/limited@1.0.0 gone/orb@1.0.0 2>&1); code=$?
[ "$code" = 1 ] || fail "broken answers: exit $code"
contains "$out" "bad/yaml@1.0.0: its source is not YAML: 2:1:"
contains "$out" 'bad/limited@1.0.0: the API says: "rate limited"'
contains "$out" "gone/orb@1.0.0: CircleCI has no public orb gone/orb@1.0.0"
[ ! -e "$HOME/.cache/drydock/orbs/bad" ] || [ -z "$(ls -A "$HOME/.cache/drydock/orbs/bad")" ] \
  || fail "a broken orb was kept: $(ls -A "$HOME/.cache/drydock/orbs/bad")"
out=$("$drydock" orb fetch --api "$api" huge/orb@1.0.0 2>&1); code=$?
[ "$code" = 1 ] || fail "a huge answer: exit $code"
contains "$out" "huge/orb@1.0.0: cannot reach the orb API: its answer is larger than 32 MB"
# A partial version must come back as a full one: 1.2 is not kept as the answer to @1.
echo '{"data":{"orbVersion":{"id":"x","version":"1.2","source":"version: 2.1\n"}}}' >api/bad/partial@1.answer
out=$("$drydock" orb fetch --api "$api" bad/partial@1 2>&1); code=$?
[ "$code" = 1 ] || fail "a partial version answered: exit $code"
contains "$out" "the API answered version 1.2, which bad/partial@1 does not mean"
out=$("$drydock" orb fetch --api "$api" ../etc/passwd@1 2>&1); code=$?
[ "$code" = 2 ] || fail "a hostile reference: exit $code"
contains "$out" "an orb's namespace and name are letters, digits, '-' and '_'"
out=$("$drydock" orb fetch --api "http://127.0.0.1:1/graphql-unstable" circleci/node@5.1.0 2>&1); code=$?
[ "$code" = 1 ] || fail "no API: exit $code"
contains "$out" "cannot reach the orb API: Connection refused"

# --- https, with a certificate the test made ---------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout key.pem -out cert.pem 2>/dev/null || fail "openssl could not make a certificate"
python3 "$here/orb_api.py" tls.port api api.log "$marker" cert.pem key.pem &
wait_for 10 test -s tls.port || fail "the https orb API did not start"
tls="https://127.0.0.1:$(cat tls.port)/graphql-unstable"
out=$("$drydock" orb fetch --api "$tls" circleci/node@5.1.0 2>&1); code=$?
[ "$code" = 1 ] || fail "https with an unknown certificate: exit $code: $out"
contains "$out" "cannot reach the orb API: TLS:"
out=$(SSL_CERT_FILE=cert.pem "$drydock" orb fetch --api "$tls" --orbs tls-cache circleci/node@5.1.0 2>&1); code=$?
[ "$code" = 0 ] || fail "https with its certificate trusted: exit $code: $out"
contains "$out" "fetched circleci/node@5.1.0 (5.1.0) into $scratch/tls-cache/circleci/node@5.1.0.yml"

# A partial version answered as itself (5.1 for @5.1) is not a release either: never kept.
echo '{"data":{"orbVersion":{"id":"x","version":"5.1","source":"version: 2.1\n"}}}' >api/bad/same@5.1.answer
out=$("$drydock" orb fetch --api "$api" bad/same@5.1 2>&1); code=$?
[ "$code" = 1 ] || fail "a partial version answered as itself: exit $code: $out"
contains "$out" "the API answered version 5.1, which bad/same@5.1 does not mean"

# --- through a proxy, as curl reads the environment ---------------------------------
python3 "$here/connect_proxy.py" proxy.port proxy.log "$marker" &
python3 "$here/connect_proxy.py" refusing.port refusing.log "$marker" refuse &
wait_for 10 test -s proxy.port || fail "the proxy did not start"
wait_for 10 test -s refusing.port || fail "the refusing proxy did not start"
proxy="127.0.0.1:$(cat proxy.port)" # no scheme: http://, as curl takes it
out=$(https_proxy=$proxy SSL_CERT_FILE=cert.pem "$drydock" orb fetch --api "$tls" --orbs proxied circleci/node@5.1.0 2>&1); code=$?
[ "$code" = 0 ] || fail "https through a proxy: exit $code: $out"
contains "$out" "fetched circleci/node@5.1.0 (5.1.0) into $scratch/proxied/circleci/node@5.1.0.yml"
contains "$(cat proxy.log)" "CONNECT 127.0.0.1:$(cat tls.port) HTTP/1.1"
asked=$(wc -l <proxy.log)
out=$(HTTPS_PROXY=http://$proxy NO_PROXY=example.invalid,127.0.0.1 SSL_CERT_FILE=cert.pem \
  "$drydock" orb fetch --api "$tls" --orbs bypassed circleci/node@5.1.0 2>&1); code=$?
[ "$code" = 0 ] || fail "no_proxy names the host: exit $code: $out"
[ "$(wc -l <proxy.log)" = "$asked" ] || fail "no_proxy: the proxy was asked: $(cat proxy.log)"
out=$(http_proxy=http://$proxy "$drydock" orb fetch --api "$api" --orbs plain-proxied circleci/node@5.1.0 2>&1); code=$?
[ "$code" = 0 ] || fail "http through a proxy: exit $code: $out"
contains "$(cat proxy.log)" "POST http://127.0.0.1:$(cat api2.port)/graphql-unstable HTTP/1.1"
# Uppercase HTTP_PROXY is a CGI's request header, not a setting (httpoxy): not read.
out=$(HTTP_PROXY=http://127.0.0.1:1 "$drydock" orb fetch --api "$api" --orbs not-proxied circleci/node@5.1.0 2>&1); code=$?
[ "$code" = 0 ] || fail "HTTP_PROXY was read: exit $code: $out"
out=$(https_proxy=http://127.0.0.1:$(cat refusing.port) "$drydock" orb fetch --api "$tls" circleci/node@5.1.0 2>&1); code=$?
[ "$code" = 1 ] || fail "a proxy that refuses: exit $code: $out"
contains "$out" "cannot reach the orb API: the proxy 127.0.0.1:$(cat refusing.port) answered HTTP 407 to CONNECT 127.0.0.1:$(cat tls.port)"
out=$(https_proxy=http://127.0.0.1:1 "$drydock" orb fetch --api "$tls" circleci/node@5.1.0 2>&1); code=$?
[ "$code" = 1 ] || fail "a proxy that is not there: exit $code: $out"
contains "$out" "cannot reach the orb API: the proxy 127.0.0.1:1: Connection refused"
out=$(https_proxy=http://ci:hunter2@127.0.0.1:1 "$drydock" orb fetch --api "$tls" circleci/node@5.1.0 2>&1); code=$?
[ "$code" = 2 ] || fail "a proxy with a password: exit $code: $out"
contains "$out" "https_proxy: a proxy with a user and password is not supported"
lacks "$out" "hunter2"
out=$(https_proxy=socks5://127.0.0.1:1 "$drydock" orb fetch --api "$tls" circleci/node@5.1.0 2>&1); code=$?
[ "$code" = 2 ] || fail "a socks proxy: exit $code: $out"
contains "$out" "https_proxy: socks5://127.0.0.1:1 is not an http:// proxy (the only kind drydock uses)"

finish "orbs CLI tests passed"

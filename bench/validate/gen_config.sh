#!/usr/bin/env bash
# Writes a circle.yml with N steps (default 10000) to stdout: every phase,
# half the commands with four-space modifiers, environment maps, a few
# drydock step ids and requires, and deployment sections.
set -euo pipefail
steps=${1:-10000}
per_phase=$((steps / 5))
phase() { # name count
  local name=$1 count=$2 i
  printf '%s:\n  override:\n' "$name"
  for ((i = 0; i < count; i++)); do
    if ((i % 2 == 0)); then
      printf '    - ./scripts/%s-step-%d.sh --flag value\n' "$name" "$i"
    else
      printf '    - ./scripts/%s-step-%d.sh:\n        timeout: %d\n        pwd: sub/dir%d\n        environment:\n          STEP: "%d"\n          PATH: "/opt/%s/bin:${PATH}"\n' \
        "$name" "$i" $((60 + i % 500)) $((i % 7)) "$i" "$name"
      if ((i % 50 == 1)); then
        printf '        drydock:\n          id: %s-%d\n' "$name" "$i"
        ((i > 50)) && printf '          requires: [%s-%d]\n' "$name" $((i - 50))
      fi
    fi
  done
}
printf 'machine:\n  environment:\n    LANG: C.UTF-8\n  services: [docker]\n'
phase dependencies "$per_phase"
printf '  cache_directories: ["~/docker-images"]\n'
phase database "$per_phase"
phase compile "$per_phase"
phase test "$per_phase"
printf 'deployment:\n'
for ((d = 0; d < per_phase; d++)); do
  printf '  section%d:\n    branch: /release-%d-.*/\n    commands:\n      - ./deploy.sh %d\n' "$d" "$d" "$d"
done

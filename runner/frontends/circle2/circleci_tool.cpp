#include "frontends/circle2/circleci_tool.hpp"

namespace drydock::circle2 {
namespace {

// Run by /bin/sh in the job's container or on this machine; the split
// reads CIRCLE_NODE_INDEX and CIRCLE_NODE_TOTAL, as CircleCI's does.
constexpr const char* kScript = R"SH(#!/bin/sh
# drydock's stand-in for the `circleci` command CircleCI puts in its jobs:
# tests glob, tests split (by name, file size or timings), env subst, step
# halt, and continue (drydock's, for setup workflows). POSIX sh,
# find, sort and awk only: it runs in any image a job names.
set -u
LC_ALL=C # sorted as bytes, the same in every image
export LC_ALL

say() { printf 'circleci: %s\n' "$*" >&2; }
usage() {
  say "drydock's stand-in answers: circleci tests glob PATTERN..., circleci tests split [--split-by=name|filesize|timings] [FILE], circleci env subst [TEXT], circleci step halt, circleci continue [--finish]"
  exit 2
}

# The leading folders of a pattern that hold no wildcard: where find starts.
base_of() {
  printf '%s\n' "$1" | awk '{
    n = split($0, parts, "/"); base = ""
    for (i = 1; i < n; i++) {
      if (parts[i] ~ /[][*?{]/) break
      base = (i == 1 ? parts[i] : base "/" parts[i])
    }
    if ($0 ~ /^\// && base == "") base = "/"
    print base
  }'
}

tests_glob() {
  [ $# -gt 0 ] || { say "tests glob: give one or more patterns"; exit 2; }
  for pattern in "$@"; do
    base=$(base_of "$pattern")
    if [ -z "$base" ]; then
      find . \( -type f -o -type l \) -print 2>/dev/null | sed 's|^\./||'
    elif [ -e "$base" ]; then
      find -H "$base" \( -type f -o -type l \) -print 2>/dev/null
    fi | DRYDOCK_GLOB=$pattern awk '
      # The pattern as an anchored ERE; what cannot be a wildcard (a { with
      # no } after it, an empty [ ]) is taken literally, so the ERE is valid.
      function regex_of(glob,    out, i, j, c, n, depth, set, rest, closes) {
        out = "^"; n = length(glob); depth = 0
        for (i = 1; i <= n; i++) {
          c = substr(glob, i, 1)
          if (c == "*" && substr(glob, i + 1, 2) == "*/") { out = out "(.*/)?"; i += 2 }
          else if (c == "*" && substr(glob, i + 1, 1) == "*") { out = out ".*"; i++ }
          else if (c == "*") out = out "[^/]*"
          else if (c == "?") out = out "[^/]"
          else if (c == "[") {
            j = index(substr(glob, i + 1), "]"); set = substr(glob, i + 1, j - 1)
            if (j == 0 || set == "" || set == "!" || set == "^") { out = out "\\["; continue }
            if (set ~ /^[!^]/) set = "^/" substr(set, 2) # a negated class never matches /
            out = out "[" set "]"; i += j
          }
          else if (c == "{") {
            rest = substr(glob, i + 1); closes = gsub(/}/, "}", rest)
            if (closes > depth) { out = out "("; depth++ } else out = out "\\{"
          }
          else if (c == "}" && depth > 0) { out = out ")"; depth-- }
          else if (c == "," && depth > 0) out = out "|"
          else if (index("\\.+()|^$}{", c) > 0) out = out "\\" c
          else out = out c
        }
        return out "$"
      }
      BEGIN { re = regex_of(ENVIRON["DRYDOCK_GLOB"]) }
      $0 ~ re'
  done | sort -u
}

# Each name's weight in milliseconds from the timings table drydock puts
# beside this script (the last passed run's test results), of the timings
# type asked for, or the first of filename, classname and testname that
# knows any of the names; none: nothing (the caller splits by name).
timing_weights() { # $1: names, $2: type, $3: default ms
  table="$(dirname "$0")/.circleci-timings"
  [ -r "$table" ] || table=/dev/null
  printf '%s\n' "$1" | awk -v table="$table" -v want="$2" -v fallback="$3" '
    function listed(name) { while (substr(name, 1, 2) == "./") name = substr(name, 3); return name }
    BEGIN {
      FS = "\t"
      while ((getline line < table) > 0) { split(line, f, "\t"); ms[f[1], f[2]] = f[3] }
      FS = "\n"
    }
    { names[NR] = $0 }
    END {
      n = split(want == "autodetect" ? "filename classname testname" : want, kinds, " ")
      for (k = 1; k <= n && type == ""; k++)
        for (i = 1; i <= NR; i++) if ((kinds[k], listed(names[i])) in ms) { type = kinds[k]; break }
      if (type == "") exit
      for (i = 1; i <= NR; i++) {
        key = listed(names[i])
        if ((type, key) in ms) w = ms[type, key]
        else { w = fallback; printf "circleci: No timing found for \"%s\"\n", names[i] > "/dev/stderr" }
        print w " " names[i]
      }
    }'
}

# 10s, 500ms, 2m, 1h or a number of seconds, in milliseconds.
as_ms() {
  printf '%s\n' "$1" | awk '
    /^[0-9]+(\.[0-9]+)?(ms|s|m|h)?$/ {
      n = $0 + 0; unit = $0; sub(/^[0-9.]+/, "", unit)
      print int(n * (unit == "ms" ? 1 : unit == "m" ? 60000 : unit == "h" ? 3600000 : 1000) + 0.5); next
    }
    { exit 1 }'
}

# The names (words of FILE, or of stdin) this node runs: CIRCLE_NODE_INDEX of CIRCLE_NODE_TOTAL.
tests_split() {
  by=name node=${CIRCLE_NODE_INDEX:-0} total=${CIRCLE_NODE_TOTAL:-1} file=- type=autodetect time_default=1ms
  while [ $# -gt 0 ]; do
    case $1 in
      --split-by=*) by=${1#*=} ;;
      --split-by | --index | --total | --timings-type | --time-default)
        [ $# -gt 1 ] || { say "tests split: $1 needs a value"; exit 2; }
        case $1 in
          --split-by) by=$2 ;; --index) node=$2 ;; --total) total=$2 ;;
          --timings-type) type=$2 ;; --time-default) time_default=$2 ;;
        esac
        shift ;;
      --index=*) node=${1#*=} ;;
      --total=*) total=${1#*=} ;;
      --timings-type=*) type=${1#*=} ;;
      --time-default=*) time_default=${1#*=} ;;
      --show-counts) ;;
      -*) say "tests split: unknown option $1"; usage ;;
      *) file=$1 ;;
    esac
    shift
  done
  [ "$file" = - ] || [ -r "$file" ] || { say "tests split: cannot read $file"; exit 2; }
  case $node$total in "" | *[!0-9]*) say "tests split: the node index and total must be whole numbers"; exit 2 ;; esac
  [ "$node" -lt "$total" ] || { say "tests split: node $node of $total"; exit 2; }
  case $by in
    name | filesize | timings) ;;
    *) say "tests split: --split-by is name, filesize or timings, not '$by'"; exit 2 ;;
  esac
  case $type in
    filename | classname | testname | autodetect) ;;
    *) say "tests split: --timings-type is filename, classname, testname or autodetect, not '$type'"; exit 2 ;;
  esac
  default_ms=$(as_ms "$time_default") || { say "tests split: --time-default is a duration such as 10s, not '$time_default'"; exit 2; }
  names=$(if [ "$file" = - ]; then tr -s ' \t' '\n\n'; else tr -s ' \t' '\n\n' <"$file"; fi | sed '/^$/d' | sort -u)
  [ -n "$names" ] || return 0
  weights=
  if [ "$by" = timings ]; then
    weights=$(timing_weights "$names" "$type" "$default_ms")
    if [ -z "$weights" ]; then say "Error autodetecting timing type, falling back to weighting by name."; by=name; fi
  fi
  if [ -z "$weights" ]; then
    weights=$(printf '%s\n' "$names" | while IFS= read -r name; do
      if [ "$by" = filesize ]; then size=$(wc -c <"$name" 2>/dev/null || echo 0); else size=1; fi
      printf '%s %s\n' "$size" "$name"
    done)
  fi
  printf '%s\n' "$weights" | sort -k1,1nr -k2 | awk -v node="$node" -v total="$total" -v by="$by" '
      { name[NR] = substr($0, index($0, " ") + 1) }
      by != "name" { # heaviest first, each to the lightest node so far
        lightest = 0
        for (k = 1; k < total; k++) if (load[k] + 0 < load[lightest] + 0) lightest = k
        load[lightest] += $1
        if (lightest == node) print name[NR]
      }
      END { # by name: the sorted names in runs of nearly equal length
        if (by == "name") for (i = 1; i <= NR; i++) if (int((i - 1) * total / NR) == node) print name[i]
      }' | sort
}

# $NAME and ${NAME} replaced by their values (empty when unset), as envsubst does.
env_subst() {
  if [ $# -gt 0 ]; then printf '%s\n' "$*"; else cat; fi | awk '{
    out = ""; line = $0
    while (match(line, /\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)/)) {
      name = substr(line, RSTART + 1, RLENGTH - 1); gsub(/[{}]/, "", name)
      out = out substr(line, 1, RSTART - 1) ENVIRON[name]; line = substr(line, RSTART + RLENGTH)
    }
    print out line
  }'
}

# A setup workflow's continuation (drydock's circleci/continuation runs it):
# CONFIG_PATH's configuration and PARAMETERS (a JSON object, or a file of
# one) left in DRYDOCK_CONTINUATION_DIR for drydock, which runs that
# configuration once the setup workflow passed; --finish: nothing runs next.
continue_pipeline() {
  [ -n "${CIRCLE_CONTINUATION_KEY:-}" ] || {
    say "continue: CIRCLE_CONTINUATION_KEY is required: only the jobs of a config with setup: true continue a pipeline"
    exit 1
  }
  dir=${DRYDOCK_CONTINUATION_DIR:-/tmp/drydock-continuation}
  mkdir -p "$dir" || exit 1
  if [ -e "$dir/configuration.yml" ] || [ -e "$dir/finished" ]; then say "continue: this job continued the pipeline already"; exit 1; fi
  if [ "${1:-}" = --finish ]; then : >"$dir/finished" && say "the pipeline ends with the setup workflow"; return; fi
  [ -n "${CONFIG_PATH:-}" ] || { say "continue: CONFIG_PATH is required"; exit 1; }
  [ -f "$CONFIG_PATH" ] && [ -r "$CONFIG_PATH" ] || { say "continue: cannot read the configuration $CONFIG_PATH"; exit 1; }
  params=${PARAMETERS:-"{}"}
  if [ -f "$params" ]; then params=$(cat "$params") || exit 1; fi
  case $(printf '%s' "$params" | tr -d ' \t\r\n') in
    "{"*"}") ;;
    *) say "continue: PARAMETERS aren't valid json: a JSON object, or a file of one"; exit 1 ;;
  esac
  printf '%s\n' "$params" >"$dir/parameters.json.part" && cp "$CONFIG_PATH" "$dir/configuration.yml.part" &&
    mv "$dir/parameters.json.part" "$dir/parameters.json" && mv "$dir/configuration.yml.part" "$dir/configuration.yml" ||
    { say "continue: cannot write $dir"; exit 1; }
  say "the pipeline continues with $CONFIG_PATH once the setup workflow passed"
}

# Another circleci on the PATH (CircleCI's own CLI), for what this one does not answer.
other_circleci() {
  here=$(cd "$(dirname "$0")" 2>/dev/null && pwd -P)
  set -f; old_ifs=$IFS; IFS=:
  for dir in $PATH; do
    [ -n "$dir" ] && [ -x "$dir/circleci" ] || continue
    [ "$(cd "$dir" 2>/dev/null && pwd -P)" != "$here" ] || continue
    IFS=$old_ifs; printf '%s\n' "$dir/circleci"; return 0
  done
  IFS=$old_ifs; return 1
}

case "${1:-} ${2:-}" in
  "tests glob") shift 2; tests_glob "$@" ;;
  "tests split") shift 2; tests_split "$@" ;;
  "env subst") shift 2; env_subst "$@" ;;
  "continue "*) shift; continue_pipeline "$@" ;;
  "step halt")
    # the step's shell (lower_parts.cpp) exported where to say it; it ends the job, passed, after this step
    [ -n "${DRYDOCK_HALT_FILE:-}" ] || { say "step halt: this is not a step of a job drydock runs"; exit 1; }
    : >"$DRYDOCK_HALT_FILE" || exit 1
    say "the job halts after this step, passed" ;;
  *)
    if other=$(other_circleci); then exec "$other" "$@"; fi
    usage ;;
esac
)SH";

} // namespace

pipeline::Tool circleci_tool() { return {"circleci", kScript}; }

} // namespace drydock::circle2

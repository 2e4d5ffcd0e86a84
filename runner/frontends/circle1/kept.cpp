#include "frontends/circle1/kept.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "util/shell.hpp"
#include "util/stable_hash.hpp"

namespace fs = std::filesystem;

namespace drydock::circle1 {
namespace {

// A path of the config as sh sees it: ~/ is the step's $HOME (the build
// container's there), the rest relative to the build directory or absolute.
std::string shell_path(const std::string& path)
{
  if (path == "~") {
    return "\"$HOME\"";
  }
  return path.starts_with("~/") ? "\"$HOME\"/" + shell_quote(path.substr(2)) : shell_quote(path);
}

// The folder of a branch's archives: readable, and apart from its look-alikes.
std::string branch_folder(const std::string& branch)
{
  const std::string name = branch.empty() ? "(no branch)" : branch;
  std::string readable = name;
  std::replace_if(
      readable.begin(), readable.end(),
      [](char c) { return std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-' && c != '.'; }, '_');
  return fmt::format("branch-{}-{}", readable, util::stable_hash_hex(name).substr(0, 8));
}

std::string archive_name(const config::Text& dir) { return util::stable_hash_hex(dir.value) + ".tar.gz"; }

// drydock_event DECISION SHOWN KEY: the decision for the run's record, when
// it has a file for the step's events (on the host; not in the build
// container). A name with a control character makes a line the record skips.
constexpr const char* kEventFunction = R"sh(drydock_event() {
  [ -n "${DRYDOCK_STEP_EVENTS:-}" ] || return 0
  ev_dir=$(printf '%s' "$2" | sed 's/[\\"]/\\&/g')
  printf '{"event":"cache","dir":"%s","decision":"%s","key":"%s"}\n' "$ev_dir" "$1" "$3" >>"$DRYDOCK_STEP_EVENTS" 2>/dev/null || true
}
)sh";

// drydock_restore DIR NAME SHOWN FOLDER...: the first folder holding NAME,
// else the newest NAME under the project's cache.
constexpr const char* kRestoreFunction = R"sh(drydock_restore() {
  dir=$1 name=$2 shown=$3; shift 3
  if [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then echo "cache $shown: already there, kept as it is"; drydock_event kept "$shown" ""; return 0; fi
  from=""
  for folder in "$@"; do
    if [ -f "$cache/$folder/$name" ]; then from="$cache/$folder/$name"; break; fi
  done
  [ -n "$from" ] || from=$(ls -t "$cache"/*/"$name" 2>/dev/null | head -n 1)
  if [ -z "$from" ]; then echo "cache $shown: nothing saved yet"; drydock_event nothing "$shown" ""; return 0; fi
  label=$(basename "$(dirname "$from")")
  if mkdir -p "$dir" && tar -xzf "$from" -C "$dir"; then
    echo "cache $shown: restored (${label%-*})"; drydock_event restored "$shown" "${label%-*}"
  else
    rm -rf "$dir"; echo "cache $shown: could not restore; starting without it" # it was empty: no half of it stays
    drydock_event failed "$shown" "${label%-*}"
  fi
}
)sh";

// drydock_save DIR ARCHIVE SHOWN: a temporary file beside the archive,
// then a rename, so a reader (another run) sees the old archive or the new
// one, never half; an interrupt removes the temporary file.
constexpr const char* kSaveFunction = R"sh(drydock_save() {
  if [ ! -d "$1" ]; then echo "cache $3: not a directory, not saved"; return 0; fi
  if ! mkdir -p "$(dirname "$2")"; then echo "cache $3: not saved"; return 0; fi
  find "$(dirname "$2")" -name '*.partial.*' -mmin +60 -exec rm -f {} + 2>/dev/null
  tmp=""; trap 'rm -f "$tmp"; exit 143' TERM INT HUP # before the file exists: no moment without it
  # The name first, then the file, so an interrupt never falls between a file made and its name known.
  if ! tmp=$(mktemp -u "$2.partial.XXXXXX") || ! (set -C && : >"$tmp") 2>/dev/null; then
    tmp=""; echo "cache $3: not saved"; trap - TERM INT HUP; return 0
  fi
  if tar -czf "$tmp" -C "$1" . && chmod 644 "$tmp" && mv -f "$tmp" "$2"; then
    label=$(basename "$(dirname "$2")"); echo "cache $3: saved"; drydock_event saved "$3" "${label%-*}"
  else
    rm -f "$tmp"; echo "cache $3: not saved"; drydock_event failed "$3" ""
  fi
  trap - TERM INT HUP
}
)sh";

// A copy into $CIRCLE_ARTIFACTS; a missing path is said, not a failure
// (CircleCI did not fail a build for it).
constexpr const char* kStoreFunction = R"sh(drydock_store() {
  if [ ! -e "$1" ]; then echo "artifact $2: not found"; return 0; fi
  cp -R -- "$1" "$CIRCLE_ARTIFACTS"/ && echo "artifact $2: stored" || echo "artifact $2: not stored"
}
)sh";

std::string shown_list(const std::vector<config::Text>& paths)
{
  std::vector<std::string> shown;
  for (const auto& path : paths) {
    shown.push_back(path.value);
  }
  return fmt::format("{}", fmt::join(shown, ", "));
}

pipeline::Step shell_step(const std::string& id, const std::string& origin, std::string script, std::string summary,
                          const config::Text& first, const BuildContext& context, std::size_t group)
{
  pipeline::Step step;
  step.id = id;
  step.name = id;
  step.group = group;
  step.origin = origin;
  step.pos = first.pos;
  step.summary = std::move(summary);
  step.action = pipeline::ShellCommand{std::move(script), {"sh", "-c"}, {}};
  step.workdir.base = context.build_dir;
  return step;
}

} // namespace

std::vector<config::Text> directories_to_cache(const config::Config& config, const BuildContext& context)
{
  const bool build_container = context.container || config.drydock.container;
  std::vector<config::Text> dirs;
  for (const auto& dir : config.dependencies.cache_directories) {
    const bool outside = dir.value.starts_with("~") || dir.value.starts_with("/");
    if (outside ? build_container : context.fresh_checkout) {
      dirs.push_back(dir);
    }
  }
  return dirs;
}

pipeline::Step cache_restore_step(const std::vector<config::Text>& dirs, const BuildContext& context, std::size_t group)
{
  std::string script = fmt::format("cache={}\n{}{}", shell_quote(context.directories_cache), kEventFunction,
                                   kRestoreFunction);
  const std::string folders = fmt::format("{} {} {}", shell_quote(branch_folder(context.target.branch)),
                                          shell_quote(branch_folder("master")), shell_quote(branch_folder("main")));
  for (const auto& dir : dirs) {
    script += fmt::format("drydock_restore {} {} {} {}\n", shell_path(dir.value), shell_quote(archive_name(dir)),
                          shell_quote(dir.value), folders);
  }
  return shell_step("cache:restore", "dependencies.cache_directories", std::move(script),
                    "restore the cached " + shown_list(dirs), dirs.front(), context, group);
}

pipeline::Step cache_save_step(const std::vector<config::Text>& dirs, const BuildContext& context, std::size_t group)
{
  std::string script = std::string(kEventFunction) + kSaveFunction;
  const fs::path folder = fs::path(context.directories_cache) / branch_folder(context.target.branch);
  for (const auto& dir : dirs) {
    script += fmt::format("drydock_save {} {} {}\n", shell_path(dir.value),
                          shell_quote((folder / archive_name(dir)).string()), shell_quote(dir.value));
  }
  return shell_step("cache:save", "dependencies.cache_directories", std::move(script),
                    "save into the cache: " + shown_list(dirs), dirs.front(), context, group);
}

std::optional<pipeline::Step> artifacts_step(const config::General& general, const BuildContext& context,
                                             std::size_t group)
{
  const auto& paths = general.artifacts;
  if (paths.empty()) {
    return std::nullopt;
  }
  std::string script = kStoreFunction;
  for (const auto& path : paths) {
    script += fmt::format("drydock_store {} {}\n", shell_path(path.value), shell_quote(path.value));
  }
  return shell_step("artifacts", "general.artifacts", std::move(script),
                    "copy into $CIRCLE_ARTIFACTS: " + shown_list(paths), paths.front(), context, group);
}

} // namespace drydock::circle1

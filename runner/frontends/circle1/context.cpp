#include "frontends/circle1/context.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string_view>

#include "config/derived.hpp"
#include "record/build_number.hpp"
#include "record/run_record.hpp"
#include "util/file.hpp"
#include "util/stable_hash.hpp"

namespace fs = std::filesystem;

namespace drydock::circle1 {
namespace {

void apply(env::Environment& env, const Overrides& overrides)
{
  for (const auto& [name, value] : overrides.vars) {
    env.set(name, value);
  }
}

// The last value the overrides give a name, if they give it one.
std::optional<std::string> override_of(const Overrides& overrides, std::string_view name)
{
  std::optional<std::string> value;
  for (const auto& [var, text] : overrides.vars) {
    if (var == name) {
      value = text;
    }
  }
  return value;
}

// machine.environment without the names the overrides set: those keep the
// override's value, and the values after them are expanded from it.
std::vector<std::pair<std::string, std::string>> not_overridden(std::vector<std::pair<std::string, std::string>> vars,
                                                                const Overrides& overrides)
{
  std::erase_if(vars, [&](const auto& var) { return override_of(overrides, var.first).has_value(); });
  return vars;
}

struct BuildRef {
  std::string branch;
  std::string tag;
};

// A build is for a branch or for a tag, never both: a checked-out branch is
// a branch build even when HEAD is tagged, a detached HEAD at a tag is a tag
// build. A non-empty CIRCLE_BRANCH or CIRCLE_TAG override decides instead.
tl::expected<BuildRef, std::string> build_ref(const os::RepoFacts& repo, const Overrides& overrides)
{
  const auto branch = override_of(overrides, "CIRCLE_BRANCH").value_or("");
  const auto tag = override_of(overrides, "CIRCLE_TAG").value_or("");
  if (!branch.empty() && !tag.empty()) {
    return tl::unexpected(fmt::format("CIRCLE_BRANCH ('{}') and CIRCLE_TAG ('{}') are both set: a build is for a "
                                      "branch or for a tag; set one of them",
                                      branch, tag));
  }
  if (!tag.empty()) {
    return BuildRef{"", tag};
  }
  if (!branch.empty()) {
    return BuildRef{branch, ""};
  }
  return repo.branch.empty() ? BuildRef{"", repo.tag} : BuildRef{repo.branch, ""};
}

} // namespace

std::string config_dir_of(const std::string& config_path)
{
  std::error_code ec;
  const fs::path parent = fs::path(config_path).parent_path();
  std::string dir = fs::absolute(parent.empty() ? fs::path(".") : parent, ec).lexically_normal().string();
  if (dir.size() > 1 && dir.back() == '/') {
    dir.pop_back();
  }
  return dir;
}

namespace {

struct Layers {
  const os::RepoFacts& repo;
  const BuildRef& ref;
  const config::Config& config;
  const Overrides& overrides;
};

// CI, CIRCLECI and CIRCLE_*, then the overrides, then machine.environment.
void layer_environment(BuildContext& ctx, const Layers& layers)
{
  const os::RepoFacts& repo = layers.repo;
  const std::vector<std::pair<std::string, std::string>> circle = {
      {"CI", "true"},
      {"CIRCLECI", "true"},
      {"CIRCLE_SHA1", repo.sha},
      {"CIRCLE_BRANCH", layers.ref.branch},
      {"CIRCLE_TAG", layers.ref.tag},
      {"CIRCLE_PROJECT_USERNAME", repo.owner},
      {"CIRCLE_PROJECT_REPONAME", repo.repo.empty() ? fs::path(ctx.config_dir).filename().string() : repo.repo},
      // origin when there is one, else the work tree itself (what a clone would use)
      {"CIRCLE_REPOSITORY_URL",
       !repo.origin_url.empty() || repo.top_dir.empty() ? repo.origin_url : "file://" + repo.top_dir},
      {"CIRCLE_BUILD_NUM", std::to_string(ctx.build_num)},
      {"CIRCLE_PREVIOUS_BUILD_NUM", ctx.build_num > 1 ? std::to_string(ctx.build_num - 1) : ""},
      {"CIRCLE_ARTIFACTS", ctx.artifacts_dir},
      {"CIRCLE_TEST_REPORTS", ctx.test_reports_dir},
      {"CIRCLE_NODE_TOTAL", std::to_string(ctx.parallelism)},
      {"CIRCLE_NODE_INDEX", "0"},
  };
  for (const auto& [name, value] : circle) {
    ctx.env.set(name, value);
  }
  // CircleCI set the machine's zone; TZ gives the steps the same clock.
  if (const auto& zone = layers.config.machine.timezone) {
    ctx.env.set("TZ", zone->value);
    ctx.pipeline_vars.emplace_back("TZ");
  }
  apply(ctx.env, layers.overrides);
  const auto machine = config::name_values(layers.config.machine.environment);
  env::apply_expanded(ctx.env, not_overridden(machine, layers.overrides));
  for (const auto& [name, value] : circle) {
    ctx.pipeline_vars.push_back(name);
  }
  for (const auto& [name, value] : machine) {
    ctx.pipeline_vars.push_back(name);
  }
  for (const auto& [name, value] : layers.overrides.vars) {
    ctx.pipeline_vars.push_back(name);
  }
}

// A run's number and its record, which holds the artifacts directories:
// the ones given, or the next of the counter and its folder under runs_dir.
tl::expected<void, std::string> claim(BuildContext& ctx, const std::string& counter, const std::string& runs_dir,
                                      const std::optional<GivenBuild>& given)
{
  auto number = given ? tl::expected<int, std::string>(given->number) : record::next_build_number(counter);
  if (!number) {
    return tl::unexpected(number.error());
  }
  ctx.build_num = *number;
  auto paths = given ? record::create_record_at(given->record_dir) : record::create_record(runs_dir, *number);
  if (!paths) {
    return tl::unexpected(paths.error());
  }
  ctx.record_dir = paths->dir;
  ctx.artifacts_dir = paths->artifacts();
  ctx.test_reports_dir = paths->test_results();
  return {};
}

void mark_unclaimed(BuildContext& ctx, const std::string& counter, const std::optional<GivenBuild>& given)
{
  ctx.build_num = given ? given->number : record::peek_build_number(counter);
  ctx.artifacts_dir = "(a new directory at run time)";
  ctx.test_reports_dir = "(a new directory at run time)";
}

// A name that stays the same for the project's later runs, a fresh
// checkout's included: its origin (or work tree) and the config's place.
std::string directories_cache_of(const BuildContext& ctx, const os::RepoFacts& repo)
{
  const std::string project = !repo.origin_url.empty() ? repo.origin_url
                              : !repo.top_dir.empty()  ? repo.top_dir
                                                       : ctx.config_dir;
  const std::string config = fs::path(ctx.config_path).lexically_relative(ctx.checkout_dir).string();
  std::string name = repo.repo.empty() ? fs::path(ctx.checkout_dir).filename().string() : repo.repo;
  std::replace_if(
      name.begin(), name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-'; },
      '_');
  const auto cache_home = ctx.env.get("XDG_CACHE_HOME");
  const fs::path root = cache_home && !cache_home->empty() ? fs::path(*cache_home) : fs::path(ctx.home) / ".cache";
  return (root / "drydock" / "directories" / (name + "-" + util::stable_hash_hex(project + "\n" + config))).string();
}

// The top of the work tree holding `dir`: the nearest folder with a .git
// (a directory, or a file in a worktree); `dir` itself outside one.
std::string checkout_dir_of(const std::string& dir)
{
  std::error_code ec;
  for (fs::path at = dir; !at.empty(); at = at.parent_path()) {
    if (fs::exists(at / ".git", ec)) {
      return at.string();
    }
    if (at == at.root_path()) {
      break;
    }
  }
  return dir;
}

} // namespace

tl::expected<BuildContext, std::string> make_build_context(const config::Config& config, const Overrides& overrides,
                                                           const std::vector<std::string>& host_env, ContextMode mode,
                                                           const BeforeClaim& before_claim,
                                                           const std::optional<os::RepoFacts>& repo_facts)
{
  BuildContext ctx;
  ctx.config_path = fs::absolute(config.path).lexically_normal().string();
  ctx.env = env::without(env::Environment::from_entries(host_env), kHostCiVariables);
  ctx.home = ctx.env.get("HOME").value_or("/root");
  std::error_code ec;
  ctx.config_dir = config_dir_of(config.path);
  ctx.build_dir = config.general.build_dir
                      ? (fs::path(ctx.config_dir) / config.general.build_dir->value).lexically_normal().string()
                      : ctx.config_dir;
  if (!fs::is_directory(ctx.build_dir, ec)) {
    return tl::unexpected(fmt::format("the build directory {} does not exist", ctx.build_dir));
  }
  ctx.checkout_dir = checkout_dir_of(ctx.config_dir);
  ctx.container = overrides.container;
  ctx.fresh_checkout = overrides.fresh_checkout;
  ctx.parallelism = std::max(overrides.parallelism, 1);
  const os::RepoFacts repo = repo_facts ? *repo_facts : os::read_repo_facts(ctx.config_dir);
  const auto ref = build_ref(repo, overrides);
  if (!ref) {
    return tl::unexpected(ref.error());
  }
  const std::string counter = record::counter_file_for(repo.git_dir, ctx.config_dir, ctx.home);
  ctx.directories_cache = directories_cache_of(ctx, repo);
  const Layers layers{repo, *ref, config, overrides};
  if (mode == ContextMode::run) {
    if (before_claim) {
      BuildContext preview = ctx;
      mark_unclaimed(preview, counter, overrides.given);
      layer_environment(preview, layers);
      if (auto checked = before_claim(preview.env); !checked) {
        return tl::unexpected(checked.error());
      }
    }
    const auto runs_dir = record::runs_dir_for(repo.git_dir, ctx.config_dir, ctx.home);
    if (auto claimed = claim(ctx, counter, runs_dir, overrides.given); !claimed) {
      return tl::unexpected(claimed.error());
    }
  } else {
    mark_unclaimed(ctx, counter, overrides.given);
  }
  layer_environment(ctx, layers);
  ctx.target = {ctx.env.get("CIRCLE_BRANCH").value_or(""), ctx.env.get("CIRCLE_TAG").value_or(""),
                ctx.env.get("CIRCLE_PROJECT_USERNAME").value_or("")};
  ctx.repo = repo;
  return ctx;
}

std::vector<std::pair<std::string, std::string>> pipeline_environment(const BuildContext& context)
{
  std::vector<std::pair<std::string, std::string>> vars;
  for (const auto& name : context.pipeline_vars) {
    const bool seen = std::any_of(vars.begin(), vars.end(), [&](const auto& var) { return var.first == name; });
    if (!seen) {
      vars.emplace_back(name, context.env.get(name).value_or(""));
    }
  }
  return vars;
}

} // namespace drydock::circle1

#include "cli/pipeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <map>

#include "cli/commands.hpp"
#include "cli/orb_cache.hpp"
#include "env/environment.hpp"
#include "frontends/circle1/check.hpp"
#include "frontends/circle1/lower.hpp"
#include "frontends/circle2/load.hpp"
#include "frontends/circle2/lower.hpp"
#include "frontends/format.hpp"
#include "report/text_report.hpp"
#include "util/file.hpp"
#include "util/lines.hpp"
#include "util/stable_hash.hpp"


namespace drydock::cli {
namespace {

// CircleCI masks project variables of 4 characters or more: shorter ones
// would turn every "a" or "on" in the output into ***.
constexpr std::size_t kShortestMasked = 4;

struct OverridesRead {
  circle1::Overrides overrides;
  std::vector<std::string> masked;
};

using Vars = std::vector<std::pair<std::string, std::string>>;

tl::expected<Vars, std::string> read_dotenv_file(const std::string& file)
{
  const auto text = read_config_file(file);
  if (!text) {
    return tl::unexpected(fmt::format("{}: cannot read the file: {}", file, text.error()));
  }
  auto vars = env::parse_dotenv(*text);
  if (!vars) {
    return tl::unexpected(fmt::format("{}: {}", file, vars.error()));
  }
  return vars;
}

tl::expected<Vars, std::string> read_assignments(const std::vector<std::string>& assignments, std::string_view option)
{
  Vars vars;
  for (const auto& assignment : assignments) {
    auto var = env::parse_assignment(assignment);
    if (!var) {
      return tl::unexpected(fmt::format("{}: {}", option, var.error()));
    }
    vars.push_back(std::move(*var));
  }
  return vars;
}

// CircleCI leaves these unmasked: as secrets they would turn every "true" in the output into ***.
bool is_flag_word(const std::string& value)
{
  return value == "true" || value == "True" || value == "false" || value == "False";
}

// The value, and each line of one that has several: output is masked line by line.
void add_masked(std::vector<std::string>& masked, const std::string& value)
{
  masked.push_back(value);
  if (value.find('\n') == std::string::npos) {
    return;
  }
  for (const auto line : util::lines(value)) {
    if (line.size() >= kShortestMasked) {
      masked.emplace_back(line);
    }
  }
}

void add_vars(OverridesRead& read, const Vars& vars, bool mask)
{
  for (const auto& [name, value] : vars) {
    read.overrides.vars.emplace_back(name, value);
    if (mask && is_flag_word(value)) {
      continue;
    }
    if (mask && value.size() >= kShortestMasked) {
      add_masked(read.masked, value);
    } else if (mask && !value.empty()) {
      fmt::print(stderr, "drydock: warning: {} is shorter than {} characters and is not masked\n", name,
                 kShortestMasked);
    }
  }
}

// --env-file, then --env, then the secrets, in order: the last one wins.
tl::expected<OverridesRead, std::string> read_overrides(const PipelineOptions& options)
{
  OverridesRead read;
  const auto add_files = [&](const std::vector<std::string>& files, bool mask) -> tl::expected<void, std::string> {
    for (const auto& file : files) {
      auto vars = read_dotenv_file(file);
      if (!vars) {
        return tl::unexpected(vars.error());
      }
      add_vars(read, *vars, mask);
    }
    return {};
  };
  auto env = read_assignments(options.env, "--env");
  auto secrets = read_assignments(options.secrets, "--secret");
  if (!env || !secrets) {
    return tl::unexpected(!env ? env.error() : secrets.error());
  }
  if (auto files = add_files(options.env_files, !options.no_mask_env_files); !files) {
    return tl::unexpected(files.error());
  }
  add_vars(read, *env, false);
  if (auto files = add_files(options.secret_files, true); !files) {
    return tl::unexpected(files.error());
  }
  add_vars(read, *secrets, true);
  read.overrides.container = options.container;
  read.overrides.fresh_checkout = options.fresh_checkout;
  read.overrides.parallelism = options.parallelism;
  read.overrides.given = options.given;
  return read;
}

std::unique_ptr<config::Validation> checked_config(const std::string& file, std::string text, bool show_warnings)
{
  auto validation = std::make_unique<config::Validation>(circle1::validate_pipeline(file, std::move(text)));
  const bool has_errors = validation->diagnostics.has_errors();
  if (has_errors || (show_warnings && !validation->diagnostics.all().empty())) {
    fmt::print(stderr, "{}", report::format_file_report(validation->source, validation->diagnostics));
  }
  return has_errors ? nullptr : std::move(validation);
}

// Prints the diagnostics (warnings too); whether there was an error.
bool report_problems(const SourceFile& source, const Diagnostics& diags)
{
  if (!diags.all().empty()) {
    fmt::print(stderr, "{}", report::format_file_report(source, diags));
  }
  return diags.has_errors();
}

} // namespace

std::vector<std::string> host_environment()
{
  std::vector<std::string> entries;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    entries.emplace_back(*entry);
  }
  return entries;
}

std::unique_ptr<config::Validation> load_checked_config(const std::string& file, bool show_warnings)
{
  auto text = read_config_file(file);
  if (!text) {
    fmt::print(stderr, "{}", report::format_unreadable(file, text.error()));
    return nullptr;
  }
  return checked_config(file, std::move(*text), show_warnings);
}

std::string config_file_of(const PipelineOptions& options)
{
  return options.file.empty() ? frontends::default_config_file() : options.file;
}

void add_pipeline_options(CLI::App& sub, PipelineOptions& options)
{
  sub.add_option("file", options.file,
                 "Config file, CircleCI 1.0 or 2.x by its content (default: .circleci/config.yml when there is "
                 "one, else circle.yml)");
  sub.add_option("--env", options.env,
                 "Set NAME=value for every step, over anything else (repeatable); "
                 "e.g. --env CIRCLE_BRANCH=master")
      ->type_name("NAME=VALUE")
      ->allow_extra_args(false); // one value each time: `--env A=1 circle.yml` keeps the file
  sub.add_option("--env-file", options.env_files,
                 "Read NAME=value lines from a dotenv file (repeatable); values of 4 characters or more are "
                 "masked as *** in the output")
      ->type_name("FILE")
      ->allow_extra_args(false);
  sub.add_flag("--no-mask-env-file", options.no_mask_env_files, "Show --env-file values in the output");
  sub.add_option("--secret", options.secrets,
                 "Set NAME=value for every step, masked as *** wherever drydock "
                 "writes it, and passed to containers by name only (repeatable)")
      ->type_name("NAME=VALUE")
      ->allow_extra_args(false);
  sub.add_option("--secret-file", options.secret_files,
                 "Read secrets as NAME=value lines from a dotenv file (repeatable)")
      ->type_name("FILE")
      ->allow_extra_args(false);
  sub.add_option("--container", options.container,
                 "Run every host step in one long-lived container of IMAGE (`docker exec` per step; the "
                 "checkout mounted at its path), as CircleCI ran builds in its own box (over drydock.container)")
      ->type_name("IMAGE")
      ->allow_extra_args(false);
  sub.add_option("--parallelism", options.parallelism,
                 "Run each `parallel: true` command of test and compile as N nodes at once, each with its "
                 "CIRCLE_NODE_INDEX and its share of the `files` (CircleCI's parallelism; default 1)")
      ->type_name("N")
      ->check(CLI::Range(1, 64));
  sub.add_option("--workflow", options.workflow, "CircleCI 2.x: run this workflow only (default: every one)")
      ->type_name("NAME")
      ->allow_extra_args(false);
  sub.add_option("--job", options.job,
                 "CircleCI 2.x: run this job and the jobs it requires (with --only: the job alone)")
      ->type_name("NAME")
      ->allow_extra_args(false);
  sub.add_flag("--only", options.only, "With --job: not the jobs it requires");
  sub.add_option("--param", options.params,
                 "CircleCI 2.1: set pipeline parameter NAME, as `<< pipeline.parameters.NAME >>` reads it "
                 "(repeatable; checked against the config's `parameters:`)")
      ->type_name("NAME=VALUE")
      ->allow_extra_args(false);
  sub.add_option("--approve", options.approved,
                 "CircleCI 2.x: approve the `type: approval` job NAME, so the jobs behind it run (repeatable; "
                 "without it they stay on hold and are reported)")
      ->type_name("NAME")
      ->allow_extra_args(false);
  sub.add_option("--contexts", options.contexts_dir,
                 "CircleCI 2.x: read each context a workflow job names from DIR/NAME.env (NAME=value lines, "
                 "masked; default ~/.config/drydock/contexts, under XDG_CONFIG_HOME when set)")
      ->type_name("DIR")
      ->allow_extra_args(false);
  sub.add_option("--orbs", options.orbs_dir,
                 "CircleCI 2.1: read registry orbs from DIR/NAMESPACE/NAME@VERSION.yml (default "
                 "~/.cache/drydock/orbs, under XDG_CACHE_HOME when set; fill it with `drydock orb fetch`)")
      ->type_name("DIR")
      ->allow_extra_args(false);
  sub.add_flag("--infer", options.infer,
               "Run what CircleCI 1.0 inferred for phases without `override` (bundle install, npm test, ...; "
               "plan lists them either way)");
}

namespace {

struct Loading {
  const PipelineOptions& options;
  std::string file;
  circle1::ContextMode mode;
  const RunCheck& before_claim;
};

// An option of the 2.x front end that was given, if any.
std::optional<std::string_view> circle2_only_option(const PipelineOptions& options)
{
  const std::array<std::pair<bool, std::string_view>, 7> given = {{{options.workflow.has_value(), "--workflow"},
                                                                   {options.job.has_value(), "--job"},
                                                                   {options.only, "--only"},
                                                                   {!options.params.empty(), "--param"},
                                                                   {!options.approved.empty(), "--approve"},
                                                                   {options.contexts_dir.has_value(), "--contexts"},
                                                                   {options.orbs_dir.has_value(), "--orbs"}}};
  for (const auto& [set, name] : given) {
    if (set) {
      return name;
    }
  }
  return std::nullopt;
}

tl::expected<LoadedPipeline, int> load_circle1(const Loading& loading, std::string text)
{
  const auto& options = loading.options;
  const auto mode = loading.mode;
  const auto& before_claim = loading.before_claim;
  if (const auto option = circle2_only_option(options)) {
    fmt::print(stderr, "drydock: {} is for CircleCI 2.x configs; {} is circle.yml 1.0\n", *option, loading.file);
    return tl::unexpected(kExitConfigOrUsage);
  }
  LoadedPipeline pipeline;
  pipeline.validation = checked_config(loading.file, std::move(text), true);
  if (!pipeline.validation) {
    return tl::unexpected(kExitConfigOrUsage);
  }
  const auto& validation = *pipeline.validation;
  pipeline.keep_runs = validation.config.drydock.keep_runs;
  const auto overrides = read_overrides(options);
  if (!overrides) {
    fmt::print(stderr, "drydock: {}\n", overrides.error());
    return tl::unexpected(kExitConfigOrUsage);
  }
  pipeline.masked = overrides->masked;
  bool check_failed = false;
  circle1::BeforeClaim check;
  if (before_claim) {
    check = [&](const env::Environment& env) {
      const EngineWanted wanted{circle1::engine_needed_by(validation.config, options.container),
                                circle1::uses_host_cluster(validation.config)};
      auto checked = before_claim(wanted, env);
      check_failed = !checked;
      return checked;
    };
  }
  auto context = circle1::make_build_context(validation.config, overrides->overrides, host_environment(), mode, check,
                                             options.repo);
  if (!context) {
    fmt::print(stderr, "drydock: {}\n", context.error());
    return tl::unexpected(check_failed ? kExitStepFailed : kExitConfigOrUsage);
  }
  pipeline.context = std::move(*context);
  auto branches = circle1::decide_branches(validation.config.general.branches, pipeline.context.target);
  auto deployment = circle1::choose_deployment(validation.config.deployment, pipeline.context.target);
  if (!branches || !deployment) {
    fmt::print(stderr, "drydock: {}: {}\n", loading.file, branches ? deployment.error() : branches.error());
    return tl::unexpected(kExitConfigOrUsage);
  }
  pipeline.branches = std::move(*branches);
  pipeline.commit = circle1::decide_commit(pipeline.context.repo.sha, pipeline.context.repo.message);
  pipeline.deployment = std::move(*deployment);
  Diagnostics graph_diags;
  pipeline.inferred = circle1::infer_commands(validation.config, circle1::files_in(pipeline.context.build_dir));
  pipeline.inferred_run = options.infer;
  pipeline.pipeline = circle1::lower(validation.config, pipeline.context, pipeline.deployment.selected, graph_diags,
                                     options.infer ? pipeline.inferred : std::vector<circle1::InferredPhase>{});
  if (graph_diags.has_errors()) {
    fmt::print(stderr, "{}", report::format_file_report(validation.source, graph_diags));
    return tl::unexpected(kExitConfigOrUsage);
  }
  return pipeline;
}

// A CircleCI 2.x config: its build context is made as 1.0's (the number,
// the record, CIRCLE_* and the overrides), from the config's path alone.
// What the command line asks that a 2.x config has no place for.
std::optional<std::string> options_not_for_circle2(const PipelineOptions& options)
{
  if (options.container) {
    return "--container is for circle.yml 1.0: a 2.x job names its own images";
  }
  if (options.parallelism != 1) {
    return "--parallelism is for circle.yml 1.0: a 2.x job sets its own `parallelism`";
  }
  if (options.infer) {
    return "--infer is for circle.yml 1.0";
  }
  return std::nullopt;
}

// The 1.0 variables a 2.x job does not get: the record's directories are this machine's paths.
void drop_circle1_only(circle1::BuildContext& ctx)
{
  for (const char* name : {"CIRCLE_ARTIFACTS", "CIRCLE_TEST_REPORTS"}) {
    ctx.env.erase(name);
    std::erase(ctx.pipeline_vars, std::string(name));
  }
}

// The project's 2.x caches: beside its 1.0 cache_directories, under
// drydock's cache, caches/ for directories/.
std::string caches_dir_of(const circle1::BuildContext& ctx)
{
  const std::filesystem::path kept(ctx.directories_cache);
  return (kept.parent_path().parent_path() / "caches" / kept.filename()).string();
}

// The build context is made for the project's folder, as for a circle.yml
// there: a config in the project's .circleci/ folder has its parent for
// project (its records, counter and name), in git or not.
config::Config path_only_config(const std::string& file)
{
  config::Config config;
  const std::filesystem::path dir = circle1::config_dir_of(file);
  config.path = ((dir.filename() == ".circleci" ? dir.parent_path() : dir) / "config.yml").string();
  return config;
}

// Where contexts are read from: --contexts, else drydock's folder of the user's config.
std::string contexts_dir_of(const PipelineOptions& options, const env::Environment& host)
{
  if (options.contexts_dir) {
    return std::filesystem::absolute(*options.contexts_dir).lexically_normal().string();
  }
  const auto config_home = host.get("XDG_CONFIG_HOME");
  const std::filesystem::path root = config_home && !config_home->empty()
                                         ? std::filesystem::path(*config_home)
                                         : std::filesystem::path(host.get("HOME").value_or("")) / ".config";
  return (root / "drydock" / "contexts").string();
}

// The variables of each context the config names that has a file; their
// values are masked. A file that cannot be read or parsed is an error.
tl::expected<std::map<std::string, Vars>, std::string>
read_contexts(const std::vector<std::string>& names, const std::string& dir, std::vector<std::string>& masked)
{
  std::map<std::string, Vars> contexts;
  for (const auto& name : names) {
    const auto file = circle2::context_file(dir, name);
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
      continue; // the jobs that name it say so, if they run
    }
    auto vars = read_dotenv_file(file);
    if (!vars) {
      return tl::unexpected(fmt::format("context '{}': {}", name, vars.error()));
    }
    OverridesRead read;
    add_vars(read, *vars, true);
    masked.insert(masked.end(), read.masked.begin(), read.masked.end());
    contexts.emplace(name, std::move(*vars));
  }
  return contexts;
}

// --param NAME=VALUE, or why one is not.
tl::expected<std::map<std::string, std::string>, std::string> read_params(const std::vector<std::string>& given)
{
  std::map<std::string, std::string> params;
  for (const auto& param : given) {
    const auto equals = param.find('=');
    if (equals == std::string::npos || equals == 0) {
      return tl::unexpected(fmt::format("--param {}: expected NAME=VALUE", param));
    }
    params[param.substr(0, equals)] = param.substr(equals + 1);
  }
  return params;
}

// What `<< pipeline.* >>` reads for this build; its id is a UUID made from the project and number.
circle2::PipelineValues pipeline_values(const circle1::BuildContext& ctx, std::map<std::string, std::string> params)
{
  const std::string a = util::stable_hash_hex(ctx.config_path + "#" + std::to_string(ctx.build_num));
  const std::string b = util::stable_hash_hex(a + ctx.config_path);
  circle2::PipelineValues values;
  values.id = fmt::format("{}-{}-4{}-8{}-{}", a.substr(0, 8), a.substr(8, 4), a.substr(13, 3), b.substr(0, 3),
                          b.substr(3, 12));
  values.number = ctx.build_num;
  values.branch = ctx.target.branch;
  values.tag = ctx.target.tag;
  values.revision = ctx.env.get("CIRCLE_SHA1").value_or("");
  values.base_revision = ""; // the previous pipeline's commit on the branch: drydock keeps no such history
  values.project_url = ctx.env.get("CIRCLE_REPOSITORY_URL").value_or("");
  values.parameters = std::move(params);
  return values;
}

tl::expected<LoadedPipeline, int> load_circle2(const Loading& loading, std::string text)
{
  const auto& options = loading.options;
  const auto params = read_params(options.params);
  if (!params) {
    fmt::print(stderr, "drydock: {}\n", params.error());
    return tl::unexpected(kExitConfigOrUsage);
  }
  circle2::PipelineValues unknown_build;
  unknown_build.parameters = *params;
  const OrbCache orbs(orb_cache_dir(options.orbs_dir, env::Environment::from_entries(host_environment())));
  const auto first = circle2::validate_text(loading.file, text, unknown_build, orbs);
  if (report_problems(first.source, first.diagnostics)) {
    return tl::unexpected(kExitConfigOrUsage);
  }
  const circle2::Selection selection{options.workflow, options.job, options.only, options.approved};
  auto misuse = options_not_for_circle2(options);
  if (!misuse) {
    misuse = circle2::selection_error(first.config, selection);
  }
  if (misuse) {
    fmt::print(stderr, "drydock: {}\n", *misuse);
    return tl::unexpected(kExitConfigOrUsage);
  }
  const auto overrides = read_overrides(options);
  if (!overrides) {
    fmt::print(stderr, "drydock: {}\n", overrides.error());
    return tl::unexpected(kExitConfigOrUsage);
  }
  // The contexts' files are read before a build number is taken: their errors stop the run first.
  circle2::LowerContext lowering;
  lowering.contexts_dir = contexts_dir_of(options, env::Environment::from_entries(host_environment()));
  std::vector<std::string> context_secrets;
  auto contexts = read_contexts(circle2::contexts_named(first.config), lowering.contexts_dir, context_secrets);
  if (!contexts) {
    fmt::print(stderr, "drydock: {}\n", contexts.error());
    return tl::unexpected(kExitConfigOrUsage);
  }
  lowering.contexts = std::move(*contexts);
  bool check_failed = false;
  circle1::BeforeClaim check;
  if (loading.before_claim) {
    check = [&](const env::Environment& env) -> tl::expected<void, std::string> {
      const pipeline::Build build{0, "", env.get("CIRCLE_BRANCH").value_or(""), env.get("CIRCLE_TAG").value_or(""), ""};
      auto values = unknown_build; // the workflows' when: may read the branch or tag
      values.branch = build.branch;
      values.tag = build.tag;
      const auto for_build = circle2::validate_text(loading.file, text, values, orbs);
      auto wanted = lowering;
      wanted.build = build;
      Diagnostics missing;
      circle2::check_contexts(for_build.config, wanted, selection, missing);
      if (report_problems(for_build.source, missing)) {
        return tl::unexpected(std::string("the run stops before it starts: a job that runs needs a context"));
      }
      auto checked = loading.before_claim({circle2::engine_needed_by(for_build.config, selection, build), false}, env);
      check_failed = !checked;
      return checked;
    };
  }
  auto context = circle1::make_build_context(path_only_config(loading.file), overrides->overrides, host_environment(),
                                             loading.mode, check, options.repo);
  if (!context) {
    fmt::print(stderr, "drydock: {}\n", context.error());
    return tl::unexpected(check_failed ? kExitStepFailed : kExitConfigOrUsage);
  }
  LoadedPipeline loaded;
  loaded.masked = overrides->masked;
  loaded.masked.insert(loaded.masked.end(), context_secrets.begin(), context_secrets.end());
  loaded.context = std::move(*context);
  drop_circle1_only(loaded.context);
  loaded.context.config_path = std::filesystem::absolute(loading.file).lexically_normal().string();
  const auto& ctx = loaded.context;
  // Read again with this build's values: `<< pipeline.* >>` has them now.
  const auto validation = circle2::validate_text(loading.file, std::move(text), pipeline_values(ctx, *params), orbs);
  if (validation.diagnostics.has_errors()) { // its warnings were said by the first reading
    report_problems(validation.source, validation.diagnostics);
    return tl::unexpected(kExitConfigOrUsage);
  }
  lowering.checkout_dir = ctx.checkout_dir;
  lowering.log_dir = ctx.artifacts_dir;
  lowering.build = {ctx.build_num, ctx.env.get("CIRCLE_SHA1").value_or(""), ctx.target.branch, ctx.target.tag,
                    ctx.target.owner};
  lowering.artifacts_dir = ctx.artifacts_dir;
  lowering.test_results_dir = ctx.test_reports_dir;
  lowering.caches_dir = caches_dir_of(ctx);
  lowering.workspace_dir = (std::filesystem::path(ctx.artifacts_dir).parent_path() / "workspace").string();
  lowering.contexts_optional = loading.mode != circle1::ContextMode::run;
  lowering.continuation_dir = (std::filesystem::path(ctx.artifacts_dir).parent_path() / "continuation").string();
  loaded.setup = validation.config.setup;
  if (loaded.setup && options.continued) {
    fmt::print(stderr,
               "drydock: {}: the configuration a setup workflow continues with cannot be `setup: true` "
               "itself\n",
               loading.file);
    return tl::unexpected(kExitConfigOrUsage);
  }
  Diagnostics diags;
  loaded.pipeline = circle2::lower(validation.config, lowering, selection, diags);
  loaded.jobs = circle2::job_decisions(validation.config, lowering, selection);
  for (const auto& job : loaded.jobs) {
    if (!job.runs && loading.mode == circle1::ContextMode::run) {
      fmt::print(stderr, "drydock: job '{}' does not run: {}\n", job.name, job.reason);
    }
  }
  if (loaded.pipeline.steps.empty() && !loaded.jobs.empty()) { // every job filtered out: as 1.0's branch filter
    loaded.branches = {false, "no job runs for this build (their filters)"};
  }
  loaded.pipeline.environment = circle1::pipeline_environment(ctx);
  loaded.pipeline.host_env_dropped = circle1::kHostCiVariables;
  if (report_problems(validation.source, diags)) {
    return tl::unexpected(kExitConfigOrUsage);
  }
  return loaded;
}

} // namespace

tl::expected<LoadedPipeline, int> load_pipeline(const PipelineOptions& options, circle1::ContextMode mode,
                                                const RunCheck& before_claim)
{
  const Loading loading{options, config_file_of(options), mode, before_claim};
  auto text = read_config_file(loading.file);
  if (!text) {
    fmt::print(stderr, "{}", report::format_unreadable(loading.file, text.error()));
    return tl::unexpected(kExitConfigOrUsage);
  }
  if (frontends::format_of(loading.file, *text) == frontends::Format::circle2) {
    return load_circle2(loading, std::move(*text));
  }
  return load_circle1(loading, std::move(*text));
}

} // namespace drydock::cli

#include "cli/pipeline.hpp"

#include <fmt/format.h>

#include <cstdio>

#include "cli/commands.hpp"
#include "env/environment.hpp"
#include "graph/check.hpp"
#include "report/text_report.hpp"
#include "util/file.hpp"

extern char** environ;

namespace drydock::cli {
namespace {

tl::expected<exec::Overrides, std::string> read_overrides(const PipelineOptions& options)
{
  exec::Overrides overrides;
  for (const auto& file : options.env_files) {
    const auto text = read_config_file(file);
    if (!text) {
      return tl::unexpected(fmt::format("{}: cannot read the file: {}", file, text.error()));
    }
    auto vars = env::parse_dotenv(*text);
    if (!vars) {
      return tl::unexpected(fmt::format("{}: {}", file, vars.error()));
    }
    overrides.vars.insert(overrides.vars.end(), vars->begin(), vars->end());
  }
  for (const auto& assignment : options.env) {
    auto var = env::parse_assignment(assignment);
    if (!var) {
      return tl::unexpected(fmt::format("--env: {}", var.error()));
    }
    overrides.vars.push_back(std::move(*var));
  }
  return overrides;
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
  auto validation = std::make_unique<config::Validation>(graph::validate_pipeline(file, std::move(*text)));
  const bool has_errors = validation->diagnostics.has_errors();
  if (has_errors || (show_warnings && !validation->diagnostics.all().empty())) {
    fmt::print(stderr, "{}", report::format_file_report(validation->source, validation->diagnostics));
  }
  return has_errors ? nullptr : std::move(validation);
}

void add_pipeline_options(CLI::App& sub, PipelineOptions& options)
{
  sub.add_option("file", options.file, "Config file (default: ./circle.yml)");
  sub.add_option("--env", options.env, "Set NAME=value for every step, over anything else (repeatable); "
                                        "e.g. --env CIRCLE_BRANCH=master")
      ->type_name("NAME=VALUE")
      ->allow_extra_args(false); // one value each time: `--env A=1 circle.yml` keeps the file
  sub.add_option("--env-file", options.env_files, "Read NAME=value lines from a dotenv file (repeatable)")
      ->type_name("FILE")
      ->allow_extra_args(false);
}

tl::expected<Pipeline, int> load_pipeline(const PipelineOptions& options, exec::ContextMode mode)
{
  Pipeline pipeline;
  pipeline.validation = load_checked_config(options.file, true);
  if (!pipeline.validation) {
    return tl::unexpected(kExitConfigOrUsage);
  }
  const auto& validation = *pipeline.validation;
  const auto overrides = read_overrides(options);
  if (!overrides) {
    fmt::print(stderr, "drydock: {}\n", overrides.error());
    return tl::unexpected(kExitConfigOrUsage);
  }
  auto context = exec::make_build_context(validation.config, *overrides, host_environment(), mode);
  if (!context) {
    fmt::print(stderr, "drydock: {}\n", context.error());
    return tl::unexpected(kExitConfigOrUsage);
  }
  pipeline.context = std::move(*context);
  pipeline.branches = graph::decide_branches(validation.config.general.branches, pipeline.context.target);
  pipeline.deployment = graph::choose_deployment(validation.config.deployment, pipeline.context.target);
  Diagnostics graph_diags;
  pipeline.graph = graph::build_graph(validation.config, pipeline.deployment.selected, graph_diags);
  if (graph_diags.has_errors()) {
    fmt::print(stderr, "{}", report::format_file_report(validation.source, graph_diags));
    return tl::unexpected(kExitConfigOrUsage);
  }
  return pipeline;
}

} // namespace drydock::cli

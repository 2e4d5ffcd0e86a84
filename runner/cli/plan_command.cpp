// `drydock plan [FILE]`: the step graph as it will run, without running it.
#include <fmt/format.h>

#include <memory>

#include "cli/commands.hpp"
#include "cli/pipeline.hpp"
#include "config/derived.hpp"
#include "report/plan_report.hpp"

namespace drydock::cli {
namespace {

struct PlanOptions {
  PipelineOptions pipeline;
  std::string format = "text";
};

// The 1.0 decisions (general.branches, [ci skip], the deployment sections) as the
// report shows them.
report::PlanFacts plan_facts(const LoadedPipeline& loaded, const std::string& file)
{
  report::PlanFacts facts;
  facts.file = file;
  if (!loaded.validation) { // CircleCI 2.x: its jobs and why each runs
    facts.choices_name = "jobs";
    facts.choices = loaded.jobs;
    return facts;
  }
  facts.build = {{"branches", loaded.branches.runs, loaded.branches.reason},
                 {"commit", loaded.commit.runs, loaded.commit.reason}};
  facts.choices_name = "deployment";
  for (const auto& section : loaded.deployment.sections) {
    facts.choices.push_back({section.name, section.selected, section.reason});
  }
  if (loaded.validation) {
    facts.cache_directories = config::cache_directories(loaded.validation->config);
  }
  facts.build_dir = loaded.context.build_dir;
  for (const auto& phase : loaded.inferred) {
    facts.inferred.push_back(
        {phase.phase, true, fmt::format("{} (from {})", fmt::join(phase.commands, "; "), phase.because)});
  }
  facts.inferred_run = loaded.inferred_run;
  return facts;
}

int run_plan(const PlanOptions& options)
{
  auto loaded = load_pipeline(options.pipeline, circle1::ContextMode::plan);
  if (!loaded) {
    return loaded.error();
  }
  const auto& pipeline = loaded->pipeline;
  const auto facts = plan_facts(*loaded, config_file_of(options.pipeline));
  if (options.format == "json") {
    fmt::print("{}\n",
               report::plan_json(pipeline, facts).dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
  } else if (options.format == "dot") {
    fmt::print("{}", report::plan_dot(pipeline));
  } else {
    fmt::print("{}", report::plan_text(pipeline, facts));
  }
  return kExitOk;
}

} // namespace

Action add_plan_command(CLI::App& app)
{
  auto options = std::make_shared<PlanOptions>();
  auto* sub = app.add_subcommand("plan", "Show the steps as they will run: what each waits for, which "
                                         "deployment section applies and why; runs nothing.");
  sub->add_option("--format", options->format, "text (default), json, or dot (Graphviz)")
      ->check(CLI::IsMember({"text", "json", "dot"}));
  add_pipeline_options(*sub, options->pipeline);
  return [options] { return run_plan(*options); };
}

} // namespace drydock::cli

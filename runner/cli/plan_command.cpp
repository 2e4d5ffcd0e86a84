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

int run_plan(const PlanOptions& options)
{
  auto pipeline = load_pipeline(options.pipeline, exec::ContextMode::plan);
  if (!pipeline) {
    return pipeline.error();
  }
  const report::PlanFacts facts{options.pipeline.file, pipeline->context.build_num,
                                pipeline->context.env.get("CIRCLE_SHA1").value_or(""), pipeline->context.target,
                                pipeline->branches, pipeline->deployment,
                                config::cache_directories(pipeline->validation->config)};
  if (options.format == "json") {
    fmt::print("{}\n", report::plan_json(pipeline->graph, facts).dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
  } else if (options.format == "dot") {
    fmt::print("{}", report::plan_dot(pipeline->graph));
  } else {
    fmt::print("{}", report::plan_text(pipeline->graph, facts));
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

#pragma once
// What the fuzz target (tests/fuzz/plan_fuzz.cpp) does with one input, and
// what the unit tests do with every corpus file (plan_path_test.cpp): the
// bytes as a circle.yml through `drydock validate` (YAML, model, schema,
// checks, every section's graph, both reports) and, when valid, through
// `drydock plan` for a branch build and a tag build (selection, lowering,
// the graph, the plan as text, JSON and DOT, the pipeline's JSON both ways,
// the publish steps' tags) and a simulated run of its plan::Plan.
// In memory only: no process, no file, no clock. The build context is made
// here, not by circle1::make_build_context (git, the build counter, the
// build directory), and inference sees a made-up build directory.
// Invariants: for a text input (UTF-8, no NUL) every report is text; plan
// accepts what validate accepts; the pipeline's JSON reads back as it was;
// the graph has no cycle; a run of the plan settles every step.
// Exceptions are left to escape: drydock's one catch is in main, so one
// reaching here is a finding.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/derived.hpp"
#include "env/environment.hpp"
#include "frontends/circle1/check.hpp"
#include "frontends/circle1/context.hpp"
#include "frontends/circle1/infer.hpp"
#include "frontends/circle1/lower.hpp"
#include "frontends/circle1/selection.hpp"
#include "frontends/circle2/load.hpp"
#include "frontends/circle2/lower.hpp"
#include "frontends/format.hpp"
#include "graph/graph.hpp"
#include "pipeline/json.hpp"
#include "plan/plan.hpp"
#include "publish/from_pipeline.hpp"
#include "report/json_report.hpp"
#include "report/plan_report.hpp"
#include "report/text_report.hpp"
#include "util/source.hpp"

namespace drydock::fuzz {

struct Outcome {
  bool valid = false;  // validate found no error, so the plans were made
  std::string problem; // the first broken invariant, or empty
};

namespace detail {

// One build a plan is made for: what `--env CIRCLE_BRANCH=...`,
// `--parallelism`, `--infer` and `--container` would give.
struct Build {
  circle1::BuildTarget target;
  std::string message; // the commit's
  int parallelism = 1;
  bool infer = false;
  std::optional<std::string> container;
};

inline std::vector<Build> builds()
{
  return {
      {{"master", "", "acme"}, "fix the build", 1, false, std::nullopt},
      {{"", "v1.2.3", "acme"}, "release 1.2.3 [skip ci]", 3, true, "drydock-base:bookworm"},
  };
}

constexpr const char* kSha = "286eadad4cf9e1c0a51b6e4be2b1dd2bb1a7c7f3";

// What make_build_context gives in plan mode, without git or the disk.
inline circle1::BuildContext context_for(const config::Config& config, const Build& build)
{
  circle1::BuildContext ctx;
  ctx.config_path = "/src/app/circle.yml";
  ctx.config_dir = "/src/app";
  ctx.build_dir =
      config.general.build_dir
          ? (std::filesystem::path(ctx.config_dir) / config.general.build_dir->value).lexically_normal().string()
          : ctx.config_dir;
  ctx.checkout_dir = "/src";
  ctx.container = build.container;
  ctx.directories_cache = "/home/fuzz/.cache/drydock/directories/app-0123456789abcdef";
  ctx.parallelism = build.parallelism;
  ctx.home = "/home/fuzz";
  ctx.target = build.target;
  ctx.repo.sha = kSha;
  ctx.repo.message = build.message;
  ctx.artifacts_dir = "(a new directory at run time)";
  ctx.test_reports_dir = "(a new directory at run time)";
  ctx.build_num = 12;
  const std::vector<std::pair<std::string, std::string>> circle = {
      {"CI", "true"},
      {"CIRCLE_SHA1", kSha},
      {"CIRCLE_BRANCH", build.target.branch},
      {"CIRCLE_TAG", build.target.tag},
      {"CIRCLE_PROJECT_USERNAME", build.target.owner},
      {"CIRCLE_NODE_TOTAL", std::to_string(build.parallelism)},
  };
  ctx.env.set("HOME", ctx.home); // the host's, not the pipeline's
  for (const auto& [name, value] : circle) {
    ctx.env.set(name, value);
    ctx.pipeline_vars.push_back(name);
  }
  for (const auto& [name, value] : env::apply_expanded(ctx.env, config::name_values(config.machine.environment))) {
    ctx.pipeline_vars.push_back(name);
  }
  return ctx;
}

// A Ruby project: every phase gets inferred commands.
inline circle1::BuildFiles ruby_project()
{
  return {[](const std::string& path) {
            return path == "Gemfile" || path == "config/database.yml" || path == "spec" || path == "features";
          },
          [](const std::string&) { return std::string(); }};
}

// Runs the plan to its end as an executor would, the steps failing where
// `fails` says; every step must end succeeded, failed or skipped.
template <class Fails>
std::string simulate(const pipeline::Pipeline& pipeline, Fails fails)
{
  plan::Plan run(pipeline);
  std::vector<std::size_t> running;
  std::size_t finished = 0;
  while (!run.done()) {
    while (run.has_ready()) {
      running.push_back(run.start_next());
    }
    if (running.empty()) {
      return "the plan is not done, but nothing runs and nothing is ready";
    }
    const std::size_t step = running.front();
    running.erase(running.begin());
    run.finished(step, !fails(step));
    if (++finished > pipeline.steps.size()) {
      return "the plan ran more steps than the pipeline has";
    }
  }
  run.close("not reached");
  for (std::size_t i = 0; i < pipeline.steps.size(); ++i) {
    const auto status = run.status(i);
    if (status != plan::StepStatus::succeeded && status != plan::StepStatus::failed
        && status != plan::StepStatus::skipped) {
      return "step " + pipeline.steps[i].id + " ends " + std::string(plan::status_name(status));
    }
  }
  return {};
}

// What a publish step would tag and push (`drydock internal step` does the
// same with its own environment: the build's variables and the step's).
inline void plan_publishing(const pipeline::Pipeline& pipeline)
{
  for (const auto& step : pipeline.steps) {
    const auto* spec = std::get_if<pipeline::Publish>(&step.action);
    if (spec == nullptr) {
      continue;
    }
    env::Environment env;
    env::apply_expanded(env, pipeline.environment);
    env::apply_expanded(env, step.environment);
    const auto options = publish::tag_options(*spec, env);
    if (options) {
      if (const auto tags = publish::plan_tags_from(spec->image.repository + ":local", spec->image.repository,
                                                    *options)) {
        publish::dry_run_lines(*tags, "docker", true);
      }
    }
    (void)publish::login_from(*spec, env);
  }
  (void)publish::secrets_of(pipeline, env::Environment{});
}

inline std::string dump(const nlohmann::json& json)
{
  return json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Output for a text input must be text too: UTF-8 without NUL bytes (a
// terminal, grep and the next program expect it), in JSON strings as well
// (`drydock internal step` gets its action as JSON and refuses what is not
// UTF-8). Empty when it is.
inline std::string not_text(std::string_view what, std::string_view output)
{
  if (const auto at = find_non_text_byte(output)) {
    return fmt::format("{} is not text: byte 0x{:02x} at {}: {}", what, static_cast<unsigned char>(output[*at]), *at,
                       output.substr(*at > 60 ? *at - 60 : 0, 120));
  }
  return {};
}

inline std::string json_not_text(std::string_view what, const nlohmann::json& json)
{
  try {
    return not_text(what, json.dump());
  } catch (const nlohmann::json::type_error& error) { // a string that is not UTF-8
    return fmt::format("{} is not text: {}", what, error.what());
  }
}

inline std::string check_lowered(const pipeline::Pipeline& lowered, const report::PlanFacts& facts);

// `drydock plan` for one build of a valid config.
inline std::string plan_build(const config::Validation& validation, const Build& build)
{
  const auto& config = validation.config;
  const auto context = context_for(config, build);
  auto branches = circle1::decide_branches(config.general.branches, context.target);
  auto deployment = circle1::choose_deployment(config.deployment, context.target);
  if (!branches || !deployment) {
    return "plan refuses a valid config: " + (branches ? deployment.error() : branches.error());
  }
  const auto commit = circle1::decide_commit(context.repo.sha, context.repo.message);
  const auto inferred = circle1::infer_commands(config, ruby_project());
  Diagnostics diags;
  const auto lowered = circle1::lower(config, context, deployment->selected, diags,
                                      build.infer ? inferred : std::vector<circle1::InferredPhase>{});
  if (diags.has_errors()) {
    return "plan refuses a config validate accepts: " + report::format_file_report(validation.source, diags);
  }

  report::PlanFacts facts;
  facts.file = "circle.yml";
  facts.build = {{"branches", branches->runs, branches->reason}, {"commit", commit.runs, commit.reason}};
  facts.choices_name = "deployment";
  for (const auto& section : deployment->sections) {
    facts.choices.push_back({section.name, section.selected, section.reason});
  }
  facts.cache_directories = config::cache_directories(config);
  facts.build_dir = context.build_dir;
  for (const auto& phase : inferred) {
    facts.inferred.push_back(
        {phase.phase, true, fmt::format("{} (from {})", fmt::join(phase.commands, "; "), phase.because)});
  }
  facts.inferred_run = build.infer;
  return check_lowered(lowered, facts);
}

// A CircleCI 2.x build: the branch build and the tag build of builds(),
// every job selected, then --job for each job (with and without --only).
inline std::string plan_circle2(const circle2::Validation& validation, const Build& build)
{
  const circle2::LowerContext context{"/src/app",
                                      "/logs",
                                      {12, kSha, build.target.branch, build.target.tag, "acme"},
                                      "/record/artifacts",
                                      "/record/test-results",
                                      "/cache/caches",
                                      "/record/workspace",
                                      {{"org-global", {{"TOKEN", "s3cret"}}}}, // a context that is there, others not
                                      "/contexts",
                                      true,
                                      "/record/continuation"};
  std::vector<circle2::Selection> selections{{}};
  for (const auto& job : validation.config.jobs) {
    selections.push_back({std::nullopt, job.name.value, false, {}});
    selections.push_back({std::nullopt, job.name.value, true, {}});
  }
  for (const auto& selection : selections) {
    if (circle2::selection_error(validation.config, selection)) {
      continue; // a job no workflow runs: the command line's error
    }
    Diagnostics diags;
    const auto lowered = circle2::lower(validation.config, context, selection, diags);
    if (diags.has_errors()) {
      return "plan refuses a 2.x config validate accepts: " + report::format_file_report(validation.source, diags);
    }
    report::PlanFacts facts;
    facts.file = ".circleci/config.yml";
    facts.choices_name = "jobs";
    facts.choices = circle2::job_decisions(validation.config, context, selection);
    (void)circle2::engine_needed_by(validation.config, selection, context.build);
    if (auto problem = check_lowered(lowered, facts); !problem.empty()) {
      return problem;
    }
  }
  return {};
}

// What plan and run do with any lowered pipeline: the reports are text,
// the JSON reads back, the graph has no cycle, a run settles every step.
inline std::string check_lowered(const pipeline::Pipeline& lowered, const report::PlanFacts& facts)
{
  const auto text = report::plan_text(lowered, facts);
  const auto json = report::plan_json(lowered, facts);
  const auto dot = report::plan_dot(lowered);
  if (text.empty() || dump(json).empty() || dot.empty()) {
    return "an empty plan";
  }
  for (auto problem :
       {not_text("the plan's text", text), json_not_text("the plan's JSON", json), not_text("the plan's DOT", dot)}) {
    if (!problem.empty()) {
      return problem;
    }
  }

  const auto model = pipeline::to_json(lowered);
  const auto back = pipeline::pipeline_from_json(model);
  if (!back) {
    return "the pipeline's JSON does not read back: " + back.error();
  }
  if (pipeline::to_json(*back) != model) {
    return "the pipeline's JSON reads back as another pipeline";
  }

  const auto graph = graph::graph_of(lowered);
  Diagnostics cycles;
  graph::check_cycles(lowered, graph, cycles);
  if (cycles.has_errors() || graph::topological_order(graph).size() != lowered.steps.size()) {
    return "a lowered pipeline with a cycle";
  }
  plan_publishing(lowered);
  if (auto problem = simulate(lowered, [](std::size_t) { return false; }); !problem.empty()) {
    return problem;
  }
  return simulate(lowered, [](std::size_t step) { return step % 3 == 1; });
}

// The reports of a validation: text, and JSON; empty when they are.
inline std::string report_problem(std::string_view text, const SourceFile& source, const Diagnostics& diagnostics)
{
  const auto report = report::format_file_report(source, diagnostics);
  const auto json = report::file_report_json(source.path(), diagnostics);
  if (report.empty() || dump(json).empty()) {
    return "an empty report";
  }
  if (find_non_text_byte(text)) {
    return {};
  }
  auto problem = not_text("validate's report", report);
  return problem.empty() ? json_not_text("validate's JSON", json) : problem;
}

inline Outcome circle2_path(std::string_view text)
{
  Outcome outcome;
  const auto validation = circle2::validate_text(".circleci/config.yml", std::string(text));
  outcome.problem = report_problem(text, validation.source, validation.diagnostics);
  if (!outcome.problem.empty() || validation.diagnostics.has_errors()) {
    return outcome;
  }
  outcome.valid = true;
  for (const auto& build : builds()) {
    outcome.problem = plan_circle2(validation, build);
    if (!outcome.problem.empty()) {
      break;
    }
  }
  return outcome;
}

} // namespace detail

// A config's text as `drydock validate` and `plan` take it: the front end
// its content asks for.
inline Outcome plan_path(std::string_view text)
{
  if (frontends::format_of("config.yml", std::string(text)) == frontends::Format::circle2) {
    return detail::circle2_path(text);
  }
  Outcome outcome;
  const auto validation = circle1::validate_pipeline("circle.yml", std::string(text));
  outcome.problem = detail::report_problem(text, validation.source, validation.diagnostics);
  if (!outcome.problem.empty()) {
    return outcome;
  }
  if (validation.diagnostics.has_errors()) {
    return outcome;
  }
  outcome.valid = true;
  for (const auto& build : detail::builds()) {
    outcome.problem = detail::plan_build(validation, build);
    if (!outcome.problem.empty()) {
      break;
    }
  }
  return outcome;
}

} // namespace drydock::fuzz

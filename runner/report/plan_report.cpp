#include "report/plan_report.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "pipeline/json.hpp"
#include "plan/plan.hpp"
#include "report/text_report.hpp"

namespace drydock::report {
namespace {

std::vector<std::string> dep_names(const pipeline::Pipeline& pipeline, std::size_t step)
{
  std::vector<std::string> names;
  for (const auto dep : pipeline.steps[step].deps) {
    names.push_back(pipeline.steps[dep].name);
  }
  return names;
}

const std::string& group_name(const pipeline::Pipeline& pipeline, const pipeline::Step& step)
{
  return pipeline.groups[step.group].name;
}

std::string describe_target(const pipeline::Build& target)
{
  std::vector<std::string> parts;
  if (!target.branch.empty()) {
    parts.push_back(fmt::format("branch '{}'", target.branch));
  }
  if (!target.tag.empty()) {
    parts.push_back(fmt::format("tag '{}'", target.tag));
  }
  if (parts.empty()) {
    parts.emplace_back("no branch or tag");
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

// Whether every check lets the build run.
bool builds(const PlanFacts& facts)
{
  return std::all_of(facts.build.begin(), facts.build.end(),
                     [](const pipeline::Decision& check) { return check.runs; });
}

// Steps along the longest chain of waits, from the first.
std::vector<std::string> critical_path(const pipeline::Pipeline& pipeline)
{
  if (pipeline.steps.empty()) {
    return {};
  }
  const plan::Plan plan(pipeline);
  const graph::Graph& graph = plan.graph();
  std::size_t at = 0;
  for (std::size_t step = 0; step < pipeline.steps.size(); ++step) {
    if (graph.deps[step].empty() && plan.critical_path(step) > plan.critical_path(at)) {
      at = step;
    }
  }
  std::vector<std::string> path{pipeline.steps[at].name};
  while (!graph.dependents[at].empty()) {
    at = *std::max_element(graph.dependents[at].begin(), graph.dependents[at].end(),
                           [&](auto a, auto b) { return plan.critical_path(a) < plan.critical_path(b); });
    path.push_back(pipeline.steps[at].name);
  }
  return path;
}

} // namespace

std::string plan_text(const pipeline::Pipeline& pipeline, const PlanFacts& facts)
{
  const auto& build = pipeline.build;
  std::string out = fmt::format("{}: build #{} for {}{}\n", facts.file, build.number, describe_target(build),
                                build.sha.empty() ? "" : fmt::format(" at {}", build.sha.substr(0, 12)));
  for (const auto& check : facts.build) {
    out += fmt::format("{}: {} ({})\n", check.name, check.runs ? "build runs" : "build skipped", check.reason);
  }
  if (!facts.choices.empty()) {
    out += facts.choices_name + ":\n";
    for (const auto& choice : facts.choices) {
      out += fmt::format("  {:<20} {}: {}\n", choice.name, choice.runs ? "runs" : "does not run", choice.reason);
    }
  }
  if (!facts.cache_directories.empty()) {
    out += fmt::format("cache directories: {}\n", fmt::join(facts.cache_directories, ", "));
  }
  if (!builds(facts)) {
    return out;
  }
  std::size_t width = 4;
  for (const auto& step : pipeline.steps) {
    width = std::max(width, step.name.size());
  }
  out += fmt::format("\n{:>3}  {:<{}}  {:<12}  {:<24}  {}\n", "#", "STEP", width, pipeline::group_heading(pipeline),
                     "WAITS FOR", "COMMAND");
  for (const auto& step : pipeline.steps) {
    auto waits = fmt::format("{}", fmt::join(dep_names(pipeline, step.index), ", "));
    if (waits.empty()) {
      waits = "-";
    }
    std::string flags;
    if (step.background) {
      flags = " (background)";
    }
    out += fmt::format("{:>3}  {:<{}}  {:<12}  {:<24}  {}{}\n", step.index + 1, step.name, width,
                       group_name(pipeline, step), waits, summarize_command(step.summary, 60), flags);
  }
  const auto path = critical_path(pipeline);
  out += fmt::format("\ncritical path: {} step{}: {}\n", path.size(), path.size() == 1 ? "" : "s",
                     fmt::join(path, " -> "));
  return out;
}

namespace {

// The kinds plan --format json has always shown: drydock's own steps by
// what they make, every shell step a "command".
std::string_view shown_kind(const pipeline::Action& action)
{
  const auto kind = pipeline::action_kind(action);
  return kind == "shell" ? "command" : kind;
}

nlohmann::json step_json(const pipeline::Pipeline& pipeline, const pipeline::Step& step)
{
  const auto& policy = pipeline::policy_of(pipeline, step);
  return {{"name", step.name},
          {"id", step.id},
          {"kind", shown_kind(step.action)},
          {"phase", group_name(pipeline, step)},
          {"group", group_name(pipeline, step)},
          {"list", step.origin},
          {"command", step.summary},
          {"line", step.pos.line},
          {"column", step.pos.column},
          {"waits_for", dep_names(pipeline, step.index)},
          {"concurrent", step.concurrent},
          {"background", step.background},
          {"timeout", step.no_output_timeout},
          {"when", pipeline::when_name(policy.when)},
          {"on_failure", pipeline::on_failure_name(policy.on_failure)},
          {"action", pipeline::to_json(step.action)},
          {"container", step.container ? nlohmann::json{{"image", step.container->image},
                                                        {"database", step.container->database},
                                                        {"services", step.container->services}}
                                       : nlohmann::json(nullptr)}};
}

} // namespace

nlohmann::json plan_json(const pipeline::Pipeline& pipeline, const PlanFacts& facts)
{
  auto steps = nlohmann::json::array();
  for (const auto& step : pipeline.steps) {
    steps.push_back(step_json(pipeline, step));
  }
  auto choices = nlohmann::json::array();
  for (const auto& choice : facts.choices) {
    choices.push_back({{"name", choice.name}, {"runs", choice.runs}, {"reason", choice.reason}});
  }
  const auto& build = pipeline.build;
  nlohmann::json json = {{"file", facts.file},
                         {"format", pipeline.format},
                         {"build_num", build.number},
                         {"sha", build.sha},
                         {"branch", build.branch},
                         {"tag", build.tag},
                         {"owner", build.owner},
                         {facts.choices_name, choices},
                         {"cache_directories", facts.cache_directories},
                         {"steps", builds(facts) ? steps : nlohmann::json::array()},
                         {"critical_path", builds(facts) ? critical_path(pipeline) : std::vector<std::string>{}}};
  for (const auto& check : facts.build) {
    json[check.name] = {{"runs", check.runs}, {"reason", check.reason}};
  }
  return json;
}

std::string plan_dot(const pipeline::Pipeline& pipeline)
{
  const auto quote = [](const std::string& text) {
    std::string out = "\"";
    for (const char c : text) {
      out += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    }
    return out + "\"";
  };
  std::string out = "digraph drydock {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n";
  std::string_view current;
  for (const auto& step : pipeline.steps) {
    const std::string_view group = group_name(pipeline, step);
    if (group != current) {
      if (!current.empty()) {
        out += "  }\n";
      }
      current = group;
      out += fmt::format("  subgraph \"cluster_{}\" {{\n    label={};\n", group, quote(std::string(group)));
    }
    out += fmt::format("    {} [label={}];\n", quote(step.name),
                       quote(step.name + "\n" + summarize_command(step.summary, 60)));
  }
  if (!current.empty()) {
    out += "  }\n";
  }
  for (const auto& step : pipeline.steps) {
    for (const auto dep : step.deps) {
      out += fmt::format("  {} -> {};\n", quote(pipeline.steps[dep].name), quote(step.name));
    }
  }
  return out + "}\n";
}

} // namespace drydock::report

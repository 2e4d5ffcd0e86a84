#include "report/plan_report.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "plan/plan.hpp"
#include "report/text_report.hpp"

namespace drydock::report {
namespace {

std::vector<std::string> dep_names(const graph::Graph& graph, std::size_t step)
{
  std::vector<std::string> names;
  for (const auto dep : graph.deps[step]) {
    names.push_back(graph.steps[dep].name);
  }
  return names;
}

std::string describe_target(const graph::BuildTarget& target)
{
  std::vector<std::string> parts;
  if (!target.branch.empty()) {
    parts.push_back(fmt::format("branch '{}'", target.branch));
  }
  if (!target.tag.empty()) {
    parts.push_back(fmt::format("tag '{}'", target.tag));
  }
  if (parts.empty()) {
    parts.push_back("no branch or tag");
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

// Steps along the longest chain of waits, from the first.
std::vector<std::string> critical_path(const graph::Graph& graph)
{
  if (graph.steps.empty()) {
    return {};
  }
  const plan::Plan plan(graph);
  std::size_t at = 0;
  for (std::size_t step = 0; step < graph.steps.size(); ++step) {
    if (graph.deps[step].empty() && plan.critical_path(step) > plan.critical_path(at)) {
      at = step;
    }
  }
  std::vector<std::string> path{graph.steps[at].name};
  while (!graph.dependents[at].empty()) {
    at = *std::max_element(graph.dependents[at].begin(), graph.dependents[at].end(),
                           [&](auto a, auto b) { return plan.critical_path(a) < plan.critical_path(b); });
    path.push_back(graph.steps[at].name);
  }
  return path;
}

} // namespace

std::string plan_text(const graph::Graph& graph, const PlanFacts& facts)
{
  std::string out = fmt::format("{}: build #{} for {}{}\n", facts.file, facts.build_num, describe_target(facts.target),
                                facts.sha.empty() ? "" : fmt::format(" at {}", facts.sha.substr(0, 12)));
  out += fmt::format("branches: {} ({})\n", facts.branches.runs ? "build runs" : "build skipped", facts.branches.reason);
  if (!facts.deployment.sections.empty()) {
    out += "deployment:\n";
    for (const auto& section : facts.deployment.sections) {
      out += fmt::format("  {:<20} {}: {}\n", section.name, section.selected ? "runs" : "does not run", section.reason);
    }
  }
  if (!facts.cache_directories.empty()) {
    out += fmt::format("cache directories: {}\n", fmt::join(facts.cache_directories, ", "));
  }
  if (!facts.branches.runs) {
    return out;
  }
  std::size_t width = 4;
  for (const auto& step : graph.steps) {
    width = std::max(width, step.name.size());
  }
  out += fmt::format("\n{:>3}  {:<{}}  {:<12}  {:<24}  {}\n", "#", "STEP", width, "PHASE", "WAITS FOR", "COMMAND");
  for (const auto& step : graph.steps) {
    auto waits = fmt::format("{}", fmt::join(dep_names(graph, step.index), ", "));
    if (waits.empty()) {
      waits = "-";
    }
    std::string flags;
    if (step.command.background) {
      flags = " (background)";
    }
    out += fmt::format("{:>3}  {:<{}}  {:<12}  {:<24}  {}{}\n", step.index + 1, step.name, width,
                       graph::phase_name(step.phase), waits, summarize_command(step.command.text, 60), flags);
  }
  const auto path = critical_path(graph);
  out += fmt::format("\ncritical path: {} step{}: {}\n", path.size(), path.size() == 1 ? "" : "s",
                     fmt::join(path, " -> "));
  return out;
}

nlohmann::json plan_json(const graph::Graph& graph, const PlanFacts& facts)
{
  auto steps = nlohmann::json::array();
  for (const auto& step : graph.steps) {
    static constexpr const char* kKinds[] = {"command", "image", "database", "publish", "service"};
    steps.push_back({{"name", step.name},
                     {"kind", kKinds[static_cast<int>(step.kind)]},
                     {"phase", graph::phase_name(step.phase)},
                     {"list", step.list},
                     {"command", step.command.text},
                     {"line", step.command.pos.line},
                     {"column", step.command.pos.column},
                     {"waits_for", dep_names(graph, step.index)},
                     {"concurrent", step.command.drydock.concurrent},
                     {"background", step.command.background},
                     {"timeout", step.command.timeout.value_or(config::Command::kDefaultTimeout)}});
  }
  auto sections = nlohmann::json::array();
  for (const auto& section : facts.deployment.sections) {
    sections.push_back({{"name", section.name}, {"runs", section.selected}, {"reason", section.reason}});
  }
  return {{"file", facts.file},
          {"build_num", facts.build_num},
          {"sha", facts.sha},
          {"branch", facts.target.branch},
          {"tag", facts.target.tag},
          {"owner", facts.target.owner},
          {"branches", {{"runs", facts.branches.runs}, {"reason", facts.branches.reason}}},
          {"deployment", sections},
          {"cache_directories", facts.cache_directories},
          {"steps", facts.branches.runs ? steps : nlohmann::json::array()},
          {"critical_path", facts.branches.runs ? critical_path(graph) : std::vector<std::string>{}}};
}

std::string plan_dot(const graph::Graph& graph)
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
  for (const auto& step : graph.steps) {
    const auto phase = graph::phase_name(step.phase);
    if (phase != current) {
      if (!current.empty()) {
        out += "  }\n";
      }
      current = phase;
      out += fmt::format("  subgraph \"cluster_{}\" {{\n    label={};\n", phase, quote(std::string(phase)));
    }
    out += fmt::format("    {} [label={}];\n", quote(step.name), quote(step.name + "\n" + summarize_command(step.command.text, 60)));
  }
  if (!current.empty()) {
    out += "  }\n";
  }
  for (const auto& step : graph.steps) {
    for (const auto dep : graph.deps[step.index]) {
      out += fmt::format("  {} -> {};\n", quote(graph.steps[dep].name), quote(step.name));
    }
  }
  return out + "}\n";
}

} // namespace drydock::report

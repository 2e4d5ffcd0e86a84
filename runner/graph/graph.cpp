#include "graph/graph.hpp"

#include <fmt/format.h>

#include "config/walk.hpp"

#include <algorithm>
#include <map>

namespace drydock::graph {

std::string_view phase_name(Phase phase)
{
  switch (phase) {
  case Phase::machine: return "machine";
  case Phase::checkout: return "checkout";
  case Phase::dependencies: return "dependencies";
  case Phase::database: return "database";
  case Phase::compile: return "compile";
  case Phase::test: return "test";
  case Phase::deployment: return "deployment";
  }
  return "?";
}

namespace {

Phase phase_from_name(std::string_view name)
{
  for (const Phase phase : {Phase::machine, Phase::checkout, Phase::dependencies, Phase::database, Phase::compile,
                            Phase::test, Phase::deployment}) {
    if (phase_name(phase) == name) {
      return phase;
    }
  }
  return Phase::machine; // unreachable: for_each_command_list names only these
}

class Builder {
public:
  Builder(const config::Config& config, Diagnostics& diags) : m_config(config), m_diags(diags) {}

  void add_list(const config::CommandList& list, Phase phase, const std::string& list_name);
  void add_required_edges();
  void find_cycles();
  Graph take() { return std::move(m_graph); }

private:
  void add_edge(std::size_t from, std::size_t to);
  std::string describe(std::size_t step) const;
  bool visit(std::size_t step, std::vector<int>& colour, std::vector<std::size_t>& path);

  const config::Config& m_config;
  Diagnostics& m_diags;
  Graph m_graph;
  std::vector<std::size_t> m_frontier; // what the next list waits for
};

void Builder::add_edge(std::size_t from, std::size_t to)
{
  auto& deps = m_graph.deps[to];
  if (std::find(deps.begin(), deps.end(), from) == deps.end()) {
    deps.push_back(from);
    m_graph.dependents[from].push_back(to);
  }
}

// A list's commands run in order; a `concurrent` command joins the group of
// the command before it (same waits), and the next ordinary command waits
// for the whole group. Lists are barriers: concurrency stays inside one.
void Builder::add_list(const config::CommandList& list, Phase phase, const std::string& list_name)
{
  std::vector<std::size_t> group;
  std::vector<std::size_t> group_waits = m_frontier;
  for (std::size_t i = 0; i < list.commands.size(); ++i) {
    const config::Command& command = list.commands[i];
    const std::size_t index = m_graph.steps.size();
    Step step{index, command.drydock.id ? command.drydock.id->value : fmt::format("{}[{}]", list_name, i), list_name,
              phase, command};
    m_graph.steps.push_back(std::move(step));
    m_graph.deps.emplace_back();
    m_graph.dependents.emplace_back();
    if (command.drydock.concurrent && !group.empty()) {
      group.push_back(index);
    } else {
      group_waits = group.empty() ? m_frontier : group;
      group = {index};
    }
    for (const std::size_t dep : group_waits) {
      add_edge(dep, index);
    }
  }
  m_frontier = group;
}

void Builder::add_required_edges()
{
  std::map<std::string, std::size_t> by_id;
  for (const auto& step : m_graph.steps) {
    if (step.command.drydock.id) {
      by_id.emplace(step.command.drydock.id->value, step.index);
    }
  }
  for (const auto& step : m_graph.steps) {
    for (const auto& ref : step.command.drydock.requires_) {
      const auto found = by_id.find(ref.value);
      if (found == by_id.end()) {
        m_diags.error(ref.pos, fmt::format("unknown step id '{}'", ref.value), count_chars(ref.value));
      } else {
        add_edge(found->second, step.index);
      }
    }
  }
}

std::string Builder::describe(std::size_t step) const
{
  const auto& s = m_graph.steps[step];
  return fmt::format("{} ({}:{}:{})", s.name, m_config.path, s.command.pos.line, s.command.pos.column);
}

bool Builder::visit(std::size_t step, std::vector<int>& colour, std::vector<std::size_t>& path)
{
  colour[step] = 1;
  path.push_back(step);
  for (const std::size_t next : m_graph.dependents[step]) {
    if (colour[next] == 1) {
      path.push_back(next);
      return true;
    }
    if (colour[next] == 0 && visit(next, colour, path)) {
      return true;
    }
  }
  colour[step] = 2;
  path.pop_back();
  return false;
}

// Reports one cycle, starting at its earliest step so the text is stable.
void Builder::find_cycles()
{
  std::vector<int> colour(m_graph.steps.size(), 0);
  for (std::size_t start = 0; start < m_graph.steps.size(); ++start) {
    std::vector<std::size_t> path;
    if (colour[start] != 0 || !visit(start, colour, path)) {
      continue;
    }
    std::vector<std::size_t> cycle(std::find(path.begin(), path.end(), path.back()), path.end() - 1);
    std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
    cycle.push_back(cycle.front());
    std::vector<std::string> names;
    for (const std::size_t step : cycle) {
      names.push_back(describe(step));
    }
    m_diags.error(m_graph.steps[cycle.front()].command.pos,
                  fmt::format("dependency cycle: {}", fmt::join(names, " -> ")));
    return;
  }
}

} // namespace

Graph build_graph(const config::Config& config, std::optional<std::size_t> deployment, Diagnostics& diags)
{
  Builder builder(config, diags);
  const config::Deployment* selected =
      deployment && *deployment < config.deployment.size() ? &config.deployment[*deployment] : nullptr;
  config::for_each_command_list(config, [&](const config::CommandList& list, std::string_view phase,
                                            const std::string& name, const config::Deployment* section) {
    if (section == nullptr || section == selected) {
      builder.add_list(list, phase_from_name(phase), name);
    }
  });
  builder.add_required_edges();
  builder.find_cycles();
  return builder.take();
}

std::vector<std::size_t> topological_order(const Graph& graph)
{
  std::vector<std::size_t> waiting(graph.steps.size());
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < graph.steps.size(); ++i) {
    waiting[i] = graph.deps[i].size();
    if (waiting[i] == 0) {
      order.push_back(i);
    }
  }
  for (std::size_t at = 0; at < order.size(); ++at) {
    for (const std::size_t next : graph.dependents[order[at]]) {
      if (--waiting[next] == 0) {
        order.push_back(next);
      }
    }
  }
  return order;
}

} // namespace drydock::graph

#include "graph/graph.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "util/cycle.hpp"

namespace drydock::graph {

Graph graph_of(const pipeline::Pipeline& pipeline)
{
  Graph graph;
  graph.deps.resize(pipeline.steps.size());
  graph.dependents.resize(pipeline.steps.size());
  for (const auto& step : pipeline.steps) {
    for (const std::size_t dep : step.deps) {
      graph.deps[step.index].push_back(dep);
      graph.dependents[dep].push_back(step.index);
    }
  }
  return graph;
}

std::vector<std::size_t> topological_order(const Graph& graph)
{
  std::vector<std::size_t> waiting(graph.deps.size());
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < graph.deps.size(); ++i) {
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

void check_cycles(const pipeline::Pipeline& pipeline, const Graph& graph, Diagnostics& diags)
{
  auto cycle = util::find_cycle(
      graph.dependents.size(), [&](std::size_t step) -> const auto& { return graph.dependents[step]; });
  if (cycle.empty()) {
    return;
  }
  // From its earliest step, so the text is the same however it was found.
  std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
  cycle.push_back(cycle.front());
  std::vector<std::string> names;
  for (const std::size_t index : cycle) {
    const auto& step = pipeline.steps[index];
    names.push_back(fmt::format("{} ({}:{}:{})", step.name, pipeline.file, step.pos.line, step.pos.column));
  }
  diags.error(pipeline.steps[cycle.front()].pos, fmt::format("dependency cycle: {}", fmt::join(names, " -> ")));
}

} // namespace drydock::graph

#pragma once
// A pipeline's steps as a graph: who waits for whom, both ways, an order
// that respects it, and cycles named with their positions. Immutable; one
// run's state lives in plan::Plan.
#include <cstddef>
#include <vector>

#include "pipeline/pipeline.hpp"
#include "util/diagnostic.hpp"

namespace drydock::graph {

struct Graph {
  std::vector<std::vector<std::size_t>> deps;       // deps[i]: the steps i waits for
  std::vector<std::vector<std::size_t>> dependents; // the reverse edges
};

Graph graph_of(const pipeline::Pipeline& pipeline);

// The steps in an order that respects every edge (the graph has no cycle).
std::vector<std::size_t> topological_order(const Graph& graph);

// An error at a cycle's earliest step naming every step on it with its
// position: "dependency cycle: a (FILE:1:3) -> b (FILE:2:3) -> a (FILE:1:3)".
void check_cycles(const pipeline::Pipeline& pipeline, const Graph& graph, Diagnostics& diags);

} // namespace drydock::graph

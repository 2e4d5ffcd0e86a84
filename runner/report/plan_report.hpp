#pragma once
// `drydock plan`: the DAG as it will run, and why branches and deployment
// sections do or do not apply, as text, JSON or Graphviz DOT.
#include <nlohmann/json.hpp>

#include <string>

#include "graph/graph.hpp"
#include "graph/selection.hpp"

namespace drydock::report {

struct PlanFacts {
  std::string file;
  int build_num = 0;
  std::string sha;
  graph::BuildTarget target;
  graph::BranchDecision branches;
  graph::DeploymentChoice deployment;
  std::vector<std::string> cache_directories; // kept between builds, image caches included
};

std::string plan_text(const graph::Graph& graph, const PlanFacts& facts);
nlohmann::json plan_json(const graph::Graph& graph, const PlanFacts& facts);
std::string plan_dot(const graph::Graph& graph);

} // namespace drydock::report

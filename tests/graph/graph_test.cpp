// The neutral graph over a pipeline: edges both ways, an order, cycles.
#include <catch2/catch.hpp>

#include "graph/graph.hpp"
#include "test_support.hpp"

using namespace drydock;

namespace {
// Steps a, b, c... in one group, each waiting for the listed steps.
pipeline::Pipeline chain(const std::vector<std::vector<std::size_t>>& deps)
{
  pipeline::Pipeline pipeline;
  pipeline.file = "p.yml";
  pipeline.groups = {{"g", "job", {}}};
  for (std::size_t i = 0; i < deps.size(); ++i) {
    pipeline::Step step;
    step.index = i;
    step.id = std::string(1, static_cast<char>('a' + i));
    step.name = step.id;
    step.pos = {static_cast<int>(i) + 1, 3};
    step.deps = deps[i];
    pipeline.steps.push_back(step);
  }
  return pipeline;
}
} // namespace

TEST_CASE("the graph has every edge both ways and an order that respects them", "[graph]")
{
  const auto pipeline = chain({{}, {0}, {0}, {1, 2}});
  const auto graph = graph::graph_of(pipeline);
  CHECK(graph.dependents[0] == std::vector<std::size_t>{1, 2});
  CHECK(graph.deps[3] == std::vector<std::size_t>{1, 2});
  CHECK(graph::topological_order(graph) == std::vector<std::size_t>{0, 1, 2, 3});
  Diagnostics diags;
  graph::check_cycles(pipeline, graph, diags);
  CHECK(diags.all().empty());
}

TEST_CASE("a cycle is named from its earliest step with every position", "[graph]")
{
  const auto pipeline = chain({{}, {3}, {1}, {2}});
  Diagnostics diags;
  graph::check_cycles(pipeline, graph::graph_of(pipeline), diags);
  CHECK(test::messages(diags)
        == std::vector<std::string>{"2:3: error: dependency cycle: b (p.yml:2:3) -> c (p.yml:3:3) -> d (p.yml:4:3) -> "
                                    "b (p.yml:2:3)"});
}

TEST_CASE("a long chain is checked without deep recursion", "[graph]")
{
  std::vector<std::vector<std::size_t>> deps(200'000);
  for (std::size_t i = 1; i < deps.size(); ++i) {
    deps[i] = {i - 1};
  }
  deps[0] = {deps.size() - 1}; // and closed into one cycle
  pipeline::Pipeline pipeline;
  pipeline.groups = {{"g", "job", {}}};
  pipeline.steps.resize(deps.size());
  for (std::size_t i = 0; i < deps.size(); ++i) {
    pipeline.steps[i].index = i;
    pipeline.steps[i].name = std::to_string(i);
    pipeline.steps[i].deps = deps[i];
  }
  Diagnostics diags;
  graph::check_cycles(pipeline, graph::graph_of(pipeline), diags);
  REQUIRE(diags.all().size() == 1);
  CHECK(diags.all()[0].message.starts_with("dependency cycle: 0 (:0:0) -> 1 (:0:0) -> 2 "));
}

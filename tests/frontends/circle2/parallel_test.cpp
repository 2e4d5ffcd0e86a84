// CircleCI 2.x `parallelism: N`: N copies of the job (NAME:0 ... NAME:N-1),
// each with its CIRCLE_NODE_INDEX and CIRCLE_NODE_TOTAL and a container of
// its own; what requires the job waits for every copy. And the `circleci`
// stand-in every 2.x pipeline carries.
#include <catch2/catch.hpp>

#include "frontends/circle2/lower.hpp"
#include "lower_support.hpp"
#include "pipeline/json.hpp"

using namespace drydock;
using Lines = std::vector<std::string>;
using test::env_lines;
using test::step_by_id;

namespace {

circle2::LowerContext context()
{
  circle2::LowerContext context;
  context.checkout_dir = "/src";
  context.build = pipeline::Build{3, "abc123", "main", "", "acme"};
  context.workspace_dir = "/record/workspace";
  return context;
}

constexpr const char* kParallel = R"(version: 2.1
jobs:
  build:
    machine: true
    steps: [{run: make}]
  test:
    docker: [{image: app}]
    parallelism: 3
    steps:
      - run: circleci tests glob "t/*.py" | circleci tests split
  report:
    machine: true
    steps:
      - attach_workspace: {at: ws}
      - run: ls ws
workflows:
  main:
    jobs:
      - build
      - test: {requires: [build]}
      - report: {requires: [test]}
)";

std::vector<std::string> group_names(const pipeline::Pipeline& pipeline)
{
  Lines out;
  for (const auto& group : pipeline.groups) {
    out.push_back(group.name);
  }
  return out;
}

Lines waits_of(const pipeline::Pipeline& pipeline, const pipeline::Step& step)
{
  Lines out;
  for (const auto dep : step.deps) {
    out.push_back(pipeline.steps[dep].id);
  }
  return out;
}

} // namespace

TEST_CASE("parallelism is a whole number from 1 to 64", "[circle2][parallel]")
{
  const auto problems = [](const std::string& value) {
    return test::messages(circle2::validate_text(".circleci/config.yml", "version: 2\njobs:\n  build:\n    machine: "
                                                                         "true\n    parallelism: "
                                                                             + value + "\n    steps: [checkout]\n")
                              .diagnostics);
  };
  CHECK(problems("1").empty());
  CHECK(problems("64").empty());
  CHECK(problems("0") == Lines{"5:18: error: 'jobs.build.parallelism' must be between 1 and 64, got 0"});
  CHECK(problems("65") == Lines{"5:18: error: 'jobs.build.parallelism' must be between 1 and 64, got 65"});
  CHECK(problems("two") == Lines{"5:18: error: 'jobs.build.parallelism' must be a whole number, got a string ('two')"});
}

TEST_CASE("a parallel job is N jobs NAME:i, each its own node and container; what requires it waits for all",
          "[circle2][parallel]")
{
  const auto lowered = test::lowered_with(kParallel, context());
  REQUIRE(lowered->diags.all().empty());
  const auto& p = lowered->pipeline;
  CHECK(group_names(p) == Lines{"build", "test:0", "test:1", "test:2", "report"});
  for (int node = 0; node < 3; ++node) {
    INFO(node);
    const auto& run = step_by_id(p, fmt::format("test:{}/1", node));
    const auto env = env_lines(run.environment);
    CHECK(std::find(env.begin(), env.end(), "CIRCLE_JOB=test") != env.end()); // the job's name, on every node
    CHECK(std::find(env.begin(), env.end(), fmt::format("CIRCLE_NODE_INDEX={}", node)) != env.end());
    CHECK(std::find(env.begin(), env.end(), "CIRCLE_NODE_TOTAL=3") != env.end());
    CHECK(run.runs_in == std::optional<std::string>(fmt::format("j{}", node + 1)));
    const auto& start = std::get<pipeline::ContainerStart>(
        step_by_id(p, fmt::format("test:{}/container", node)).action);
    CHECK(start.container.name == fmt::format("j{}", node + 1));
  }
  CHECK(env_lines(step_by_id(p, "build/1").environment)
        == Lines{"CIRCLE_JOB=build", "CIRCLE_NODE_INDEX=0", "CIRCLE_NODE_TOTAL=1"});
  // report waits for the last step of every node, and attaches what each node persisted
  const auto& gate = step_by_id(p, "report/requires");
  CHECK(waits_of(p, gate) == Lines{"test:0/1", "test:1/1", "test:2/1"});
  const auto attach = std::find_if(p.steps.begin(), p.steps.end(), [](const pipeline::Step& step) {
    return std::holds_alternative<pipeline::WorkspaceAttach>(step.action);
  });
  REQUIRE(attach != p.steps.end());
  Lines layers;
  for (const auto& layer : std::get<pipeline::WorkspaceAttach>(attach->action).layers) {
    layers.push_back(layer.job);
  }
  CHECK(layers == Lines{"build", "test:0", "test:1", "test:2"});
}

TEST_CASE("a 2.x pipeline carries the circleci stand-in; it survives the trip through JSON", "[circle2][parallel]")
{
  const auto lowered = test::lowered_with(kParallel, context());
  const auto& tools = lowered->pipeline.tools;
  REQUIRE(tools.size() == 1);
  CHECK(tools[0].name == "circleci");
  CHECK(tools[0].script.starts_with("#!/bin/sh\n"));
  CHECK(tools[0].script.find("tests_split()") != std::string::npos);
  const auto back = pipeline::pipeline_from_json(pipeline::to_json(lowered->pipeline));
  REQUIRE(back);
  REQUIRE(back->tools.size() == 1);
  CHECK(back->tools[0].script == tools[0].script);
}

TEST_CASE("a parallel job that requires a parallel job waits for every node of it; a matrix's jobs are each "
          "parallel; a context is said once for all nodes",
          "[circle2][parallel]")
{
  auto with_missing = context();
  with_missing.contexts_dir = "/ctx";
  const auto lowered = test::lowered_with(R"(version: 2.1
jobs:
  build:
    machine: true
    parallelism: 2
    parameters: {py: {type: string, default: "3"}}
    steps: [{run: "echo << parameters.py >>"}]
  test:
    machine: true
    parallelism: 3
    steps: [{run: make test}]
workflows:
  main:
    jobs:
      - build:
          matrix: {parameters: {py: ["3.11", "3.12"]}}
      - test:
          requires: [build]
          context: missing
)",
                                          with_missing);
  CHECK(test::messages(lowered->diags)
        == Lines{"19:20: error: job 'test' needs the context 'missing', which has no file here: write its variables "
                 "to /ctx/missing.env (NAME=value lines), or name another folder with --contexts DIR"});
  const auto& p = lowered->pipeline;
  CHECK(group_names(p)
        == Lines{"build-3.11:0", "build-3.11:1", "build-3.12:0", "build-3.12:1", "test:0", "test:1", "test:2"});
  for (int node = 0; node < 3; ++node) {
    INFO(node);
    CHECK(waits_of(p, step_by_id(p, fmt::format("test:{}/requires", node)))
          == Lines{"build-3.11:0/1", "build-3.11:1/1", "build-3.12:0/1", "build-3.12:1/1"});
  }
  const auto& shell = std::get<pipeline::ShellCommand>(step_by_id(p, "build-3.12:1/1").action);
  CHECK(shell.script == "echo 3.12");
  CHECK(shell.files_node == 1); // what a plan shows: node 1 of 2
  CHECK(shell.files_nodes == 2);
}

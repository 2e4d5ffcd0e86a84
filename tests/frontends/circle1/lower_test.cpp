#include <catch2/catch.hpp>

#include "frontends/circle1/lower.hpp"
#include "graph/graph.hpp"
#include "test_support.hpp"

using namespace drydock;
using Lines = std::vector<std::string>;

namespace {
pipeline::Pipeline build(const config::Config& config, std::optional<std::size_t> deployment = std::nullopt)
{
  return test::lower(config, deployment);
}

circle1::Phase phase(const pipeline::Pipeline& pipeline, const pipeline::Step& step)
{
  CHECK(&step >= pipeline.steps.data()); // a step of this pipeline
  return circle1::phase_of(step);
}
} // namespace

TEST_CASE("phases run in CircleCI's order, pre -> override -> post inside each", "[circle1][lower]")
{
  const auto config = test::load(R"(test:
  post: [t-post]
  override: [t-run]
  pre: [t-pre]
dependencies:
  override: [d-run]
machine:
  post: [m-post]
  pre: [m-pre]
checkout:
  post: [c-post]
compile:
  override: [build]
database:
  pre: [db-pre]
)");
  const auto graph = build(config);
  CHECK(test::edges(graph)
        == Lines{
            "machine.pre[0] <- ",
            "machine.post[0] <- machine.pre[0]",
            "checkout.post[0] <- machine.post[0]",
            "dependencies.override[0] <- checkout.post[0]",
            "database.pre[0] <- dependencies.override[0]",
            "compile.override[0] <- database.pre[0]",
            "test.pre[0] <- compile.override[0]",
            "test.override[0] <- test.pre[0]",
            "test.post[0] <- test.override[0]",
        });
  CHECK(phase(graph, graph.steps[0]) == circle1::Phase::machine);
  CHECK(phase(graph, graph.steps.back()) == circle1::Phase::test);
  CHECK(graph.steps.back().summary == "t-post");
}

TEST_CASE("concurrent commands start with the one before; the next waits for all", "[circle1][lower]")
{
  const auto config = test::load(R"(dependencies:
  override: [setup]
test:
  override:
    - a
    - b:
        drydock: {concurrent: true}
    - c:
        drydock: {concurrent: true}
    - d
    - e:
        drydock: {concurrent: true}
  post: [report]
)");
  CHECK(test::edges(build(config))
        == Lines{
            "dependencies.override[0] <- ",
            "test.override[0] <- dependencies.override[0]",
            "test.override[1] <- dependencies.override[0]",
            "test.override[2] <- dependencies.override[0]",
            "test.override[3] <- test.override[0], test.override[1], test.override[2]",
            "test.override[4] <- test.override[0], test.override[1], test.override[2]",
            "test.post[0] <- test.override[3], test.override[4]",
        });
}

TEST_CASE("a concurrent first command does not cross into the list before", "[circle1][lower]")
{
  const auto config = test::load("test:\n  pre: [a]\n  override:\n    - b:\n        drydock: {concurrent: true}\n");
  CHECK(test::edges(build(config)) == Lines{"test.pre[0] <- ", "test.override[0] <- test.pre[0]"});
}

TEST_CASE("requires adds edges and steps are named by their id", "[circle1][lower]")
{
  const auto config = test::load(R"(test:
  override:
    - lint:
        drydock: {id: lint, concurrent: false}
    - unit:
        drydock: {id: unit}
    - e2e:
        drydock: {id: e2e, concurrent: true, requires: [lint]}
)");
  CHECK(test::edges(build(config)) == Lines{"lint <- ", "unit <- lint", "e2e <- lint"});
}

TEST_CASE("a requires cycle names every step with file:line:col", "[circle1][lower]")
{
  const auto config = test::load(R"(dependencies:
  override:
    - make deps:
        drydock: {id: deps, requires: [unit]}
test:
  override:
    - make test:
        drydock: {id: unit}
)");
  Diagnostics diags;
  circle1::lower(config, {}, std::nullopt, diags);
  CHECK(test::messages(diags)
        == Lines{"3:7: error: dependency cycle: deps (circle.yml:3:7) -> unit (circle.yml:7:7) -> deps "
                 "(circle.yml:3:7)"});
}

TEST_CASE("only the chosen deployment section becomes steps", "[circle1][lower]")
{
  const auto config = test::load(R"(test:
  override: [t]
deployment:
  prod:
    branch: master
    commands: [deploy-prod]
  staging:
    branch: dev
    commands: [deploy-staging-1, deploy-staging-2]
)");
  CHECK(build(config).steps.size() == 1);
  const auto graph = build(config, 1);
  CHECK(test::edges(graph)
        == Lines{"test.override[0] <- ", "deployment.staging.commands[0] <- test.override[0]",
                 "deployment.staging.commands[1] <- deployment.staging.commands[0]"});
  CHECK(phase(graph, graph.steps[2]) == circle1::Phase::deployment);
}

TEST_CASE("topological order respects every edge", "[circle1][lower]")
{
  const auto config = test::load(R"(test:
  override:
    - a:
        drydock: {id: a, requires: [c]}
    - b:
        drydock: {id: b, concurrent: true}
    - c:
        drydock: {id: c, concurrent: true}
)");
  const auto graph = build(config);
  const auto order = graph::topological_order(graph::graph_of(graph));
  REQUIRE(order.size() == 3);
  std::vector<std::size_t> position(3);
  for (std::size_t i = 0; i < order.size(); ++i) {
    position[order[i]] = i;
  }
  for (std::size_t step = 0; step < 3; ++step) {
    for (const auto dep : graph.steps[step].deps) {
      CHECK(position[dep] < position[step]);
    }
  }
}

TEST_CASE("image and cluster steps start early and the phases that need them wait", "[circle1][lower]")
{
  const auto config = test::load(R"(machine:
  services: [docker, postgresql]
  pre: [m-pre]
dependencies:
  override: [d-run]
database:
  override: [psql -c 'select 1']
test:
  override:
    - pytest:
        drydock: {image: app, database: true}
drydock:
  images:
    app: {repository: org/app}
)");
  const auto graph = build(config);
  CHECK(test::edges(graph)
        == Lines{
            "machine.pre[0] <- ",
            "postgresql <- machine.pre[0]",
            "image:app <- machine.pre[0]",
            "dependencies.override[0] <- machine.pre[0]",
            "database.override[0] <- dependencies.override[0], image:app, postgresql",
            "test.override[0] <- database.override[0], image:app, postgresql",
            "archive:app <- image:app",
        });
  CHECK(pipeline::action_kind(graph.steps[1].action) == "database");
  CHECK(pipeline::action_kind(graph.steps[2].action) == "image");
  CHECK(std::get<pipeline::ImageBuild>(graph.steps[2].action).name == "app");
  CHECK(phase(graph, graph.steps[2]) == circle1::Phase::dependencies);
}

TEST_CASE("an image's archive step follows its image step, and nothing waits for it", "[circle1][lower]")
{
  const auto config = test::load(R"(test:
  override:
    - pytest:
        drydock: {image: app}
    - echo after
deployment:
  any:
    branch: /.*/
    commands: [deploy]
drydock:
  images:
    app: {repository: org/app, cache_dir: /cache}
)");
  const auto graph = build(config, 0);
  CHECK(test::edges(graph)
        == Lines{"image:app <- ", "test.override[0] <- image:app", "test.override[1] <- test.override[0]",
                 "deployment.any.commands[0] <- test.override[1]", "archive:app <- image:app"});
  const auto& archive = graph.steps.back();
  CHECK(pipeline::action_kind(archive.action) == "archive");
  CHECK(std::get<pipeline::ImageArchive>(archive.action).image.cache_dir == "/cache");
  CHECK(phase(graph, archive) == circle1::Phase::dependencies);
  // A failed archive step (an interrupt) stops nothing; it needs its image.
  const auto& policy = pipeline::policy_of(graph, archive);
  CHECK(policy.when == pipeline::RunsWhen::on_success);
  CHECK(policy.on_failure == pipeline::OnFailure::continue_build);
  CHECK(archive.summary == "archive app: docker save org/app:<inputs key> into /cache, if image:app built it");
}

TEST_CASE("a config with only test commands still gets its own steps first", "[circle1][lower]")
{
  const auto config = test::load(R"(test:
  override:
    - pytest:
        drydock: {image: app}
drydock:
  images:
    app: {repository: org/app}
)");
  const auto graph = build(config);
  CHECK(test::edges(graph) == Lines{"image:app <- ", "test.override[0] <- image:app", "archive:app <- image:app"});
}

TEST_CASE("using an image before drydock can make it is an error at the step", "[circle1][lower]")
{
  const auto config = test::load(R"(machine:
  pre:
    - too-early:
        drydock: {image: app}
test:
  override: [later]
drydock:
  images:
    app: {repository: org/app}
)");
  Diagnostics diags;
  circle1::lower(config, {}, std::nullopt, diags);
  CHECK(test::messages(diags)
        == Lines{"3:7: error: 'machine.pre[0]' runs in machine, before drydock makes image 'app' "
                 "ready (step 'image:app'); use it from a later phase"});
}

TEST_CASE("no cluster step for a database given by URL", "[circle1][lower]")
{
  const auto config = test::load(R"(test:
  override:
    - pytest:
        drydock: {database: true}
drydock:
  database: {provider: url, url: "postgres://u@db/x"}
)");
  const auto graph = build(config);
  CHECK(test::edges(graph) == Lines{"test.override[0] <- "});
}

TEST_CASE("the selected section's publish steps run before its commands", "[circle1][lower]")
{
  const auto config = test::load(R"(test:
  override: [run-tests]
deployment:
  release:
    tag: /^v/
    drydock: {publish: [hub, mirror]}
    commands: [deploy]
  only-publish:
    branch: main
    drydock: {publish: hub}
drydock:
  images:
    app: {repository: org/app}
  publish:
    hub: {image: app}
    mirror: {image: app, registry: "localhost:5000"}
)");
  CHECK(test::edges(build(config, 0))
        == Lines{
            "image:app <- ",
            "test.override[0] <- image:app",
            "publish:hub <- test.override[0]",
            "publish:mirror <- test.override[0]",
            "deployment.release.commands[0] <- publish:hub, publish:mirror",
            "archive:app <- image:app",
        });
  const auto only = build(config, 1);
  CHECK(test::edges(only)
        == Lines{"image:app <- ", "test.override[0] <- image:app", "publish:hub <- test.override[0]",
                 "archive:app <- image:app"});
  CHECK(pipeline::action_kind(only.steps[2].action) == "publish");
  CHECK(phase(only, only.steps[2]) == circle1::Phase::deployment);
}

TEST_CASE("services start after machine, after what they depend on; only their users wait", "[circle1][lower]")
{
  const auto config = test::load(R"(machine:
  pre: [setup]
test:
  override:
    - plain
    - uses-api:
        drydock: {services: [api]}
drydock:
  services:
    db: {image: postgres}
    api: {image: api, depends_on: [db]}
)");
  const auto graph = build(config);
  CHECK(test::edges(graph)
        == Lines{
            "machine.pre[0] <- ",
            "service:db <- machine.pre[0]",
            "service:api <- machine.pre[0], service:db",
            "test.override[0] <- machine.pre[0]",
            "test.override[1] <- service:api, test.override[0]",
        });
  CHECK(pipeline::action_kind(graph.steps[2].action) == "service");
  CHECK(std::get<pipeline::ServiceStart>(graph.steps[2].action).name == "api");
}

TEST_CASE("a section whose publish entry cannot be lowered still waits for every phase", "[circle1][lower]")
{
  // The checks refuse this config; the lowering must not turn it into a
  // deployment that runs first and after a red build.
  auto result = config::validate_text("circle.yml", R"(test:
  override: ["false"]
deployment:
  release:
    branch: /.*/
    drydock: {publish: reg}
    commands: [echo deployed]
drydock:
  publish:
    reg: {image: "", registry: "127.0.0.1:5000"}
)");
  CHECK(test::messages(result.diagnostics) == Lines{"10:18: error: unknown image ''; none is declared"});
  Diagnostics diags;
  const auto graph = circle1::lower(result.config, {}, 0, diags);
  CHECK(test::edges(graph) == Lines{"test.override[0] <- ", "deployment.release.commands[0] <- test.override[0]"});
}

TEST_CASE("parallel: true in test runs as one step per node, each with its index and share of the files", "[circle1]["
                                                                                                          "lower]")
{
  const auto config = test::load(R"(dependencies:
  override:
    - bundle install:
        parallel: true
test:
  override:
    - rspec:
        parallel: true
        files: [spec/**/*_spec.rb]
        drydock: {id: specs}
    - rubocop
  post:
    - echo done:
        drydock: {requires: [specs]}
)");
  circle1::BuildContext context;
  context.parallelism = 3;
  Diagnostics diags;
  const auto graph = circle1::lower(config, context, std::nullopt, diags);
  REQUIRE_FALSE(diags.has_errors());
  CHECK(test::edges(graph)
        == Lines{
            "dependencies.override[0] <- ", // once: the setup phases run on one machine
            "specs:0 <- dependencies.override[0]",
            "specs:1 <- dependencies.override[0]",
            "specs:2 <- dependencies.override[0]",
            "test.override[1] <- specs:0, specs:1, specs:2",
            "test.post[0] <- specs:0, specs:1, specs:2, test.override[1]",
        });
  for (int node = 0; node < 3; ++node) {
    const auto& step = graph.steps.at(static_cast<std::size_t>(node) + 1);
    CHECK(step.environment.front() == pipeline::EnvVar{"CIRCLE_NODE_INDEX", std::to_string(node)});
    const auto& shell = std::get<pipeline::ShellCommand>(step.action);
    CHECK(shell.files_node == node);
    CHECK(shell.files_nodes == 3);
    CHECK(shell.append_files == std::vector<std::string>{"spec/**/*_spec.rb"});
  }
  CHECK(graph.steps.at(4).environment.empty()); // rubocop: the build's CIRCLE_NODE_INDEX (0)
}

TEST_CASE("without --parallelism a parallel command is one step, as before", "[circle1][lower]")
{
  const auto graph = build(test::load("test:\n  override:\n    - rspec:\n        parallel: true\n"));
  REQUIRE(graph.steps.size() == 1);
  CHECK(graph.steps[0].name == "test.override[0]");
  CHECK(std::get<pipeline::ShellCommand>(graph.steps[0].action).files_nodes == 1);
}

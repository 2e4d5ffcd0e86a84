#include <catch2/catch.hpp>

#include "exec/build.hpp"
#include "exec/run_fixture.hpp"
#include "exec/run_setup.hpp"
#include "test_support.hpp"

using namespace drydock;
using Strings = std::vector<std::string>;

namespace {

constexpr const char* kConfig = R"(machine:
  services: [docker, postgresql]
  environment:
    APP_MODE: test
test:
  override:
    - pytest -v:
        environment:
          TOKEN: s3cret
        drydock: {image: app, database: true}
    - echo on the host
drydock:
  images:
    app: {repository: org/app}
  database:
    user: tester
    databases: [app_test]
)";

struct Prepared {
  config::Validation validation;
  exec::BuildContext context;
  graph::Graph graph;
};

Prepared prepare(const test::ScratchDir& dir)
{
  dir.write("circle.yml", kConfig);
  Prepared p{config::validate_text((dir.path() / "circle.yml").string(), kConfig), {}, {}};
  REQUIRE_FALSE(p.validation.diagnostics.has_errors());
  auto context = exec::make_build_context(p.validation.config, {{{"CIRCLE_SHA1", "abc123"}}},
                                          {"HOME=" + dir.path().string(), "HOST_ONLY=1"}, exec::ContextMode::plan);
  REQUIRE(context);
  p.context = std::move(*context);
  p.context.self_exe = "/opt/drydock";
  const auto engine = exec::find_engine(p.validation.config, p.context.env, exec::SetupMode::dry_run);
  REQUIRE(engine);
  REQUIRE(exec::prepare_run(p.validation.config, p.context, exec::SetupMode::dry_run, *engine));
  Diagnostics diags;
  p.graph = graph::build_graph(p.validation.config, std::nullopt, diags);
  REQUIRE_FALSE(diags.has_errors());
  return p;
}

std::string value_of(const Strings& env, const std::string& name)
{
  for (const auto& entry : env) {
    if (entry.starts_with(name + "=")) {
      return entry.substr(name.size() + 1);
    }
  }
  return "(unset)";
}

} // namespace

TEST_CASE("a containerized step: docker run with names, not values, and DATABASE_URL by alias", "[exec][docker]")
{
  test::ScratchDir dir;
  const auto p = prepare(dir);
  const auto& step = p.graph.steps[2];
  REQUIRE(step.name == "test.override[0]");
  const auto request = exec::make_request(step, p.context);
  const std::string argv = fmt::format("{}", fmt::join(request.argv, " "));
  CHECK(argv.starts_with("docker run --rm --init --name drydock-RUN-2 --label io.drydock.run=RUN "
                         "--label io.drydock.pid=0 --label io.drydock.step=test.override[0] "));
  CHECK(argv.ends_with(" --add-host postgresdb:host-gateway -- org/app:abc123 sh -c pytest -v"));
  for (const auto* name : {"--env APP_MODE ", "--env CIRCLE_SHA1 ", "--env TOKEN ", "--env DATABASE_URL ", "--env CI "}) {
    CHECK(argv.find(name) != std::string::npos);
  }
  CHECK(argv.find("s3cret") == std::string::npos);
  CHECK(argv.find("HOST_ONLY") == std::string::npos); // the host's own environment stays out
  CHECK(argv.find("PGHOST") == std::string::npos);
  CHECK(value_of(request.env, "TOKEN") == "s3cret"); // the docker client reads it from here
  CHECK(value_of(request.env, "DATABASE_URL") == "postgres://tester@postgresdb:5432/app_test");
}

TEST_CASE("host steps reach the cluster through PG* variables and a loopback URL", "[exec][docker]")
{
  test::ScratchDir dir;
  const auto p = prepare(dir);
  const auto request = exec::make_request(p.graph.steps[3], p.context);
  CHECK(request.argv == Strings{"bash", "-eo", "pipefail", "-c", "echo on the host"});
  CHECK(value_of(request.env, "DATABASE_URL") == "postgres://tester@127.0.0.1:5432/app_test");
  CHECK(value_of(request.env, "PGHOST") == "127.0.0.1");
  CHECK(value_of(request.env, "PGUSER") == "tester");
  CHECK(value_of(request.env, "PGDATABASE") == "app_test");
}

TEST_CASE("drydock's own steps run drydock itself", "[exec][docker]")
{
  test::ScratchDir dir;
  const auto p = prepare(dir);
  CHECK(p.graph.steps[0].name == "postgresql");
  const auto cluster = exec::make_request(p.graph.steps[0], p.context);
  CHECK(Strings(cluster.argv.begin(), cluster.argv.begin() + 4) ==
        Strings{"/opt/drydock", "internal", "postgres-start", "--dir=(a new directory at run time)"});
  const auto image = exec::make_request(p.graph.steps[1], p.context);
  CHECK(image.argv == Strings{"/opt/drydock", "internal", "image", "--file=" + (dir.path() / "circle.yml").string(), "--",
                              "app"});
  CHECK(image.cwd == dir.path().string());
}

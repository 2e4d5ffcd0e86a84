#include <catch2/catch.hpp>

#include "exec/build.hpp"
#include "exec/internal_step.hpp"
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


exec::InternalStep decoded(const exec::StepRequest& request)
{
  auto step = exec::decode_internal_step(request.input);
  REQUIRE(step);
  return std::move(*step);
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

namespace {

// A config lowered (with these overrides) and set up as a dry run would.
struct Lowered {
  pipeline::Pipeline pipeline;
  exec::RunContext context;
};

Lowered lowered(const test::ScratchDir& dir, const std::string& yaml, const circle1::Overrides& overrides = {},
                const std::vector<std::string>& more_host_env = {})
{
  dir.write("circle.yml", yaml);
  const auto validation = config::validate_text((dir.path() / "circle.yml").string(), yaml);
  REQUIRE_FALSE(validation.diagnostics.has_errors());
  std::vector<std::string> host_env{"HOME=" + dir.path().string(), "HOST_ONLY=1"};
  host_env.insert(host_env.end(), more_host_env.begin(), more_host_env.end());
  const auto context = circle1::make_build_context(validation.config, overrides, host_env, circle1::ContextMode::plan);
  REQUIRE(context);
  Diagnostics diags;
  Lowered run;
  run.pipeline = circle1::lower(validation.config, *context, std::nullopt, diags);
  REQUIRE_FALSE(diags.has_errors());
  run.context = exec::make_run_context(run.pipeline, host_env, "/opt/drydock");
  const auto engine = exec::find_engine(exec::engine_needs(run.pipeline), run.context.env, exec::SetupMode::dry_run);
  REQUIRE(engine);
  REQUIRE(exec::prepare_run(run.pipeline, run.context, exec::SetupMode::dry_run, *engine));
  return run;
}

// kConfig, for commit abc123.
Lowered prepare(const test::ScratchDir& dir) { return lowered(dir, kConfig, {{{"CIRCLE_SHA1", "abc123"}}}); }

// With --container debian:12, and the home the container would answer.
Lowered with_build_container(const test::ScratchDir& dir, const std::string& yaml,
                             const std::vector<std::string>& more_host_env = {})
{
  circle1::Overrides overrides{{{"CIRCLE_SHA1", "abc123"}}, std::string("debian:12")};
  auto run = lowered(dir, yaml, overrides, more_host_env);
  run.context.containers.build_home = "/home/circleci";
  run.context.containers.build_path = "/usr/local/go/bin:/usr/bin";
  return run;
}

} // namespace

TEST_CASE("a containerized step: docker run with names, not values, and DATABASE_URL by alias", "[exec][docker]")
{
  test::ScratchDir dir;
  const auto p = prepare(dir);
  const auto& step = p.pipeline.steps[2];
  REQUIRE(step.name == "test.override[0]");
  const auto request = exec::make_request(p.pipeline, step, p.context);
  const std::string argv = fmt::format("{}", fmt::join(request.argv, " "));
  CHECK(argv.starts_with("docker run --rm --init --name drydock-RUN-2 --label io.drydock.run=RUN "
                         "--label io.drydock.pid=0 --label io.drydock.step=test.override[0] "));
  CHECK(argv.ends_with(" --add-host postgresdb:host-gateway -- org/app:abc123 sh -c pytest -v"));
  for (const auto* name :
       {"--env APP_MODE ", "--env CIRCLE_SHA1 ", "--env TOKEN ", "--env DATABASE_URL ", "--env CI "}) {
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
  const auto request = exec::make_request(p.pipeline, p.pipeline.steps[3], p.context);
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
  CHECK(p.pipeline.steps[0].name == "postgresql");
  const auto cluster = exec::make_request(p.pipeline, p.pipeline.steps[0], p.context);
  CHECK(cluster.argv == Strings{"/opt/drydock", "internal", "step"});
  const auto cluster_step = decoded(cluster);
  CHECK(pipeline::action_kind(cluster_step.action) == "database");
  REQUIRE(cluster_step.cluster);
  CHECK(cluster_step.cluster->dir == "(a new directory at run time)");
  CHECK(cluster_step.cluster->user == "tester");
  CHECK(cluster_step.cluster->databases == Strings{"app_test"});
  const auto image = exec::make_request(p.pipeline, p.pipeline.steps[1], p.context);
  CHECK(image.argv == Strings{"/opt/drydock", "internal", "step"});
  const auto image_step = decoded(image);
  REQUIRE(std::holds_alternative<pipeline::ImageBuild>(image_step.action));
  CHECK(std::get<pipeline::ImageBuild>(image_step.action).name == "app");
  CHECK(std::get<pipeline::ImageBuild>(image_step.action).repository == "org/app");
  CHECK(image_step.run_tag == "abc123");
  CHECK(image.cwd == dir.path().string());
  CHECK(image.input.find("s3cret") == std::string::npos); // a step's secrets are not an own step's business
}

TEST_CASE("machine.hosts reach containerized steps as --add-host, and machine.timezone every step as TZ", "[exec]["
                                                                                                          "docker]")
{
  test::ScratchDir dir;
  const std::string yaml = "machine:\n  timezone: America/Los_Angeles\n  hosts: {db.local: 10.0.0.5}\n"
                           "test:\n  override:\n    - make: {drydock: {image: app}}\n    - date\n"
                           "drydock:\n  images:\n    app: {repository: org/app}\n";
  const auto [pipeline, run] = lowered(dir, yaml);
  const auto container = exec::make_request(pipeline, pipeline.steps.at(1), run);
  const std::string argv = fmt::format("{}", fmt::join(container.argv, " "));
  CHECK(argv.find(" --add-host db.local:10.0.0.5 ") != std::string::npos);
  CHECK(argv.find(" --env TZ ") != std::string::npos);
  const auto host = exec::make_request(pipeline, pipeline.steps.at(2), run);
  CHECK(value_of(host.env, "TZ") == "America/Los_Angeles");
  CHECK(fmt::format("{}", fmt::join(host.argv, " ")).find("add-host") == std::string::npos);
}


TEST_CASE("the build container: a host step is a docker exec in the build container, with names and a stop command",
          "[exec]["
          "docker]")
{
  test::ScratchDir dir;
  const auto run = with_build_container(dir, "machine:\n  environment: {APP_MODE: test}\n"
                                             "test:\n  override:\n    - make check:\n"
                                             "        environment: {TOKEN: s3cret}\n        pwd: sub\n");
  REQUIRE(run.pipeline.build_container);
  CHECK(run.pipeline.build_container->image == "debian:12");
  CHECK(run.pipeline.build_container->origin == "--container");
  CHECK(pipeline::placement_of(run.pipeline, run.pipeline.steps.at(0)) == "build container");
  const auto request = exec::make_request(run.pipeline, run.pipeline.steps.at(0), run.context);
  const std::string argv = fmt::format("{}", fmt::join(request.argv, " "));
  CHECK(argv.starts_with("docker exec --workdir " + (dir.path() / "sub").string() + " "));
  for (const auto* name : {"--env APP_MODE ", "--env CIRCLE_SHA1 ", "--env TOKEN ", "--env CI "}) {
    CHECK(argv.find(name) != std::string::npos);
  }
  CHECK(argv.find("s3cret") == std::string::npos);    // values travel in the client's environment
  CHECK(argv.find("HOST_ONLY") == std::string::npos); // the host's own stay out, PATH and HOME too
  CHECK(argv.find("--env HOME") == std::string::npos);
  CHECK(argv.find(" -- drydock-RUN-build sh -c ") != std::string::npos);
  CHECK(argv.ends_with(" /tmp/.drydock-step-0.pid bash -eo pipefail -c make check"));
  CHECK(value_of(request.env, "TOKEN") == "s3cret");
  CHECK(request.stop_argv
        == Strings{"docker", "exec", "--", "drydock-RUN-build", "sh", "-c", R"sh(kill -s "$1" -- -"$(cat "$0")")sh",
                   "/tmp/.drydock-step-0.pid", "TERM"});
  CHECK(request.kill_argv.back() == "KILL");
}

TEST_CASE("the build container: machine steps start in the container's home, and ~ in pwd is the container's",
          "[exec][docker]")
{
  test::ScratchDir dir;
  const auto run = with_build_container(dir, "machine:\n  pre:\n    - touch ~/x\n"
                                             "test:\n  override:\n    - ls:\n        pwd: ~/project\n");
  const auto machine = exec::make_request(run.pipeline, run.pipeline.steps.at(0), run.context);
  CHECK(machine.argv.at(3) == "/home/circleci");
  const auto test = exec::make_request(run.pipeline, run.pipeline.steps.at(1), run.context);
  CHECK(test.argv.at(3) == "/home/circleci/project");
}

TEST_CASE("the build container: the database as containers reach it, and drydock's own and image steps stay as they "
          "were",
          "[exec][docker]")
{
  test::ScratchDir dir;
  const auto run = with_build_container(dir, "machine:\n  services: [docker, postgresql]\n"
                                             "  hosts: {db.local: 10.0.0.5}\n"
                                             "test:\n  override:\n    - psql -c 'select 1'\n"
                                             "    - pytest:\n        drydock: {image: app, database: true}\n"
                                             "drydock:\n  images:\n    app: {repository: org/app}\n"
                                             "  database: {user: tester, databases: [app_test]}\n");
  const auto& container = *run.pipeline.build_container;
  CHECK(container.engine_socket); // machine.services lists docker
  CHECK(container.hosts == std::vector<std::pair<std::string, std::string>>{{"db.local", "10.0.0.5"}});
  CHECK(std::find(container.mounts.begin(), container.mounts.end(), dir.path().string()) != container.mounts.end());
  const auto& steps = run.pipeline.steps;
  const auto psql = std::find_if(steps.begin(), steps.end(),
                                 [](const auto& s) { return s.name == "test.override[0]"; });
  REQUIRE(psql != steps.end());
  const auto request = exec::make_request(run.pipeline, *psql, run.context);
  CHECK(request.argv.at(1) == "exec");
  CHECK(value_of(request.env, "PGHOST") == "postgresdb");
  CHECK(value_of(request.env, "DATABASE_URL") == "postgres://tester@postgresdb:5432/app_test");
  const std::string argv = fmt::format("{}", fmt::join(request.argv, " "));
  CHECK(argv.find("--env PGHOST ") != std::string::npos);
  CHECK(argv.find("--env DATABASE_URL ") != std::string::npos);
  for (const auto& step : steps) {
    if (step.name != "test.override[0]") {
      CHECK(pipeline::placement_of(run.pipeline, step) != "build container");
      CHECK(exec::make_request(run.pipeline, step, run.context).argv.at(1) != "exec");
    }
  }
}

TEST_CASE("a parallel command's node gets every nth file, in sorted order, each file once", "[exec]")
{
  test::ScratchDir dir;
  for (const auto* name : {"spec/a_spec.rb", "spec/b_spec.rb", "spec/c_spec.rb", "spec/d/e_spec.rb", "x.rb"}) {
    dir.write(name, "");
  }
  const std::string yaml = "test:\n  override:\n    - rspec:\n        parallel: true\n"
                           "        files: ['spec/**/*_spec.rb', spec/a_spec.rb]\n";
  circle1::Overrides overrides;
  overrides.parallelism = 2;
  const auto [pipeline, run] = lowered(dir, yaml, overrides);
  REQUIRE(pipeline.steps.size() == 2);
  CHECK(value_of(run.env.entries(), "CIRCLE_NODE_TOTAL") == "2");
  const auto first = exec::make_request(pipeline, pipeline.steps[0], run);
  const auto second = exec::make_request(pipeline, pipeline.steps[1], run);
  CHECK(first.argv.back() == "rspec 'spec/a_spec.rb' 'spec/c_spec.rb'");
  CHECK(second.argv.back() == "rspec 'spec/b_spec.rb' 'spec/d/e_spec.rb'");
  CHECK(value_of(first.env, "CIRCLE_NODE_INDEX") == "0");
  CHECK(value_of(second.env, "CIRCLE_NODE_INDEX") == "1");
}

TEST_CASE("a node left without files runs nothing, not the whole suite", "[exec]")
{
  test::ScratchDir dir;
  dir.write("spec/a_spec.rb", "");
  circle1::Overrides overrides;
  overrides.parallelism = 3;
  const auto [pipeline, run] =
      lowered(dir, "test:\n  override:\n    - rspec:\n        parallel: true\n        files: [spec/*.rb]\n", overrides);
  REQUIRE(pipeline.steps.size() == 3);
  CHECK(exec::make_request(pipeline, pipeline.steps[0], run).argv.back() == "rspec 'spec/a_spec.rb'");
  CHECK(exec::make_request(pipeline, pipeline.steps[2], run).argv.back()
        == "echo 'no files for node 2 of 3: nothing to run'");
}

TEST_CASE("a containerized step's ~ in pwd is the image's home, expanded by its sh", "[exec][docker]")
{
  test::ScratchDir dir;
  const std::string yaml = "test:\n  override:\n    - make:\n        pwd: ~/src\n        drydock: {image: app}\n"
                           "drydock:\n  images:\n    app: {repository: org/app}\n";
  const auto [pipeline, run] = lowered(dir, yaml);
  const auto request = exec::make_request(pipeline, pipeline.steps.at(1), run);
  CHECK(request.argv.back() == R"(cd -- "$HOME"/'src' && make)");
}

TEST_CASE("the build container: this machine's PATH and HOME in the pipeline's values become the container's",
          "[exec][docker]")
{
  test::ScratchDir dir;
  const auto run = with_build_container(dir,
                                        "machine:\n  environment:\n    PATH: ${HOME}/go/bin:${PATH}\n"
                                        "    GOPATH: ${HOME}/go\n    OTHER: ${HOME}extra\n"
                                        "test:\n  override:\n    - go test:\n        environment: {PGUSER: mine}\n"
                                        "drydock:\n  database: {user: tester}\n",
                                        {"PATH=/host/bin:/usr/bin"});
  const auto request = exec::make_request(run.pipeline, run.pipeline.steps.back(), run.context);
  const std::string home = dir.path().string();
  CHECK(value_of(request.env, "PATH") == "/home/circleci/go/bin:/usr/local/go/bin:/usr/bin");
  CHECK(value_of(request.env, "GOPATH") == "/home/circleci/go");
  CHECK(value_of(request.env, "OTHER") == home + "extra"); // not a path under the home: as it is
  CHECK(value_of(request.env, "PGUSER") == "mine");        // the step's own wins over the database's
  CHECK(value_of(request.env, "PGHOST") == "postgresdb");
}

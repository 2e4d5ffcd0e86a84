#include <catch2/catch.hpp>

#include "docker/commands.hpp"

using namespace drydock;
using Argv = std::vector<std::string>;

TEST_CASE("a containerized step passes variables by name, mounts, labels and the host alias", "[docker]")
{
  docker::ContainerSpec spec;
  spec.image = "org/app:abc123";
  spec.name = "drydock-r1-3";
  spec.run_id = "r1";
  spec.owner = "42:7";
  spec.step = "test.override[0]";
  spec.env_names = {"CIRCLE_SHA1", "DATABASE_URL"};
  spec.mounts = {"/tmp/artifacts"};
  spec.hosts = {{"postgresdb", "host-gateway"}};
  spec.command = {"sh", "-c", "pytest -v"};
  CHECK(docker::run_container(spec) == Argv{"docker",     "run",
                                            "--rm",       "--init",
                                            "--name",     "drydock-r1-3",
                                            "--label",    "io.drydock.run=r1",
                                            "--label",    "io.drydock.pid=42:7",
                                            "--label",    "io.drydock.step=test.override[0]",
                                            "--env",      "CIRCLE_SHA1",
                                            "--env",      "DATABASE_URL",
                                            "--volume",   "/tmp/artifacts:/tmp/artifacts",
                                            "--add-host", "postgresdb:host-gateway",
                                            "--",         "org/app:abc123",
                                            "sh",         "-c",
                                            "pytest -v"});
  spec.workdir = "/code/sub";
  const auto argv = docker::run_container(spec);
  const auto workdir = std::find(argv.begin(), argv.end(), "--workdir");
  REQUIRE(workdir != argv.end());
  REQUIRE(workdir + 1 != argv.end());
  CHECK(*(workdir + 1) == "/code/sub");
  CHECK(workdir < std::find(argv.begin(), argv.end(), "--")); // an option, not part of the command
}

TEST_CASE("a build takes build-arg names only, labels and the context after --", "[docker]")
{
  const docker::BuildSpec spec{"org/app:k1", "/src/Dockerfile", "/src", {"TOKEN"}, {{"io.drydock.key", "k1"}}};
  CHECK(docker::build(spec)
        == Argv{"docker", "build", "--tag", "org/app:k1", "--file", "/src/Dockerfile", "--build-arg", "TOKEN",
                "--label", "io.drydock.key=k1", "--", "/src"});
}

TEST_CASE("cleanup finds containers by the run label and removes them with volumes", "[docker]")
{
  CHECK(docker::containers_of_run("r1")
        == Argv{"docker", "ps", "--all", "--quiet", "--no-trunc", "--filter", "label=io.drydock.run=r1"});
  CHECK(docker::remove_containers({"a", "b"}) == Argv{"docker", "rm", "--force", "--volumes", "--", "a", "b"});
  CHECK(docker::tag("x:1", "x:2") == Argv{"docker", "tag", "--", "x:1", "x:2"});
}

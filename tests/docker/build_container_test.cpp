#include <catch2/catch.hpp>

#include "docker/build_container.hpp"
#include "docker/fake_client.hpp"

using namespace drydock;
using Strings = std::vector<std::string>;

namespace {

docker::BuildContainerSpec spec()
{
  return {"debian:12", "drydock-r1-build", "r1", "42:7", {"/src/app", "/tmp/artifacts"}, {{"db", "10.0.0.5"}},
          "net1",      "/run/docker.sock"};
}

} // namespace

TEST_CASE("the build container runs detached, labelled, mounts at their paths, the engine socket where a CLI looks, "
          "values after --",
          "[docker]")
{
  CHECK(docker::run_build_container(spec()) == Strings{"docker",       "run",
                                                       "--detach",     "--init",
                                                       "--name",       "drydock-r1-build",
                                                       "--label",      "io.drydock.run=r1",
                                                       "--label",      "io.drydock.pid=42:7",
                                                       "--label",      "io.drydock.build-container=true",
                                                       "--entrypoint", "sh",
                                                       "--volume",     "/src/app:/src/app",
                                                       "--volume",     "/tmp/artifacts:/tmp/artifacts",
                                                       "--add-host",   "db:10.0.0.5",
                                                       "--volume",     "/run/docker.sock:/var/run/docker.sock",
                                                       "--",           "debian:12",
                                                       "-c",           "while sleep 3600; do :; done"});
}

TEST_CASE("a step in the build container writes its group id first, then runs its command", "[docker]")
{
  const auto argv = docker::exec_step({"c1", "/src/app", {"A", "B"}, "/tmp/p", {"bash", "-c", "make"}});
  CHECK(argv
        == Strings{
            "docker", "exec", "--workdir", "/src/app", "--env", "A", "--env", "B", "--", "c1", "sh", "-c",
            R"(exec 3>&2 2>/dev/null; exec setsid -w sh -c 'exec 2>&3 3>&-; echo $$ >"$0" && exec "$@"' "$0" "$@")",
            "/tmp/p", "bash", "-c", "make"});
}

TEST_CASE("starting the build container: its home, the sudo stand-in, and what it lacks", "[docker]")
{
  SECTION("a root image without sudo gets the stand-in")
  {
    test::FakeClient client;
    client.on({"docker", "run"}, test::ok("abc\n"))
        .on({"docker", "network", "connect"}, test::ok())
        .on({"docker", "exec"}, test::ok("/root\n/usr/bin:/bin\nsetsid\nsudo\n"));
    const auto facts = docker::start_build_container(client, spec());
    REQUIRE(facts);
    CHECK(facts->home == "/root");
    CHECK(facts->path == "/usr/bin:/bin");
    CHECK(facts->sudo_stand_in);
    CHECK(client.argvs().at(1) == Strings{"docker", "network", "connect", "--", "net1", "drydock-r1-build"});
    CHECK(client.argvs().at(2).at(2) == "--");
    CHECK(client.argvs().at(2).at(3) == "drydock-r1-build");
  }
  SECTION("an image with its own sudo keeps it")
  {
    test::FakeClient client;
    client.on({"docker", "run"}, test::ok())
        .on({"docker", "network", "connect"}, test::ok())
        .on({"docker", "exec"}, test::ok("/home/circleci\n/usr/bin\nsetsid\n"));
    const auto facts = docker::start_build_container(client, spec());
    REQUIRE(facts);
    CHECK(facts->home == "/home/circleci");
    CHECK_FALSE(facts->sudo_stand_in);
  }
  SECTION("an image the engine lacks")
  {
    test::FakeClient client;
    client.on({"docker", "run"}, test::exits(125, "Unable to find image 'debian:12' locally\n"));
    const auto facts = docker::start_build_container(client, spec());
    REQUIRE_FALSE(facts);
    CHECK(facts.error() == "cannot start the build container from debian:12: Unable to find image 'debian:12' locally");
    CHECK(client.call_count() == 1);
  }
  SECTION("no setsid -w (none, or BusyBox's)")
  {
    test::FakeClient client;
    client.on({"docker", "run"}, test::ok())
        .on({"docker", "network", "connect"}, test::ok())
        .on({"docker", "exec"}, test::ok("/root\n/bin\nsudo\n"));
    const auto facts = docker::start_build_container(client, spec());
    REQUIRE_FALSE(facts);
    CHECK(facts.error()
          == "the build container (debian:12) has no setsid (util-linux): drydock needs it to stop a step there on a "
             "timeout or an interrupt");
  }
  SECTION("no sh")
  {
    test::FakeClient client;
    client.on({"docker", "run"}, test::ok())
        .on({"docker", "network", "connect"}, test::ok())
        .on({"docker", "exec"}, test::exits(126, "OCI runtime exec failed: exec: \"sh\": executable file not found\n"));
    const auto facts = docker::start_build_container(client, spec());
    REQUIRE_FALSE(facts);
    CHECK(facts.error().starts_with("the build container (debian:12) cannot run sh: OCI runtime exec failed"));
  }
}

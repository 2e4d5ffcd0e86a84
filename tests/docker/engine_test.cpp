#include <catch2/catch.hpp>

#include "docker/commands.hpp"
#include "docker/engine.hpp"
#include "docker/fake_client.hpp"

using namespace drydock;

TEST_CASE("the bridge: subnet, gateway and interface, with the gateway sometimes missing", "[docker][engine]")
{
  const auto full = docker::parse_bridge("172.17.0.0/16 172.17.0.1 docker0\n");
  CHECK(full.subnet == "172.17.0.0/16");
  CHECK(full.gateway == "172.17.0.1");
  CHECK(full.interface == "docker0");
  // docker 20.10 on some hosts leaves IPAM's Gateway empty.
  const auto no_gateway = docker::parse_bridge("172.17.0.0/16  docker0\n");
  CHECK(no_gateway.subnet == "172.17.0.0/16");
  CHECK(no_gateway.gateway.empty());
  CHECK(no_gateway.interface == "docker0");
}

TEST_CASE("host-gateway only where the engine's API has it (1.41, docker 20.10)", "[docker][engine]")
{
  CHECK(docker::version_at_least("1.41", 1, 41));
  CHECK(docker::version_at_least("1.50", 1, 41));
  CHECK(docker::version_at_least("2.0", 1, 41));
  CHECK_FALSE(docker::version_at_least("1.40", 1, 41));
  CHECK_FALSE(docker::version_at_least("", 1, 41));
  docker::EngineFacts facts;
  facts.gateway = "172.17.0.1";
  facts.host_gateway = true;
  CHECK(docker::host_address_for_containers(facts) == "host-gateway");
  facts.host_gateway = false;
  CHECK(docker::host_address_for_containers(facts) == "172.17.0.1");
}

namespace {

using test::exits;
using test::ok;

} // namespace

TEST_CASE("probe: an engine with host-gateway needs one call; the bridge only when asked", "[docker][engine]")
{
  test::FakeClient client;
  client.on(docker::server_version(), ok("1.43 24.0.7\n"));
  client.on(docker::bridge_network(), ok("172.17.0.0/16 172.17.0.1 docker0\n"));
  SECTION("not asked")
  {
    const auto facts = docker::probe_engine(client, "", false);
    REQUIRE(facts);
    CHECK(facts->api_version == "1.43");
    CHECK(facts->server_version == "24.0.7");
    CHECK(facts->host_gateway);
    CHECK(facts->gateway.empty());
    CHECK(client.argvs() == std::vector<docker::Argv>{docker::server_version()});
  }
  SECTION("asked")
  {
    const auto facts = docker::probe_engine(client, "", true);
    REQUIRE(facts);
    CHECK(facts->subnet == "172.17.0.0/16");
    CHECK(facts->gateway == "172.17.0.1");
    CHECK(client.call_count() == 2);
  }
}

TEST_CASE("probe: an engine without host-gateway: the bridge's gateway, or its subnet's first host", "[docker][engine]")
{
  test::FakeClient client;
  client.on(docker::server_version(), ok("1.40 19.03.0\n"));
  client.on(docker::bridge_network(), ok("172.18.0.0/16  drydock-no-such-if0\n"));
  const auto facts = docker::probe_engine(client, "", false);
  REQUIRE(facts);
  CHECK_FALSE(facts->host_gateway);
  CHECK(facts->gateway == "172.18.0.1");
  CHECK(docker::host_address_for_containers(*facts) == "172.18.0.1");
}

TEST_CASE("probe: no engine: one line saying where it was asked and what docker said", "[docker][engine]")
{
  test::FakeClient client;
  SECTION("the engine does not answer")
  {
    client.on(docker::server_version(), exits(1, "\nCannot connect to the Docker daemon at tcp://ci:2375. Is the "
                                                 "docker daemon running?\n"));
    CHECK(docker::probe_engine(client, "tcp://ci:2375", false).error()
          == "no Docker engine answers at tcp://ci:2375: Cannot connect to the Docker daemon at tcp://ci:2375. Is the "
             "docker daemon running?");
    CHECK(docker::probe_engine(client, "", false)
              .error()
              .starts_with("no Docker engine answers at "
                           "unix:///var/run/docker.sock: "));
  }
  SECTION("no docker client")
  {
    client.on(docker::server_version(), test::cannot_run("'docker' is not on PATH"));
    CHECK(docker::probe_engine(client, "", false).error()
          == "no Docker engine: 'docker' is not on PATH (install docker.io, or the docker client)");
  }
  SECTION("no bridge")
  {
    client.on(docker::server_version(), ok("1.43 24.0.7\n"));
    client.on(docker::bridge_network(), exits(1, "Error: No such network: bridge\n"));
    CHECK(docker::probe_engine(client, "", true).error()
          == "the Docker engine at unix:///var/run/docker.sock has no default bridge network: Error: No such network: "
             "bridge");
  }
}

TEST_CASE("the run's containers are listed by its label and removed at once", "[docker][engine]")
{
  test::FakeClient client;
  SECTION("some")
  {
    client.on(docker::containers_of_run("r1"), ok("aaa\nbbb\n"));
    client.on(docker::remove_containers({"aaa", "bbb"}), ok());
    CHECK(docker::remove_run_containers(client, "r1").value() == 2);
    CHECK(client.call_count() == 2);
  }
  SECTION("none")
  {
    client.on(docker::containers_of_run("r1"), ok(""));
    CHECK(docker::remove_run_containers(client, "r1").value() == 0);
    CHECK(client.call_count() == 1);
  }
  SECTION("listing fails")
  {
    client.on(docker::containers_of_run("r1"), exits(1));
    CHECK(docker::remove_run_containers(client, "r1").error() == "cannot list this run's containers");
  }
  SECTION("removal fails")
  {
    client.on(docker::containers_of_run("r1"), ok("aaa\nbbb\n"));
    client.on(docker::remove_containers({"aaa", "bbb"}), exits(1));
    CHECK(docker::remove_run_containers(client, "r1").error() == "cannot remove 2 container(s) of this run");
  }
}

#include <catch2/catch.hpp>

#include "docker/engine.hpp"

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

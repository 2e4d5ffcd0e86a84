// The `drydock internal step` protocol: what run encodes, the child decodes.
#include <catch2/catch.hpp>

#include <filesystem>

#include "exec/internal_step.hpp"

using namespace drydock;
using Strings = std::vector<std::string>;

TEST_CASE("an own step and its run facts survive the trip to the child", "[exec][internal]")
{
  exec::InternalStep step;
  pipeline::ServiceStart service;
  service.name = "api";
  service.image = "org/api:1";
  service.alias = "api";
  service.environment = {{"TOKEN", "${SECRET}"}};
  service.ready = pipeline::Readiness{"ready\\s+now", 2, 8080, std::nullopt, 30};
  step.action = service;
  step.base_dir = "/src/app";
  step.run_tag = "abc123";
  step.run_id = "0123456789ab";
  step.owner = "42:1000";
  step.network = "drydock-0123456789ab";
  const auto back = exec::decode_internal_step(exec::encode(step).value());
  REQUIRE(back);
  const auto& got = std::get<pipeline::ServiceStart>(back->action);
  CHECK(got.environment == std::vector<pipeline::EnvVar>{{"TOKEN", "${SECRET}"}});
  REQUIRE(got.ready);
  CHECK(*got.ready->log == "ready\\s+now");
  CHECK(got.ready->times == 2);
  CHECK(got.ready->port == 8080);
  CHECK_FALSE(got.ready->command);
  CHECK(back->base_dir == std::filesystem::current_path().string()); // the child starts in it
  CHECK(back->run_tag == "abc123");
  CHECK(back->owner == "42:1000");
  CHECK(back->network == "drydock-0123456789ab");
  CHECK_FALSE(back->cluster);
}

TEST_CASE("names that look like options or JSON stay values", "[exec][internal]")
{
  exec::InternalStep step;
  step.action = pipeline::DatabaseStart{};
  step.cluster = services::ClusterSpec{"/tmp/pg",       5433,         {"127.0.0.1", "172.17.0.1"},
                                       "172.17.0.0/16", "-dpostgres", {"--help", "a=b", "\"}, {\"x"}};
  const auto back = exec::decode_internal_step(exec::encode(step).value());
  REQUIRE(back);
  REQUIRE(back->cluster);
  CHECK(back->cluster->user == "-dpostgres");
  CHECK(back->cluster->databases == Strings{"--help", "a=b", "\"}, {\"x"});
  CHECK(back->cluster->listen == Strings{"127.0.0.1", "172.17.0.1"});
  CHECK(back->cluster->trust_subnet == "172.17.0.0/16");
  CHECK(back->cluster->port == 5433);
}

TEST_CASE("what is not an own step is refused with a reason", "[exec][internal]")
{
  CHECK(exec::decode_internal_step("").error().starts_with("not a step of drydock's own: "));
  CHECK(exec::decode_internal_step("{}").error().starts_with("not a step of drydock's own: "));
  CHECK(exec::decode_internal_step(R"({"action": {"kind": "teleport"}})").error() == "unknown action kind 'teleport'");
  CHECK(exec::decode_internal_step(R"({"action": {"name": "x"}})").error() == "an action is an object with a \"kind\"");
  CHECK(
      exec::decode_internal_step(R"({"action": {"kind": "database"}, "cluster": {"dir": "", "port": 1, "user": "u"}})")
          .error()
      == "the cluster needs a directory, a port and a user");
  CHECK(exec::internal_argv("/opt/drydock") == Strings{"/opt/drydock", "internal", "step"});
}

TEST_CASE("a cluster directory of any bytes arrives as it was; a value JSON cannot carry is an error value",
          "[exec][internal]")
{
  exec::InternalStep step;
  step.action = pipeline::DatabaseStart{};
  step.cluster = services::ClusterSpec{"/tmp/caf\xe9 100%/pg", 5433, {"127.0.0.1"}, "", "u", {"t"}};
  const auto encoded = exec::encode(step);
  REQUIRE(encoded);
  CHECK(encoded->find("caf%E9 100%25") != std::string::npos);
  const auto back = exec::decode_internal_step(*encoded);
  REQUIRE(back);
  CHECK(back->cluster->dir == "/tmp/caf\xe9 100%/pg");

  pipeline::ServiceStart service;
  service.name = "bad\xff";
  step.action = service;
  CHECK(exec::encode(step).error().starts_with("cannot hand the step to drydock: "));
}

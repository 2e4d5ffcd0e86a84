#include <catch2/catch.hpp>

#include "docker/commands.hpp"
#include "docker/fake_client.hpp"
#include "docker/leftovers.hpp"
#include "docker/service.hpp"

#include <unistd.h>

using namespace drydock;
using Argv = std::vector<std::string>;

namespace {

util::CompiledRegex regex(std::string_view pattern) { return util::compile_regex(pattern).value(); }

} // namespace

TEST_CASE("log readiness counts the lines the regex finds a match in", "[docker][service]")
{
  const auto ready = regex("ready to accept connections");
  const std::string logs = "starting\nLOG: database system is ready to accept connections\nshutting down\n"
                           "LOG: database system is ready to accept connections\nready to accept connections";
  CHECK(docker::count_matching_lines(logs, ready) == 3);
  CHECK(docker::count_matching_lines("", ready) == 0);
  CHECK(docker::count_matching_lines("twice twice\n", regex("twice")) == 1); // lines, not matches
  CHECK(docker::count_matching_lines("serving\n", regex("^serving$")) == 1);
  CHECK(docker::count_matching_lines("a\nb\n", regex("^$")) == 0); // no empty line after the last break
}

TEST_CASE("log readiness is linear on a 1 MB line", "[docker][service]")
{
  const std::string line(1 << 20, 'x');
  const std::string logs = "starting\n" + line + "ready\n" + line + "\n" + line + " ready\n";
  CHECK(docker::count_matching_lines(logs, regex(".*ready")) == 2);
  CHECK(docker::count_matching_lines(logs, regex("^(x|y)*$")) == 1);
}

TEST_CASE("a ready.log that does not compile fails the service before it starts", "[docker][service]")
{
  docker::ServiceRun run;
  run.container.service = "db";
  run.container.name = "drydock-never-started";
  run.ready.log = "(ready)\\1";
  const test::FakeClient client; // no call expected
  const auto started = docker::start_service(client, run, [](const std::string&) {});
  REQUIRE_FALSE(started);
  CHECK(started.error() == "service 'db': invalid ready.log regular expression '(ready)\\1': backreference \\1 "
                           "is not supported: drydock matches with RE2 (linear time)");
}

TEST_CASE("readiness is described the way errors name it", "[docker][service]")
{
  docker::ReadyCheck check;
  CHECK(docker::describe(check) == "the container running");
  check.log = "ready";
  check.times = 2;
  check.port = 5432;
  check.command = "pg_isready";
  CHECK(docker::describe(check) == "log /ready/ 2 times, port 5432, command `pg_isready`");
}

TEST_CASE("a service runs detached on the run's network under its alias, labelled", "[docker][service]")
{
  docker::ServiceContainerSpec spec;
  spec.image = "redis:7";
  spec.name = "drydock-r1-cache";
  spec.run_id = "r1";
  spec.owner = "42:7";
  spec.service = "cache";
  spec.network = "drydock-r1";
  spec.alias = "redis";
  spec.env_names = {"MODE"};
  spec.tmpfs = {"/data"};
  spec.publish = {"127.0.0.1:5433:5432"};
  spec.command = {"redis-server", "--save", ""};
  CHECK(docker::run_service(spec) ==
        Argv{"docker", "run", "--detach", "--init", "--name", "drydock-r1-cache", "--label", "io.drydock.run=r1",
             "--label", "io.drydock.pid=42:7", "--label", "io.drydock.service=cache", "--network", "drydock-r1",
             "--network-alias", "redis", "--env", "MODE", "--tmpfs", "/data", "--publish", "127.0.0.1:5433:5432", "--",
             "redis:7", "redis-server", "--save", ""});
  CHECK(docker::create_network("drydock-r1", "r1", "42:7") ==
        Argv{"docker", "network", "create", "--label", "io.drydock.run=r1", "--label", "io.drydock.pid=42:7", "--",
             "drydock-r1"});
}

TEST_CASE("leftovers: labelled resources parsed, owners checked", "[docker][service]")
{
  const auto found = docker::parse_labelled("container", "abc r1 42:1234\n\ndef r2 \nold r3 77\n");
  REQUIRE(found.size() == 3);
  CHECK(found[0].id == "abc");
  CHECK(found[0].run == "r1");
  CHECK(found[0].pid == 42);
  CHECK(found[0].start == 1234);
  CHECK(found[1].pid == 0);
  CHECK(found[2].pid == 77); // a label from before start times
  CHECK(found[2].start == 0);
  CHECK_FALSE(docker::owner_alive(0, 0));
  // Whatever the program is called (the test binary here), the pid and its
  // start time decide; the same pid with another start time is a reused pid.
  const auto start = docker::process_start_time(::getpid());
  REQUIRE(start > 0);
  CHECK(docker::owner_alive(::getpid(), start));
  CHECK_FALSE(docker::owner_alive(::getpid(), start + 1));
  CHECK_FALSE(docker::owner_alive(::getpid(), 0)); // a bare pid (older labels): only a process named drydock
  CHECK(docker::owner_of(::getpid()) == std::to_string(::getpid()) + ":" + std::to_string(start));
}

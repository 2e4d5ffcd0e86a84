#include <catch2/catch.hpp>

#include "docker/commands.hpp"
#include "docker/fake_client.hpp"
#include "docker/leftovers.hpp"
#include "docker/service.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
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
  CHECK(started.error()
        == "service 'db': invalid ready.log regular expression '(ready)\\1': backreference \\1 "
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
  CHECK(docker::run_service(spec)
        == Argv{"docker",
                "run",
                "--detach",
                "--init",
                "--name",
                "drydock-r1-cache",
                "--label",
                "io.drydock.run=r1",
                "--label",
                "io.drydock.pid=42:7",
                "--label",
                "io.drydock.service=cache",
                "--network",
                "drydock-r1",
                "--network-alias",
                "redis",
                "--env",
                "MODE",
                "--tmpfs",
                "/data",
                "--publish",
                "127.0.0.1:5433:5432",
                "--",
                "redis:7",
                "redis-server",
                "--save",
                ""});
  CHECK(docker::create_network("drydock-r1", "r1", "42:7")
        == Argv{"docker", "network", "create", "--label", "io.drydock.run=r1", "--label", "io.drydock.pid=42:7", "--",
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

namespace {

using test::exits;
using test::ok;

docker::ServiceRun db_service()
{
  docker::ServiceRun run;
  run.container.image = "postgres:15";
  run.container.name = "drydock-r1-db";
  run.container.run_id = "r1";
  run.container.service = "db";
  run.container.network = "drydock-r1";
  run.container.alias = "postgres";
  run.ready.timeout = std::chrono::seconds(10);
  return run;
}

// A TCP port on loopback; listening, or closed (bound once, then let go).
class LoopbackPort {
public:
  explicit LoopbackPort(bool listen)
  {
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    socklen_t size = sizeof address;
    REQUIRE(::getsockname(m_fd, reinterpret_cast<sockaddr*>(&address), &size) == 0);
    m_port = ntohs(address.sin_port);
    if (listen) {
      REQUIRE(::listen(m_fd, 4) == 0);
    } else {
      ::close(m_fd);
      m_fd = -1;
    }
  }
  ~LoopbackPort()
  {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
  }
  LoopbackPort(const LoopbackPort&) = delete;
  LoopbackPort& operator=(const LoopbackPort&) = delete;
  int port() const { return m_port; }

private:
  int m_fd = -1;
  int m_port = 0;
};

struct Started {
  tl::expected<std::chrono::milliseconds, std::string> result;
  std::vector<std::string> lines;
};

Started start(const test::FakeClient& client, const docker::ServiceRun& run)
{
  Started started{tl::unexpected(std::string("not run")), {}};
  started.result = docker::start_service(client, run, [&](const std::string& line) { started.lines.push_back(line); });
  return started;
}

} // namespace

TEST_CASE("service start: detached, then the logs read until the regex matched enough lines", "[docker][service]")
{
  auto run = db_service();
  run.ready.log = "ready to accept";
  run.ready.times = 2;
  test::FakeClient client;
  client.on(docker::run_service(run.container), ok("c0ffee\n"));
  client.on(docker::logs(run.container.name, -1), {ok("starting\nready to accept\n"), ok("starting\nready to "
                                                                                         "accept\nready to accept\n")});
  client.on(docker::running_state(run.container.name), ok("true 0\n"));
  const auto started = start(client, run);
  REQUIRE(started.result);
  CHECK(client.argvs()
        == std::vector<Argv>{docker::run_service(run.container), docker::logs(run.container.name, -1),
                             docker::running_state(run.container.name), docker::logs(run.container.name, -1)});
  REQUIRE(started.lines.size() == 2);
  CHECK(started.lines[0]
        == "service db: container drydock-r1-db on network drydock-r1 as 'postgres'; waiting for log "
           "/ready to accept/ 2 times");
  CHECK_THAT(started.lines[1], Catch::Matches("service db ready in [0-9]+\\.[0-9]{2}s"));
}

TEST_CASE("service start: a port is ready once it accepts a connection at the container's address", "[docker][service]")
{
  const LoopbackPort port(true);
  auto run = db_service();
  run.ready.port = port.port();
  test::FakeClient client;
  client.on(docker::run_service(run.container), ok("c0ffee\n"));
  client.on(docker::container_ip(run.container.name, "drydock-r1"), ok("127.0.0.1\n"));
  const auto started = start(client, run);
  REQUIRE(started.result);
  CHECK(client.argvs()
        == std::vector<Argv>{docker::run_service(run.container), docker::container_ip(run.container.name, "drydock-"
                                                                                                          "r1")});
  CHECK(started.lines.at(0).ends_with(fmt::format("waiting for port {}", port.port())));
}

TEST_CASE("service start: a command is retried until it succeeds, then the after-ready commands run", "[docker]["
                                                                                                      "service]")
{
  auto run = db_service();
  run.ready.command = "pg_isready -q";
  run.after_ready = {{"createdb", "--", "extra"}};
  test::FakeClient client;
  client.on(docker::run_service(run.container), ok("c0ffee\n"));
  client.on(docker::exec_in(run.container.name, {"sh", "-c", "pg_isready -q"}), {exits(2), ok()});
  client.on(docker::running_state(run.container.name), ok("true 0\n"));
  client.on(docker::exec_in(run.container.name, {"createdb", "--", "extra"}), ok());
  const auto started = start(client, run);
  REQUIRE(started.result);
  CHECK(client.argvs()
        == std::vector<Argv>{docker::run_service(run.container),
                             docker::exec_in(run.container.name, {"sh", "-c", "pg_isready -q"}),
                             docker::running_state(run.container.name),
                             docker::exec_in(run.container.name, {"sh", "-c", "pg_isready -q"}),
                             docker::exec_in(run.container.name, {"createdb", "--", "extra"})});
  const auto calls = client.calls();
  CHECK(calls[1].stderr_mode == os::Stderr::discard);
  CHECK(calls[4].stderr_mode == os::Stderr::merge);
}

TEST_CASE("service start: not ready in time: what is missing and the last log lines", "[docker][service]")
{
  auto run = db_service();
  run.ready.log = "ready";
  run.ready.timeout = std::chrono::seconds(0);
  test::FakeClient client;
  client.on(docker::run_service(run.container), ok("c0ffee\n"));
  client.on(docker::logs(run.container.name, -1), ok("starting\nstill starting\n"));
  client.on(docker::running_state(run.container.name), ok("true 0\n"));
  client.on(docker::logs(run.container.name, 50), ok("starting\nstill starting\n"));
  const auto started = start(client, run);
  REQUIRE_FALSE(started.result);
  CHECK(started.result.error()
        == "service 'db' was not ready after 0 s: waiting for log /ready/ 1 time: log /ready/ "
           "matched 0 of 1 times\nlast 50 log lines of db:\n  | starting\n  | still starting\n");
}

TEST_CASE("service start: a container that exits first is an error with its exit code", "[docker][service]")
{
  const LoopbackPort closed(false);
  auto run = db_service();
  run.ready.port = closed.port();
  test::FakeClient client;
  client.on(docker::run_service(run.container), ok("c0ffee\n"));
  client.on(docker::container_ip(run.container.name, "drydock-r1"), ok("127.0.0.1\n"));
  client.on(docker::running_state(run.container.name), ok("false 3\n"));
  client.on(docker::logs(run.container.name, 50), ok(""));
  const auto started = start(client, run);
  REQUIRE_FALSE(started.result);
  CHECK(started.result.error()
        == fmt::format("service 'db' exited (code 3) before it was ready (port {} not accepting "
                       "connections)\nlast log lines of db:\n  (no log lines)\n",
                       closed.port()));
}

TEST_CASE("service start: docker run or an after-ready command failing is an error with its output", "[docker]["
                                                                                                     "service]")
{
  auto run = db_service();
  test::FakeClient client;
  SECTION("docker run")
  {
    client.on(docker::run_service(run.container), exits(125, "docker: Error response from daemon: Conflict.\n"));
    const auto started = start(client, run);
    REQUIRE_FALSE(started.result);
    CHECK(started.result.error() == "service 'db' did not start: docker: Error response from daemon: Conflict.\n");
    CHECK(client.call_count() == 1);
  }
  SECTION("no docker client")
  {
    client.on(docker::run_service(run.container), test::cannot_run("'docker' is not on PATH"));
    CHECK(start(client, run).result.error() == "service 'db' did not start: 'docker' is not on PATH");
  }
  SECTION("after ready")
  {
    run.after_ready = {{"createdb", "--", "extra"}};
    client.on(docker::run_service(run.container), ok("c0ffee\n"));
    client.on(docker::exec_in(run.container.name, {"createdb", "--", "extra"}), exits(1, "createdb: error: exists\n"));
    const auto started = start(client, run);
    REQUIRE_FALSE(started.result);
    CHECK(started.result.error() == "service 'db': `createdb -- extra` failed: createdb: error: exists\n");
  }
}

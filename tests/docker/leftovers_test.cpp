// What `drydock clean` finds and removes, against a fake client: the
// labelled resources, whose owners are gone, and the removal's order and
// messages.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "docker/commands.hpp"
#include "docker/fake_client.hpp"
#include "docker/leftovers.hpp"
#include "exec/run_fixture.hpp"

using namespace drydock;
using test::exits;
using test::ok;
namespace fs = std::filesystem;

namespace {

// This test process as an owner, and as the owner it would be had its pid
// been reused (another start time): alive and gone.
std::string live_owner() { return docker::owner_of(::getpid()); }
std::string dead_owner() { return fmt::format("{}:{}", ::getpid(), docker::process_start_time(::getpid()) + 1); }

std::vector<std::string> ids(const std::vector<docker::Labelled>& items)
{
  std::vector<std::string> out;
  for (const auto& item : items) {
    out.push_back(item.kind + " " + item.id);
  }
  return out;
}

} // namespace

TEST_CASE("leftovers: the labelled containers, networks and volumes, in that order", "[docker][leftovers]")
{
  test::FakeClient client;
  client.on(docker::labelled_containers(), ok("c1 r1 " + dead_owner() + "\nc2 r2 " + live_owner() + "\n"));
  client.on(docker::labelled_networks(), ok("n1 r1 " + dead_owner() + "\n"));
  client.on(docker::labelled_volumes(), ok(""));
  const auto found = docker::labelled_resources(client);
  REQUIRE(found);
  CHECK(ids(*found) == std::vector<std::string>{"container c1", "container c2", "network n1"});
  CHECK(client.argvs()
        == std::vector<docker::Argv>{docker::labelled_containers(), docker::labelled_networks(),
                                     docker::labelled_volumes()});
  for (const auto& call : client.calls()) {
    CHECK(call.stderr_mode == os::Stderr::merge); // docker's complaint is the message
  }
}

TEST_CASE("leftovers: no engine: the first line of what docker said", "[docker][leftovers]")
{
  test::FakeClient client;
  SECTION("docker fails")
  {
    client.on(docker::labelled_containers(), ok(""));
    client.on(docker::labelled_networks(), exits(1, "Cannot connect to the Docker daemon at "
                                                    "unix:///var/run/docker.sock. Is the docker daemon "
                                                    "running?\nsee 'docker --help'\n"));
    const auto found = docker::labelled_resources(client);
    REQUIRE_FALSE(found);
    CHECK(found.error()
          == "cannot list drydock's networks: Cannot connect to the Docker daemon at "
             "unix:///var/run/docker.sock. Is the docker daemon running?");
    CHECK(client.call_count() == 2);
  }
  SECTION("no docker client")
  {
    client.on({"docker"}, test::cannot_run("'docker' is not on PATH"));
    CHECK(docker::labelled_resources(client).error() == "cannot list drydock's containers: 'docker' is not on PATH");
  }
}

TEST_CASE("leftovers: those of dead owners are selected, live runs' kept unless all", "[docker][leftovers]")
{
  test::FakeClient client;
  client.on(docker::labelled_containers(), ok("c1 r1 " + dead_owner() + "\nc2 r2 " + live_owner() + "\nc3 r3 0\n"));
  client.on(docker::labelled_networks(), ok("n2 r2 " + live_owner() + "\n"));
  client.on(docker::labelled_volumes(), ok("v1 r1 " + dead_owner() + "\n"));
  const auto found = docker::labelled_resources(client).value();
  const auto selected = docker::select_leftovers(found, false);
  CHECK(ids(selected.leftovers) == std::vector<std::string>{"container c1", "container c3", "volume v1"});
  CHECK(selected.kept == 2);
  const auto all = docker::select_leftovers(found, true);
  CHECK(all.leftovers.size() == 5);
  CHECK(all.kept == 0);
}

TEST_CASE("leftovers: removed containers first, then networks, volumes and credentials", "[docker][leftovers]")
{
  test::ScratchDir dir;
  const auto credentials = dir.path() / "drydock-docker-config-abc";
  fs::create_directories(credentials);
  std::ofstream(credentials / "config.json") << "{}";
  const std::string long_id(70, 'f');
  const std::vector<docker::Labelled> items{{"credentials", credentials.string(), "", 1, 0},
                                            {"volume", "v1", "r2", 1, 0},
                                            {"network", "n1", "r1", 1, 0},
                                            {"container", long_id, "r1", 1, 0}};
  test::FakeClient client;
  client.on(docker::remove_containers({long_id}), ok());
  client.on(docker::remove_networks({"n1"}), exits(1, "Error: network n1 has active endpoints\n"));
  client.on(docker::remove_volumes({"v1"}), ok());
  std::vector<std::string> lines;
  const int failed = docker::remove_resources(client, items,
                                              [&lines](const std::string& line) { lines.push_back(line); });
  CHECK(failed == 1);
  CHECK(client.argvs()
        == std::vector<docker::Argv>{docker::remove_containers({long_id}), docker::remove_networks({"n1"}),
                                     docker::remove_volumes({"v1"})});
  CHECK(lines
        == std::vector<std::string>{"removed container " + std::string(64, 'f') + " (run r1)",
                                    "could not remove network n1 (run r1)", "removed volume v1 (run r2)",
                                    "removed credentials " + credentials.string()});
  CHECK_FALSE(fs::exists(credentials));
}

TEST_CASE("clean takes only real directories of its own user from a folder every user may write to", "[clean]")
{
  test::ScratchDir dir;
  const fs::path root(dir.path());
  fs::create_directory(root / "drydock-postgres-mine");
  fs::create_directory(root / "elsewhere");
  fs::create_directory_symlink(root / "elsewhere", root / "drydock-postgres-link");
  std::ofstream((root / "drydock-postgres-file").string()) << "not a directory";
  if (::geteuid() == 0) { // a directory of another user: nobody's
    fs::create_directory(root / "drydock-postgres-theirs");
    REQUIRE(::chown((root / "drydock-postgres-theirs").c_str(), 65534, 65534) == 0);
  }
  std::vector<std::string> found;
  for (const auto& item : docker::owned_directories(root.string())) {
    found.push_back(fs::path(item.id).filename().string());
  }
  CHECK(found == std::vector<std::string>{"drydock-postgres-mine"});
}

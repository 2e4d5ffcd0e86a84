#include <catch2/catch.hpp>

#include <filesystem>

#include "services/postgres_cluster.hpp"

using namespace drydock;
using Strings = std::vector<std::string>;

TEST_CASE("the cluster trusts the socket, loopback and the bridge subnet only", "[services]")
{
  CHECK(services::hba_text("172.17.0.0/16")
        == "# drydock: a throwaway cluster; trust on the socket, loopback and the Docker bridge only\n"
           "local all all trust\n"
           "host all all 127.0.0.1/32 trust\n"
           "host all all 172.17.0.0/16 trust\n");
  CHECK(services::hba_text("").find("172.17") == std::string::npos);
  const services::ClusterSpec spec{"/tmp/pg", 5433, {"127.0.0.1", "172.17.0.1"}, "", "u", {}};
  const auto settings = services::settings_text(spec);
  CHECK(settings.find("listen_addresses = '127.0.0.1,172.17.0.1'\n") != std::string::npos);
  CHECK(settings.find("port = 5433\n") != std::string::npos);
  CHECK(settings.find("unix_socket_directories = '/tmp/pg/socket'\n") != std::string::npos);
}

TEST_CASE("database URLs encode the user and database names", "[services]")
{
  CHECK(services::database_url("ubuntu", "postgresdb", 5432, "circle_test")
        == "postgres://ubuntu@postgresdb:5432/circle_test");
  CHECK(services::database_url("a b", "h", 1, "d/x") == "postgres://a%20b@h:1/d%2Fx");
  CHECK(services::free_port() > 0);
}

TEST_CASE("a run's cluster goes to TMPDIR when set, else to /dev/shm when it is a tmpfs with room", "[services]")
{
  using services::FolderSpace;
  constexpr auto room = services::kMemoryClusterRoom;
  const FolderSpace roomy_memory{true, room};
  CHECK(services::cluster_parent_dir(std::string("/scratch"), roomy_memory) == "/scratch");
  CHECK(services::cluster_parent_dir(std::nullopt, roomy_memory) == "/dev/shm");
  CHECK(services::cluster_parent_dir(std::string(), roomy_memory) == "/dev/shm"); // TMPDIR= counts as unset
  // A container's /dev/shm (64 MB by default) is too small; a disk is not memory.
  CHECK(services::cluster_parent_dir(std::nullopt, FolderSpace{true, room - 1}) == "/tmp");
  CHECK(services::cluster_parent_dir(std::nullopt, FolderSpace{false, room * 8}) == "/tmp");
  CHECK(services::cluster_parent_dir(std::nullopt, std::nullopt) == "/tmp");
}

TEST_CASE("drydock clean looks for clusters in TMPDIR and in /dev/shm", "[services]")
{
  const auto dirs = services::cluster_parent_dirs(std::string("/scratch"));
  REQUIRE_FALSE(dirs.empty());
  CHECK(dirs.front() == "/scratch");
  CHECK(dirs.size() == (std::filesystem::is_directory("/dev/shm") ? 2U : 1U));
  CHECK(services::cluster_parent_dirs(std::nullopt).front() == "/tmp");
}

TEST_CASE("folder_space tells a tmpfs from a disk", "[services]")
{
  const auto tmp = services::folder_space(std::filesystem::temp_directory_path().string());
  REQUIRE(tmp);
  CHECK(tmp->free_bytes > 0);
  CHECK_FALSE(services::folder_space("/no/such/folder"));
  if (std::filesystem::is_directory("/dev/shm")) {
    const auto shm = services::folder_space("/dev/shm");
    REQUIRE(shm);
    CHECK(shm->memory);
  }
}

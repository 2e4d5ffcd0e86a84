#include <catch2/catch.hpp>

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

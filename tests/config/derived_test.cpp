#include <catch2/catch.hpp>

#include "config/derived.hpp"
#include "test_support.hpp"

using namespace drydock;
using Strings = std::vector<std::string>;

TEST_CASE("machine.services: postgresql alone gives CircleCI's database defaults", "[config]")
{
  const auto config = test::load("machine:\n  services: [postgresql]\n");
  const auto database = config::effective_database(config);
  REQUIRE(database);
  CHECK(database->provider == config::DatabaseProvider::cluster);
  CHECK(database->user == "ubuntu");
  REQUIRE(database->databases.size() == 1);
  CHECK(database->databases[0].value == "circle_test");
  CHECK(database->alias == "postgresdb");
  CHECK_FALSE(config::effective_database(test::load("machine:\n  services: [redis]\n")));
  CHECK_FALSE(config::uses_docker(test::load("machine:\n  services: [postgresql]\n")));
  CHECK(config::uses_docker(test::load("machine:\n  services: [docker]\n")));
  CHECK(config::uses_docker(test::load("drydock:\n  services:\n    cache: {image: redis}\n")));
  CHECK(config::uses_docker(test::load("drydock:\n  database: {provider: container}\n")));
}

TEST_CASE("an image's cache directory counts as a cache directory", "[config]")
{
  const auto config = test::load(R"(dependencies:
  cache_directories: [vendor/bundle, ~/docker-images]
drydock:
  images:
    app: {repository: a/app, cache_dir: ~/docker-images}
    tool: {repository: a/tool}
)");
  CHECK(config::cache_directories(config) == Strings{"vendor/bundle", "~/docker-images", "~/.cache/drydock/images"});
}

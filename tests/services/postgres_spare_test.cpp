#include <catch2/catch.hpp>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "exec/run_fixture.hpp"
#include "services/postgres_spare.hpp"
#include "test_support.hpp"

using namespace drydock;
namespace fs = std::filesystem;

TEST_CASE("a spare is copied in process with its files, links and modes", "[services][spare]")
{
  test::ScratchDir scratch;
  const fs::path from = scratch.path() / "from";
  fs::create_directories(from / "base" / "1");
  std::ofstream(from / "base" / "1" / "1259") << "pages";
  std::ofstream(from / "PG_VERSION") << "15\n";
  fs::create_symlink("base/1", from / "link");
  fs::permissions(from, fs::perms::owner_all);
  fs::permissions(from / "PG_VERSION", fs::perms::owner_read);
  const std::atomic<bool> go{false};
  REQUIRE(services::copy_tree(from.string(), (scratch.path() / "to").string(), go));
  const fs::path to = scratch.path() / "to";
  CHECK(test::read_text(to / "base" / "1" / "1259") == "pages");
  CHECK(test::read_text(to / "PG_VERSION") == "15\n");
  CHECK(fs::read_symlink(to / "link") == "base/1");
  CHECK(fs::status(to).permissions() == fs::perms::owner_all);
  CHECK(fs::status(to / "PG_VERSION").permissions() == fs::perms::owner_read);

  const std::atomic<bool> stop{true};
  const auto stopped = services::copy_tree(from.string(), (scratch.path() / "cut").string(), stop);
  REQUIRE_FALSE(stopped);
  CHECK(stopped.error() == "stopped");
  const auto missing = services::copy_tree((scratch.path() / "none").string(), (scratch.path() / "x").string(), go);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().starts_with("cannot read "));
}

TEST_CASE("a template's spare waits in this user's own folder beside the cluster folders", "[services][spare]")
{
  const std::string mine = "/dev/shm/drydock-spares-" + std::to_string(::geteuid());
  CHECK(services::spare_root("/dev/shm") == mine);
  CHECK(services::spare_dir("/dev/shm", "pg15-0123456789abcdef") == mine + "/pg15-0123456789abcdef");
}

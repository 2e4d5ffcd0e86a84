// The SQLite store's own behavior: its file, its folder, its schema
// version. What every store does is in store_contract_test.cpp.
#include "agent/store_contract.hpp"

#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "util/file.hpp"

using namespace drydock;
using namespace drydock::agent;
using namespace drydock::agent::testing;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir()
  {
    std::string templ = (fs::path(util::temp_dir()) / "drydock-store-test.XXXXXX").string();
    path = ::mkdtemp(templ.data());
  }
  ~TempDir()
  {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

std::unique_ptr<Store> open_store(const fs::path& path)
{
  auto store = open_sqlite_store(path.string());
  INFO((store ? std::string() : store.error()));
  REQUIRE(store);
  return std::move(*store);
}

// The contract cases' database: DIR/agent.db in a folder of their own.
class SqliteMaker final : public StoreMaker {
public:
  std::unique_ptr<Store> open() override { return open_store(m_dir.path / "agent.db"); }

private:
  TempDir m_dir;
};

} // namespace

std::unique_ptr<StoreMaker> drydock::agent::testing::make_sqlite_maker() { return std::make_unique<SqliteMaker>(); }

TEST_CASE("the store's folder is created private", "[agent][store]")
{
  TempDir dir;
  const auto folder = dir.path / "state" / "agent";
  open_store(folder / "agent.db");
  struct stat info {};
  REQUIRE(::stat(folder.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0700);
}

TEST_CASE("a database of a newer schema is not opened", "[agent][store]")
{
  TempDir dir;
  const auto path = dir.path / "agent.db";
  open_store(path);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  CHECK(sqlite3_exec(db, "PRAGMA user_version = 7", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);

  auto store = open_sqlite_store(path.string());
  REQUIRE_FALSE(store);
  CHECK(store.error() == "the agent database " + path.string() + " has schema version 7; this drydock knows up to 1");
}

TEST_CASE("a file that is not a database is an error, not an exception", "[agent][store]")
{
  TempDir dir;
  const auto path = dir.path / "agent.db";
  std::ofstream(path) << std::string(4096, 'x');
  auto store = open_sqlite_store(path.string());
  REQUIRE_FALSE(store);
  CHECK_THAT(store.error(), Catch::Contains(path.string()) && Catch::Contains("not a database"));
}

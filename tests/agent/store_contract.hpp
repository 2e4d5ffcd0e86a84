#pragma once
// What every Store must do, whatever its database: the contract cases
// (store_contract_test.cpp) run on SQLite always and on PostgreSQL under
// [.pgstore] (tests/integration/agent_postgres_test.sh gives them a server).
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "agent/store.hpp"

namespace drydock::agent::testing {

// A case's own database, fresh: a file in a temporary folder, or a
// PostgreSQL database created for the case and dropped after it.
class StoreMaker {
public:
  virtual ~StoreMaker() = default;
  // Another store (another connection) over the case's database.
  virtual std::unique_ptr<Store> open() = 0;
};

std::unique_ptr<StoreMaker> make_sqlite_maker();   // sqlite_store_test.cpp
std::unique_ptr<StoreMaker> make_postgres_maker(); // postgres_store_test.cpp; needs DRYDOCK_TEST_PG_URL

// A store with the repositories "app" and "lib".
inline std::unique_ptr<Store> open_with_repos(StoreMaker& maker)
{
  auto store = maker.open();
  REQUIRE(store->add_repo("app", "https://example.com/org/app.git"));
  REQUIRE(store->add_repo("lib", "https://example.com/org/lib.git"));
  return store;
}

inline std::string sha_of(char digit) { return std::string(40, digit); }

inline BuildRequest request(const std::string& repo, const std::string& branch, char digit = 'a')
{
  return {repo, "refs/heads/" + branch, sha_of(digit), "Ada", "Fix the thing", "push"};
}

inline Build enqueued(Store& store, const BuildRequest& req, bool coalesce = false, std::int64_t now = 1000)
{
  auto build = store.enqueue(req, coalesce, now);
  INFO((build ? std::string() : build.error()));
  REQUIRE(build);
  return *build;
}

inline Build claimed(Store& store, const std::string& agent, std::int64_t now = 2000, std::int64_t lease = 60000)
{
  auto build = store.claim(agent, now, lease);
  INFO((build ? std::string() : build.error()));
  REQUIRE(build);
  REQUIRE(build->has_value());
  return **build;
}

inline Build stored(Store& store, std::int64_t id)
{
  auto build = store.get(id);
  INFO((build ? std::string() : build.error()));
  REQUIRE(build);
  REQUIRE(build->has_value());
  return **build;
}

inline std::vector<std::int64_t> ids_of(const std::vector<Build>& builds)
{
  std::vector<std::int64_t> ids;
  for (const auto& build : builds) {
    ids.push_back(build.id);
  }
  return ids;
}

// The ids listed with the filter `set` makes (designated initializers
// would warn of the fields they leave out).
template <typename Set>
std::vector<std::int64_t> listed(Store& store, Set set)
{
  BuildFilter filter;
  set(filter);
  auto builds = store.list(filter);
  INFO((builds ? std::string() : builds.error()));
  REQUIRE(builds);
  return ids_of(*builds);
}

inline std::vector<std::int64_t> listed(Store& store)
{
  return listed(store, [](BuildFilter&) {});
}

} // namespace drydock::agent::testing

// A contract case: its body, `function(StoreMaker& maker)`, runs as NAME on
// SQLite and as "postgres: NAME" on PostgreSQL (hidden: [.pgstore]).
#define STORE_CASE(function, name)                                                                                     \
  static void function(drydock::agent::testing::StoreMaker& maker);                                                    \
  TEST_CASE(name, "[agent][store]")                                                                                    \
  {                                                                                                                    \
    auto maker = drydock::agent::testing::make_sqlite_maker();                                                         \
    function(*maker);                                                                                                  \
  }                                                                                                                    \
  TEST_CASE("postgres: " name, "[.pgstore]")                                                                           \
  {                                                                                                                    \
    auto maker = drydock::agent::testing::make_postgres_maker();                                                       \
    function(*maker);                                                                                                  \
  }                                                                                                                    \
  static void function([[maybe_unused]] drydock::agent::testing::StoreMaker& maker)

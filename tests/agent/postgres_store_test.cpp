// The PostgreSQL store's own behavior, on a real server ([.pgstore]:
// tests/integration/agent_postgres_test.sh starts one and sets
// DRYDOCK_TEST_PG_URL, a conninfo without dbname). Each case has a database
// of its own, created through a maintenance connection and dropped after.
// The URL masking needs no server.
#include "agent/store_contract.hpp"

#include <libpq-fe.h>

#include <fmt/format.h>

#include <cstdlib>
#include <random>
#include <string_view>
#include <thread>

using namespace drydock;
using namespace drydock::agent;
using namespace drydock::agent::testing;

namespace {

struct ConnectionDeleter {
  void operator()(PGconn* connection) const { PQfinish(connection); }
};
using Connection = std::unique_ptr<PGconn, ConnectionDeleter>;

Connection connect(const std::string& conninfo)
{
  Connection connection(PQconnectdb(conninfo.c_str()));
  INFO(PQerrorMessage(connection.get()));
  REQUIRE(PQstatus(connection.get()) == CONNECTION_OK);
  return connection;
}

// Runs constant SQL (or SQL with a name we made) on a plain connection.
std::string exec(PGconn* connection, const std::string& sql)
{
  PGresult* result = PQexec(connection, sql.c_str());
  const auto status = PQresultStatus(result);
  const std::string value = status == PGRES_TUPLES_OK && PQntuples(result) > 0 ? PQgetvalue(result, 0, 0) : "";
  const std::string error = PQresultErrorMessage(result);
  PQclear(result);
  INFO(sql << ": " << error);
  REQUIRE((status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK));
  return value;
}

std::string server_url()
{
  const char* url = std::getenv("DRYDOCK_TEST_PG_URL");
  if (url == nullptr || *url == '\0') {
    FAIL("DRYDOCK_TEST_PG_URL is not set: run tests/integration/agent_postgres_test.sh");
  }
  return url;
}

std::string random_name()
{
  std::random_device random;
  return fmt::format("drydock_test_{:08x}{:08x}", random(), random());
}

class PostgresMaker final : public StoreMaker {
public:
  PostgresMaker() : m_server(server_url()), m_name(random_name()), m_url(m_server + " dbname=" + m_name)
  {
    exec(connect(m_server).get(), "CREATE DATABASE " + m_name);
  }
  ~PostgresMaker() override
  {
    // No REQUIRE here: a destructor must not throw.
    Connection admin(PQconnectdb(m_server.c_str()));
    PQclear(PQexec(admin.get(), ("DROP DATABASE IF EXISTS " + m_name + " WITH (FORCE)").c_str()));
  }
  PostgresMaker(const PostgresMaker&) = delete;
  PostgresMaker& operator=(const PostgresMaker&) = delete;

  std::unique_ptr<Store> open() override
  {
    auto store = open_postgres_store(m_url);
    INFO((store ? std::string() : store.error()));
    REQUIRE(store);
    return std::move(*store);
  }
  const std::string& url() const { return m_url; }
  // A plain connection to the case's database, for what a store cannot do.
  Connection connection() const { return connect(m_url); }

private:
  std::string m_server;
  std::string m_name;
  std::string m_url;
};

} // namespace

std::unique_ptr<StoreMaker> drydock::agent::testing::make_postgres_maker() { return std::make_unique<PostgresMaker>(); }

TEST_CASE("postgres: a database of a newer schema is not opened", "[.pgstore]")
{
  PostgresMaker maker;
  maker.open();
  exec(maker.connection().get(), "UPDATE drydock_schema SET version = 7");
  auto store = open_postgres_store(maker.url());
  REQUIRE_FALSE(store);
  CHECK(store.error() == "the agent database " + maker.url() + " has schema version 7; this drydock knows up to 1");
}

TEST_CASE("postgres: agents starting at once migrate the schema once", "[.pgstore]")
{
  PostgresMaker maker;
  std::vector<Result<std::unique_ptr<Store>>> opened(4);
  {
    std::vector<std::jthread> threads;
    for (auto& store : opened) {
      threads.emplace_back([&] { store = open_postgres_store(maker.url()); });
    }
  }
  for (const auto& store : opened) {
    INFO((store ? std::string() : store.error()));
    CHECK(store);
  }
  auto connection = maker.connection();
  CHECK(exec(connection.get(), "SELECT count(*) FROM drydock_schema") == "1");
  CHECK(exec(connection.get(), "SELECT version FROM drydock_schema") == "1");
  CHECK(exec(connection.get(), "SELECT application_name FROM pg_stat_activity WHERE datname = current_database() "
                               "AND pid <> pg_backend_pid() LIMIT 1")
        == "drydock-agent");
}

TEST_CASE("postgres: a claim skips the build another agent is claiming", "[.pgstore]")
{
  PostgresMaker maker;
  auto store = open_with_repos(maker);
  const auto held = enqueued(*store, request("app", "main"));
  const auto next = enqueued(*store, request("app", "dev"));
  auto other = maker.connection();
  exec(other.get(), "BEGIN");
  exec(other.get(), fmt::format("SELECT id FROM builds WHERE id = {} FOR UPDATE", held.id));

  CHECK(claimed(*store, "a/1").id == next.id);
  auto none = store->claim("a/1", 2000, 100);
  REQUIRE(none);
  CHECK_FALSE(none->has_value());
  exec(other.get(), "ROLLBACK");
  CHECK(claimed(*store, "a/1").id == held.id);
}

TEST_CASE("postgres: a lost connection is reset; a read runs again, a claim does not", "[.pgstore]")
{
  PostgresMaker maker;
  auto store = open_with_repos(maker);
  const auto build = enqueued(*store, request("app", "main"));
  auto admin = maker.connection();
  const std::string kill_agents = "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity WHERE "
                                  "datname = current_database() AND application_name = 'drydock-agent'";
  REQUIRE(exec(admin.get(), kill_agents) == "1");
  CHECK(stored(*store, build.id).status == BuildStatus::queued);

  REQUIRE(exec(admin.get(), kill_agents) == "1");
  auto lost = store->claim("a/1", 2000, 100);
  REQUIRE_FALSE(lost);
  CHECK_THAT(lost.error(), Catch::StartsWith("could not claim a build in the agent database " + maker.url() + ": "));
  CHECK(claimed(*store, "a/1").id == build.id);
}

namespace {

// The value of `key` in a conninfo, empty when it has none.
std::string conninfo_value(const std::string& conninfo, std::string_view key)
{
  std::string value;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), nullptr);
  for (auto* option = options; option != nullptr && option->keyword != nullptr; ++option) {
    if (key == option->keyword && option->val != nullptr) {
      value = option->val;
    }
  }
  PQconninfoFree(options);
  return value;
}

} // namespace

TEST_CASE("postgres: a postgresql:// URL opens the store as well", "[.pgstore]")
{
  PostgresMaker maker;
  const auto id = enqueued(*open_with_repos(maker), request("app", "main")).id;
  const std::string host = conninfo_value(maker.url(), "host");
  const std::string port = conninfo_value(maker.url(), "port");
  const std::string user = conninfo_value(maker.url(), "user");
  const std::string dbname = conninfo_value(maker.url(), "dbname");
  // A socket's folder goes in the query (a path is not a host name).
  const std::string url = host.starts_with("/")
                              ? fmt::format("postgresql://{}@/{}?host={}&port={}", user, dbname, host, port)
                              : fmt::format("postgresql://{}@{}:{}/{}", user, host, port, dbname);
  auto store = open_postgres_store(url);
  INFO(url << ": " << (store ? std::string() : store.error()));
  REQUIRE(store);
  CHECK(stored(**store, id).repo == "app");
}

TEST_CASE("postgres: a server that cannot be reached is an error that hides the password", "[agent][store]")
{
  const std::string url = "host=/nonexistent/drydock-test port=1 user=ci password=s3cret dbname=ci";
  auto store = open_postgres_store(url);
  REQUIRE_FALSE(store);
  CHECK_THAT(store.error(), Catch::StartsWith("cannot open the agent database host=/nonexistent/drydock-test port=1 "
                                              "user=ci "
                                              "password=*** dbname=ci: "));
  CHECK_THAT(store.error(), !Catch::Contains("s3cret") && !Catch::Contains("\n"));

  auto by_url = open_postgres_store("postgresql://ci:s3cret@/ci?host=/nonexistent/drydock-test&port=1");
  REQUIRE_FALSE(by_url);
  CHECK_THAT(by_url.error(), Catch::StartsWith("cannot open the agent database "
                                               "postgresql://ci:***@/ci?host=/nonexistent/drydock-test&port=1: ")
                                 && !Catch::Contains("s3cret"));
}

TEST_CASE("a database URL is shown with its password masked", "[agent][store]")
{
  CHECK(mask_database_url("postgresql://ci:s3cret@db.example.com:5432/drydock")
        == "postgresql://ci:***@db.example.com:5432/drydock");
  CHECK(mask_database_url("postgres://ci:p@ss/w?rd@db/drydock") == "postgres://ci:***@db/drydock");
  CHECK(mask_database_url("postgresql://ci@db/drydock") == "postgresql://ci@db/drydock");
  CHECK(mask_database_url("postgresql://db:5432/drydock") == "postgresql://db:5432/drydock");
  CHECK(mask_database_url("postgresql:///drydock?host=/run/pg&password=s3cret&sslmode=require")
        == "postgresql:///drydock?host=/run/pg&password=***&sslmode=require");
  CHECK(mask_database_url("postgresql://db/drydock?password=s3cret") == "postgresql://db/drydock?password=***");
  CHECK(mask_database_url("host=db user=ci password=s3cret dbname=drydock")
        == "host=db user=ci password=*** dbname=drydock");
  CHECK(mask_database_url("host=db password = 'se cr\\'et' dbname=drydock") == "host=db password = *** dbname=drydock");
  CHECK(mask_database_url("password=s3cret") == "password=***");
  CHECK(mask_database_url("host=db dbname=drydock") == "host=db dbname=drydock");
  CHECK(mask_database_url("") == "");
}

TEST_CASE("postgres: two agents polling one repository store its heads at once", "[.pgstore]")
{
  PostgresMaker maker;
  open_with_repos(maker);
  std::vector<std::unique_ptr<Store>> stores;
  stores.push_back(maker.open());
  stores.push_back(maker.open());
  std::vector<std::string> errors(2);
  {
    std::vector<std::jthread> threads;
    for (std::size_t t = 0; t < 2; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 100 && errors[t].empty(); ++i) {
          const std::map<std::string, std::string> heads{{"refs/heads/main", sha_of(t == 0 ? 'a' : 'b')},
                                                         {fmt::format("refs/heads/t{}", t), sha_of('c')}};
          auto stored_heads = stores[t]->set_heads("app", heads);
          errors[t] = stored_heads ? "" : stored_heads.error();
        }
      });
    }
  }
  CHECK(errors[0].empty());
  CHECK(errors[1].empty());
  INFO(errors[0] << errors[1]);
  auto heads = stores[0]->heads("app");
  REQUIRE(heads);
  CHECK(heads->size() == 2);
}

TEST_CASE("postgres: a value with a NUL byte is refused, not cut short", "[.pgstore]")
{
  PostgresMaker maker;
  auto store = open_with_repos(maker);
  auto req = request("app", "main");
  req.title = std::string("Fix\0it", 6);
  auto build = store->enqueue(req, false, 1000);
  REQUIRE_FALSE(build);
  CHECK(build.error() == "could not queue a build in the agent database " + maker.url() + ": a value holds a NUL byte");
  CHECK(listed(*store).empty());
}

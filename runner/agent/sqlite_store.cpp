// The agent's store over SQLite: one connection per Store, guarded by a
// mutex; WAL so the web UI reads while a build is claimed. Every write that
// reads first runs in BEGIN IMMEDIATE (or is one statement), so two agents
// on one file never take the same number or build.
#include <sqlite3.h>
#include <sys/stat.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "agent/store.hpp"

namespace drydock::agent {
namespace {

// Each migration takes the schema from its index to the next version; its
// last statement records that version. Append only: never edit one.
constexpr std::array<std::string_view, 1> kMigrations{{
    R"sql(
CREATE TABLE repos (
  name TEXT PRIMARY KEY NOT NULL,
  url TEXT NOT NULL DEFAULT '',
  last_number INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE builds (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  repo TEXT NOT NULL REFERENCES repos(name),
  number INTEGER NOT NULL,
  ref TEXT NOT NULL,
  sha TEXT NOT NULL,
  author TEXT NOT NULL DEFAULT '',
  title TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL CHECK (status IN
    ('queued', 'running', 'success', 'failed', 'error', 'canceled', 'interrupted')),
  agent TEXT NOT NULL DEFAULT '',
  queued_at INTEGER NOT NULL DEFAULT 0,
  started_at INTEGER NOT NULL DEFAULT 0,
  finished_at INTEGER NOT NULL DEFAULT 0,
  lease_until INTEGER NOT NULL DEFAULT 0,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  exit_code INTEGER NOT NULL DEFAULT 0,
  message TEXT NOT NULL DEFAULT '',
  dir TEXT NOT NULL DEFAULT '',
  UNIQUE (repo, number)
);
CREATE INDEX builds_by_status ON builds (status, id);
CREATE INDEX builds_by_repo ON builds (repo, id);
CREATE TABLE heads (
  repo TEXT NOT NULL REFERENCES repos(name),
  ref TEXT NOT NULL,
  sha TEXT NOT NULL,
  PRIMARY KEY (repo, ref)
);
PRAGMA user_version = 1;
)sql",
}};

constexpr int kKnownVersion = static_cast<int>(kMigrations.size());
constexpr int kMaxLimit = 500;

// The columns read_build expects, in its order. A macro so that every
// statement stays one string literal: constant text, values only bound.
#define DRYDOCK_BUILD_COLUMNS                                                                                          \
  " id, repo, number, ref, sha, author, title, reason, status, agent, queued_at, started_at, finished_at, "            \
  "lease_until, cancel_requested, exit_code, message, dir "

constexpr const char* kAddRepo = "INSERT INTO repos (name, url) VALUES (?1, ?2) "
                                 "ON CONFLICT (name) DO UPDATE SET url = excluded.url";
// The newest queued build of the ref takes the new commit.
constexpr const char* kCoalesce = "UPDATE builds SET sha = ?3, author = ?4, title = ?5, reason = ?6 WHERE id = "
                                  "(SELECT id FROM builds WHERE repo = ?1 AND ref = ?2 AND status = 'queued' ORDER BY "
                                  "id DESC LIMIT 1) "
                                  "RETURNING" DRYDOCK_BUILD_COLUMNS;
constexpr const char* kNextNumber = "UPDATE repos SET last_number = last_number + 1 WHERE name = ?1 RETURNING "
                                    "last_number";
constexpr const char* kInsertBuild =
    "INSERT INTO builds (repo, number, ref, sha, author, title, reason, status, queued_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'queued', ?8) RETURNING" DRYDOCK_BUILD_COLUMNS;
// One statement: its write lock is taken before the oldest is chosen.
constexpr const char* kClaim =
    "UPDATE builds SET status = 'running', agent = ?1, started_at = ?2, lease_until = ?3 WHERE id = "
    "(SELECT id FROM builds WHERE status = 'queued' AND (json_array_length(?4) = 0 OR repo IN (SELECT value FROM "
    "json_each(?4))) ORDER BY id LIMIT 1) RETURNING" DRYDOCK_BUILD_COLUMNS;
constexpr const char* kHeartbeat = "UPDATE builds SET lease_until = ?2 WHERE agent = ?1 AND status = 'running'";
constexpr const char* kRepoUrl = "SELECT url FROM repos WHERE name = ?1";
constexpr const char* kSetDir = "UPDATE builds SET dir = ?2 WHERE id = ?1";
constexpr const char* kDescribe = "UPDATE builds SET author = ?2, title = ?3 WHERE id = ?1 AND author = '' AND title = "
                                  "''";
constexpr const char* kFinish = "UPDATE builds SET status = ?2, exit_code = ?3, message = ?4, finished_at = ?5, "
                                "lease_until = 0 WHERE id = ?1 AND status = 'running'";
constexpr const char* kCancelQueued = "UPDATE builds SET status = 'canceled', finished_at = ?2, "
                                      "message = 'canceled before it started' WHERE id = ?1 AND status = 'queued'";
constexpr const char* kCancelRunning = "UPDATE builds SET cancel_requested = 1 WHERE id = ?1 AND status = 'running'";
constexpr const char* kCancelRequests = "SELECT id FROM builds WHERE agent = ?1 AND status = 'running' "
                                        "AND cancel_requested = 1 ORDER BY id";
// substr, not LIKE: an agent's name may hold % or _.
constexpr const char* kStranded = "SELECT" DRYDOCK_BUILD_COLUMNS
                                  "FROM builds WHERE status = 'running' AND (lease_until < ?1 OR "
                                  "(substr(agent, 1, length(?2)) = ?2 AND agent <> ?3)) ORDER BY id";
constexpr const char* kInterrupt = "UPDATE builds SET status = ?2, message = ?3, finished_at = ?4, lease_until = 0 "
                                   "WHERE id = ?1 RETURNING" DRYDOCK_BUILD_COLUMNS;
constexpr const char* kRequeue = "UPDATE builds SET status = 'queued', agent = '', started_at = 0, lease_until = 0 "
                                 "WHERE id = ?1 RETURNING" DRYDOCK_BUILD_COLUMNS;
constexpr const char* kGet = "SELECT" DRYDOCK_BUILD_COLUMNS "FROM builds WHERE id = ?1";
// Two texts so that a repository's list walks its (repo, id) index.
constexpr const char* kListAll = "SELECT" DRYDOCK_BUILD_COLUMNS
                                 "FROM builds WHERE (?1 IS NULL OR ref = ?1) AND (?2 IS NULL OR status = ?2) "
                                 "AND (?3 IS NULL OR id < ?3) ORDER BY id DESC LIMIT ?4";
constexpr const char* kListRepo =
    "SELECT" DRYDOCK_BUILD_COLUMNS "FROM builds WHERE repo = ?5 AND (?1 IS NULL OR ref = ?1) "
    "AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR id < ?3) ORDER BY id DESC LIMIT ?4";
constexpr const char* kHeads = "SELECT ref, sha FROM heads WHERE repo = ?1 ORDER BY ref";
constexpr const char* kClearHeads = "DELETE FROM heads WHERE repo = ?1";
constexpr const char* kInsertHead = "INSERT INTO heads (repo, ref, sha) VALUES (?1, ?2, ?3)";
constexpr const char* kUserVersion = "PRAGMA user_version";

#undef DRYDOCK_BUILD_COLUMNS

struct StatementDeleter {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

struct DatabaseDeleter {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DatabasePtr = std::unique_ptr<sqlite3, DatabaseDeleter>;

// A cached statement in use: parameters bound by position, reset (and its
// bindings cleared) when it goes out of scope so the next use starts clean.
class Query {
public:
  explicit Query(sqlite3_stmt* statement) : m_statement(statement) {}
  Query(Query&& other) noexcept : m_statement(std::exchange(other.m_statement, nullptr)), m_rc(other.m_rc) {}
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  Query& operator=(Query&&) = delete;
  ~Query()
  {
    if (m_statement != nullptr) {
      sqlite3_reset(m_statement);
      sqlite3_clear_bindings(m_statement);
    }
  }

  void bind(int index, std::int64_t value) { keep(sqlite3_bind_int64(m_statement, index, value)); }
  void bind(int index, const std::string& value)
  {
    keep(sqlite3_bind_text64(m_statement, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  void bind(int index, std::string_view value) { bind(index, std::string(value)); }
  void bind(int index, const char* value) { bind(index, std::string(value)); }
  template <typename T>
  void bind(int index, const std::optional<T>& value)
  {
    if (value) {
      bind(index, *value);
    } else {
      keep(sqlite3_bind_null(m_statement, index));
    }
  }

  // SQLITE_ROW, SQLITE_DONE or an error (a failed bind's included).
  int step() { return m_rc != SQLITE_OK ? m_rc : sqlite3_step(m_statement); }
  sqlite3_stmt* get() const { return m_statement; }

private:
  void keep(int rc)
  {
    if (m_rc == SQLITE_OK) {
      m_rc = rc;
    }
  }

  sqlite3_stmt* m_statement;
  int m_rc = SQLITE_OK;
};

std::string text_column(sqlite3_stmt* statement, int column)
{
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
  return text == nullptr ? std::string()
                         : std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(statement, column)));
}

// A row of DRYDOCK_BUILD_COLUMNS. The schema's CHECK keeps status known.
Build read_build(sqlite3_stmt* s)
{
  Build build;
  build.id = sqlite3_column_int64(s, 0);
  build.repo = text_column(s, 1);
  build.number = sqlite3_column_int(s, 2);
  build.ref = text_column(s, 3);
  build.sha = text_column(s, 4);
  build.author = text_column(s, 5);
  build.title = text_column(s, 6);
  build.reason = text_column(s, 7);
  build.status = parse_status(text_column(s, 8)).value_or(BuildStatus::error);
  build.agent = text_column(s, 9);
  build.queued_at = sqlite3_column_int64(s, 10);
  build.started_at = sqlite3_column_int64(s, 11);
  build.finished_at = sqlite3_column_int64(s, 12);
  build.lease_until = sqlite3_column_int64(s, 13);
  build.cancel_requested = sqlite3_column_int64(s, 14) != 0;
  build.exit_code = sqlite3_column_int(s, 15);
  build.message = text_column(s, 16);
  build.dir = text_column(s, 17);
  return build;
}

// The folder and its missing parents, private to the user (0700); an
// existing folder keeps its mode.
Result<void> make_folder(const std::filesystem::path& folder)
{
  std::error_code ec;
  if (folder.empty() || std::filesystem::is_directory(folder, ec)) {
    return {};
  }
  if (auto parent = make_folder(folder.parent_path()); !parent) {
    return parent;
  }
  if (::mkdir(folder.c_str(), 0700) != 0 && errno != EEXIST) {
    return tl::unexpected(fmt::format("cannot create the folder {}: {}", folder.string(), std::strerror(errno)));
  }
  return {};
}

// Rolls the open transaction back unless disarmed (after its COMMIT).
class Rollback {
public:
  explicit Rollback(sqlite3* db) : m_db(db) {}
  Rollback(const Rollback&) = delete;
  Rollback& operator=(const Rollback&) = delete;
  Rollback(Rollback&&) = delete;
  Rollback& operator=(Rollback&&) = delete;
  ~Rollback()
  {
    if (m_db != nullptr) {
      sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
    }
  }
  void disarm() { m_db = nullptr; }

private:
  sqlite3* m_db;
};

class SqliteStore final : public Store {
public:
  SqliteStore(DatabasePtr db, std::string path) : m_db(std::move(db)), m_path(std::move(path)) {}

  // The settings of the connection and the schema brought up to date.
  Result<void> prepare_database()
  {
    sqlite3_busy_timeout(m_db.get(), 5000);
    for (const char* pragma :
         {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON"}) {
      if (auto done = exec(pragma, "set up the connection"); !done) {
        return done;
      }
    }
    return in_transaction("migrate", [&] { return migrate(); });
  }

  Result<void> add_repo(const std::string& name, const std::string& url) override
  {
    return locked("add a repository", [&] { return change(query(kAddRepo, name, url), "add a repository"); });
  }

  Result<std::optional<std::string>> repo_url(const std::string& name) override
  {
    return locked("read a repository", [&]() -> Result<std::optional<std::string>> {
      auto urls = rows<std::string>(query(kRepoUrl, name), "read a repository",
                                    [](sqlite3_stmt* s) { return text_column(s, 0); });
      if (!urls) {
        return tl::unexpected(urls.error());
      }
      return urls->empty() ? std::nullopt : std::optional<std::string>(urls->front());
    });
  }

  Result<Build> enqueue(const BuildRequest& request, bool coalesce, std::int64_t now) override
  {
    return locked("queue a build", [&] {
      return in_transaction("queue a build", [&] { return enqueue_unlocked(request, coalesce, now); });
    });
  }

  Result<std::optional<Build>> claim(const std::string& agent, std::int64_t now, std::int64_t lease_ms) override
  {
    return locked("claim a build",
                  [&] { return first_build(query(kClaim, agent, now, now + lease_ms, m_claimable), "claim a build"); });
  }

  void claim_only(const std::vector<std::string>& repos) override
  {
    const std::lock_guard lock(m_mutex);
    m_claimable = nlohmann::json(repos).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }

  Result<ClockReading> clock(const std::function<std::int64_t()>& local) override
  {
    const auto now = local(); // one machine, one clock
    return ClockReading{now, now, now};
  }

  Result<void> heartbeat(const std::string& agent, std::int64_t now, std::int64_t lease_ms) override
  {
    return locked("renew leases", [&] { return change(query(kHeartbeat, agent, now + lease_ms), "renew leases"); });
  }

  Result<void> describe(std::int64_t id, const std::string& author, const std::string& title) override
  {
    return locked("describe a build", [&] { return change(query(kDescribe, id, author, title), "describe a build"); });
  }

  Result<void> set_dir(std::int64_t id, const std::string& dir) override
  {
    return locked("set a build's folder", [&]() -> Result<void> {
      auto changed = changes(query(kSetDir, id, dir), "set a build's folder");
      if (changed && *changed == 0) {
        return tl::unexpected(fmt::format("there is no build {}", id));
      }
      return changed.map([](int) {});
    });
  }

  Result<void> finish(std::int64_t id, BuildStatus status, int exit_code, const std::string& message,
                      std::int64_t now) override
  {
    if (!is_final(status)) {
      return tl::unexpected(
          fmt::format("cannot finish build {} as {}: that is not a final status", id, to_string(status)));
    }
    return locked("finish a build", [&] {
      return in_transaction("finish a build", [&] { return finish_unlocked(id, status, exit_code, message, now); });
    });
  }

  Result<bool> request_cancel(std::int64_t id, std::int64_t now) override
  {
    return locked("cancel a build", [&] {
      return in_transaction("cancel a build", [&]() -> Result<bool> {
        auto queued = changes(query(kCancelQueued, id, now), "cancel a build");
        if (!queued || *queued > 0) {
          return queued.map([](int) { return true; });
        }
        return changes(query(kCancelRunning, id), "cancel a build").map([](int n) { return n > 0; });
      });
    });
  }

  Result<std::vector<std::int64_t>> cancel_requests(const std::string& agent) override
  {
    return locked("read the cancel requests", [&] { return cancel_requests_unlocked(agent); });
  }

  Result<std::vector<Build>> recover(const std::string& agent_name, const std::string& agent_instance, std::int64_t now,
                                     bool requeue) override
  {
    return locked("recover stranded builds", [&] {
      return in_transaction("recover stranded builds",
                            [&] { return recover_unlocked(agent_name, agent_instance, now, requeue); });
    });
  }

  Result<std::optional<Build>> get(std::int64_t id) override
  {
    return locked("read a build", [&] { return first_build(query(kGet, id), "read a build"); });
  }

  Result<std::vector<Build>> list(const BuildFilter& filter) override
  {
    return locked("list builds", [&] { return list_unlocked(filter); });
  }

  Result<std::map<std::string, std::string>> heads(const std::string& repo) override
  {
    return locked("read the heads", [&] { return heads_unlocked(repo); });
  }

  Result<void> set_heads(const std::string& repo, const std::map<std::string, std::string>& heads) override
  {
    return locked("store the heads",
                  [&] { return in_transaction("store the heads", [&] { return set_heads_unlocked(repo, heads); }); });
  }

private:
  std::string failure(std::string_view operation, std::string_view why) const
  {
    return fmt::format("could not {} in the agent database {}: {}", operation, m_path, why);
  }
  std::string failure(std::string_view operation) const { return failure(operation, sqlite3_errmsg(m_db.get())); }

  // The body under the mutex; an exception (out of memory) becomes a value.
  template <typename F>
  auto locked(std::string_view operation, F&& body) -> decltype(body())
  {
    try {
      std::lock_guard lock(m_mutex);
      return body();
    } catch (const std::exception& e) {
      return tl::unexpected(failure(operation, e.what()));
    }
  }

  // The body in a write transaction, taken at once so that a read inside
  // it cannot go stale; rolled back on failure (or an exception).
  template <typename F>
  auto in_transaction(std::string_view operation, F&& body) -> decltype(body())
  {
    if (auto begun = exec("BEGIN IMMEDIATE", operation); !begun) {
      return tl::unexpected(begun.error());
    }
    Rollback rollback(m_db.get());
    auto result = body();
    if (result) {
      if (auto committed = exec("COMMIT", operation); !committed) {
        return tl::unexpected(committed.error());
      }
      rollback.disarm();
    }
    return result;
  }

  // Constant SQL only: no value of the caller's is ever in its text.
  Result<void> exec(const char* sql, std::string_view operation)
  {
    if (sqlite3_exec(m_db.get(), sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
      return tl::unexpected(failure(operation));
    }
    return {};
  }

  // The statement of `sql` (prepared once, then reused) with the values
  // bound to ?1, ?2, ... in order.
  template <typename... Args>
  Result<Query> query(const char* sql, const Args&... values)
  {
    auto found = m_statements.find(sql);
    if (found == m_statements.end()) {
      sqlite3_stmt* statement = nullptr;
      if (sqlite3_prepare_v3(m_db.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr) != SQLITE_OK) {
        sqlite3_finalize(statement);
        return tl::unexpected(sqlite3_errmsg(m_db.get()));
      }
      found = m_statements.emplace(sql, StatementPtr(statement)).first;
    }
    Query bound(found->second.get());
    int index = 0;
    (bound.bind(++index, values), ...);
    return bound;
  }

  // Runs a statement that returns no rows: the rows it changed.
  Result<int> changes(Result<Query> statement, std::string_view operation)
  {
    if (!statement) {
      return tl::unexpected(failure(operation, statement.error()));
    }
    if (statement->step() != SQLITE_DONE) {
      return tl::unexpected(failure(operation));
    }
    return sqlite3_changes(m_db.get());
  }

  Result<void> change(Result<Query> statement, std::string_view operation)
  {
    return changes(std::move(statement), operation).map([](int) {});
  }

  // Every row, each read by `read`; stepped to the end, which is when an
  // UPDATE ... RETURNING has done all its work.
  template <typename T, typename Read>
  Result<std::vector<T>> rows(Result<Query> statement, std::string_view operation, Read read)
  {
    if (!statement) {
      return tl::unexpected(failure(operation, statement.error()));
    }
    std::vector<T> out;
    int rc = SQLITE_ROW;
    while ((rc = statement->step()) == SQLITE_ROW) {
      out.push_back(read(statement->get()));
    }
    if (rc != SQLITE_DONE) {
      return tl::unexpected(failure(operation));
    }
    return out;
  }

  Result<std::vector<Build>> builds(Result<Query> statement, std::string_view operation)
  {
    return rows<Build>(std::move(statement), operation, read_build);
  }

  Result<std::optional<Build>> first_build(Result<Query> statement, std::string_view operation)
  {
    return builds(std::move(statement), operation).map([](std::vector<Build> found) {
      return found.empty() ? std::nullopt : std::optional<Build>(std::move(found.front()));
    });
  }

  Result<void> migrate()
  {
    auto versions = rows<int>(query(kUserVersion), "read the schema version",
                              [](sqlite3_stmt* s) { return sqlite3_column_int(s, 0); });
    if (!versions) {
      return tl::unexpected(versions.error());
    }
    const int version = versions->empty() ? 0 : versions->front();
    if (version > kKnownVersion) {
      return tl::unexpected(fmt::format("the agent database {} has schema version {}; this drydock knows up to {}",
                                        m_path, version, kKnownVersion));
    }
    for (int next = std::max(version, 0); next < kKnownVersion; ++next) {
      if (auto done = exec(kMigrations[static_cast<std::size_t>(next)].data(), "migrate the schema"); !done) {
        return done;
      }
    }
    return {};
  }

  Result<Build> enqueue_unlocked(const BuildRequest& r, bool coalesce, std::int64_t now)
  {
    if (coalesce) {
      auto merged = first_build(query(kCoalesce, r.repo, r.ref, r.sha, r.author, r.title, r.reason), "queue a build");
      if (!merged || *merged) {
        return merged.map([](std::optional<Build> build) { return std::move(*build); });
      }
    }
    auto numbers = rows<std::int64_t>(query(kNextNumber, r.repo), "number a build",
                                      [](sqlite3_stmt* s) { return sqlite3_column_int64(s, 0); });
    if (!numbers) {
      return tl::unexpected(numbers.error());
    }
    if (numbers->empty()) {
      return tl::unexpected(fmt::format("the agent has no repository named {}", r.repo));
    }
    auto inserted = first_build(query(kInsertBuild, r.repo, numbers->front(), r.ref, r.sha, r.author, r.title, r.reason,
                                      now),
                                "queue a build");
    if (inserted && !*inserted) {
      return tl::unexpected(failure("queue a build", "the new build was not returned"));
    }
    return inserted.map([](std::optional<Build> build) { return std::move(*build); });
  }

  Result<void> finish_unlocked(std::int64_t id, BuildStatus status, int exit_code, const std::string& message,
                               std::int64_t now)
  {
    auto changed = changes(query(kFinish, id, to_string(status), std::int64_t{exit_code}, message, now), "finish a "
                                                                                                         "build");
    if (!changed || *changed > 0) {
      return changed.map([](int) {});
    }
    auto current = first_build(query(kGet, id), "finish a build");
    if (!current) {
      return tl::unexpected(current.error());
    }
    if (!*current) {
      return tl::unexpected(fmt::format("there is no build {}", id));
    }
    return tl::unexpected(fmt::format("build {} is not running (it is {})", id, to_string((*current)->status)));
  }

  Result<std::vector<std::int64_t>> cancel_requests_unlocked(const std::string& agent)
  {
    return rows<std::int64_t>(query(kCancelRequests, agent), "read the cancel requests",
                              [](sqlite3_stmt* s) { return sqlite3_column_int64(s, 0); });
  }

  // Each stranded build as it is after the change. One asked to stop is
  // not queued again: it ends canceled.
  Result<std::vector<Build>> recover_unlocked(const std::string& agent_name, const std::string& agent_instance,
                                              std::int64_t now, bool requeue)
  {
    const std::string prefix = agent_name + "/";
    auto stranded = builds(query(kStranded, now, prefix, agent_instance), "recover stranded builds");
    if (!stranded) {
      return stranded;
    }
    std::vector<Build> out;
    for (const auto& build : *stranded) {
      auto changed = first_build(recovery(build, prefix, now, requeue), "recover stranded builds");
      if (!changed) {
        return tl::unexpected(changed.error());
      }
      if (*changed) {
        out.push_back(std::move(**changed));
      }
    }
    return out;
  }

  Result<Query> recovery(const Build& build, const std::string& prefix, std::int64_t now, bool requeue)
  {
    const bool restarted = build.agent.starts_with(prefix);
    const char* why = restarted ? "its agent restarted" : "its agent stopped (lease expired)";
    if (build.cancel_requested) {
      return query(kInterrupt, build.id, "canceled", fmt::format("canceled; {}", why), now);
    }
    if (requeue) {
      return query(kRequeue, build.id);
    }
    return query(kInterrupt, build.id, "interrupted", why, now);
  }

  Result<std::vector<Build>> list_unlocked(const BuildFilter& filter)
  {
    const std::optional<std::string> ref = filter.branch ? std::optional<std::string>("refs/heads/" + *filter.branch)
                                                         : std::nullopt;
    const std::optional<std::string> status = filter.status ? std::optional<std::string>(to_string(*filter.status))
                                                            : std::nullopt;
    const std::int64_t limit = std::clamp(filter.limit, 1, kMaxLimit);
    if (filter.repo) {
      return builds(query(kListRepo, ref, status, filter.before_id, limit, *filter.repo), "list builds");
    }
    return builds(query(kListAll, ref, status, filter.before_id, limit), "list builds");
  }

  Result<std::map<std::string, std::string>> heads_unlocked(const std::string& repo)
  {
    using Head = std::pair<std::string, std::string>;
    auto found = rows<Head>(query(kHeads, repo), "read the heads",
                            [](sqlite3_stmt* s) { return Head(text_column(s, 0), text_column(s, 1)); });
    return found.map(
        [](std::vector<Head> list) { return std::map<std::string, std::string>(list.begin(), list.end()); });
  }

  Result<void> set_heads_unlocked(const std::string& repo, const std::map<std::string, std::string>& heads)
  {
    if (auto cleared = change(query(kClearHeads, repo), "store the heads"); !cleared) {
      return cleared;
    }
    for (const auto& [ref, sha] : heads) {
      if (auto added = change(query(kInsertHead, repo, ref, sha), "store the heads"); !added) {
        return added;
      }
    }
    return {};
  }

  std::mutex m_mutex;
  DatabasePtr m_db;
  std::string m_path;
  std::string m_claimable = "[]"; // a JSON array of repository names; [] is all
  // Keyed by the address of the constant SQL text (one per statement).
  std::unordered_map<const char*, StatementPtr> m_statements;
};

} // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path)
{
  try {
    if (auto folder = make_folder(std::filesystem::path(path).parent_path()); !folder) {
      return tl::unexpected(folder.error());
    }
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                   nullptr);
    DatabasePtr db(raw);
    if (rc != SQLITE_OK) {
      return tl::unexpected(fmt::format("cannot open the agent database {}: {}", path,
                                        raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
    }
    auto store = std::make_unique<SqliteStore>(std::move(db), path);
    if (auto ready = store->prepare_database(); !ready) {
      return tl::unexpected(ready.error());
    }
    return std::unique_ptr<Store>(std::move(store));
  } catch (const std::exception& e) {
    return tl::unexpected(fmt::format("cannot open the agent database {}: {}", path, e.what()));
  }
}

} // namespace drydock::agent

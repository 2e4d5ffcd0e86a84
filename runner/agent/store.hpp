#pragma once
// The agent's database: the queue, the history and the heads it has seen.
// One interface; SQLite (WAL, in the state directory) for one machine,
// PostgreSQL for many agents sharing a queue (a claim is one statement
// either way). Every method is
// safe to call from several threads; failures come back as values.
#include <tl/expected.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/build.hpp"

namespace drydock::agent {

template <typename T>
using Result = tl::expected<T, std::string>;

struct BuildFilter {
  std::optional<std::string> repo;
  std::optional<std::string> branch; // the name after refs/heads/
  std::optional<BuildStatus> status;
  std::optional<std::int64_t> before_id; // paging: ids below this one
  int limit = 50;                        // at most 500
};

class Store {
public:
  virtual ~Store() = default;

  // Makes the repository known (its numbers start at 1); its URL is updated.
  virtual Result<void> add_repo(const std::string& name, const std::string& url) = 0;
  // The URL a repository was added with; nothing when it is unknown.
  virtual Result<std::optional<std::string>> repo_url(const std::string& name) = 0;

  // Queues a build of the request, numbered next for its repository. With
  // `coalesce`, a build of the same repo and ref still queued takes the new
  // sha (and author, title, reason) instead, keeping its id and number: a
  // branch pushed many times while the agent is busy builds its newest
  // commit. The build as stored.
  virtual Result<Build> enqueue(const BuildRequest& request, bool coalesce, std::int64_t now) = 0;

  // From now on, claim only builds of these repositories (an agent that
  // shares the database with agents of other repositories); none: all.
  virtual void claim_only(const std::vector<std::string>& repos) = 0;

  // The oldest queued build (of the repositories claim_only named), now
  // running for `agent` with a lease until now + lease_ms; nothing when
  // there is none.
  virtual Result<std::optional<Build>> claim(const std::string& agent, std::int64_t now, std::int64_t lease_ms) = 0;

  // The database's clock (Unix ms), the one leases are measured in, so
  // that agents on machines whose clocks disagree agree on which lease ran
  // out: PostgreSQL's server's; SQLite's is this machine's. Read between
  // two readings of `local` (this machine's), taken around the query
  // alone: no wait for the store's lock or a reconnect between them.
  struct ClockReading {
    std::int64_t before = 0;
    std::int64_t database = 0;
    std::int64_t after = 0;
  };
  virtual Result<ClockReading> clock(const std::function<std::int64_t()>& local) = 0;

  // Renews the leases of the agent's running builds.
  virtual Result<void> heartbeat(const std::string& agent, std::int64_t now, std::int64_t lease_ms) = 0;

  // The commit's author and title, for a build queued without them (a
  // plain webhook ahead of the mirror): kept when it has either already.
  virtual Result<void> describe(std::int64_t id, const std::string& author, const std::string& title) = 0;

  // Where the build's log and record are kept.
  virtual Result<void> set_dir(std::int64_t id, const std::string& dir) = 0;

  // Ends a running build (success, failed, error, canceled, interrupted).
  virtual Result<void> finish(std::int64_t id, BuildStatus status, int exit_code, const std::string& message,
                              std::int64_t now) = 0;

  // A queued build is canceled at once; a running one is marked for its
  // agent to stop. False when the build is over or unknown.
  virtual Result<bool> request_cancel(std::int64_t id, std::int64_t now) = 0;

  // The agent's running builds that were asked to stop.
  virtual Result<std::vector<std::int64_t>> cancel_requests(const std::string& agent) = 0;

  // Running builds whose lease ran out (their agent died or hangs), and
  // those of `agent_name`'s earlier instances (one that restarted after a
  // kill -9): marked interrupted, or queued again when `requeue`. Those builds,
  // as they are after the change. One that was asked to stop ends canceled
  // instead (it is not started again).
  virtual Result<std::vector<Build>> recover(const std::string& agent_name, const std::string& agent_instance,
                                             std::int64_t now, bool requeue) = 0;

  virtual Result<std::optional<Build>> get(std::int64_t id) = 0;
  // Newest first.
  virtual Result<std::vector<Build>> list(const BuildFilter& filter) = 0;

  // The heads (ref → sha) last seen of a repository, for polling.
  virtual Result<std::map<std::string, std::string>> heads(const std::string& repo) = 0;
  virtual Result<void> set_heads(const std::string& repo, const std::map<std::string, std::string>& heads) = 0;
};

// The SQLite store at `path` (created with its folder; WAL; the schema
// migrated to the newest version), or why it cannot be opened (a newer
// schema than this drydock knows included).
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path);

// The PostgreSQL store at `url`, a libpq conninfo ("host=db dbname=ci") or
// a postgresql:// URL (connect_timeout=10 unless it says otherwise; the
// schema migrated to the newest version, one agent at a time), or why it
// cannot be opened. Its errors show the URL masked.
Result<std::unique_ptr<Store>> open_postgres_store(const std::string& url);

// `url` (conninfo or postgresql:// URL) with its password, if any, replaced
// by ***: the form every message shows.
std::string mask_database_url(const std::string& url);

} // namespace drydock::agent

#pragma once
// Where builds come from: the repositories the agent watches, the refs of
// each it builds, and the poller that fetches each repository's bare mirror
// and queues the commits its branches and tags moved to since the last
// poll (Buildbot's GitPoller habits: heads remembered in the store, the
// first poll of a repository only remembers, intervals jittered).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/build.hpp"
#include "agent/store.hpp"

namespace drydock::agent {

struct RepoSpec {
  std::string name;                       // unique in the agent: OWNER/REPO of its URL, or the folder's name
  std::string url;                        // what git fetches: a URL or a path
  std::vector<std::string> branches{"*"}; // globs of branch names built
  std::vector<std::string> tags;          // globs of tag names built (none by default)
  std::string secrets_file;               // NAME=value lines given as --secret-file, if any
};

// OWNER/REPO from a URL (github.com/o/r.git → o/r), else the last folder's
// name without .git; empty when nothing is left.
std::string repo_name_of(const std::string& url);

// A URL's credentials (https://user:TOKEN@host/...): shown as user:***@,
// and left out of what a build sees (its checkout's origin).
std::string shown_url(const std::string& url);
std::string url_without_credentials(const std::string& url);

// Whether the ref (refs/heads/NAME or refs/tags/NAME) is one the repository builds.
bool ref_wanted(const RepoSpec& repo, const std::string& ref);

// The refs wanted that are new or moved in `now` since `seen`, oldest ref
// name first, as requests (author and title left for the caller).
std::vector<BuildRequest> moved_refs(const RepoSpec& repo, const std::map<std::string, std::string>& seen,
                                     const std::map<std::string, std::string>& now);

// The git a source needs (os/git.hpp in the agent; a fake in tests).
class GitAccess {
public:
  virtual ~GitAccess() = default;
  virtual Result<void> fetch(const std::string& url, const std::string& mirror) = 0;
  virtual Result<std::map<std::string, std::string>> heads(const std::string& mirror) = 0;
  virtual bool has_commit(const std::string& mirror, const std::string& sha) = 0;
  virtual std::pair<std::string, std::string> author_and_title(const std::string& mirror, const std::string& sha) = 0;
};
std::unique_ptr<GitAccess> real_git(int timeout_s);

// The repositories' mirrors, each fetched by one process at a time (git's
// runs take a lock file): by the poller, and by builds that need a commit
// the last poll did not see.
class Mirrors {
public:
  Mirrors(std::string root, GitAccess& git) : m_root(std::move(root)), m_git(git) {}
  // STATE/mirrors/<name as a file name>.git
  std::string path_of(const RepoSpec& repo) const;
  Result<std::map<std::string, std::string>> fetch(const RepoSpec& repo);
  // Fetches when the mirror lacks the commit (a webhook ahead of the poll).
  // Builds of one repository fetch one at a time, each looking again once
  // its turn comes; none holds hold(), so a webhook never waits for them.
  Result<void> ensure_commit(const RepoSpec& repo, const std::string& sha);
  GitAccess& git() { return m_git; }
  // The repository's lock, held by one poll from its fetch to its heads
  // stored, and by a webhook queueing a commit and storing its head, so the
  // two never build one push twice. Recursive: a poll fetches under it.
  std::unique_lock<std::recursive_mutex> hold(const RepoSpec& repo);

private:
  struct Locks {
    std::recursive_mutex poll; // hold()
    std::mutex builds_fetch;   // ensure_commit's
  };
  Locks& locks_of(const std::string& name);

  std::string m_root;
  GitAccess& m_git;
  std::mutex m_locks_mutex;
  std::map<std::string, std::unique_ptr<Locks>> m_locks;
};

// One poll of a repository: fetch, compare with the heads in the store,
// queue what moved, remember the new heads. The builds queued.
// A ref that cannot be queued is told to `warn` and skipped.
using Clock = std::function<std::int64_t()>; // Unix ms
using Warn = std::function<void(const std::string&)>;
Result<std::vector<Build>> poll_once(const RepoSpec& repo, Mirrors& mirrors, Store& store, bool coalesce,
                                     const Clock& now, const Warn& warn);

// Polls every repository every `interval` (±10 %) on a thread of its own;
// `queued` is told of each build it queued, `warn` of each failed poll.
class Poller {
public:
  struct Options {
    std::chrono::milliseconds interval{60000};
    bool coalesce = true;
  };
  Poller(std::vector<RepoSpec> repos, Mirrors& mirrors, Store& store, Options options, Clock now,
         std::function<void(const Build&)> queued, std::function<void(const std::string&)> warn);
  ~Poller(); // stops and joins
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;
  void stop();

private:
  void run();
  bool stopping();
  std::chrono::milliseconds next_wait();

  std::vector<RepoSpec> m_repos;
  Mirrors& m_mirrors;
  Store& m_store;
  Options m_options;
  Clock m_now;
  std::function<void(const Build&)> m_queued;
  std::function<void(const std::string&)> m_warn;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stopping = false;
  std::uint64_t m_jitter_state;
  std::thread m_thread;
};

} // namespace drydock::agent

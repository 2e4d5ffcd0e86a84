#pragma once
// An in-memory Store for the agent's tests: builds in a map, newest (the
// highest id) first in lists; enough of the queue for what tests ask.
#include <algorithm>
#include <functional>
#include <map>
#include <mutex>

#include "agent/store.hpp"

namespace drydock::agent::test {

class FakeStore : public Store {
public:
  // The build as given, with the next id when its id is 0.
  Build add(Build build)
  {
    const std::lock_guard lock(m_mutex);
    if (build.id == 0) {
      build.id = m_builds.empty() ? 1 : m_builds.rbegin()->first + 1;
    }
    m_builds[build.id] = build;
    return build;
  }

  void update(std::int64_t id, const std::function<void(Build&)>& change)
  {
    const std::lock_guard lock(m_mutex);
    change(m_builds.at(id));
  }

  Result<void> add_repo(const std::string& name, const std::string& url) override
  {
    const std::lock_guard lock(m_mutex);
    m_repos[name] = url;
    return {};
  }

  Result<std::optional<std::string>> repo_url(const std::string& name) override
  {
    const std::lock_guard lock(m_mutex);
    const auto found = m_repos.find(name);
    return found == m_repos.end() ? std::nullopt : std::optional<std::string>(found->second);
  }

  Result<Build> enqueue(const BuildRequest& request, bool, std::int64_t now) override
  {
    Build build;
    build.repo = request.repo;
    build.ref = request.ref;
    build.sha = request.sha;
    build.author = request.author;
    build.title = request.title;
    build.reason = request.reason;
    build.queued_at = now;
    build.number = static_cast<int>(count(request.repo)) + 1;
    return add(build);
  }

  void claim_only(const std::vector<std::string>&) override {} // the web tests never claim

  Result<std::optional<Build>> claim(const std::string& agent, std::int64_t now, std::int64_t lease_ms) override
  {
    const std::lock_guard lock(m_mutex);
    for (auto& [id, build] : m_builds) {
      if (build.status == BuildStatus::queued) {
        build.status = BuildStatus::running;
        build.agent = agent;
        build.started_at = now;
        build.lease_until = now + lease_ms;
        return build;
      }
    }
    return std::optional<Build>();
  }

  Result<ClockReading> clock(const std::function<std::int64_t()>& local) override
  {
    const auto before = local();
    return ClockReading{before, before + clock_offset, local()};
  }
  Result<void> heartbeat(const std::string&, std::int64_t, std::int64_t) override { return {}; }

  Result<void> describe(std::int64_t id, const std::string& author, const std::string& title) override
  {
    return change(id, [&](Build& build) {
      if (build.author.empty() && build.title.empty()) {
        build.author = author;
        build.title = title;
      }
    });
  }

  Result<void> set_dir(std::int64_t id, const std::string& dir) override
  {
    return change(id, [&](Build& build) { build.dir = dir; });
  }

  Result<void> finish(std::int64_t id, BuildStatus status, int exit_code, const std::string& message,
                      std::int64_t now) override
  {
    return change(id, [&](Build& build) {
      build.status = status;
      build.exit_code = exit_code;
      build.message = message;
      build.finished_at = now;
    });
  }

  Result<bool> request_cancel(std::int64_t id, std::int64_t now) override
  {
    const std::lock_guard lock(m_mutex);
    const auto found = m_builds.find(id);
    if (found == m_builds.end() || is_final(found->second.status)) {
      return false;
    }
    found->second.cancel_requested = true;
    if (found->second.status == BuildStatus::queued) {
      found->second.status = BuildStatus::canceled;
      found->second.finished_at = now;
    }
    return true;
  }

  Result<std::vector<std::int64_t>> cancel_requests(const std::string&) override { return std::vector<std::int64_t>(); }

  Result<std::vector<Build>> recover(const std::string&, const std::string&, std::int64_t, bool) override
  {
    return std::vector<Build>();
  }

  Result<std::optional<Build>> get(std::int64_t id) override
  {
    const std::lock_guard lock(m_mutex);
    const auto found = m_builds.find(id);
    return found == m_builds.end() ? std::optional<Build>() : std::optional<Build>(found->second);
  }

  Result<std::vector<Build>> list(const BuildFilter& filter) override
  {
    const std::lock_guard lock(m_mutex);
    m_last_filter = filter;
    std::vector<Build> builds;
    for (auto at = m_builds.rbegin(); at != m_builds.rend() && std::ssize(builds) < filter.limit; ++at) {
      if (matches(filter, at->second)) {
        builds.push_back(at->second);
      }
    }
    return builds;
  }

  Result<std::map<std::string, std::string>> heads(const std::string& repo) override
  {
    const std::lock_guard lock(m_mutex);
    return m_heads[repo];
  }

  Result<void> set_heads(const std::string& repo, const std::map<std::string, std::string>& heads) override
  {
    const std::lock_guard lock(m_mutex);
    m_heads[repo] = heads;
    return {};
  }

  BuildFilter last_filter() const
  {
    const std::lock_guard lock(m_mutex);
    return m_last_filter;
  }

  std::int64_t clock_offset = 0; // the database's clock ahead of this machine's (ms)

private:
  static bool matches(const BuildFilter& filter, const Build& build)
  {
    return (!filter.repo || *filter.repo == build.repo) && (!filter.branch || *filter.branch == build.branch())
           && (!filter.status || *filter.status == build.status) && (!filter.before_id || build.id < *filter.before_id);
  }

  std::size_t count(const std::string& repo)
  {
    const std::lock_guard lock(m_mutex);
    return static_cast<std::size_t>(
        std::count_if(m_builds.begin(), m_builds.end(), [&](const auto& entry) { return entry.second.repo == repo; }));
  }

  Result<void> change(std::int64_t id, const std::function<void(Build&)>& change_build)
  {
    const std::lock_guard lock(m_mutex);
    const auto found = m_builds.find(id);
    if (found == m_builds.end()) {
      return tl::unexpected("no build " + std::to_string(id));
    }
    change_build(found->second);
    return {};
  }

  mutable std::mutex m_mutex;
  std::map<std::int64_t, Build> m_builds;
  std::map<std::string, std::string> m_repos;
  std::map<std::string, std::map<std::string, std::string>> m_heads;
  BuildFilter m_last_filter;
};

} // namespace drydock::agent::test

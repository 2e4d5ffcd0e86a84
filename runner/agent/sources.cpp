#include "agent/sources.hpp"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>
#include <random>

#include "os/git.hpp"
#include "util/stable_hash.hpp"

namespace fs = std::filesystem;

namespace drydock::agent {
namespace {

constexpr std::string_view kHeads = "refs/heads/";
constexpr std::string_view kTags = "refs/tags/";
// Remembered beside the heads once a repository was polled, so a
// repository that had no branch at its first poll builds its first push.
const std::string kPolledMarker = "drydock:polled";

bool matches_any(const std::vector<std::string>& globs, const std::string& name)
{
  return std::any_of(globs.begin(), globs.end(),
                     [&](const std::string& glob) { return ::fnmatch(glob.c_str(), name.c_str(), 0) == 0; });
}

class RealGit final : public GitAccess {
public:
  explicit RealGit(int timeout_s) : m_timeout_s(timeout_s) {}
  Result<void> fetch(const std::string& url, const std::string& mirror) override
  {
    auto fetched = os::fetch_mirror(url, mirror, m_timeout_s);
    if (!fetched && shown_url(url) != url) { // git's words may quote the URL whole
      auto error = fetched.error();
      for (auto at = error.find(url); at != std::string::npos; at = error.find(url, at)) {
        error.replace(at, url.size(), shown_url(url));
      }
      return tl::unexpected(error);
    }
    return fetched;
  }
  Result<std::map<std::string, std::string>> heads(const std::string& mirror) override
  {
    return os::list_heads(mirror);
  }
  bool has_commit(const std::string& mirror, const std::string& sha) override { return os::has_commit(mirror, sha); }
  std::pair<std::string, std::string> author_and_title(const std::string& mirror, const std::string& sha) override
  {
    auto summary = os::commit_summary(mirror, sha);
    return {std::move(summary.author), std::move(summary.title)};
  }

private:
  int m_timeout_s;
};

// A name as one file name: what is not [A-Za-z0-9._-] becomes '_', and a
// leading dot too, so no name climbs out of the mirrors' folder.
std::string file_name_of(const std::string& name)
{
  std::string file;
  for (const char c : name) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
    file += ok ? c : '_';
  }
  if (file.empty() || file.front() == '.') {
    file.insert(file.begin(), '_');
  }
  // a_b/c and a/b_c must not share a mirror: a changed name gets its hash.
  return file == name ? file : file + "-" + util::stable_hash_hex(name).substr(0, 12);
}

} // namespace

std::string repo_name_of(const std::string& url)
{
  const auto [owner, repo] = os::owner_and_repo(url);
  if (repo.empty()) {
    return "";
  }
  // A local path's parent folder is no owner: /srv/git/app.git is "app".
  const bool remote = url.find("://") != std::string::npos || (url.find(':') != std::string::npos && url[0] != '/');
  const bool file_url = url.starts_with("file://");
  return remote && !file_url && !owner.empty() ? owner + "/" + repo : repo;
}

namespace {

// Where a URL's user information is: after "://", before the '@' that ends
// it (the last one before the path: a password may hold '@').
std::optional<std::pair<std::size_t, std::size_t>> userinfo_of(const std::string& url)
{
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) {
    return std::nullopt;
  }
  const auto start = scheme + 3;
  const auto path = url.find('/', start);
  const auto at = url.rfind('@', path == std::string::npos ? std::string::npos : path);
  if (at == std::string::npos || at < start) {
    return std::nullopt;
  }
  return std::pair{start, at};
}

} // namespace

std::string shown_url(const std::string& url)
{
  const auto info = userinfo_of(url);
  if (!info) {
    return url;
  }
  const auto colon = url.find(':', info->first);
  if (colon == std::string::npos || colon > info->second) {
    return url; // a user name alone is no secret
  }
  return url.substr(0, colon + 1) + "***" + url.substr(info->second);
}

std::string url_without_credentials(const std::string& url)
{
  if (shown_url(url) == url) {
    return url; // no password: a user name (ssh://git@host) is kept
  }
  const auto info = userinfo_of(url);
  return url.substr(0, info->first) + url.substr(info->second + 1);
}

bool ref_wanted(const RepoSpec& repo, const std::string& ref)
{
  if (ref.starts_with(kHeads)) {
    return matches_any(repo.branches, ref.substr(kHeads.size()));
  }
  if (ref.starts_with(kTags)) {
    return matches_any(repo.tags, ref.substr(kTags.size()));
  }
  return false;
}

std::vector<BuildRequest> moved_refs(const RepoSpec& repo, const std::map<std::string, std::string>& seen,
                                     const std::map<std::string, std::string>& now)
{
  std::vector<BuildRequest> requests;
  for (const auto& [ref, sha] : now) {
    const auto before = seen.find(ref);
    if (ref_wanted(repo, ref) && (before == seen.end() || before->second != sha)) {
      requests.push_back({repo.name, ref, sha, "", "", "poll"});
    }
  }
  return requests;
}

std::unique_ptr<GitAccess> real_git(int timeout_s) { return std::make_unique<RealGit>(timeout_s); }

std::string Mirrors::path_of(const RepoSpec& repo) const
{
  return (fs::path(m_root) / (file_name_of(repo.name) + ".git")).string();
}

Mirrors::Locks& Mirrors::locks_of(const std::string& name)
{
  const std::lock_guard guard(m_locks_mutex);
  auto& locks = m_locks[name];
  if (!locks) {
    locks = std::make_unique<Locks>();
  }
  return *locks;
}

std::unique_lock<std::recursive_mutex> Mirrors::hold(const RepoSpec& repo)
{
  return std::unique_lock(locks_of(repo.name).poll);
}

Result<std::map<std::string, std::string>> Mirrors::fetch(const RepoSpec& repo)
{
  const std::lock_guard guard(locks_of(repo.name).poll);
  const auto mirror = path_of(repo);
  if (auto fetched = m_git.fetch(repo.url, mirror); !fetched) {
    return tl::unexpected(fetched.error());
  }
  return m_git.heads(mirror);
}

Result<void> Mirrors::ensure_commit(const RepoSpec& repo, const std::string& sha)
{
  if (m_git.has_commit(path_of(repo), sha)) {
    return {};
  }
  const std::lock_guard guard(locks_of(repo.name).builds_fetch);
  if (m_git.has_commit(path_of(repo), sha)) {
    return {}; // another build's fetch, or a poll, brought it meanwhile
  }
  if (auto fetched = m_git.fetch(repo.url, path_of(repo)); !fetched) {
    return tl::unexpected(fetched.error());
  }
  if (!m_git.has_commit(path_of(repo), sha)) {
    return tl::unexpected(fmt::format("{} has no commit {}", shown_url(repo.url), sha));
  }
  return {};
}

Result<std::vector<Build>> poll_once(const RepoSpec& repo, Mirrors& mirrors, Store& store, bool coalesce,
                                     const Clock& now, const Warn& warn)
{
  const auto held = mirrors.hold(repo);
  auto heads = mirrors.fetch(repo);
  auto seen = heads ? store.heads(repo.name) : Result<std::map<std::string, std::string>>();
  if (!heads || !seen) {
    return tl::unexpected(!heads ? heads.error() : seen.error());
  }
  const bool first_poll = seen->count(kPolledMarker) == 0;
  std::vector<Build> queued;
  for (auto& request : first_poll ? std::vector<BuildRequest>{} : moved_refs(repo, *seen, *heads)) {
    std::tie(request.author, request.title) = mirrors.git().author_and_title(mirrors.path_of(repo), request.sha);
    auto build = store.enqueue(displayable(request), coalesce, now());
    if (!build) { // this ref (a name the database refuses?) is skipped; the others still build
      warn(fmt::format("polling {}: cannot queue {}: {}", repo.name, request.ref, build.error()));
      continue;
    }
    queued.push_back(std::move(*build));
  }
  (*heads)[kPolledMarker] = "";
  if (auto saved = store.set_heads(repo.name, *heads); !saved) {
    return tl::unexpected(saved.error());
  }
  return queued;
}

Poller::Poller(std::vector<RepoSpec> repos, Mirrors& mirrors, Store& store, Options options, Clock now,
               std::function<void(const Build&)> queued, std::function<void(const std::string&)> warn)
  : m_repos(std::move(repos)), m_mirrors(mirrors), m_store(store), m_options(options), m_now(std::move(now)),
    m_queued(std::move(queued)), m_warn(std::move(warn)), m_jitter_state(std::random_device{}()),
    m_thread([this] { run(); })
{
}

Poller::~Poller() { stop(); }

bool Poller::stopping()
{
  const std::lock_guard guard(m_mutex);
  return m_stopping;
}

void Poller::stop()
{
  {
    const std::lock_guard guard(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  if (m_thread.joinable()) {
    m_thread.join();
  }
}

// The interval, give or take a tenth: agents started together spread out.
std::chrono::milliseconds Poller::next_wait()
{
  std::mt19937_64 random(m_jitter_state++);
  const auto tenth = std::max<std::int64_t>(m_options.interval.count() / 10, 1);
  std::uniform_int_distribution<std::int64_t> spread(-tenth, tenth);
  return m_options.interval + std::chrono::milliseconds(spread(random));
}

void Poller::run()
{
  std::unique_lock lock(m_mutex);
  while (!m_stopping) {
    lock.unlock();
    for (const auto& repo : m_repos) {
      if (stopping()) {
        break; // a stop waits for one repository's fetch at most
      }
      auto queued = poll_once(repo, m_mirrors, m_store, m_options.coalesce, m_now, m_warn);
      if (!queued) {
        m_warn(fmt::format("polling {}: {}", repo.name, queued.error()));
        continue;
      }
      for (const auto& build : *queued) {
        m_queued(build);
      }
    }
    lock.lock();
    m_wake.wait_for(lock, next_wait(), [this] { return m_stopping; });
  }
}

} // namespace drydock::agent

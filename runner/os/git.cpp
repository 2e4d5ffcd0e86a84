#include "os/git.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <thread>
#include <tuple>
#include <vector>

#include "os/process.hpp"
#include "util/lines.hpp"

namespace fs = std::filesystem;

namespace drydock::os {
namespace {

// The lines git prints, or none when it fails (no git, not a work tree).
std::vector<std::string> git_lines(const std::string& dir, std::vector<std::string> args)
{
  args.insert(args.begin(), "git");
  const auto result = run_capture(args, dir);
  std::vector<std::string> lines;
  if (!result || result->exit_code != 0) {
    return lines;
  }
  for (const auto line : util::lines(result->output)) {
    lines.emplace_back(line);
  }
  return lines;
}

// The message of a commit: what follows the first empty line of the raw
// object (its headers come before). cat-file, not log: no user setting such
// as log.showSignature adds lines to it.
std::string commit_message(const std::string& dir, const std::string& sha)
{
  const auto result = run_capture({"git", "cat-file", "commit", sha}, dir);
  if (!result || result->exit_code != 0) {
    return "";
  }
  const auto body = result->output.find("\n\n");
  return body == std::string::npos ? "" : result->output.substr(body + 2);
}

} // namespace

std::pair<std::string, std::string> owner_and_repo(std::string_view url)
{
  std::string path(url);
  if (const auto scheme = path.find("://"); scheme != std::string::npos) {
    const auto slash = path.find('/', scheme + 3);
    path = slash == std::string::npos ? "" : path.substr(slash + 1);
  } else if (const auto colon = path.find(':'); colon != std::string::npos && path.find('/') > colon) {
    path = path.substr(colon + 1); // git@host:owner/repo.git
  }
  while (!path.empty() && path.back() == '/') {
    path.pop_back();
  }
  if (path.ends_with(".git")) {
    path.resize(path.size() - 4);
  }
  const auto last = path.rfind('/');
  const std::string repo = last == std::string::npos ? path : path.substr(last + 1);
  std::string owner;
  if (last != std::string::npos) {
    const auto before = path.substr(0, last);
    owner = before.substr(before.rfind('/') == std::string::npos ? 0 : before.rfind('/') + 1);
  }
  return {owner, repo};
}

namespace {

// git's first line of complaint, or how it ended.
std::string failure_of(const tl::expected<CaptureResult, std::string>& result)
{
  if (!result) {
    return result.error();
  }
  const auto& out = result->output;
  const auto line = out.substr(0, out.find('\n'));
  return line.empty() ? fmt::format("git exited with {}", result->exit_code) : line;
}

// git bounded in time (coreutils' timeout), never asking for a password.
tl::expected<void, std::string> run_bounded_git(const std::string& dir, std::vector<std::string> args, int timeout_s)
{
  std::vector<std::string> argv{"env",     "GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=true",
                                "timeout", "--kill-after=5",        std::to_string(timeout_s),
                                "git"};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto result = run_capture(argv, dir, Stderr::merge);
  if (!result || result->exit_code != 0) {
    return tl::unexpected(result && result->exit_code == 124 ? fmt::format("git took over {} s", timeout_s)
                                                             : failure_of(result));
  }
  return {};
}

// MIRROR.lock, held (flock) while a fetch writes the mirror: the agent's
// poller and builds and `drydock agent enqueue` may fetch into one mirror
// at once, and git does not wait for a ref or config lock another git
// holds, it fails ("cannot lock ref"). Waited for at most `wait_s`.
class MirrorLock {
public:
  MirrorLock(const MirrorLock&) = delete;
  MirrorLock& operator=(const MirrorLock&) = delete;
  MirrorLock(MirrorLock&&) = delete;
  MirrorLock& operator=(MirrorLock&&) = delete;
  ~MirrorLock()
  {
    if (m_fd >= 0) {
      ::close(m_fd); // the lock goes with it
    }
  }
  static std::unique_ptr<MirrorLock> take(const std::string& mirror_dir, int wait_s, std::string& why)
  {
    const auto path = mirror_dir + ".lock";
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      why = fmt::format("cannot open {}: {}", path, std::strerror(errno));
      return nullptr;
    }
    auto lock = std::unique_ptr<MirrorLock>(new MirrorLock(fd));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      if ((errno != EWOULDBLOCK && errno != EINTR) || std::chrono::steady_clock::now() > deadline) {
        why = errno == EWOULDBLOCK ? fmt::format("another fetch held {} for over {} s", path, wait_s)
                                   : fmt::format("cannot lock {}: {}", path, std::strerror(errno));
        return nullptr;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return lock;
  }

private:
  explicit MirrorLock(int fd) : m_fd(fd) {}
  int m_fd;
};

} // namespace

tl::expected<void, std::string> fetch_mirror(const std::string& url, const std::string& mirror_dir, int timeout_s)
{
  std::string why;
  // The holder's git runs are bounded (init and fetch, timeout_s and 5 s more each).
  const auto lock = MirrorLock::take(mirror_dir, 2 * (timeout_s + 5), why);
  if (!lock) {
    return tl::unexpected(fmt::format("cannot fetch {}: {}", url, why));
  }
  std::error_code ec;
  if (!fs::exists(fs::path(mirror_dir) / "HEAD", ec)) {
    fs::create_directories(mirror_dir, ec);
    if (auto made = run_bounded_git(mirror_dir, {"init", "--quiet", "--bare"}, timeout_s); !made) {
      return tl::unexpected(fmt::format("cannot make the mirror {}: {}", mirror_dir, made.error()));
    }
  }
  auto fetched = run_bounded_git(mirror_dir,
                                 {"fetch", "--quiet", "--prune", "--no-tags", "--", url, "+refs/heads/*:refs/heads/*",
                                  "+refs/tags/*:refs/tags/*"},
                                 timeout_s);
  if (!fetched) {
    return tl::unexpected(fmt::format("cannot fetch {}: {}", url, fetched.error()));
  }
  return {};
}

tl::expected<std::map<std::string, std::string>, std::string> list_heads(const std::string& git_dir)
{
  const auto result = run_capture({"git", "for-each-ref", "--format=%(refname) %(objectname) %(*objectname)",
                                   "refs/heads", "refs/tags"},
                                  git_dir, Stderr::merge);
  if (!result || result->exit_code != 0) {
    return tl::unexpected(fmt::format("cannot list the refs of {}: {}", git_dir, failure_of(result)));
  }
  std::map<std::string, std::string> heads;
  for (const auto line : util::lines(result->output)) {
    const auto first = line.find(' ');
    const auto second = line.find(' ', first + 1);
    if (first == std::string_view::npos || second == std::string_view::npos) {
      continue;
    }
    const auto peeled = line.substr(second + 1);
    heads[std::string(line.substr(0, first))] = std::string(peeled.empty() ? line.substr(first + 1, second - first - 1)
                                                                           : peeled);
  }
  return heads;
}

bool has_commit(const std::string& git_dir, const std::string& sha)
{
  const auto result = run_capture({"git", "cat-file", "-e", sha + "^{commit}"}, git_dir);
  return result && result->exit_code == 0;
}

CommitSummary commit_summary(const std::string& git_dir, const std::string& sha)
{
  const auto result = run_capture({"git", "cat-file", "commit", sha}, git_dir);
  CommitSummary summary;
  if (!result || result->exit_code != 0) {
    return summary;
  }
  const auto& raw = result->output;
  const auto body = raw.find("\n\n");
  for (const auto line : util::lines(std::string_view(raw).substr(0, body))) {
    if (line.starts_with("author ")) {
      const auto email = line.find(" <");
      summary.author = std::string(line.substr(7, email == std::string_view::npos ? email : email - 7));
    }
  }
  if (body != std::string::npos) {
    const auto message = std::string_view(raw).substr(body + 2);
    summary.title = std::string(message.substr(0, message.find('\n')));
  }
  return summary;
}

RepoFacts read_repo_facts(const std::string& dir)
{
  RepoFacts facts;
  // Few git processes, each asking what it can at once: start-up time
  // matters for short builds.
  const auto where = git_lines(dir, {"rev-parse", "--show-toplevel", "--git-dir"});
  if (where.size() < 2) {
    return facts;
  }
  facts.top_dir = where[0];
  std::error_code ec;
  facts.git_dir = fs::absolute(fs::path(dir) / where[1], ec).lexically_normal().string();
  const auto head = git_lines(dir, {"rev-parse", "HEAD", "--symbolic-full-name", "HEAD"});
  if (!head.empty()) {
    facts.sha = head[0];
    facts.message = commit_message(dir, facts.sha);
  }
  if (head.size() >= 2 && head[1].starts_with("refs/heads/")) {
    facts.branch = head[1].substr(std::string_view("refs/heads/").size());
  }
  const auto refs = git_lines(dir, {"for-each-ref", "--points-at=HEAD", "--format=%(refname)", "refs/tags",
                                    "refs/remotes/origin/HEAD"});
  for (const auto& ref : refs) {
    if (ref.starts_with("refs/tags/") && facts.tag.empty()) {
      facts.tag = ref.substr(std::string_view("refs/tags/").size());
    }
  }
  const auto origin = git_lines(dir, {"config", "--get", "remote.origin.url"});
  facts.origin_url = origin.empty() ? "" : origin[0];
  std::tie(facts.owner, facts.repo) = owner_and_repo(facts.origin_url);
  if (facts.repo.empty()) {
    facts.repo = fs::path(facts.top_dir).filename().string();
  }
  return facts;
}

} // namespace drydock::os

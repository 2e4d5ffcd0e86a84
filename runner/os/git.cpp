#include "os/git.hpp"

#include <filesystem>
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

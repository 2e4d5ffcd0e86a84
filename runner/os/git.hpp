#pragma once
// What git says about the work tree a config is in: the one place drydock
// asks git (a seam for the fresh checkouts and the agent to come).
#include <tl/expected.hpp>

#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace drydock::os {

struct RepoFacts {
  std::string top_dir; // empty outside a git work tree
  std::string git_dir;
  std::string sha;
  std::string branch;  // empty on a detached HEAD
  std::string tag;     // a tag pointing at HEAD, if any
  std::string message; // HEAD's commit message: its title and body
  std::string origin_url;
  std::string owner; // from origin: github.com/OWNER/REPO
  std::string repo;
};

// Asks git about the work tree holding `dir` (nothing fails outside one).
RepoFacts read_repo_facts(const std::string& dir);

// OWNER and REPO from a remote URL (scp-like, https, ssh or a path).
std::pair<std::string, std::string> owner_and_repo(std::string_view url);

// The agent's bare mirror of a repository: made at the first call, then
// every branch and tag fetched (pruned) from `url` into it. git runs
// without a terminal prompt and is stopped after `timeout_s` seconds.
// Fetches into one mirror take turns, across processes (MIRROR.lock).
tl::expected<void, std::string> fetch_mirror(const std::string& url, const std::string& mirror_dir, int timeout_s);

// Every branch and tag of a repository, ref → commit (tags peeled).
tl::expected<std::map<std::string, std::string>, std::string> list_heads(const std::string& git_dir);

// Whether the repository holds the commit.
bool has_commit(const std::string& git_dir, const std::string& sha);

// A commit's author name and the first line of its message (empty when
// the commit is unknown).
struct CommitSummary {
  std::string author;
  std::string title;
};
CommitSummary commit_summary(const std::string& git_dir, const std::string& sha);

} // namespace drydock::os

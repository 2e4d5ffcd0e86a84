#pragma once
// What git says about the work tree a config is in: the one place drydock
// asks git (a seam for the fresh checkouts and the agent to come).
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

} // namespace drydock::os

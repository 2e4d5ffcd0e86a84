#include <catch2/catch.hpp>

#include "agent/repos_file.hpp"

using namespace drydock;

namespace {

struct Read {
  std::vector<agent::RepoSpec> repos;
  std::vector<std::string> problems; // "LINE:COL: message"
};

Read read(const std::string& text)
{
  const SourceFile source("/etc/drydock/repos.yml", text);
  Diagnostics diags;
  Read result{agent::read_repos_file(source, diags), {}};
  for (const auto& d : diags.all()) {
    result.problems.push_back(std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column) + ": " + d.message);
  }
  return result;
}

} // namespace

TEST_CASE("a repos file names each repository with its refs and secrets", "[agent][repos]")
{
  const auto r = read("repos:\n"
                      "  - url: https://github.com/acme/app.git\n"
                      "    branches: [main, \"release/*\"]\n"
                      "    tags: [\"v*\"]\n"
                      "    secrets: app.env\n"
                      "  - url: git/lib.git\n"
                      "  - url: git@github.com:acme/tool.git\n");
  REQUIRE(r.problems.empty());
  REQUIRE(r.repos.size() == 3);
  CHECK(r.repos[0].name == "acme/app");
  CHECK(r.repos[0].branches == std::vector<std::string>{"main", "release/*"});
  CHECK(r.repos[0].tags == std::vector<std::string>{"v*"});
  CHECK(r.repos[0].secrets_file == "/etc/drydock/app.env"); // from the file's folder
  CHECK(r.repos[1].url == "/etc/drydock/git/lib.git");
  CHECK(r.repos[1].name == "lib");
  CHECK(r.repos[1].branches == std::vector<std::string>{"*"}); // every branch, no tag
  CHECK(r.repos[1].tags.empty());
  CHECK(r.repos[2].url == "git@github.com:acme/tool.git"); // scp-like stays a URL
  CHECK(r.repos[2].name == "acme/tool");
}

TEST_CASE("every problem of a repos file is at its line and column", "[agent][repos]")
{
  const auto r = read("repos:\n"
                      "  - url: /srv/a.git\n"
                      "    branch: [main]\n"
                      "  - branches: main\n"
                      "  - just-a-string\n"
                      "  - url: /srv/b.git\n"
                      "    tags: [[x]]\n"
                      "    colour: blue\n"
                      "extra: 1\n");
  CHECK(r.problems
        == std::vector<std::string>{
            "3:5: unknown key 'branch'; did you mean 'branches'?",
            "4:5: this repository has no url",
            "4:15: branches must be a list of globs, not a string ('main')",
            "5:5: a repository must be a mapping with a url, not a string ('just-a-string')",
            "7:12: each of tags must be a glob, not a list",
            "8:5: unknown key 'colour' (a repository has url, branches, tags, secrets)",
            "9:1: unknown key 'extra' (the file has repos:)",
        });
  CHECK(r.repos.size() == 2);
}

TEST_CASE("a repos file without a list of repositories is an error", "[agent][repos]")
{
  CHECK(read("repos: []\n").problems
        == std::vector<std::string>{"1:8: the file must have `repos:`, a list of repositories"});
  CHECK(read("- url: x\n").problems
        == std::vector<std::string>{"1:1: the file must have `repos:`, a list of repositories"});
  CHECK_FALSE(read("repos: [\n").problems.empty()); // YAML's own error
}

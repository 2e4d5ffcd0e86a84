// The agent's git, on real repositories: a bare mirror fetched from a
// remote, its heads (tags peeled), a commit's author and title, and a
// checkout of a commit on the build's branch with the project's origin.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <thread>
#include <vector>

#include "exec/run_fixture.hpp"
#include "os/checkout.hpp"
#include "os/git.hpp"

using namespace drydock;
namespace fs = std::filesystem;

namespace {

std::string sh(const test::ScratchDir& dir, const std::string& command)
{
  const auto out = dir.path() / "sh.out";
  const std::string full = "cd '" + dir.path().string() + "' && (" + command + ") >'" + out.string() + "' 2>&1";
  const int code = std::system(full.c_str());
  INFO(dir.read("sh.out"));
  REQUIRE(code == 0);
  auto text = dir.read("sh.out");
  while (!text.empty() && text.back() == '\n') {
    text.pop_back();
  }
  return text;
}

const char* kIdentity = "git -c user.name='Ada Lovelace' -c user.email=ada@example.com";

} // namespace

TEST_CASE("a mirror gets every branch and tag, prunes deleted ones and peels tags", "[os][git]")
{
  test::ScratchDir dir;
  sh(dir, std::string("git init -q -b main origin && cd origin && ") + kIdentity
              + " commit -q --allow-empty -m 'first line' -m body && git tag -a -m t v1 && git branch side");
  const auto sha = sh(dir, "git -C origin rev-parse HEAD");
  const auto mirror = (dir.path() / "mirrors" / "app.git").string();
  REQUIRE(os::fetch_mirror((dir.path() / "origin").string(), mirror, 60));
  auto heads = os::list_heads(mirror);
  REQUIRE(heads);
  CHECK(
      *heads
      == std::map<std::string, std::string>{{"refs/heads/main", sha}, {"refs/heads/side", sha}, {"refs/tags/v1", sha}});
  CHECK(os::has_commit(mirror, sha));
  CHECK_FALSE(os::has_commit(mirror, std::string(40, '0')));
  const auto summary = os::commit_summary(mirror, sha);
  CHECK(summary.author == "Ada Lovelace");
  CHECK(summary.title == "first line");
  sh(dir, "git -C origin branch -D side");
  REQUIRE(os::fetch_mirror((dir.path() / "origin").string(), mirror, 60));
  CHECK(os::list_heads(mirror)->count("refs/heads/side") == 0);
}

// The agent's poller and builds and `drydock agent enqueue` fetch into one
// mirror at once: git alone fails the loser ("could not lock config file",
// "cannot lock ref ... is at X but expected Y"); they take turns instead.
TEST_CASE("fetches into one mirror at once all succeed, its first one and after every branch moved", "[os][git]")
{
  test::ScratchDir dir;
  sh(dir, std::string("git init -q -b main origin && cd origin && ") + kIdentity
              + " commit -q --allow-empty -m one && for i in $(seq 1 20); do git branch b$i; done");
  const auto origin = (dir.path() / "origin").string();
  const auto mirror = (dir.path() / "mirrors" / "app.git").string();
  const auto fetch_at_once = [&] {
    std::vector<tl::expected<void, std::string>> results(8);
    std::vector<std::thread> threads;
    for (auto& result : results) {
      threads.emplace_back([&result, &origin, &mirror] { result = os::fetch_mirror(origin, mirror, 60); });
    }
    for (auto& thread : threads) {
      thread.join();
    }
    for (const auto& result : results) {
      INFO((result ? std::string() : result.error()));
      CHECK(result);
    }
  };
  fetch_at_once(); // each makes the mirror, if none did yet
  sh(dir, std::string("cd origin && ") + kIdentity
              + " commit -q --allow-empty -m two && for i in $(seq 1 20); do git branch -f b$i; done");
  fetch_at_once();
  const auto heads = os::list_heads(mirror);
  REQUIRE(heads);
  CHECK(heads->at("refs/heads/b7") == sh(dir, "git -C origin rev-parse HEAD"));
  CHECK(fs::exists(mirror + ".lock"));
}

TEST_CASE("a fetch from nowhere is an error naming the URL", "[os][git]")
{
  test::ScratchDir dir;
  const auto missing = (dir.path() / "nothing-here").string();
  const auto fetched = os::fetch_mirror(missing, (dir.path() / "m.git").string(), 60);
  REQUIRE_FALSE(fetched);
  CHECK(fetched.error().starts_with("cannot fetch " + missing + ": "));
}

TEST_CASE("a commit of a mirror is checked out on the build's branch with the project's origin", "[os][git]")
{
  test::ScratchDir dir;
  sh(dir, std::string("git init -q -b main origin && cd origin && echo one >f && git add f && ") + kIdentity
              + " commit -q -m one && echo two >f && " + kIdentity + " commit -qam two");
  const auto first = sh(dir, "git -C origin rev-parse HEAD~1");
  const auto mirror = (dir.path() / "m.git").string();
  REQUIRE(os::fetch_mirror((dir.path() / "origin").string(), mirror, 60));
  std::string root;
  {
    auto checkout = os::FreshCheckout::of_commit({mirror, first, "main", "git@github.com:acme/app.git"}, "1:2");
    REQUIRE(checkout);
    root = fs::path(checkout->dir()).parent_path().string();
    const auto facts = os::read_repo_facts(checkout->dir());
    CHECK(facts.sha == first); // the commit asked for, not the branch's newest
    CHECK(facts.branch == "main");
    CHECK(facts.owner == "acme");
    CHECK(facts.repo == "app");
    CHECK(test::read_text(fs::path(checkout->dir()) / "f") == "one\n");
  }
  CHECK_FALSE(fs::exists(root)); // removed with the checkout
  auto detached = os::FreshCheckout::of_commit({mirror, first, "", "/srv/app.git"}, "1:2");
  REQUIRE(detached);
  CHECK(os::read_repo_facts(detached->dir()).branch.empty());
}

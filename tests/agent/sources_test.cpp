#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>

#include "agent/agent.hpp"
#include "agent/sources.hpp"
#include "agent/store.hpp"
#include "exec/run_fixture.hpp"

using namespace drydock;
using agent::BuildStatus;
using Heads = std::map<std::string, std::string>;

namespace {

const std::string kShaA(40, 'a');
const std::string kShaB(40, 'b');
const std::string kShaC(40, 'c');

// A remote whose heads the test sets; fetches counted, failures on demand.
class FakeGit final : public agent::GitAccess {
public:
  Heads remote;
  std::atomic<int> fetches = 0;
  std::string fetch_error;
  std::chrono::milliseconds fetch_time{0}; // a slow remote
  std::atomic<bool> fetching = false;
  agent::Result<void> fetch(const std::string&, const std::string& mirror) override
  {
    ++fetches;
    fetching = true;
    std::this_thread::sleep_for(fetch_time);
    fetching = false;
    if (!fetch_error.empty()) {
      return tl::unexpected(fetch_error);
    }
    const std::lock_guard lock(m_mutex);
    m_mirrors[mirror] = remote;
    return {};
  }
  agent::Result<Heads> heads(const std::string& mirror) override
  {
    const std::lock_guard lock(m_mutex);
    return m_mirrors[mirror];
  }
  bool has_commit(const std::string& mirror, const std::string& sha) override
  {
    const std::lock_guard lock(m_mutex);
    for (const auto& [ref, at] : m_mirrors[mirror]) {
      if (at == sha) {
        return true;
      }
    }
    return false;
  }
  std::pair<std::string, std::string> author_and_title(const std::string&, const std::string& sha) override
  {
    return {sha[0] == 'e' ? "Jos\xe9" : "Ada", "commit " + sha.substr(0, 1)}; // e: Latin-1, as git may store it
  }

private:
  std::mutex m_mutex;
  std::map<std::string, Heads> m_mirrors;
};

struct PollFixture {
  test::ScratchDir dir;
  FakeGit git;
  agent::Mirrors mirrors{(dir.path() / "mirrors").string(), git};
  std::unique_ptr<agent::Store> store = agent::open_sqlite_store((dir.path() / "agent.db").string()).value();
  agent::RepoSpec repo{"acme/app", "https://example.invalid/acme/app.git", {"main", "release/*"}, {"v*"}, ""};
  std::int64_t clock = 1000;
  std::vector<std::string> warnings;

  std::vector<agent::Build> poll()
  {
    auto queued = agent::poll_once(
        repo, mirrors, *store, true, [this] { return clock; },
        [this](const std::string& line) { warnings.push_back(line); });
    REQUIRE(queued);
    return *queued;
  }
};

} // namespace

TEST_CASE("a repository is named OWNER/REPO from a URL, by its folder from a path", "[agent][sources]")
{
  CHECK(agent::repo_name_of("https://github.com/acme/app.git") == "acme/app");
  CHECK(agent::repo_name_of("git@github.com:acme/app.git") == "acme/app");
  CHECK(agent::repo_name_of("ssh://git@example.com:2222/team/tool") == "team/tool");
  CHECK(agent::repo_name_of("/srv/git/team/app.git") == "app");
  CHECK(agent::repo_name_of("file:///srv/git/app.git") == "app");
  CHECK(agent::repo_name_of("") == "");
}

TEST_CASE("branches and tags are built when a glob of theirs matches", "[agent][sources]")
{
  const agent::RepoSpec repo{"app", "/x", {"main", "release/*"}, {"v*"}, ""};
  CHECK(agent::ref_wanted(repo, "refs/heads/main"));
  CHECK(agent::ref_wanted(repo, "refs/heads/release/1.2"));
  CHECK_FALSE(agent::ref_wanted(repo, "refs/heads/feature"));
  CHECK(agent::ref_wanted(repo, "refs/tags/v1.0"));
  CHECK_FALSE(agent::ref_wanted(repo, "refs/tags/nightly"));
  CHECK_FALSE(agent::ref_wanted(repo, "refs/pull/1/head"));
  const agent::RepoSpec defaults{"app", "/x", {"*"}, {}, ""};
  CHECK(agent::ref_wanted(defaults, "refs/heads/any/thing"));
  CHECK_FALSE(agent::ref_wanted(defaults, "refs/tags/v1"));
}

TEST_CASE("the refs that moved or appeared are the ones requested", "[agent][sources]")
{
  const agent::RepoSpec repo{"app", "/x", {"*"}, {}, ""};
  const Heads seen{{"refs/heads/main", kShaA}, {"refs/heads/old", kShaA}};
  const Heads now{{"refs/heads/main", kShaB},
                  {"refs/heads/new", kShaC},
                  {"refs/heads/old", kShaA},
                  {"refs/tags/v1", kShaC}};
  const auto requests = agent::moved_refs(repo, seen, now);
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].ref == "refs/heads/main");
  CHECK(requests[0].sha == kShaB);
  CHECK(requests[0].reason == "poll");
  CHECK(requests[1].ref == "refs/heads/new");
}

TEST_CASE("the first poll remembers the heads; later polls queue what moved", "[agent][sources]")
{
  PollFixture f;
  REQUIRE(f.store->add_repo(f.repo.name, f.repo.url));
  f.git.remote = {{"refs/heads/main", kShaA}, {"refs/tags/v1", kShaA}};
  CHECK(f.poll().empty());
  CHECK(f.poll().empty()); // nothing moved
  f.git.remote["refs/heads/main"] = kShaB;
  f.git.remote["refs/heads/feature"] = kShaC; // not a branch this repo builds
  f.git.remote["refs/tags/v2"] = kShaB;
  const auto queued = f.poll();
  REQUIRE(queued.size() == 2);
  CHECK(queued[0].ref == "refs/heads/main");
  CHECK(queued[0].sha == kShaB);
  CHECK(queued[0].number == 1);
  CHECK(queued[0].author == "Ada");
  CHECK(queued[0].title == "commit b");
  CHECK(queued[1].ref == "refs/tags/v2");
  CHECK(f.poll().empty());
}

TEST_CASE("a repository empty at its first poll builds its first push", "[agent][sources]")
{
  PollFixture f;
  REQUIRE(f.store->add_repo(f.repo.name, f.repo.url));
  CHECK(f.poll().empty());
  f.git.remote = {{"refs/heads/main", kShaA}};
  const auto queued = f.poll();
  REQUIRE(queued.size() == 1);
  CHECK(queued[0].sha == kShaA);
}

TEST_CASE("a branch pushed twice before it is built builds its newest commit once", "[agent][sources]")
{
  PollFixture f;
  REQUIRE(f.store->add_repo(f.repo.name, f.repo.url));
  f.git.remote = {{"refs/heads/main", kShaA}};
  f.poll();
  f.git.remote["refs/heads/main"] = kShaB;
  const auto first = f.poll();
  f.git.remote["refs/heads/main"] = kShaC;
  const auto second = f.poll();
  REQUIRE(first.size() == 1);
  REQUIRE(second.size() == 1);
  CHECK(second[0].id == first[0].id);
  CHECK(second[0].sha == kShaC);
  const auto all = f.store->list({});
  REQUIRE(all);
  CHECK(all->size() == 1);
}

TEST_CASE("a failed fetch is an error and leaves the remembered heads alone", "[agent][sources]")
{
  PollFixture f;
  REQUIRE(f.store->add_repo(f.repo.name, f.repo.url));
  f.git.remote = {{"refs/heads/main", kShaA}};
  f.poll();
  f.git.fetch_error = "cannot fetch: no route";
  const auto failed = agent::poll_once(
      f.repo, f.mirrors, *f.store, true, [] { return std::int64_t{1}; }, [](const std::string&) {});
  REQUIRE_FALSE(failed);
  CHECK(failed.error() == "cannot fetch: no route");
  CHECK(f.store->heads(f.repo.name)->at("refs/heads/main") == kShaA);
}

TEST_CASE("a commit the mirror lacks is fetched before it is built", "[agent][sources]")
{
  PollFixture f;
  f.git.remote = {{"refs/heads/main", kShaA}};
  REQUIRE(f.mirrors.ensure_commit(f.repo, kShaA));
  CHECK(f.git.fetches == 1);
  REQUIRE(f.mirrors.ensure_commit(f.repo, kShaA));
  CHECK(f.git.fetches == 1); // already there
  const auto missing = f.mirrors.ensure_commit(f.repo, kShaB);
  REQUIRE_FALSE(missing);
  CHECK(missing.error() == "https://example.invalid/acme/app.git has no commit " + kShaB);
}

// Two builds prepared at once, both ahead of the mirror: the second finds
// what the first's fetch brought, and fetches nothing.
TEST_CASE("builds of one push prepared at once fetch it once", "[agent][sources]")
{
  PollFixture f;
  f.git.remote = {{"refs/heads/main", kShaA}, {"refs/tags/v1", kShaB}};
  f.git.fetch_time = std::chrono::milliseconds(300);
  agent::Result<void> first;
  agent::Result<void> second;
  std::thread a([&] { first = f.mirrors.ensure_commit(f.repo, kShaA); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50)); // b looks while a fetches
  std::thread b([&] { second = f.mirrors.ensure_commit(f.repo, kShaB); });
  a.join();
  b.join();
  CHECK(first);
  CHECK(second);
  CHECK(f.git.fetches == 1);
}

// A webhook queueing a push holds the repository's lock: a build's slow
// fetch must not keep it waiting (nor, through it, the web's threads).
TEST_CASE("a build's fetch does not hold up a webhook of its repository", "[agent][sources]")
{
  PollFixture f;
  f.git.remote = {{"refs/heads/main", kShaA}};
  f.git.fetch_time = std::chrono::milliseconds(2000);
  std::thread build([&] { CHECK(f.mirrors.ensure_commit(f.repo, kShaA)); });
  for (int i = 0; i < 400 && !f.git.fetching; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(f.git.fetching);
  {
    const auto held = f.mirrors.hold(f.repo);
    CHECK(f.git.fetching); // taken while the fetch goes on
  }
  build.join();
}

TEST_CASE("mirror folders never climb out of the mirrors folder", "[agent][sources]")
{
  FakeGit git;
  const agent::Mirrors mirrors("/state/mirrors", git);
  const auto path = [&](const std::string& name) { return mirrors.path_of({name, "", {}, {}, ""}); };
  CHECK(path("app") == "/state/mirrors/app.git");
  CHECK(path("acme/app").starts_with("/state/mirrors/acme_app-"));
  CHECK(path("a_b/c") != path("a/b_c")); // alike once made file names, apart by their hash
  CHECK(path("..").starts_with("/state/mirrors/_..-"));
  CHECK(path("").starts_with("/state/mirrors/_-"));
  for (const auto& name : {"acme/app", "..", "", "../../etc"}) {
    CHECK(std::filesystem::path(path(name)).parent_path() == "/state/mirrors");
  }
}

TEST_CASE("drydock run's exit status is the build's status", "[agent]")
{
  CHECK(agent::status_of_exit(0, false) == BuildStatus::success);
  CHECK(agent::status_of_exit(1, false) == BuildStatus::failed);
  CHECK(agent::status_of_exit(130, false) == BuildStatus::interrupted);
  CHECK(agent::status_of_exit(130, true) == BuildStatus::canceled);
  CHECK(agent::status_of_exit(0, true) == BuildStatus::success); // it finished before the cancel reached it
  CHECK(agent::status_of_exit(2, false) == BuildStatus::error);
  CHECK(agent::status_of_exit(137, false) == BuildStatus::error);
}

TEST_CASE("a checkout builds its .circleci/config.yml, else its circle.yml; none is a clear error", "[agent]")
{
  test::ScratchDir dir;
  CHECK(agent::config_of_checkout(dir.path().string()).error()
        == "the commit has neither .circleci/config.yml nor circle.yml at its top");
  dir.write("circle.yml", "test: {}\n");
  CHECK(agent::config_of_checkout(dir.path().string()) == (dir.path() / "circle.yml").string());
  dir.write(".circleci/config.yml", "version: 2\n");
  CHECK(agent::config_of_checkout(dir.path().string()) == (dir.path() / ".circleci/config.yml").string());
}

TEST_CASE("a commit's author in another encoding is stored as UTF-8", "[agent][sources]")
{
  PollFixture f;
  REQUIRE(f.store->add_repo(f.repo.name, f.repo.url));
  f.poll();
  f.git.remote = {{"refs/heads/main", std::string(40, 'e')}};
  const auto queued = f.poll();
  REQUIRE(queued.size() == 1);
  CHECK(queued[0].author == "Jos\xef\xbf\xbd"); // U+FFFD for the byte that is not UTF-8
}

TEST_CASE("a URL's password is shown masked and never reaches a build", "[agent][sources]")
{
  CHECK(agent::shown_url("https://ci:t0k3n@github.com/acme/app.git") == "https://ci:***@github.com/acme/app.git");
  CHECK(agent::shown_url("https://ci:p@ss@example.com/a") == "https://ci:***@example.com/a"); // '@' in the password
  CHECK(agent::shown_url("https://ci@example.com/a") == "https://ci@example.com/a");
  CHECK(agent::shown_url("git@github.com:acme/app.git") == "git@github.com:acme/app.git");
  CHECK(agent::shown_url("/srv/git/app.git") == "/srv/git/app.git");
  CHECK(agent::shown_url("https://example.com/a@b") == "https://example.com/a@b"); // '@' in the path only
  CHECK(agent::url_without_credentials("https://ci:t0k3n@github.com/acme/app.git")
        == "https://github.com/acme/app.git");
  CHECK(agent::url_without_credentials("ssh://git@host/r.git") == "ssh://git@host/r.git"); // no password
  CHECK(agent::url_without_credentials("/srv/git/app.git") == "/srv/git/app.git");
}

// The Store contract: each case runs on SQLite ([agent][store]) and on
// PostgreSQL ([.pgstore]), each on a database of its own.
#include "agent/store_contract.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <latch>
#include <mutex>
#include <set>
#include <thread>

using namespace drydock;
using namespace drydock::agent;
using namespace drydock::agent::testing;

STORE_CASE(numbered, "builds are numbered per repository and fully stored")
{
  auto store = open_with_repos(maker);
  const auto first = enqueued(*store, request("app", "main", 'a'), false, 1234);
  const auto second = enqueued(*store, request("app", "main", 'b'));
  const auto other = enqueued(*store, request("lib", "main"));
  CHECK(first.number == 1);
  CHECK(second.number == 2);
  CHECK(other.number == 1);
  CHECK(std::set<std::int64_t>{first.id, second.id, other.id}.size() == 3);

  const auto read = stored(*store, first.id);
  CHECK(read.repo == "app");
  CHECK(read.ref == "refs/heads/main");
  CHECK(read.sha == sha_of('a'));
  CHECK(read.author == "Ada");
  CHECK(read.title == "Fix the thing");
  CHECK(read.reason == "push");
  CHECK(read.status == BuildStatus::queued);
  CHECK(read.queued_at == 1234);
  CHECK(read.agent.empty());
  CHECK(read.started_at == 0);
}

STORE_CASE(unknown_repository, "a build of an unknown repository is refused")
{
  auto store = open_with_repos(maker);
  auto build = store->enqueue(request("nope", "main"), false, 1000);
  REQUIRE_FALSE(build);
  CHECK(build.error() == "the agent has no repository named nope");
  CHECK(listed(*store).empty());
}

STORE_CASE(coalescing, "a queued build of the same ref takes the newer commit")
{
  auto store = open_with_repos(maker);
  const auto first = enqueued(*store, request("app", "main", 'a'), true);
  auto newer = request("app", "main", 'b');
  newer.author = "Grace";
  newer.title = "Fix it again";
  newer.reason = "poll";
  const auto merged = enqueued(*store, newer, true);
  CHECK(merged.id == first.id);
  CHECK(merged.number == first.number);
  CHECK(merged.sha == sha_of('b'));
  CHECK(merged.author == "Grace");
  CHECK(merged.title == "Fix it again");
  CHECK(merged.reason == "poll");
  CHECK(stored(*store, first.id).sha == sha_of('b'));

  SECTION("another ref, or no coalescing, queues another build")
  {
    CHECK(enqueued(*store, request("app", "dev"), true).number == 2);
    CHECK(enqueued(*store, request("app", "main", 'c'), false).number == 3);
    CHECK(enqueued(*store, request("lib", "main"), true).number == 1);
  }
  SECTION("a running build is not changed")
  {
    CHECK(claimed(*store, "a/1").id == first.id);
    const auto next = enqueued(*store, request("app", "main", 'c'), true);
    CHECK(next.id != first.id);
    CHECK(next.number == 2);
    CHECK(stored(*store, first.id).sha == sha_of('b'));
  }
}

// Leases are measured in the database's clock: PostgreSQL's server's (here
// on this machine, so near), SQLite's this machine's as given.
STORE_CASE(database_clock, "the database tells its time")
{
  auto store = maker.open();
  const auto local = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  const auto reading = store->clock(local);
  REQUIRE(reading);
  CHECK(reading->before <= reading->after);
  CHECK(reading->after - reading->before < 5000);
  CHECK(std::llabs(reading->database - reading->before) < 5000);
}

STORE_CASE(claim_order, "claims take the oldest queued build, with a lease")
{
  auto store = open_with_repos(maker);
  auto empty = store->claim("a/1", 2000, 100);
  REQUIRE(empty);
  CHECK_FALSE(empty->has_value());

  const auto first = enqueued(*store, request("lib", "main"));
  const auto second = enqueued(*store, request("app", "main"));
  const auto build = claimed(*store, "a/1", 2000, 500);
  CHECK(build.id == first.id);
  CHECK(build.status == BuildStatus::running);
  CHECK(build.agent == "a/1");
  CHECK(build.started_at == 2000);
  CHECK(build.lease_until == 2500);
  CHECK(stored(*store, first.id).status == BuildStatus::running);
  CHECK(claimed(*store, "a/1").id == second.id);
  auto none = store->claim("a/1", 3000, 100);
  REQUIRE(none);
  CHECK_FALSE(none->has_value());
}

STORE_CASE(claim_only, "an agent claims only builds of the repositories it builds")
{
  auto store = open_with_repos(maker);
  const auto lib = enqueued(*store, request("lib", "main"));
  const auto app = enqueued(*store, request("app", "main"));
  store->claim_only({"app", "tool"});
  CHECK(claimed(*store, "a/1").id == app.id); // lib's is older, but not this agent's
  auto none = store->claim("a/1", 3000, 100);
  REQUIRE(none);
  CHECK_FALSE(none->has_value());
  CHECK(stored(*store, lib.id).status == BuildStatus::queued);
  store->claim_only({});
  CHECK(claimed(*store, "a/1").id == lib.id);
}

// Two agents: on one SQLite file, or on two connections to one PostgreSQL.
STORE_CASE(two_stores, "two stores on one database never share a number or a claim")
{
  open_with_repos(maker);
  std::vector<std::unique_ptr<Store>> stores;
  stores.push_back(maker.open());
  stores.push_back(maker.open());
  constexpr int kEach = 500; // fewer rarely interleave a racy enqueue

  // Both threads start together, at each step, so that their writes interleave.
  std::latch enqueue_start(2);
  std::latch claim_start(2);
  std::vector<std::vector<Build>> made(2);
  std::vector<std::string> errors;
  std::mutex errors_mutex;
  auto keep_error = [&](const std::string& error) {
    std::lock_guard lock(errors_mutex);
    errors.push_back(error);
  };
  {
    std::vector<std::jthread> threads;
    for (std::size_t t = 0; t < 2; ++t) {
      threads.emplace_back([&, t] {
        enqueue_start.arrive_and_wait();
        for (int i = 0; i < kEach; ++i) {
          auto build = stores[t]->enqueue(request("app", fmt::format("t{}-{}", t, i)), true, 1000);
          build ? made[t].push_back(*build) : keep_error(build.error());
        }
      });
    }
  }
  REQUIRE(errors.empty());
  std::set<int> numbers;
  for (const auto& list : made) {
    for (const auto& build : list) {
      numbers.insert(build.number);
    }
  }
  CHECK(numbers.size() == 2 * kEach);
  CHECK(*numbers.begin() == 1);
  CHECK(*numbers.rbegin() == 2 * kEach);

  std::vector<std::vector<std::int64_t>> taken(2);
  {
    std::vector<std::jthread> threads;
    for (std::size_t t = 0; t < 2; ++t) {
      threads.emplace_back([&, t] {
        const std::string agent = "a/" + std::to_string(t);
        claim_start.arrive_and_wait();
        for (;;) {
          auto build = stores[t]->claim(agent, 2000, 60000);
          if (!build) {
            keep_error(build.error());
            return;
          }
          if (!*build) {
            return;
          }
          taken[t].push_back((*build)->id);
        }
      });
    }
  }
  REQUIRE(errors.empty());
  std::set<std::int64_t> all(taken[0].begin(), taken[0].end());
  all.insert(taken[1].begin(), taken[1].end());
  CHECK(taken[0].size() + taken[1].size() == 2 * kEach);
  CHECK(all.size() == 2 * kEach);
}

STORE_CASE(lease_expiry, "builds whose lease ran out are interrupted")
{
  auto store = open_with_repos(maker);
  const auto stale = enqueued(*store, request("app", "main"));
  const auto renewed = enqueued(*store, request("app", "dev"));
  CHECK(claimed(*store, "a/1", 1000, 100).id == stale.id);
  CHECK(claimed(*store, "b/1", 1000, 100).id == renewed.id);
  REQUIRE(store->heartbeat("b/1", 1050, 1000));
  CHECK(stored(*store, renewed.id).lease_until == 2050);

  auto recovered = store->recover("c", "c/1", 1200, false);
  REQUIRE(recovered);
  REQUIRE(ids_of(*recovered) == std::vector<std::int64_t>{stale.id});
  CHECK(recovered->front().status == BuildStatus::interrupted);
  const auto after = stored(*store, stale.id);
  CHECK(after.status == BuildStatus::interrupted);
  CHECK(after.message == "its agent stopped (lease expired)");
  CHECK(after.finished_at == 1200);
  CHECK(stored(*store, renewed.id).status == BuildStatus::running);

  auto again = store->recover("c", "c/1", 1200, false);
  REQUIRE(again);
  CHECK(again->empty());
}

STORE_CASE(restarted_agent, "a restarted agent interrupts its earlier instance's builds")
{
  auto store = open_with_repos(maker);
  const auto earlier = enqueued(*store, request("app", "main"));
  const auto current = enqueued(*store, request("app", "dev"));
  const auto other = enqueued(*store, request("lib", "main"));
  CHECK(claimed(*store, "a/100:1").id == earlier.id);
  CHECK(claimed(*store, "a/200:2").id == current.id);
  CHECK(claimed(*store, "ab/100:1").id == other.id);

  auto recovered = store->recover("a", "a/200:2", 3000, false);
  REQUIRE(recovered);
  REQUIRE(ids_of(*recovered) == std::vector<std::int64_t>{earlier.id});
  const auto after = stored(*store, earlier.id);
  CHECK(after.status == BuildStatus::interrupted);
  CHECK(after.message == "its agent restarted");
  CHECK(after.finished_at == 3000);
  CHECK(stored(*store, current.id).status == BuildStatus::running);
  CHECK(stored(*store, other.id).status == BuildStatus::running);
}

STORE_CASE(requeue, "recovered builds may be queued again")
{
  auto store = open_with_repos(maker);
  const auto build = enqueued(*store, request("app", "main"));
  const auto asked = enqueued(*store, request("app", "dev"));
  claimed(*store, "a/1", 1000, 100);
  claimed(*store, "a/1", 1000, 100);
  REQUIRE(store->request_cancel(asked.id, 1010));

  auto recovered = store->recover("a", "a/2", 1500, true);
  REQUIRE(recovered);
  REQUIRE(ids_of(*recovered) == std::vector<std::int64_t>{build.id, asked.id});
  const auto queued = stored(*store, build.id);
  CHECK(queued.status == BuildStatus::queued);
  CHECK(queued.agent.empty());
  CHECK(queued.started_at == 0);
  CHECK(queued.lease_until == 0);
  // One asked to stop is not started again.
  const auto canceled = stored(*store, asked.id);
  CHECK(canceled.status == BuildStatus::canceled);
  CHECK(canceled.message == "canceled; its agent restarted");

  const auto again = claimed(*store, "a/2", 1600);
  CHECK(again.id == build.id);
  CHECK(again.number == build.number);
  CHECK(again.agent == "a/2");
}

STORE_CASE(cancel, "canceling a queued build ends it; a running one is asked to stop")
{
  auto store = open_with_repos(maker);
  const auto running = enqueued(*store, request("app", "main"));
  const auto queued = enqueued(*store, request("app", "dev"));
  claimed(*store, "a/1");

  auto canceled = store->request_cancel(queued.id, 5000);
  REQUIRE(canceled);
  CHECK(*canceled);
  const auto ended = stored(*store, queued.id);
  CHECK(ended.status == BuildStatus::canceled);
  CHECK(ended.finished_at == 5000);

  auto none = store->cancel_requests("a/1");
  REQUIRE(none);
  CHECK(none->empty());
  auto asked = store->request_cancel(running.id, 5000);
  REQUIRE(asked);
  CHECK(*asked);
  CHECK(stored(*store, running.id).status == BuildStatus::running);
  CHECK(stored(*store, running.id).cancel_requested);
  auto requests = store->cancel_requests("a/1");
  REQUIRE(requests);
  CHECK(*requests == std::vector<std::int64_t>{running.id});
  auto others = store->cancel_requests("a/2");
  REQUIRE(others);
  CHECK(others->empty());

  auto over = store->request_cancel(queued.id, 6000);
  REQUIRE(over);
  CHECK_FALSE(*over);
  auto unknown = store->request_cancel(999, 6000);
  REQUIRE(unknown);
  CHECK_FALSE(*unknown);
}

STORE_CASE(finish, "only a running build can be finished")
{
  auto store = open_with_repos(maker);
  const auto build = enqueued(*store, request("app", "main"));
  auto early = store->finish(build.id, BuildStatus::success, 0, "", 3000);
  REQUIRE_FALSE(early);
  CHECK(early.error() == "build 1 is not running (it is queued)");

  claimed(*store, "a/1");
  REQUIRE(store->set_dir(build.id, "/var/lib/drydock/builds/1"));
  REQUIRE(store->finish(build.id, BuildStatus::failed, 2, "step test failed", 3000));
  const auto done = stored(*store, build.id);
  CHECK(done.status == BuildStatus::failed);
  CHECK(done.exit_code == 2);
  CHECK(done.message == "step test failed");
  CHECK(done.finished_at == 3000);
  CHECK(done.dir == "/var/lib/drydock/builds/1");

  auto twice = store->finish(build.id, BuildStatus::success, 0, "", 4000);
  REQUIRE_FALSE(twice);
  CHECK(twice.error() == "build 1 is not running (it is failed)");
  CHECK(stored(*store, build.id).status == BuildStatus::failed);
  auto unknown = store->finish(42, BuildStatus::success, 0, "", 4000);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error() == "there is no build 42");
  auto not_final = store->finish(build.id, BuildStatus::running, 0, "", 4000);
  REQUIRE_FALSE(not_final);
  CHECK(not_final.error() == "cannot finish build 1 as running: that is not a final status");
  auto no_dir = store->set_dir(42, "/x");
  REQUIRE_FALSE(no_dir);
  CHECK(no_dir.error() == "there is no build 42");
  auto missing = store->get(42);
  REQUIRE(missing);
  CHECK_FALSE(missing->has_value());
}

STORE_CASE(describe, "a build queued without its commit's author and title gets them later")
{
  auto store = open_with_repos(maker);
  auto bare = request("app", "main");
  bare.author.clear();
  bare.title.clear();
  const auto plain = enqueued(*store, bare);
  const auto told = enqueued(*store, request("lib", "main"));
  REQUIRE(store->describe(plain.id, "Grace", "Add the parser"));
  REQUIRE(store->describe(told.id, "Mallory", "Something else"));
  CHECK(stored(*store, plain.id).author == "Grace");
  CHECK(stored(*store, plain.id).title == "Add the parser");
  CHECK(stored(*store, told.id).author == "Ada"); // what the push said stays
  CHECK(stored(*store, told.id).title == "Fix the thing");
  REQUIRE(store->describe(plain.id, "Eve", "Later")); // described once
  CHECK(stored(*store, plain.id).author == "Grace");
}

STORE_CASE(list_filters, "the list filters, pages and shows the newest first")
{
  auto store = open_with_repos(maker);
  const auto a1 = enqueued(*store, request("app", "main")).id;
  const auto a2 = enqueued(*store, request("app", "dev")).id;
  const auto l1 = enqueued(*store, request("lib", "main")).id;
  const auto a3 = enqueued(*store, request("app", "main")).id;
  auto tag = request("app", "main");
  tag.ref = "refs/tags/main";
  const auto t1 = enqueued(*store, tag).id;
  claimed(*store, "a/1");

  CHECK(listed(*store) == std::vector<std::int64_t>{t1, a3, l1, a2, a1});
  CHECK(listed(*store, [](BuildFilter& f) { f.repo = "app"; }) == std::vector<std::int64_t>{t1, a3, a2, a1});
  CHECK(listed(*store, [](BuildFilter& f) { f.branch = "main"; }) == std::vector<std::int64_t>{a3, l1, a1});
  CHECK(listed(*store,
               [](BuildFilter& f) {
                 f.repo = "app";
                 f.branch = "main";
               })
        == std::vector<std::int64_t>{a3, a1});
  CHECK(listed(*store, [](BuildFilter& f) { f.status = BuildStatus::running; }) == std::vector<std::int64_t>{a1});
  CHECK(listed(*store, [](BuildFilter& f) {
          f.repo = "lib";
          f.status = BuildStatus::running;
        }).empty());
  CHECK(listed(*store, [](BuildFilter& f) { f.limit = 2; }) == std::vector<std::int64_t>{t1, a3});
  CHECK(listed(*store,
               [&](BuildFilter& f) {
                 f.before_id = a3;
                 f.limit = 2;
               })
        == std::vector<std::int64_t>{l1, a2});
  CHECK(listed(*store,
               [&](BuildFilter& f) {
                 f.repo = "app";
                 f.before_id = a2;
               })
        == std::vector<std::int64_t>{a1});
  CHECK(listed(*store, [](BuildFilter& f) { f.repo = "nope"; }).empty());
  CHECK(listed(*store, [](BuildFilter& f) { f.limit = 0; }) == std::vector<std::int64_t>{t1});
  CHECK(listed(*store, [](BuildFilter& f) { f.limit = -5; }) == std::vector<std::int64_t>{t1});
}

STORE_CASE(list_limit, "the list shows at most 500 builds")
{
  auto store = open_with_repos(maker);
  for (int i = 0; i < 502; ++i) {
    enqueued(*store, request("app", "main"));
  }
  CHECK(listed(*store, [](BuildFilter& f) { f.limit = 100000; }).size() == 500);
  CHECK(listed(*store, [](BuildFilter& f) { f.limit = 501; }).size() == 500);
}

STORE_CASE(heads, "the heads of a repository are replaced as a whole")
{
  auto store = open_with_repos(maker);
  auto none = store->heads("app");
  REQUIRE(none);
  CHECK(none->empty());

  const std::map<std::string, std::string> first{{"refs/heads/main", sha_of('a')}, {"refs/tags/v1", sha_of('b')}};
  REQUIRE(store->set_heads("app", first));
  REQUIRE(store->set_heads("lib", {{"refs/heads/main", sha_of('c')}}));
  auto read = store->heads("app");
  REQUIRE(read);
  CHECK(*read == first);

  const std::map<std::string, std::string> second{{"refs/heads/main", sha_of('d')}, {"refs/heads/dev", sha_of('e')}};
  REQUIRE(store->set_heads("app", second));
  auto replaced = store->heads("app");
  REQUIRE(replaced);
  CHECK(*replaced == second);
  auto other = store->heads("lib");
  REQUIRE(other);
  CHECK(other->size() == 1);
}

STORE_CASE(repo_url, "a repository's URL is the one it was last added with")
{
  auto store = open_with_repos(maker);
  CHECK(store->repo_url("app").value() == "https://example.com/org/app.git");
  REQUIRE(store->add_repo("app", "/srv/git/app.git"));
  CHECK(store->repo_url("app").value() == "/srv/git/app.git");
  CHECK(store->repo_url("nope").value() == std::nullopt);
}

STORE_CASE(reopen, "a reopened store keeps its data")
{
  std::int64_t id = 0;
  {
    auto store = maker.open();
    REQUIRE(store->add_repo("app", "https://example.com/org/app.git"));
    id = enqueued(*store, request("app", "main")).id;
    REQUIRE(store->set_heads("app", {{"refs/heads/main", sha_of('a')}}));
  }
  auto store = maker.open();
  CHECK(stored(*store, id).sha == sha_of('a'));
  CHECK(enqueued(*store, request("app", "main")).number == 2);
  auto heads = store->heads("app");
  REQUIRE(heads);
  CHECK(heads->size() == 1);
}

#include <catch2/catch.hpp>

#include "agent/clock.hpp"
#include "fake_store.hpp"

using namespace drydock;

namespace {

// A store whose clock cannot be read.
class ClocklessStore : public agent::test::FakeStore {
public:
  agent::Result<ClockReading> clock(const std::function<std::int64_t()>&) override
  {
    return tl::unexpected(std::string("the database is gone"));
  }
};

} // namespace

TEST_CASE("an agent's clock is the database's", "[agent][clock]")
{
  std::int64_t local = 1'000'000;
  agent::SharedClock clock([&] { return local; });
  agent::test::FakeStore store;
  CHECK(clock.now() == 1'000'000); // before the first sync: this machine's

  store.clock_offset = 90'000; // this machine is 90 s behind
  CHECK(clock.sync(store)
        == "note: this machine's clock is 90.0 s behind the database's; builds and leases are stamped with the "
           "database's");
  CHECK(clock.offset() == 90'000);
  local += 5;
  CHECK(clock.now() == 1'090'005);

  store.clock_offset = 91'000; // still off: not said again
  CHECK(clock.sync(store) == std::nullopt);
  CHECK(clock.now() == 1'091'005);

  store.clock_offset = -2'500;
  CHECK(clock.sync(store) == std::nullopt);
  CHECK(clock.now() == 997'505);

  store.clock_offset = 300; // within two seconds: agreed
  CHECK(clock.sync(store) == "this machine's clock now agrees with the database's");
  CHECK(clock.now() == 1'000'305);
}

TEST_CASE("an agent's clock keeps its offset when the database cannot tell the time", "[agent][clock]")
{
  std::int64_t local = 500;
  agent::SharedClock clock([&] { return local; });
  agent::test::FakeStore store;
  store.clock_offset = 7'000;
  clock.sync(store);
  ClocklessStore gone;
  CHECK(clock.sync(gone) == "warning: the database is gone");
  CHECK(clock.now() == 7'500);
}

TEST_CASE("an agent's clock keeps its offset when a reading took too long", "[agent][clock]")
{
  std::int64_t local = 0;
  std::int64_t step = 0;
  agent::SharedClock clock([&] { return local += step; });
  agent::test::FakeStore store;
  store.clock_offset = 4'000;
  clock.sync(store);
  CHECK(clock.offset() == 4'000);
  store.clock_offset = 60'000;
  step = 1'500; // the query took 1.5 s: its middle is no better than ±0.75 s
  CHECK(clock.sync(store) == std::nullopt);
  CHECK(clock.offset() == 4'000);
  step = 900; // under a second: believed
  clock.sync(store);
  CHECK(clock.offset() == 60'000 - 450);
}

TEST_CASE("an agent's clock takes the middle of the query", "[agent][clock]")
{
  std::int64_t local = 10'000;
  agent::SharedClock clock([&] { return local += 100; }); // each reading 100 ms later
  agent::test::FakeStore store;                           // answers the first reading: 10'100
  clock.sync(store);                                      // ... against the middle of 10'100 and 10'200
  CHECK(clock.offset() == -50);
}

#include <catch2/catch.hpp>

#include "record/replay.hpp"
#include "record/timeline.hpp"
#include "record_test_support.hpp"

using namespace drydock;

namespace {

record::StepHistory ran(std::size_t index, std::int64_t start, std::int64_t end, std::vector<std::string> needs = {})
{
  record::StepHistory step;
  step.index = index;
  step.id = "s" + std::to_string(index);
  step.needs = std::move(needs);
  step.started_ms = start;
  step.finished_ms = end;
  step.status = "succeeded";
  return step;
}

} // namespace

TEST_CASE("a step takes the lowest lane free when it starts", "[record][timeline]")
{
  record::RunHistory history;
  history.steps = {ran(0, 0, 10), ran(1, 0, 5), ran(2, 5, 20), ran(3, 10, 12), ran(4, 11, 13)};
  const auto timeline = record::timeline_of(history);
  CHECK(timeline.lanes == 3);
  std::vector<std::size_t> lanes(5);
  for (const auto& bar : timeline.bars) {
    lanes[bar.step] = bar.lane;
  }
  // 1 frees lane 1 at 5 for 2; 0 frees lane 0 at 10 for 3; 4 finds both busy.
  CHECK(lanes == std::vector<std::size_t>{0, 1, 1, 0, 2});
}

TEST_CASE("the critical path follows the need that finished last back from the last step", "[record][timeline]")
{
  record::RunHistory history;
  history.steps = {ran(0, 0, 10), ran(1, 10, 30, {"s0"}), ran(2, 10, 50, {"s0"}), ran(3, 50, 60, {"s1", "s2"}),
                   ran(4, 10, 20, {"s0"})};
  const auto timeline = record::timeline_of(history);
  CHECK(timeline.critical == std::vector<bool>{true, false, true, true, false});
}

TEST_CASE("steps that never started have no bar; an unfinished one ends with the run", "[record][timeline]")
{
  const auto history = record::parse_history(test::sample_events());
  auto timeline = record::timeline_of(history);
  CHECK(timeline.bars.size() == 3);
  CHECK(timeline.bar_of == std::vector<long>{0, 1, 2, -1});
  CHECK(timeline.lanes == 2);
  // The killed step (ends at 1220) came after setup: that is the path.
  CHECK(timeline.critical == std::vector<bool>{true, true, false, false});

  record::RunHistory died;
  died.duration_ms = 70;
  died.steps = {ran(0, 5, 0)};
  died.steps[0].finished_ms.reset();
  timeline = record::timeline_of(died);
  REQUIRE(timeline.bars.size() == 1);
  CHECK(timeline.bars[0].end_ms == 70);
}

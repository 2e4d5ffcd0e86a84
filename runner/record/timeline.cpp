#include "record/timeline.hpp"

#include <algorithm>
#include <functional>
#include <queue>
#include <set>
#include <unordered_map>
#include <utility>

namespace drydock::record {
namespace {

// Bars for the steps that started; a step the run left unfinished ends with the run.
std::vector<Bar> bars_of(const RunHistory& history)
{
  std::vector<Bar> bars;
  for (const auto& step : history.steps) {
    if (!step.started_ms) {
      continue;
    }
    const std::int64_t end = step.finished_ms.value_or(history.duration_ms);
    bars.push_back({step.index, *step.started_ms, std::max(end, *step.started_ms), 0});
  }
  std::stable_sort(bars.begin(), bars.end(), [](const Bar& a, const Bar& b) { return a.start_ms < b.start_ms; });
  return bars;
}

// Greedy: the lowest lane whose last bar ended by this one's start.
std::size_t assign_lanes(std::vector<Bar>& bars)
{
  using Busy = std::pair<std::int64_t, std::size_t>; // end, lane
  std::priority_queue<Busy, std::vector<Busy>, std::greater<>> busy;
  std::set<std::size_t> free;
  std::size_t lanes = 0;
  for (auto& bar : bars) {
    while (!busy.empty() && busy.top().first <= bar.start_ms) {
      free.insert(busy.top().second);
      busy.pop();
    }
    if (free.empty()) {
      free.insert(lanes++);
    }
    bar.lane = *free.begin();
    free.erase(free.begin());
    busy.emplace(bar.end_ms, bar.lane);
  }
  return lanes;
}

std::vector<bool> critical_path(const RunHistory& history, const std::vector<Bar>& bars,
                                const std::vector<long>& bar_of)
{
  std::vector<bool> critical(history.steps.size(), false);
  std::unordered_map<std::string, std::size_t> index_of;
  for (const auto& step : history.steps) {
    index_of.emplace(step.id, step.index);
  }
  // Ends later, or as late and earlier in the steps: the one to follow.
  const auto later = [&](long a, long b) {
    return b < 0 || bars[a].end_ms > bars[b].end_ms
           || (bars[a].end_ms == bars[b].end_ms && bars[a].step < bars[b].step);
  };
  long at = -1;
  for (long bar = 0; bar < static_cast<long>(bars.size()); ++bar) {
    at = later(bar, at) ? bar : at;
  }
  while (at >= 0 && !critical[bars[at].step]) {
    critical[bars[at].step] = true;
    long next = -1;
    for (const auto& need : history.steps[bars[at].step].needs) {
      const auto found = index_of.find(need);
      const long bar = found == index_of.end() ? -1 : bar_of[found->second];
      next = bar >= 0 && later(bar, next) ? bar : next;
    }
    at = next;
  }
  return critical;
}

} // namespace

Timeline timeline_of(const RunHistory& history)
{
  Timeline timeline;
  timeline.bars = bars_of(history);
  timeline.lanes = assign_lanes(timeline.bars);
  timeline.bar_of.assign(history.steps.size(), -1);
  for (std::size_t bar = 0; bar < timeline.bars.size(); ++bar) {
    timeline.bar_of[timeline.bars[bar].step] = static_cast<long>(bar);
  }
  timeline.critical = critical_path(history, timeline.bars, timeline.bar_of);
  return timeline;
}

} // namespace drydock::record

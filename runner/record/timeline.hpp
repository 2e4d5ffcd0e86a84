#pragma once
// The run laid out in time, shared by trace.json and report.html: each step
// that started is a bar on a lane (a concurrent slot: a step takes the
// lowest lane free when it starts), and the critical path is the chain of
// needs that ended last (from the last step to finish, back through the
// need that finished last at each step).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "record/replay.hpp"

namespace drydock::record {

struct Bar {
  std::size_t step = 0; // index in the history's steps
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
  std::size_t lane = 0;
};

struct Timeline {
  std::vector<Bar> bars; // in start order (ties: the steps' order)
  std::size_t lanes = 0;
  std::vector<bool> critical; // per step: on the critical path
  std::vector<long> bar_of;   // per step: its bar, or -1 when it never started
};

Timeline timeline_of(const RunHistory& history);

} // namespace drydock::record

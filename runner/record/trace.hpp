#pragma once
// trace.json: the run in the Chrome Trace Event format, which Perfetto
// (ui.perfetto.dev) and chrome://tracing open: a track per lane (a
// concurrent slot), a complete ("X") slice per step, times in microseconds
// since the run started. Pure: everything comes from the events.
#include <string>

#include "record/replay.hpp"
#include "record/timeline.hpp"

namespace drydock::record {

std::string trace_json(const RunHistory& history, const Timeline& timeline);

} // namespace drydock::record

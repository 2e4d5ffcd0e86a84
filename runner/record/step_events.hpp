#pragma once
// Events from inside a step: drydock's own steps run as child processes
// (`drydock internal step`) and append their decisions, one JSON object a
// line, to the file $DRYDOCK_STEP_EVENTS names (plan/run_events.hpp); the
// record reads that file when the step finishes, stamps each event with
// the time and the step, and adds it to events.jsonl.
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "plan/run_events.hpp"

namespace drydock::record {

// Appends {"event": event, ...fields} to `path`, one write(2) of a whole
// line; nothing when `path` is empty (a dry run, or no record).
void append_step_event(const std::string& path, std::string_view event, const nlohmann::ordered_json& fields);

// The events in the file, each as {"event", fields...}; lines that are not
// a JSON object with an "event" string are left out (a cut last line).
std::vector<nlohmann::ordered_json> read_step_events(const std::string& path);

} // namespace drydock::record

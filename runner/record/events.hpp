#pragma once
// The run's event stream as JSON lines: the one format events.jsonl and
// `drydock run --json` share, and what the later writers (JUnit, trace,
// HTML) read. Each function gives one line, newline included, with its
// fields in a fixed order; README.md ("The event stream") documents them.
// Version 1: fields may be added, none removed or changed in meaning.
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/pipeline.hpp"
#include "plan/run_events.hpp"

namespace drydock::record {

inline constexpr int kEventsVersion = 1;

using Ms = std::chrono::milliseconds;

// What run_started says beyond the pipeline: the facts of this build.
struct RunInfo {
  std::string config; // the config file's path
  std::string commit;
  std::string branch;
  std::string tag;
  int build_number = 0;
  std::string drydock_version;
  std::string owner;      // "PID:START" of the drydock running it: `runs` and `clean` tell a died run by it
  std::string started_at; // wall clock, ISO 8601 UTC
  bool dry_run = false;
};

// The line for an event: `fields` after "event" and "t", in their order.
std::string event_line(std::string_view event, Ms t, const nlohmann::ordered_json& fields = {});

std::string run_started(Ms t, const RunInfo& info, const pipeline::Pipeline& pipeline);
std::string step_queued(Ms t, const pipeline::Step& step);
// `released_by`: the ids of the needs that finished last (what let it start).
std::string step_started(Ms t, const pipeline::Pipeline& pipeline, const pipeline::Step& step,
                         const std::vector<std::string>& released_by);
std::string step_finished(Ms t, const pipeline::Step& step, const plan::StepOutcome& outcome);
// A step that never started: skipped by its policy, or not reached.
std::string step_skipped(Ms t, const pipeline::Step& step, const std::string& reason);
// What a directory of the record holds once the run is over.
std::string stored(Ms t, std::string_view event, const std::string& path, std::size_t files, std::uintmax_t bytes);
// `message`: why the run failed before any step (setup), or empty.
std::string run_finished(Ms t, const plan::BuildResult& result, const std::string& message = {});

// "passed", "failed" or "interrupted".
std::string result_name(const plan::BuildResult& result);

} // namespace drydock::record

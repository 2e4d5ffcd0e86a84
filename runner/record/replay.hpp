#pragma once
// A finished (or died) run read back from its record: events.jsonl parsed
// into a typed history that the report writers (JUnit, trace, HTML) share,
// and the tails of the steps' logs. Pure: it reads files, nothing else; the
// times are the events' own `t`, never the clock.
#include <tl/expected.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace drydock::record {

struct StepHistory {
  std::size_t index = 0; // in run_started's steps: the NNN of its log
  std::string id;
  std::string name;
  std::string group; // the phase or job
  std::string kind;
  std::vector<std::string> needs;
  std::string runs_in;
  bool background = false;

  std::optional<std::int64_t> started_ms;
  std::optional<std::int64_t> finished_ms;
  std::vector<std::string> released_by;
  // succeeded, failed, skipped; "unfinished" when it started and the run
  // ended (died) before its step_finished; "not run" when neither.
  std::string status = "not run";
  int exit_code = 0;
  std::optional<int> signal;
  bool timed_out = false;
  std::int64_t duration_ms = 0;
  std::string message; // why it failed to start, timed out, was stopped; or why it was skipped
};

struct ImageDecision {
  std::string step;
  std::string image;
  std::string decision; // present, loaded, built
  std::string reference;
};

struct ServiceReady {
  std::string step;
  std::string service;
  std::int64_t ms = 0;
};

struct CacheDecision {
  std::string step;
  std::string dir;
  std::string decision; // restored, nothing, kept, saved, failed
  std::string key;
};

struct RunHistory {
  std::string config;
  std::string commit;
  std::string branch;
  std::string tag;
  int build = 0;
  std::string drydock_version;
  std::string started_at;
  std::vector<StepHistory> steps;
  std::vector<ImageDecision> images;
  std::vector<ServiceReady> services;
  std::vector<CacheDecision> caches;
  // passed, failed, interrupted; empty without run_finished (the run died)
  std::string result;
  std::int64_t duration_ms = 0; // run_finished's, else the last event's t
  std::string message;
  std::size_t skipped_lines = 0; // unparsable lines left out (a cut last line)
};

// The history the lines tell. Lines that are not a JSON object with an
// "event" string are skipped and counted; events of unknown steps ignored.
RunHistory parse_history(std::string_view events_jsonl);

// record_dir/events.jsonl read and parsed; an error when it cannot be read
// or has no run_started.
tl::expected<RunHistory, std::string> read_history(const std::string& record_dir);

// logs/NNN-<id>.log, relative to the record (record/run_record.hpp's name).
std::string log_path_of(const StepHistory& step);

// The end of a step's log: at most `max_lines` lines and `max_bytes` bytes
// (cut at a line start when the log is longer), as stored (masked) bytes.
struct LogTail {
  std::string text;
  bool cut = false;             // the log holds more than `text`
  std::uintmax_t log_bytes = 0; // the whole log's size; 0 when there is none
};
LogTail read_log_tail(const std::string& record_dir, const StepHistory& step, std::size_t max_lines,
                      std::size_t max_bytes);

// The last `max_lines` lines of `text` (a trailing newline ends the last).
std::string_view last_lines(std::string_view text, std::size_t max_lines);

} // namespace drydock::record

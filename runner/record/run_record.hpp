#pragma once
// The run record: one directory per run, named by its build number, under
// the repository's git dir (<git dir>/drydock/runs/N) or, outside git,
// ~/.local/state/drydock/runs/<folder>/N beside the build counter:
//
//   events.jsonl   the event stream (record/events.hpp), one JSON object a line
//   logs/          each step's whole output, masked: NNN-<step id>.log
//   artifacts/     $CIRCLE_ARTIFACTS
//   test-results/  $CIRCLE_TEST_REPORTS
//   tools/         the pipeline's tools (CircleCI's `circleci` stand-in), on host steps' PATH
//   junit.xml, trace.json, report.html   written from the events at the end
//                  (record/reports.hpp)
//
// Listing, pruning and the died-run check read events.jsonl only.
#include <tl/expected.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/pipeline.hpp"

namespace drydock::record {

inline constexpr int kDefaultKeepRuns = 20;

// <git dir>/drydock/runs, or ~/.local/state/drydock/runs/<folder> outside git.
std::string runs_dir_for(const std::string& git_dir, const std::string& config_dir, const std::string& home);

struct RecordPaths {
  std::string dir; // empty: no record (a dry run)
  std::string events() const { return dir + "/events.jsonl"; }
  std::string logs() const { return dir + "/logs"; }
  std::string tools() const { return dir + "/tools"; }
  std::string artifacts() const { return dir + "/artifacts"; }
  std::string test_results() const { return dir + "/test-results"; }
  std::string junit() const { return dir + "/junit.xml"; }
  std::string trace() const { return dir + "/trace.json"; }
  std::string report() const { return dir + "/report.html"; }
  // Where drydock's own steps append their events (record/step_events.hpp).
  std::string step_events(std::size_t step) const;
};

// Makes RUNS/N with its folders. A directory already there (the counter
// was reset) is an older run's: it is replaced.
tl::expected<RecordPaths, std::string> create_record(const std::string& runs_dir, int number);

// Makes the record at DIR itself (an agent's build folder names it), which
// must be new or empty: a given record is never another run's replaced.
tl::expected<RecordPaths, std::string> create_record_at(const std::string& dir);

// NNN-<id>.log: the step's index keeps two ids that read alike apart; the id
// keeps [A-Za-z0-9._-] and at most 100 of them, so no name climbs out.
std::string log_file_name(const pipeline::Step& step);
std::string log_file_name(std::size_t index, std::string_view id);

// Whether the drydock with this owner ("PID:START") still runs.
using OwnerAlive = std::function<bool(const std::string& owner)>;

struct RunSummary {
  int number = 0;
  std::string dir;
  std::string commit;
  std::string branch;
  std::string tag;
  // passed, failed, interrupted; without run_finished: running (its drydock
  // lives) or died (it is gone: kill -9, a crash)
  std::string result;
  std::optional<std::int64_t> duration_ms;
  std::string started_at;
};

RunSummary read_summary(const std::string& dir, int number, const OwnerAlive& alive);

// Every record under runs_dir, newest (highest number) first.
std::vector<RunSummary> list_runs(const std::string& runs_dir, const OwnerAlive& alive);

// Removes the records beyond the newest `keep`, except those still running;
// the numbers removed.
std::vector<int> prune_runs(const std::string& runs_dir, int keep, const OwnerAlive& alive);

// Removes the records of runs that died (`dry`: only lists them); those runs.
std::vector<RunSummary> remove_died_runs(const std::string& runs_dir, const OwnerAlive& alive, bool dry);

// `drydock runs`: a table, newest first, or a line saying there are none.
std::string format_runs(const std::vector<RunSummary>& runs);

} // namespace drydock::record

#pragma once
// One run's state over a pipeline's immutable graph: which steps wait, run, succeeded,
// failed or were skipped, and which may start next. No processes, no clock:
// the executor tells the plan what finished (ninja's Plan, taskflow's Topology).
#include <set>
#include <string>
#include <vector>

#include "graph/graph.hpp"
#include "pipeline/pipeline.hpp"

namespace drydock::plan {

enum class StepStatus { waiting, ready, running, succeeded, failed, skipped };

std::string_view status_name(StepStatus status);

class Plan {
public:
  // The pipeline must outlive the plan.
  explicit Plan(const pipeline::Pipeline& pipeline);

  bool has_ready() const { return !m_ready.empty(); }
  // The steps that became ready since the last call, in that order (for
  // the record's step_queued events).
  std::vector<std::size_t> take_newly_ready();
  // The ready step on the longest remaining path (then the earliest), now running.
  std::size_t start_next();
  // The step's policy decides what a failure does (pipeline::OnFailure);
  // each step that becomes ready then runs or is skipped by its RunsWhen,
  // judged by the steps it waits for, directly or not.
  void finished(std::size_t step, bool succeeded);
  // The step passed and ended its group: the group's steps after it are
  // skipped with `reason`, as passed (what waits for them goes on), but
  // its finally steps, which still run.
  void finished_halting_group(std::size_t step, const std::string& reason);
  // Nothing new starts; what has not started is skipped with this reason,
  // except the `finally` steps, which still run when `finally_steps_run`
  // (a failure stopped the build, not an interrupt).
  void stop(std::string reason, bool finally_steps_run = true);

  std::size_t running_count() const { return m_running; }
  // True once no step is running and none can start.
  bool done() const { return m_running == 0 && m_ready.empty(); }
  // Marks every step that never started as skipped; call when done().
  void close(const std::string& reason_if_unreached);

  StepStatus status(std::size_t step) const { return m_status[step]; }
  const std::string& skip_reason(std::size_t step) const { return m_reason[step]; }
  bool any_failed() const { return m_any_failed; }
  // Steps on the longest path from this step to the end, itself included.
  int critical_path(std::size_t step) const { return m_critical[step]; }
  const graph::Graph& graph() const { return m_graph; }

private:
  void make_ready(std::size_t step);
  void skip(std::size_t step, std::string reason);
  void settle(std::size_t step, bool failed, bool skipped = false);
  bool runs_finally(std::size_t step) const;
  void unready_all();
  // Why the step, now free to start, must not: empty when it may.
  std::string reason_not_to_run(std::size_t step) const;

  const pipeline::Pipeline& m_pipeline;
  graph::Graph m_graph;
  std::vector<StepStatus> m_status;
  std::vector<std::string> m_reason;
  std::vector<std::size_t> m_unfinished_deps;
  // A step it waits for, directly or not, that failed (or was skipped for
  // that), as the index + 1 of the first such; 0: none.
  std::vector<std::size_t> m_failed_before;
  std::vector<bool> m_blocked;       // a step it waits for skips its dependants
  std::vector<std::string> m_halted; // not empty: skipped as passed when it would start, for this reason
  std::vector<int> m_critical;
  std::set<std::pair<int, std::size_t>> m_ready; // (-critical path, index)
  std::vector<std::size_t> m_newly_ready;
  std::size_t m_running = 0;
  bool m_any_failed = false;
  bool m_stopped = false;
  bool m_finally_runs = true; // after a stop
  std::string m_stop_reason;
};

} // namespace drydock::plan

#pragma once
// The scheduler loop: start what the plan allows up to the runner's
// capacity, then reap one result; repeat (ninja's Builder::Build).
#include <chrono>
#include <string>
#include <vector>

#include "exec/build_context.hpp"
#include "exec/step_runner.hpp"
#include "graph/graph.hpp"
#include "plan/plan.hpp"

namespace drydock::exec {

struct StepOutcome {
  plan::StepStatus status = plan::StepStatus::waiting;
  int exit_code = 0;
  std::chrono::milliseconds duration{0};
  std::string message; // why it failed to start, timed out, or was skipped
};

struct BuildResult {
  std::vector<StepOutcome> steps;
  bool failed = false;
  bool interrupted = false;
  std::chrono::milliseconds duration{0};
};

// What the user sees while a build runs.
class RunObserver {
public:
  virtual ~RunObserver() = default;
  virtual void step_started(const graph::Step& step, const StepRequest& request) = 0;
  virtual void step_finished(const graph::Step& step, const StepOutcome& outcome) = 0;
  virtual void interrupted() = 0;
};

// The command as bash runs it, the directory, the environment and limits.
StepRequest make_request(const graph::Step& step, const BuildContext& context);

BuildResult run_build(const graph::Graph& graph, const BuildContext& context, StepRunner& runner,
                      RunObserver& observer);

} // namespace drydock::exec

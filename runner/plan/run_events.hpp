#pragma once
// What a run reports while it goes and what it comes to: the interfaces
// the executor calls and the printer (and later the record) implement, and
// the results they share. No processes here: exec/ produces these, report/
// consumes them, neither includes the other.
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/pipeline.hpp"
#include "plan/plan.hpp"

namespace drydock::plan {

struct StepOutcome {
  StepStatus status = StepStatus::waiting;
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

// Receives a step's output as it arrives, in chunks of any size.
class OutputSink {
public:
  virtual ~OutputSink() = default;
  virtual void on_output(std::size_t step, std::string_view chunk) = 0;
  // The step's command exited, but processes it started still hold its
  // output: what they write from now on is not read.
  virtual void on_output_abandoned(std::size_t step) = 0;
  // Every step is quiet for now: a good moment to pass buffered output on.
  virtual void flush() = 0;
};

// What the user sees while a build runs.
class RunObserver {
public:
  virtual ~RunObserver() = default;
  virtual void step_started(const pipeline::Step& step) = 0;
  virtual void step_finished(const pipeline::Step& step, const StepOutcome& outcome) = 0;
  virtual void interrupted() = 0;
};

} // namespace drydock::plan

#pragma once
// The seam for running steps: the host runner, the dry run and the tests'
// fake all implement StepRunner (ninja's CommandRunner).
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "plan/run_events.hpp"

namespace drydock::exec {

using plan::OutputSink;

struct StepRequest {
  std::size_t step = 0;
  std::vector<std::string> argv;
  std::string cwd;
  std::vector<std::string> env; // "NAME=value", complete
  std::chrono::seconds no_output_timeout{600};
  bool background = false;
  std::string background_log; // where a background step's output goes
  std::string input;          // the step's stdin (empty: /dev/null)
  std::string start_error;    // not empty: the step cannot start, and this says why
  // Not empty: the step runs where signalling drydock's child does not
  // reach it (`docker exec` in the build container); these commands send it
  // SIGTERM and SIGKILL there, and the child ends with it.
  std::vector<std::string> stop_argv;
  std::vector<std::string> kill_argv;
};

struct StepResult {
  enum class Kind { exited, timed_out, start_failed };
  std::size_t step = 0;
  Kind kind = Kind::exited;
  int exit_code = 0;
  std::string message; // why it failed to start or was stopped

  bool succeeded() const { return kind == Kind::exited && exit_code == 0; }
};

class StepRunner {
public:
  virtual ~StepRunner() = default;
  virtual bool can_run_more() const = 0;
  virtual void start(const StepRequest& request) = 0;
  // Blocks until a started step finishes; nothing means drydock was
  // interrupted (SIGINT, SIGTERM, SIGHUP).
  virtual std::optional<StepResult> wait() = 0;
  // Stops every running step (its whole process group) and waits for them.
  virtual void abort() = 0;
  // End of the build: stops background steps and anything a step left
  // behind in its process group.
  virtual void shutdown() = 0;
};

} // namespace drydock::exec

#pragma once
// What a run reports while it goes and what it comes to: the interfaces
// the executor calls and the consumers (the printer, the record)
// implement, and the results they share. No processes here: exec/ produces
// these, report/ and record/ consume them, neither includes the other.
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
  std::string message;    // why it failed to start, timed out, or was skipped
  bool timed_out = false; // stopped for printing nothing for too long
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

// What happens to the steps while a build runs.
class RunObserver {
public:
  virtual ~RunObserver() = default;
  // Every step it waits for is done: it may start once there is room.
  virtual void step_queued(const pipeline::Step& /*step*/) {}
  virtual void step_started(const pipeline::Step& step) = 0;
  virtual void step_finished(const pipeline::Step& step, const StepOutcome& outcome) = 0;
  virtual void interrupted() = 0;
};

// drydock's own steps (`drydock internal step`, and the cache steps on the
// host) report what they decided (an image present, loaded or built; a
// service ready; a cache restored) by appending JSON lines to the file this
// variable names; the record merges them into the run's events when the
// step finishes (record/step_events.hpp).
inline constexpr const char* kStepEventsEnv = "DRYDOCK_STEP_EVENTS";

// The file for a step's own events, in `dir`.
inline std::string step_events_file(const std::string& dir, std::size_t step)
{
  return dir + "/." + std::to_string(step) + ".events";
}

// One stream of events to several consumers, in the order given: the
// printer and the record see the same events, and neither re-derives them.
class Fanout : public OutputSink, public RunObserver {
public:
  void add_sink(OutputSink& sink) { m_sinks.push_back(&sink); }
  void add_observer(RunObserver& observer) { m_observers.push_back(&observer); }

  void on_output(std::size_t step, std::string_view chunk) override
  {
    for (auto* sink : m_sinks) {
      sink->on_output(step, chunk);
    }
  }
  void on_output_abandoned(std::size_t step) override
  {
    for (auto* sink : m_sinks) {
      sink->on_output_abandoned(step);
    }
  }
  void flush() override
  {
    for (auto* sink : m_sinks) {
      sink->flush();
    }
  }
  void step_queued(const pipeline::Step& step) override
  {
    for (auto* observer : m_observers) {
      observer->step_queued(step);
    }
  }
  void step_started(const pipeline::Step& step) override
  {
    for (auto* observer : m_observers) {
      observer->step_started(step);
    }
  }
  void step_finished(const pipeline::Step& step, const StepOutcome& outcome) override
  {
    for (auto* observer : m_observers) {
      observer->step_finished(step, outcome);
    }
  }
  void interrupted() override
  {
    for (auto* observer : m_observers) {
      observer->interrupted();
    }
  }

private:
  std::vector<OutputSink*> m_sinks;
  std::vector<RunObserver*> m_observers;
};

} // namespace drydock::plan

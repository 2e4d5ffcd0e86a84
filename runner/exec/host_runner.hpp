#pragma once
// Runs steps as processes on this machine.
#include <cstdio>
#include <map>
#include <memory>

#include "os/process.hpp"
#include "exec/step_runner.hpp"
#include "util/mask.hpp"

namespace drydock::exec {

class HostRunner : public StepRunner {
public:
  // Background steps' logs are masked with `secrets`, as the sink masks
  // everything else.
  HostRunner(std::size_t max_parallel, OutputSink& sink, std::vector<std::string> secrets = {});

  // Treat the reader of this fd going away (`drydock run | head`) as an
  // interrupt, at once rather than at the next line of output.
  void stop_when_reader_leaves(int fd) { m_processes.watch_reader_of(fd); }

  // Whether an interrupt has arrived, for code that waits inside a step's
  // output (a slow reader of drydock's stdout): the events it takes are
  // kept for the next wait(), so nothing is lost.
  bool interrupt_requested();

  bool can_run_more() const override { return m_running.size() < m_max_parallel; }
  void start(const StepRequest& request) override;
  std::optional<StepResult> wait() override;
  void abort() override;
  void shutdown() override;

private:
  struct Running {
    std::size_t step;
    std::chrono::milliseconds timeout;
    bool timed_out = false;
    bool interrupted = false;           // still running when abort() began
    std::vector<std::string> stop_argv; // StepRequest's: the step runs elsewhere
    std::vector<std::string> kill_argv;
  };
  // A background step's output goes, masked, to its log file.
  struct Background {
    LineMasker masker;
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> log; // close-on-exec: no later step inherits it
  };

  std::optional<StepResult> handle(const os::ProcessEvent& event);
  // Output, exits and notes of background steps; false for other ids.
  bool handle_background(const os::ProcessEvent& event);
  // Waits for process events (up to timeout) and keeps the results they make.
  void pump(std::optional<std::chrono::milliseconds> timeout);
  // Signals what is left, waits up to `grace`, then kills it.
  void stop_groups(std::chrono::milliseconds grace);
  void signal_step(int id, const Running& running, int sig);

  std::size_t m_max_parallel;
  OutputSink& m_sink;
  os::AsyncProcesses m_processes;
  std::vector<std::string> m_secrets;
  std::map<int, Running> m_running;         // process id -> step
  std::map<int, Background> m_background;   // process id -> its log
  std::vector<StepResult> m_finished;       // results not yet returned by wait()
  std::vector<os::ProcessEvent> m_deferred; // taken by interrupt_requested(), not yet handled
  bool m_interrupted = false;
  bool m_interrupt_seen = false; // by interrupt_requested(), before handling
};

} // namespace drydock::exec

#pragma once
// The StepRunner seam's fake: no processes. Each started step finishes, in
// start order, with the exit code scripted for its id (0 by default); the
// fake keeps what it was asked to start, and can play an interrupt.
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "exec/step_runner.hpp"
#include "pipeline/pipeline.hpp"

namespace drydock::test {

class FakeStepRunner : public exec::StepRunner {
public:
  FakeStepRunner(const pipeline::Pipeline& pipeline, std::size_t capacity = 1)
    : m_pipeline(pipeline), m_capacity(capacity)
  {
  }

  // The step with this id exits with this code.
  void exit_code(const std::string& id, int code) { m_codes[id] = code; }
  // After this many results, wait() reports an interrupt (SIGINT).
  void interrupt_after(std::size_t results) { m_interrupt_after = results; }

  bool can_run_more() const override { return m_running.size() < m_capacity; }
  void start(const exec::StepRequest& request) override
  {
    started.push_back(m_pipeline.steps.at(request.step).id);
    requests.push_back(request);
    m_running.push_back(request.step);
  }
  std::optional<exec::StepResult> wait() override
  {
    if (m_interrupt_after && m_results == *m_interrupt_after && !m_interrupted) {
      m_interrupted = true;
      return std::nullopt;
    }
    if (m_running.empty()) {
      return std::nullopt;
    }
    const std::size_t step = m_running.front();
    m_running.pop_front();
    ++m_results;
    const auto code = m_codes.find(m_pipeline.steps.at(step).id);
    const int exit = code == m_codes.end() ? 0 : code->second;
    if (m_interrupted) {
      return exec::StepResult{step, exec::StepResult::Kind::exited, 130, ""};
    }
    return exec::StepResult{step, exec::StepResult::Kind::exited, exit, ""};
  }
  void abort() override { ++aborts; }
  void shutdown() override { ++shutdowns; }

  std::vector<std::string> started;
  std::vector<exec::StepRequest> requests;
  int aborts = 0;
  int shutdowns = 0;

private:
  const pipeline::Pipeline& m_pipeline;
  std::size_t m_capacity;
  std::map<std::string, int> m_codes;
  std::deque<std::size_t> m_running;
  std::size_t m_results = 0;
  std::optional<std::size_t> m_interrupt_after;
  bool m_interrupted = false;
};

} // namespace drydock::test

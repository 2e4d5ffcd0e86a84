#pragma once
// `--dry-run`: every step "succeeds" at once, so the run shows what would
// run, in order, without running anything.
#include <deque>

#include "exec/step_runner.hpp"

namespace drydock::exec {

class DryRunRunner : public StepRunner {
public:
  bool can_run_more() const override { return true; }
  void start(const StepRequest& request) override { m_done.push_back({request.step, StepResult::Kind::exited, 0, ""}); }
  std::optional<StepResult> wait() override
  {
    if (m_done.empty()) {
      return std::nullopt;
    }
    StepResult result = m_done.front();
    m_done.pop_front();
    return result;
  }
  void abort() override {}
  void shutdown() override {}

private:
  std::deque<StepResult> m_done;
};

} // namespace drydock::exec

#include "plan/plan.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace drydock::plan {

std::string_view status_name(StepStatus status)
{
  switch (status) {
  case StepStatus::waiting: return "waiting";
  case StepStatus::ready: return "ready";
  case StepStatus::running: return "running";
  case StepStatus::succeeded: return "ok";
  case StepStatus::failed: return "failed";
  case StepStatus::skipped: return "skipped";
  }
  return "?";
}

Plan::Plan(const graph::Graph& graph)
  : m_graph(graph),
    m_status(graph.steps.size(), StepStatus::waiting),
    m_reason(graph.steps.size()),
    m_unfinished_deps(graph.steps.size()),
    m_critical(graph.steps.size(), 1)
{
  const auto order = graph::topological_order(graph);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    for (const std::size_t next : graph.dependents[*it]) {
      m_critical[*it] = std::max(m_critical[*it], m_critical[next] + 1);
    }
  }
  for (std::size_t step = 0; step < graph.steps.size(); ++step) {
    m_unfinished_deps[step] = graph.deps[step].size();
    if (m_unfinished_deps[step] == 0) {
      make_ready(step);
    }
  }
}

std::size_t Plan::start_next()
{
  const std::size_t step = m_ready.begin()->second;
  m_ready.erase(m_ready.begin());
  m_status[step] = StepStatus::running;
  ++m_running;
  return step;
}

void Plan::make_ready(std::size_t step)
{
  if (m_stopped) {
    return; // skipped by close()
  }
  if (m_graph.steps[step].phase == graph::Phase::deployment && m_any_failed) {
    skip(step, "deployment runs only after a green build");
    return;
  }
  m_status[step] = StepStatus::ready;
  m_ready.emplace(-m_critical[step], step);
}

// A step that will not run counts as finished (not succeeded) for the steps
// waiting on it.
void Plan::skip(std::size_t step, std::string reason)
{
  m_status[step] = StepStatus::skipped;
  m_reason[step] = std::move(reason);
  settle(step);
}

void Plan::settle(std::size_t step)
{
  for (const std::size_t next : m_graph.dependents[step]) {
    if (--m_unfinished_deps[next] == 0 && m_status[next] == StepStatus::waiting) {
      make_ready(next);
    }
  }
}

void Plan::finished(std::size_t step, bool succeeded)
{
  m_status[step] = succeeded ? StepStatus::succeeded : StepStatus::failed;
  --m_running;
  if (!succeeded) {
    m_any_failed = true;
    if (!graph::keeps_going_after_failure(m_graph.steps[step].phase)) {
      stop(fmt::format("'{}' failed", m_graph.steps[step].name));
    }
  }
  settle(step);
}

void Plan::stop(std::string reason)
{
  if (m_stopped) {
    return;
  }
  m_stopped = true;
  m_stop_reason = std::move(reason);
  for (const auto& [priority, step] : m_ready) {
    m_status[step] = StepStatus::waiting;
  }
  m_ready.clear();
}

void Plan::close(const std::string& reason_if_unreached)
{
  for (std::size_t step = 0; step < m_status.size(); ++step) {
    if (m_status[step] == StepStatus::waiting || m_status[step] == StepStatus::ready) {
      m_status[step] = StepStatus::skipped;
      m_reason[step] = m_stopped ? "not started: " + m_stop_reason : reason_if_unreached;
    }
  }
  m_ready.clear();
}

} // namespace drydock::plan

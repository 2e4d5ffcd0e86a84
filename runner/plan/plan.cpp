#include "plan/plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

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

Plan::Plan(const pipeline::Pipeline& pipeline)
  : m_pipeline(pipeline), m_graph(graph::graph_of(pipeline)), m_status(pipeline.steps.size(), StepStatus::waiting),
    m_reason(pipeline.steps.size()), m_unfinished_deps(pipeline.steps.size()),
    m_failed_before(pipeline.steps.size(), 0), m_blocked(pipeline.steps.size(), false), m_halted(pipeline.steps.size()),
    m_critical(pipeline.steps.size(), 1)
{
  const auto& graph = m_graph;
  const auto order = graph::topological_order(graph);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    for (const std::size_t next : graph.dependents[*it]) {
      m_critical[*it] = std::max(m_critical[*it], m_critical[next] + 1);
    }
  }
  for (std::size_t step = 0; step < pipeline.steps.size(); ++step) {
    m_unfinished_deps[step] = graph.deps[step].size();
    if (m_unfinished_deps[step] == 0) {
      make_ready(step);
    }
  }
}

std::vector<std::size_t> Plan::take_newly_ready() { return std::exchange(m_newly_ready, {}); }

std::size_t Plan::start_next()
{
  const std::size_t step = m_ready.begin()->second;
  m_ready.erase(m_ready.begin());
  m_status[step] = StepStatus::running;
  ++m_running;
  return step;
}

bool Plan::runs_finally(std::size_t step) const
{
  return pipeline::policy_of(m_pipeline, m_pipeline.steps[step]).when == pipeline::RunsWhen::finally;
}

void Plan::make_ready(std::size_t step)
{
  if (m_stopped && !(m_finally_runs && runs_finally(step))) {
    if (m_finally_runs) {
      skip(step, "not started: " + m_stop_reason); // so that the finally steps see it settled
    }
    return; // otherwise skipped by close()
  }
  if (!m_halted[step].empty()) { // its group ended before it, passed
    m_status[step] = StepStatus::skipped;
    m_reason[step] = m_halted[step];
    settle(step, false);
    return;
  }
  if (auto reason = reason_not_to_run(step); !reason.empty()) {
    skip(step, std::move(reason));
    return;
  }
  m_status[step] = StepStatus::ready;
  m_newly_ready.push_back(step);
  m_ready.emplace(-m_critical[step], step);
}

std::string Plan::reason_not_to_run(std::size_t step) const
{
  const std::size_t failed = m_failed_before[step];
  std::string failure = failed == 0 ? "" : fmt::format("'{}' failed", m_pipeline.steps[failed - 1].name);
  const auto& policy = pipeline::policy_of(m_pipeline, m_pipeline.steps[step]);
  if (policy.when == pipeline::RunsWhen::finally) {
    return "";
  }
  if (m_blocked[step]) {
    return failure.empty() ? "a step it waits for did not run" : failure;
  }
  switch (policy.when) {
  case pipeline::RunsWhen::on_success:
    return failed == 0 ? "" : policy.skipped_because.empty() ? failure : policy.skipped_because;
  case pipeline::RunsWhen::always: return "";
  case pipeline::RunsWhen::on_failure:
    return failed != 0 ? "" : policy.skipped_because.empty() ? "runs only after a failure" : policy.skipped_because;
  case pipeline::RunsWhen::finally: return "";
  }
  return "";
}

// A step that will not run counts as finished (not succeeded) for the steps
// waiting on it; what made it skip (a failure before it) passes on to them.
void Plan::skip(std::size_t step, std::string reason)
{
  m_status[step] = StepStatus::skipped;
  m_reason[step] = std::move(reason);
  settle(step, false, true);
}

void Plan::settle(std::size_t step, bool failed, bool skipped)
{
  const bool blocks = (failed || skipped)
                      && pipeline::policy_of(m_pipeline, m_pipeline.steps[step]).on_failure
                             == pipeline::OnFailure::skip_dependants;
  const std::size_t failure = failed ? step + 1 : m_failed_before[step];
  for (const std::size_t next : m_graph.dependents[step]) {
    if (m_failed_before[next] == 0) {
      m_failed_before[next] = failure;
    }
    m_blocked[next] = m_blocked[next] || m_blocked[step] || blocks;
    if (--m_unfinished_deps[next] == 0 && m_status[next] == StepStatus::waiting) {
      make_ready(next);
    }
  }
}

void Plan::finished(std::size_t step, bool succeeded)
{
  m_status[step] = succeeded ? StepStatus::succeeded : StepStatus::failed;
  --m_running;
  const auto& failed = m_pipeline.steps[step];
  if (!succeeded) {
    m_any_failed = true;
    if (pipeline::policy_of(m_pipeline, failed).on_failure == pipeline::OnFailure::stop_build) {
      stop(fmt::format("'{}' failed", failed.name));
    }
  }
  settle(step, !succeeded);
}

void Plan::finished_halting_group(std::size_t step, const std::string& reason)
{
  const std::size_t group = m_pipeline.steps[step].group;
  std::vector<std::size_t> todo(m_graph.dependents[step].begin(), m_graph.dependents[step].end());
  while (!todo.empty()) {
    const std::size_t next = todo.back();
    todo.pop_back();
    if (m_pipeline.steps[next].group != group || runs_finally(next) || !m_halted[next].empty()) {
      continue; // another job's, or one that runs anyway: what follows it is not the group's to halt
    }
    m_halted[next] = reason;
    todo.insert(todo.end(), m_graph.dependents[next].begin(), m_graph.dependents[next].end());
  }
  finished(step, true);
}

void Plan::stop(std::string reason, bool finally_steps_run)
{
  if (m_stopped) {
    m_finally_runs = m_finally_runs && finally_steps_run; // an interrupt after a failure
    if (!m_finally_runs) {
      unready_all();
    }
    return;
  }
  m_stopped = true;
  m_finally_runs = finally_steps_run;
  m_stop_reason = std::move(reason);
  unready_all();
  if (m_finally_runs) {
    // What will never start settles now, so the finally steps waiting for
    // it become ready once the running steps are done.
    for (std::size_t step = 0; step < m_status.size(); ++step) {
      if (m_status[step] == StepStatus::waiting && m_unfinished_deps[step] == 0) {
        make_ready(step);
      }
    }
  }
}

// Ready steps go back to waiting, but a finally step that may still run.
void Plan::unready_all()
{
  for (auto it = m_ready.begin(); it != m_ready.end();) {
    if (m_finally_runs && runs_finally(it->second)) {
      ++it;
      continue;
    }
    m_status[it->second] = StepStatus::waiting;
    it = m_ready.erase(it);
  }
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

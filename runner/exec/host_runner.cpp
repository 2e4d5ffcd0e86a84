#include "exec/host_runner.hpp"

#include <fmt/format.h>

#include <csignal>
#include <utility>
#include <stdexcept>

namespace drydock::exec {
namespace {

// After SIGTERM a step gets this long to exit before SIGKILL.
constexpr std::chrono::milliseconds kStopGrace{5000};
constexpr std::chrono::milliseconds kPollInterval{50};

} // namespace

HostRunner::HostRunner(std::size_t max_parallel, OutputSink& sink, std::vector<std::string> secrets)
  : m_max_parallel(max_parallel), m_sink(sink), m_secrets(std::move(secrets))
{
  m_processes.catch_interrupts();
}

void HostRunner::start(const StepRequest& request)
{
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> log(nullptr, &std::fclose);
  if (request.background) {
    log.reset(std::fopen(request.background_log.c_str(), "wbe")); // e: O_CLOEXEC
    if (!log) {
      m_finished.push_back(
          {request.step, StepResult::Kind::start_failed, 127, fmt::format("cannot write {}", request.background_log)});
      return;
    }
  }
  const auto id = m_processes.spawn({request.argv, request.cwd, request.env, request.background, request.input});
  if (!id) {
    m_finished.push_back({request.step, StepResult::Kind::start_failed, 127, id.error()});
    return;
  }
  if (request.background) {
    // Started is done: CircleCI's `background: true` does not wait for it.
    // shutdown() stops it with every other process group drydock made.
    m_background.emplace(*id, Background{LineMasker(m_secrets), std::move(log)});
    m_finished.push_back({request.step, StepResult::Kind::exited, 0, ""});
    return;
  }
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(request.no_output_timeout);
  m_running.emplace(*id, Running{request.step, timeout, false, false, request.stop_argv, request.kill_argv});
  m_processes.arm_timer(*id, timeout);
}

bool HostRunner::handle_background(const os::ProcessEvent& event)
{
  const auto found = m_background.find(event.id);
  if (found == m_background.end()) {
    return false;
  }
  auto& [masker, log] = found->second;
  // Background steps are read until every process lets go of their output
  // (no drain, so no abandoned output): output, then the exit.
  const std::string text = event.kind == os::ProcessEvent::Kind::output   ? masker.feed(event.data)
                           : event.kind == os::ProcessEvent::Kind::exited ? masker.finish()
                                                                          : std::string();
  std::fwrite(text.data(), 1, text.size(), log.get());
  std::fflush(log.get());
  if (event.kind == os::ProcessEvent::Kind::exited) {
    m_background.erase(found);
  }
  return true;
}

std::optional<StepResult> HostRunner::handle(const os::ProcessEvent& event)
{
  if (handle_background(event)) {
    return std::nullopt;
  }
  switch (event.kind) {
  case os::ProcessEvent::Kind::signal: m_interrupted = true; return std::nullopt;
  case os::ProcessEvent::Kind::output:
    if (const auto found = m_running.find(event.id); found != m_running.end()) {
      m_sink.on_output(found->second.step, event.data);
      if (!found->second.timed_out) {
        m_processes.arm_timer(event.id, found->second.timeout);
      }
    }
    return std::nullopt;
  case os::ProcessEvent::Kind::output_abandoned:
    if (const auto found = m_running.find(event.id); found != m_running.end()) {
      m_sink.on_output_abandoned(found->second.step);
    }
    return std::nullopt;
  case os::ProcessEvent::Kind::timer:
    if (const auto found = m_running.find(event.id); found != m_running.end()) {
      if (found->second.timed_out) {
        signal_step(event.id, found->second, SIGKILL); // ignored SIGTERM
      } else {
        found->second.timed_out = true;
        signal_step(event.id, found->second, SIGTERM);
        m_processes.arm_timer(event.id, kStopGrace);
      }
    }
    return std::nullopt;
  case os::ProcessEvent::Kind::exited: {
    const auto found = m_running.find(event.id);
    if (found == m_running.end()) {
      return std::nullopt;
    }
    const Running running = found->second;
    m_running.erase(found);
    if (running.timed_out) {
      const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(running.timeout).count();
      return StepResult{running.step, StepResult::Kind::timed_out, event.exit_code,
                        fmt::format("no output for {} s; stopped", seconds)};
    }
    // A `docker exec` client ends with 0 on SIGTERM, whatever its command
    // does: a step stopped by the interrupt has not passed.
    const bool stopped_remotely = running.interrupted && !running.stop_argv.empty() && event.exit_code == 0;
    return StepResult{running.step, StepResult::Kind::exited, stopped_remotely ? 128 + SIGTERM : event.exit_code, ""};
  }
  }
  return std::nullopt;
}

std::optional<StepResult> HostRunner::wait()
{
  while (true) {
    if (!m_finished.empty()) {
      StepResult result = m_finished.front();
      m_finished.erase(m_finished.begin());
      return result;
    }
    if (m_interrupted) {
      return std::nullopt;
    }
    if (m_running.empty()) {
      throw std::logic_error("HostRunner::wait() with no step running");
    }
    pump(std::nullopt);
    if (m_interrupted) {
      return std::nullopt;
    }
  }
}

bool HostRunner::interrupt_requested()
{
  for (auto& event : m_processes.poll()) {
    m_interrupt_seen = m_interrupt_seen || event.kind == os::ProcessEvent::Kind::signal;
    m_deferred.push_back(std::move(event));
  }
  return m_interrupt_seen || m_interrupted;
}

void HostRunner::pump(std::optional<std::chrono::milliseconds> timeout)
{
  auto events = std::exchange(m_deferred, {});
  if (events.empty()) {
    events = m_processes.poll();
  }
  if (events.empty()) {
    m_sink.flush();                         // about to block: show what the steps wrote so far
    events = std::exchange(m_deferred, {}); // what came while flushing
  }
  if (events.empty()) {
    events = m_processes.wait(timeout);
  }
  for (const auto& event : events) {
    if (auto result = handle(event)) {
      m_finished.push_back(std::move(*result));
    }
  }
}

// A step that runs elsewhere is signalled there, and its client ends with
// it (SIGKILL reaches the client too, in case that never comes).
void HostRunner::signal_step(int id, const Running& running, int sig)
{
  const auto& remote = sig == SIGKILL ? running.kill_argv : running.stop_argv;
  if (remote.empty()) {
    m_processes.signal_group(id, sig);
    return;
  }
  (void)os::run_capture(remote, "/", os::Stderr::discard); // gone already: nothing to stop
  if (sig == SIGKILL) {
    m_processes.signal_group(id, sig);
  }
}

// Steps that run elsewhere get SIGTERM there and the same grace; their
// clients are left to end with them (a `docker exec` client killed early
// ends at once and leaves its command running).
void HostRunner::stop_groups(std::chrono::milliseconds grace)
{
  std::vector<int> remote;
  for (const auto& [id, running] : m_running) {
    if (!running.stop_argv.empty()) {
      signal_step(id, running, SIGTERM);
      remote.push_back(id);
    }
  }
  m_processes.signal_all_groups(SIGTERM, remote);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (m_processes.any_group_alive() && std::chrono::steady_clock::now() < deadline) {
    pump(kPollInterval);
  }
  for (const auto& [id, running] : m_running) {
    if (!running.stop_argv.empty()) {
      signal_step(id, running, SIGKILL); // there, and its client
    }
  }
  m_processes.signal_all_groups(SIGKILL);
}

void HostRunner::abort()
{
  for (auto& [id, running] : m_running) {
    running.interrupted = true;
  }
  stop_groups(kStopGrace);
  // Collect the exits of what was killed, so their output is not lost.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (!m_running.empty() && std::chrono::steady_clock::now() < deadline) {
    pump(kPollInterval);
  }
}

void HostRunner::shutdown() { stop_groups(kStopGrace); }

} // namespace drydock::exec

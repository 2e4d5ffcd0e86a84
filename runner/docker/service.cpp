#include "docker/service.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>
#include <thread>

#include "util/lines.hpp"

namespace drydock::docker {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPollInterval = std::chrono::milliseconds(100);
constexpr int kLogLinesOnFailure = 50;

std::string output_of(const Client& client, const Argv& argv)
{
  const auto result = client.capture(argv, ".", os::Stderr::merge);
  return result && result->exit_code == 0 ? result->output : std::string();
}

bool succeeds(const Client& client, const Argv& argv)
{
  const auto result = client.capture(argv, ".", os::Stderr::discard);
  return result && result->exit_code == 0;
}

// Whether something accepts a TCP connection at ip:port within `wait`.
bool accepts(const std::string& ip, int port, std::chrono::milliseconds wait)
{
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, ip.c_str(), &address.sin_addr) != 1) {
    return false;
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  bool connected = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  if (!connected && errno == EINPROGRESS) {
    pollfd watch{fd, POLLOUT, 0};
    if (::poll(&watch, 1, static_cast<int>(wait.count())) == 1) {
      int error = 0;
      socklen_t size = sizeof error;
      connected = ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) == 0 && error == 0;
    }
  }
  ::close(fd);
  return connected;
}

std::string last_lines(const Client& client, const std::string& container)
{
  std::string text;
  const std::string output = output_of(client, logs(container, kLogLinesOnFailure));
  for (const auto line : util::lines(output)) {
    text += fmt::format("  | {}\n", line);
  }
  return text.empty() ? "  (no log lines)\n" : text;
}

struct Progress {
  int matched = 0;
  bool port_open = false;
  bool command_ok = false;
};

// One look at every condition; true when all hold.
bool ready_now(const Client& client, const ServiceRun& run, const std::optional<util::CompiledRegex>& regex,
               std::string& ip, Progress& progress)
{
  const ReadyCheck& check = run.ready;
  const std::string& name = run.container.name;
  if (regex) {
    progress.matched = count_matching_lines(output_of(client, logs(name, -1)), *regex);
  }
  if (check.port && !progress.port_open) {
    if (ip.empty()) {
      ip = output_of(client, container_ip(name, run.container.network));
      ip.erase(ip.find_last_not_of(" \n") + 1);
    }
    progress.port_open = !ip.empty() && accepts(ip, *check.port, std::chrono::milliseconds(500));
  }
  if (check.command) {
    progress.command_ok = succeeds(client, exec_in(name, {"sh", "-c", *check.command}));
  }
  return (!regex || progress.matched >= check.times) && (!check.port || progress.port_open)
         && (!check.command || progress.command_ok);
}

std::string shortfall(const ReadyCheck& check, const Progress& progress)
{
  std::vector<std::string> missing;
  if (check.log && progress.matched < check.times) {
    missing.push_back(fmt::format("log /{}/ matched {} of {} times", *check.log, progress.matched, check.times));
  }
  if (check.port && !progress.port_open) {
    missing.push_back(fmt::format("port {} not accepting connections", *check.port));
  }
  if (check.command && !progress.command_ok) {
    missing.push_back(fmt::format("`{}` not succeeding", *check.command));
  }
  return fmt::format("{}", fmt::join(missing, "; "));
}

// "true 0" while running; the exit code once it stopped.
std::optional<int> exit_code_if_stopped(const Client& client, const std::string& container)
{
  std::istringstream state(output_of(client, running_state(container)));
  std::string running;
  int code = 0;
  state >> running >> code;
  return running == "false" ? std::optional(code) : std::nullopt;
}

// The ready.log regex, compiled once before the container starts. validate
// has checked it; a pattern that still does not compile is an error here too.
tl::expected<std::optional<util::CompiledRegex>, std::string> ready_log_regex(const ServiceRun& run)
{
  if (!run.ready.log) {
    return std::nullopt;
  }
  auto regex = util::compile_regex(*run.ready.log);
  if (!regex) {
    return tl::unexpected(fmt::format("service '{}': invalid ready.log regular expression '{}': {}",
                                      run.container.service, util::shown_pattern(*run.ready.log), regex.error()));
  }
  return std::optional(std::move(*regex));
}

} // namespace

std::string describe(const ReadyCheck& check)
{
  std::vector<std::string> parts;
  if (check.log) {
    parts.push_back(fmt::format("log /{}/ {} time{}", *check.log, check.times, check.times == 1 ? "" : "s"));
  }
  if (check.port) {
    parts.push_back(fmt::format("port {}", *check.port));
  }
  if (check.command) {
    parts.push_back(fmt::format("command `{}`", *check.command));
  }
  return parts.empty() ? std::string("the container running") : fmt::format("{}", fmt::join(parts, ", "));
}

int count_matching_lines(std::string_view logs, const util::CompiledRegex& regex)
{
  int count = 0;
  for (const auto line : util::lines(logs)) {
    count += regex.search(line) ? 1 : 0;
  }
  return count;
}

tl::expected<std::chrono::milliseconds, std::string> start_service(const Client& client, const ServiceRun& run,
                                                                   const Log& log)
{
  const auto regex = ready_log_regex(run);
  if (!regex) {
    return tl::unexpected(regex.error());
  }
  const auto begin = Clock::now();
  const std::string& name = run.container.name;
  const std::string& service = run.container.service;
  const auto started = client.capture(run_service(run.container), ".", os::Stderr::merge);
  if (!started || started->exit_code != 0) {
    return tl::unexpected(
        fmt::format("service '{}' did not start: {}", service, started ? started->output : started.error()));
  }
  log(fmt::format("service {}: container {} on network {} as '{}'; waiting for {}", service, name,
                  run.container.network, run.container.alias, describe(run.ready)));
  const auto deadline = begin + run.ready.timeout;
  std::string ip;
  Progress progress;
  while (!ready_now(client, run, *regex, ip, progress)) {
    if (const auto code = exit_code_if_stopped(client, name)) {
      return tl::unexpected(
          fmt::format("service '{}' exited (code {}) before it was ready ({})\nlast log lines of {}:\n{}", service,
                      *code, shortfall(run.ready, progress), service, last_lines(client, name)));
    }
    if (Clock::now() >= deadline) {
      return tl::unexpected(
          fmt::format("service '{}' was not ready after {} s: waiting for {}: {}\nlast {} log lines of {}:\n{}",
                      service, run.ready.timeout.count(), describe(run.ready), shortfall(run.ready, progress),
                      kLogLinesOnFailure, service, last_lines(client, name)));
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  for (const auto& command : run.after_ready) {
    const auto result = client.capture(exec_in(name, command), ".", os::Stderr::merge);
    if (!result || result->exit_code != 0) {
      return tl::unexpected(fmt::format("service '{}': `{}` failed: {}", service, fmt::join(command, " "),
                                        result ? result->output : result.error()));
    }
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - begin);
  log(fmt::format("service {} ready in {:.2f}s", service, static_cast<double>(took.count()) / 1000.0));
  return took;
}

} // namespace drydock::docker

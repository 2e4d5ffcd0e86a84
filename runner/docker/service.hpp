#pragma once
// Service containers: started detached on the run's network under their
// alias, then waited for until really ready: a log regex matching N lines,
// a TCP port accepting connections, a command succeeding in the container
// (every condition given must hold), each within its timeout. A timeout or
// an early exit is an error naming the service and the condition, with the
// container's last 50 log lines.
#include <tl/expected.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "docker/client.hpp"
#include "docker/commands.hpp"
#include "util/regex.hpp"

namespace drydock::docker {

struct ReadyCheck {
  std::optional<std::string> log; // regex (util/regex: RE2), searched in each line
  int times = 1;
  std::optional<int> port;
  std::optional<std::string> command; // run with `sh -c` in the container
  std::chrono::seconds timeout{60};
};

// "log /ready/ 2 times, port 5432" (what is being waited for, for messages).
std::string describe(const ReadyCheck& check);

// Lines of `logs` in which the regex finds a match; linear in the logs.
int count_matching_lines(std::string_view logs, const util::CompiledRegex& regex);

struct ServiceRun {
  ServiceContainerSpec container;
  ReadyCheck ready;
  std::vector<std::vector<std::string>> after_ready; // commands run in the container once ready (createdb)
};

using Log = std::function<void(const std::string& line)>;

// Starts the container and waits until it is ready; the time it took.
tl::expected<std::chrono::milliseconds, std::string> start_service(const Client& client, const ServiceRun& run,
                                                                   const Log& log);

} // namespace drydock::docker

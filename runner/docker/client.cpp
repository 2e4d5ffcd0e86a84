#include "docker/client.hpp"

#include "docker/engine_api.hpp"

namespace drydock::docker {

tl::expected<os::CaptureResult, std::string> EngineClient::capture(const Argv& argv, const std::string& cwd,
                                                                   os::Stderr stderr_mode) const
{
  if (auto answered = api::answer(argv)) {
    return std::move(*answered);
  }
  return os::run_capture(argv, cwd, stderr_mode);
}

tl::expected<int, std::string> EngineClient::passthrough(const Argv& argv, const std::string& cwd) const
{
  return os::run_passthrough(argv, cwd);
}

tl::expected<int, std::string> EngineClient::stdout_to(const Argv& argv, const std::string& cwd,
                                                       const os::Consume& consume) const
{
  return os::run_stdout_to(argv, cwd, consume);
}

tl::expected<int, std::string> EngineClient::stdin_from(const Argv& argv, const std::string& cwd,
                                                        const os::Produce& produce) const
{
  return os::run_stdin_from(argv, cwd, produce);
}

} // namespace drydock::docker

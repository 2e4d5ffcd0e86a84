#pragma once
// The seam between drydock's docker jobs and the docker client process:
// the image cache, services, publishing, leftovers and the engine probe
// hand the argv that docker/commands built to a Client, and never start a
// process themselves. EngineClient runs the real client (os/process); unit
// tests give a fake that records each argv and answers from a script, so
// the jobs' decisions and messages are tested without an engine.
#include <tl/expected.hpp>

#include <string>

#include "docker/commands.hpp"
#include "os/process.hpp"

namespace drydock::docker {

// One method per way drydock runs the client, as os/process offers them.
// Each returns what the process said or why it could not run. const: a
// client holds no state a call changes (a fake's record of calls aside).
class Client {
public:
  virtual ~Client() = default;

  // To completion, stdout collected (inspect, ps, tag, run --detach).
  virtual tl::expected<os::CaptureResult, std::string> capture(const Argv& argv, const std::string& cwd,
                                                               os::Stderr stderr_mode) const = 0;
  // To completion, output passed through to drydock's own (build, push).
  virtual tl::expected<int, std::string> passthrough(const Argv& argv, const std::string& cwd) const = 0;
  // stdout handed to `consume` in chunks (save).
  virtual tl::expected<int, std::string> stdout_to(const Argv& argv, const std::string& cwd,
                                                   const os::Consume& consume) const = 0;
  // stdin fed from `produce` (load, login --password-stdin).
  virtual tl::expected<int, std::string> stdin_from(const Argv& argv, const std::string& cwd,
                                                    const os::Produce& produce) const = 0;
};

// The real docker client (or the `executable` an argv names), through
// os/process; `docker version`, `docker network inspect bridge` and
// `docker image inspect` are answered
// from the engine's local socket when it can (docker/engine_api.hpp).
// Stateless: build one where it is needed, `EngineClient{}`.
class EngineClient final : public Client {
public:
  tl::expected<os::CaptureResult, std::string> capture(const Argv& argv, const std::string& cwd,
                                                       os::Stderr stderr_mode) const override;
  tl::expected<int, std::string> passthrough(const Argv& argv, const std::string& cwd) const override;
  tl::expected<int, std::string> stdout_to(const Argv& argv, const std::string& cwd,
                                           const os::Consume& consume) const override;
  tl::expected<int, std::string> stdin_from(const Argv& argv, const std::string& cwd,
                                            const os::Produce& produce) const override;
};

} // namespace drydock::docker

#pragma once
// Carries out a TagPlan on the engine: every `docker tag`, then every
// `docker push`, in DCD's order, stopping at the first failure. The result
// says exactly what was pushed, so nothing is reported pushed that was not.
#include <tl/expected.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "docker/client.hpp"
#include "publish/tags.hpp"

namespace drydock::publish {

struct Login {
  std::string registry;
  std::string username;
  std::string password; // to `docker login --password-stdin` only
};

struct PushOptions {
  std::string executable = "docker";
  bool verbose = false;       // DCD's "Tagging ..." / "Pushing tag ..." lines
  std::optional<Login> login; // into a temporary DOCKER_CONFIG, removed afterwards
};

struct PushReport {
  std::vector<std::string> pushed;
  std::vector<std::string> not_pushed; // after a failure
  std::string error;                   // empty when everything was pushed
};

using Log = std::function<void(const std::string& line)>;

PushReport run_tag_plan(const docker::Client& client, const TagPlan& plan, const PushOptions& options, const Log& log);

} // namespace drydock::publish

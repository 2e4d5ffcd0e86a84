#pragma once
// Facts derived from a Config that several layers need the same way.
#include <algorithm>
#include <optional>

#include "config/model.hpp"

namespace drydock::config {

inline bool has_service(const Config& config, std::string_view name)
{
  return std::any_of(config.machine.services.begin(), config.machine.services.end(),
                     [name](const Text& service) { return service.value == name; });
}

// The database containerized steps reach: `drydock.database`, or the
// defaults when only `machine.services: [postgresql]` asks for one. Like
// CircleCI 1.0, the defaults give user `ubuntu` and database `circle_test`.
inline std::optional<DatabaseSpec> effective_database(const Config& config)
{
  std::optional<DatabaseSpec> spec = config.drydock.database;
  if (!spec && has_service(config, "postgresql")) {
    spec = DatabaseSpec{};
    spec->pos = config.machine.pos;
  }
  if (spec && spec->databases.empty()) {
    spec->databases.push_back({"circle_test", spec->pos});
  }
  return spec;
}

// Whether a run needs a Docker engine.
inline bool uses_docker(const Config& config)
{
  return has_service(config, "docker") || !config.drydock.images.empty();
}

} // namespace drydock::config

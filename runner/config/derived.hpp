#pragma once
// Facts derived from a Config that several layers need the same way.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/model.hpp"

namespace drydock::config {

// NAME, value pairs of an environment list, values not yet expanded.
inline std::vector<std::pair<std::string, std::string>> name_values(const std::vector<EnvVar>& vars)
{
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& var : vars) {
    pairs.emplace_back(var.name, var.value);
  }
  return pairs;
}

inline bool has_service(const Config& config, std::string_view name)
{
  return std::any_of(config.machine.services.begin(), config.machine.services.end(),
                     [name](const Text& service) { return service.value == name; });
}

// The image of `drydock.database` with `provider: container` when it names
// none: .ci/engine builds it (Debian's postgresql-15, the official image's
// conventions).
inline constexpr const char* kDefaultPostgresImage = "drydock-postgres:15";

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

// The directories a CI system should keep between builds: those in
// dependencies.cache_directories, then each image cache's directory that
// is not already listed (an image's cache_dir counts as one of them).
inline std::vector<std::string> cache_directories(const Config& config)
{
  std::vector<std::string> dirs;
  for (const auto& dir : config.dependencies.cache_directories) {
    dirs.push_back(dir.value);
  }
  for (const auto& image : config.drydock.images) {
    if (std::find(dirs.begin(), dirs.end(), image.cache_dir.value) == dirs.end()) {
      dirs.push_back(image.cache_dir.value);
    }
  }
  return dirs;
}

// Whether a run needs a Docker engine: docker among machine.services, an
// image (which containerized steps need), a service container, or the
// database in a container.
inline bool uses_docker(const Config& config)
{
  const bool database_container = config.drydock.database
                                  && config.drydock.database->provider == DatabaseProvider::container;
  return has_service(config, "docker") || !config.drydock.images.empty() || !config.drydock.services.empty()
         || database_container;
}

} // namespace drydock::config

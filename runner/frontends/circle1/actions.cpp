#include "frontends/circle1/actions.hpp"

#include <algorithm>

#include "config/derived.hpp"

namespace drydock::circle1 {
namespace {

std::vector<std::string> values_of(const std::vector<config::Text>& texts)
{
  std::vector<std::string> values;
  for (const auto& text : texts) {
    values.push_back(text.value);
  }
  return values;
}

std::optional<std::string> value_of(const std::optional<config::Text>& text)
{
  return text ? std::optional(text->value) : std::nullopt;
}

std::optional<pipeline::Readiness> readiness_of(const std::optional<config::Readiness>& ready)
{
  if (!ready) {
    return std::nullopt;
  }
  return pipeline::Readiness{value_of(ready->log), ready->times, ready->port, value_of(ready->command), ready->timeout};
}

} // namespace

pipeline::ImageBuild image_action(const config::ImageSpec& spec)
{
  pipeline::ImageBuild image;
  image.name = spec.name;
  image.repository = spec.repository.value;
  image.dockerfile = spec.dockerfile.value;
  image.context = spec.context.value;
  image.inputs = values_of(spec.inputs);
  image.allow_outside_inputs = spec.allow_outside_inputs;
  image.build_args = config::name_values(spec.build_args);
  image.cache_dir = spec.cache_dir.value;
  image.keep = spec.keep;
  return image;
}

pipeline::Database database_of(const config::DatabaseSpec& spec)
{
  pipeline::Database database;
  database.provider = spec.provider == config::DatabaseProvider::cluster ? pipeline::DatabaseProvider::cluster
                      : spec.provider == config::DatabaseProvider::url   ? pipeline::DatabaseProvider::url
                                                                         : pipeline::DatabaseProvider::container;
  database.url = spec.url ? spec.url->value : "";
  database.image = spec.image ? spec.image->value : std::string(config::kDefaultPostgresImage);
  database.alias = spec.alias;
  database.user = spec.user;
  database.databases = values_of(spec.databases);
  database.env = spec.env;
  return database;
}

pipeline::ServiceStart service_action(const config::ServiceSpec& spec)
{
  pipeline::ServiceStart service;
  service.name = spec.name;
  service.image = spec.image.value;
  service.alias = spec.alias ? spec.alias->value : spec.name;
  service.command = values_of(spec.command);
  service.environment = config::name_values(spec.environment);
  service.ports = spec.ports;
  service.tmpfs = values_of(spec.tmpfs);
  service.ready = readiness_of(spec.ready);
  return service;
}

std::optional<pipeline::Publish> publish_action(const config::PublishSpec& spec, const config::Config& config)
{
  const auto& images = config.drydock.images;
  const auto image = std::find_if(images.begin(), images.end(),
                                  [&](const config::ImageSpec& entry) { return entry.name == spec.image.value; });
  if (image == images.end()) {
    return std::nullopt;
  }
  pipeline::Publish publish;
  publish.name = spec.name;
  publish.image = image_action(*image);
  publish.registry = spec.registry ? spec.registry->value : "";
  publish.tags = values_of(spec.tags);
  publish.version = value_of(spec.version);
  publish.latest = spec.latest;
  publish.semver = spec.semver;
  publish.precision = spec.precision;
  publish.zero = spec.zero;
  if (spec.login) {
    publish.login_env = std::pair(spec.login->username_env.value, spec.login->password_env.value);
  }
  return publish;
}

} // namespace drydock::circle1

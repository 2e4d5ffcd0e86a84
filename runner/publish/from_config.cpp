#include "publish/from_config.hpp"

#include <fmt/format.h>

namespace drydock::publish {

std::string without_v_prefix(const std::string& version)
{
  const bool v_then_digit = version.size() > 1 && (version[0] == 'v' || version[0] == 'V') &&
                            version[1] >= '0' && version[1] <= '9';
  return v_then_digit ? version.substr(1) : version;
}

tl::expected<TagOptions, std::string> tag_options(const config::PublishSpec& spec, const env::Environment& env)
{
  TagOptions options;
  for (const auto& tag : spec.tags) {
    options.tags.push_back(env::expand(tag.value, env));
  }
  if (spec.version) {
    const std::string version = without_v_prefix(env::expand(spec.version->value, env));
    if (version.empty()) {
      return tl::unexpected(fmt::format("publish entry '{}': the version '{}' is empty here (not a tag build?)",
                                        spec.name, spec.version->value));
    }
    options.version = version;
  }
  options.semver = spec.semver;
  options.latest = spec.latest;
  options.zero = spec.zero;
  if (spec.semver) {
    options.precision = spec.precision;
  }
  if (spec.registry) {
    options.registry = env::expand(spec.registry->value, env);
  }
  return options;
}

tl::expected<std::optional<Login>, std::string> login_from(const config::PublishSpec& spec, const env::Environment& env)
{
  if (!spec.login) {
    return std::optional<Login>{};
  }
  const auto username = env.get(spec.login->username_env.value);
  const auto password = env.get(spec.login->password_env.value);
  for (const auto* missing : {username ? nullptr : &spec.login->username_env, password ? nullptr : &spec.login->password_env}) {
    if (missing != nullptr) {
      return tl::unexpected(fmt::format("publish entry '{}': the login needs the environment variable {}, which is not set",
                                        spec.name, missing->value));
    }
  }
  return std::optional<Login>(Login{spec.registry ? env::expand(spec.registry->value, env) : "", *username, *password});
}

std::vector<std::string> secrets_of(const config::Config& config, const env::Environment& env)
{
  std::vector<std::string> secrets;
  for (const auto& spec : config.drydock.publish) {
    if (spec.login) {
      if (auto password = env.get(spec.login->password_env.value); password && !password->empty()) {
        secrets.push_back(*password);
      }
    }
  }
  return secrets;
}

} // namespace drydock::publish

#include "publish/from_pipeline.hpp"

#include <fmt/format.h>

namespace drydock::publish {

std::string without_v_prefix(const std::string& version)
{
  const bool v_then_digit = version.size() > 1 && (version[0] == 'v' || version[0] == 'V') && version[1] >= '0'
                            && version[1] <= '9';
  return v_then_digit ? version.substr(1) : version;
}

tl::expected<TagOptions, std::string> tag_options(const pipeline::Publish& spec, const env::Environment& env)
{
  TagOptions options;
  for (const auto& tag : spec.tags) {
    options.tags.push_back(env::expand(tag, env));
  }
  if (spec.version) {
    const std::string version = without_v_prefix(env::expand(*spec.version, env));
    if (version.empty()) {
      return tl::unexpected(fmt::format("publish entry '{}': the version '{}' is empty here (not a tag build?)",
                                        spec.name, *spec.version));
    }
    options.version = version;
  }
  options.semver = spec.semver;
  options.latest = spec.latest;
  options.zero = spec.zero;
  if (spec.semver) {
    options.precision = spec.precision;
  }
  if (!spec.registry.empty()) {
    options.registry = env::expand(spec.registry, env);
  }
  return options;
}

tl::expected<std::optional<Login>, std::string> login_from(const pipeline::Publish& spec, const env::Environment& env)
{
  if (!spec.login_env) {
    return std::optional<Login>{};
  }
  const auto& [username_env, password_env] = *spec.login_env;
  const auto username = env.get(username_env);
  const auto password = env.get(password_env);
  for (const auto* missing : {username ? nullptr : &username_env, password ? nullptr : &password_env}) {
    if (missing != nullptr) {
      return tl::unexpected(fmt::format("publish entry '{}': the login needs the environment variable {}, which is not "
                                        "set",
                                        spec.name, *missing));
    }
  }
  return std::optional<Login>(Login{env::expand(spec.registry, env), *username, *password});
}

std::vector<std::string> secrets_of(const pipeline::Pipeline& pipeline, const env::Environment& env)
{
  std::vector<std::string> secrets;
  for (const auto& name : pipeline.secret_env) {
    if (auto value = env.get(name); value && !value->empty()) {
      secrets.push_back(*value);
    }
  }
  return secrets;
}

} // namespace drydock::publish

#pragma once
// The readers of a job's steps (run, checkout, deploy, the store steps,
// caches and the workspace) and of environments, shared by load.cpp.
#include <algorithm>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/reader.hpp"
#include "frontends/circle2/model.hpp"

namespace drydock::circle2 {

inline bool is_one_of(std::string_view key, std::span<const std::string_view> keys)
{
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// A mapping, or a list of NAME=value strings or one-key mappings.
std::vector<EnvVar> read_environment(config::Reader& reader, const config::Node& node, std::string_view path);

// `commands`: the config's command names, for did-you-mean.
std::vector<Step> read_steps(config::Reader& reader, const config::Node& node, std::string_view path,
                             const std::vector<std::string>& commands);

// A cache key's template read into its parts; what is not one of CircleCI's
// templates is an error at the key.
KeyTemplate read_key_template(config::Reader& reader, const config::Node& node, std::string_view path);

} // namespace drydock::circle2

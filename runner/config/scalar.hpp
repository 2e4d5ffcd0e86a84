#pragma once
// How a YAML scalar reads: YAML 1.2 core schema for plain scalars, string for
// quoted ones, and explicit !!tags honoured.
#include <optional>
#include <string>

#include "config/yaml_tree.hpp"

namespace drydock::config {

enum class ScalarType { null, boolean, integer, floating, string };

ScalarType resolve_scalar(const Node& node);
std::optional<long long> scalar_as_integer(const Node& node);
std::optional<bool> scalar_as_bool(const Node& node);

} // namespace drydock::config

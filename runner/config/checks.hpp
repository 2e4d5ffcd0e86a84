#pragma once
// Semantic checks a JSON Schema cannot express: references between entries,
// unique step ids, service dependency cycles, options that need each other.
#include "config/model.hpp"
#include "util/diagnostic.hpp"

namespace drydock::config {

void check_config(const Config& config, Diagnostics& diags);

} // namespace drydock::config

#pragma once
// Semantic checks a JSON Schema cannot express: references between entries,
// unique step ids, service dependency cycles, options that need each other.
#include "config/model.hpp"
#include "util/diagnostic.hpp"

namespace drydock::config {

void check_config(const Config& config, Diagnostics& diags);

// Visits every command of the config in phase order, with the path naming it.
template <class Visit>
void for_each_command(const Config& config, Visit&& visit);

} // namespace drydock::config

#include "config/checks_inl.hpp"

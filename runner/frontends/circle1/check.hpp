#pragma once
// What `validate`, `plan` and `run` refuse in one config: the config's own
// problems and those of its step graph, whichever deployment section runs.
#include <string>

#include "config/model.hpp"
#include "config/validate.hpp"
#include "util/diagnostic.hpp"

namespace drydock::circle1 {

// Adds, once each, the errors lowering reports for the config with no
// deployment section and with each one (a plan builds only the one its
// branch selects; validate has no branch).
void check_every_graph(const config::Config& config, Diagnostics& diags);

// config::validate_text, then check_every_graph once the config has no
// errors: the one check behind validate, plan and run, so they report the
// same errors in the same words.
config::Validation validate_pipeline(const std::string& path, std::string text);

} // namespace drydock::circle1

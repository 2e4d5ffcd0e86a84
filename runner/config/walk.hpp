#pragma once
// Walking a Config in run order: the one place that knows the phase order.
#include <string>

#include "config/model.hpp"

namespace drydock::config {

// Visits every non-empty command list in run order: machine, checkout,
// dependencies, database, compile, test (each pre, override, post), then
// each deployment section's commands. visit(list, phase, list_name, section)
// where section is the deployment section or nullptr.
template <class Visit>
void for_each_command_list(const Config& config, Visit&& visit)
{
  const auto visit_list = [&](const std::optional<CommandList>& list, std::string_view phase, const std::string& name,
                              const Deployment* section) {
    if (list && !list->commands.empty()) {
      visit(*list, phase, name, section);
    }
  };
  const auto visit_phase = [&](const Phase& phase, std::string_view name) {
    visit_list(phase.pre, name, std::string(name) + ".pre", nullptr);
    visit_list(phase.override_, name, std::string(name) + ".override", nullptr);
    visit_list(phase.post, name, std::string(name) + ".post", nullptr);
  };
  visit_list(config.machine.pre, "machine", "machine.pre", nullptr);
  visit_list(config.machine.post, "machine", "machine.post", nullptr);
  visit_list(config.checkout.post, "checkout", "checkout.post", nullptr);
  visit_phase(config.dependencies, "dependencies");
  visit_phase(config.database, "database");
  visit_phase(config.compile, "compile");
  visit_phase(config.test, "test");
  for (const auto& section : config.deployment) {
    visit_list(section.commands, "deployment", "deployment." + section.name + ".commands", &section);
  }
}

// Visits every command with the name of its list, e.g. "test.override".
template <class Visit>
void for_each_command(const Config& config, Visit&& visit)
{
  for_each_command_list(config,
                        [&](const CommandList& list, std::string_view, const std::string& name, const Deployment*) {
                          for (const auto& command : list.commands) {
                            visit(command, name);
                          }
                        });
}

} // namespace drydock::config

#pragma once
// for_each_command: the one place that knows the phase order of a Config.
#include <string>

namespace drydock::config {

template <class Visit>
void for_each_command(const Config& config, Visit&& visit)
{
  const auto visit_list = [&](const std::optional<CommandList>& list, const std::string& path) {
    if (!list) {
      return;
    }
    for (const auto& command : list->commands) {
      visit(command, path);
    }
  };
  const auto visit_phase = [&](const Phase& phase, const std::string& name) {
    visit_list(phase.pre, name + ".pre");
    visit_list(phase.override_, name + ".override");
    visit_list(phase.post, name + ".post");
  };
  visit_list(config.machine.pre, "machine.pre");
  visit_list(config.machine.post, "machine.post");
  visit_list(config.checkout.post, "checkout.post");
  visit_phase(config.dependencies, "dependencies");
  visit_phase(config.database, "database");
  visit_phase(config.compile, "compile");
  visit_phase(config.test, "test");
  for (const auto& section : config.deployment) {
    visit_list(section.commands, "deployment." + section.name + ".commands");
  }
}

} // namespace drydock::config

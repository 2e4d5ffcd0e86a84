#include "frontends/circle1/check.hpp"

#include <algorithm>
#include <set>

#include "config/walk.hpp"
#include "frontends/circle1/lower.hpp"

namespace drydock::circle1 {
namespace {

// A section's steps come after every phase and wait for them. Unless one of
// its commands requires a step, uses an image, a service or the database,
// or has an id some step requires, none of them can be on a cycle or run
// too early, so its graph has the errors of the graph without it. Skipping
// those keeps validate linear in configs with many deployment sections.
bool may_add_graph_errors(const config::Deployment& section, const std::set<std::string>& required)
{
  if (!section.commands) {
    return false;
  }
  return std::any_of(section.commands->commands.begin(), section.commands->commands.end(),
                     [&](const config::Command& command) {
                       const auto& ext = command.drydock;
                       return (ext.id && required.contains(ext.id->value)) || !ext.requires_.empty() || ext.image
                              || !ext.services.empty() || ext.database;
                     });
}

std::set<std::string> required_ids(const config::Config& config)
{
  std::set<std::string> ids;
  config::for_each_command(config, [&](const config::Command& command, const std::string&) {
    for (const auto& ref : command.drydock.requires_) {
      ids.insert(ref.value);
    }
  });
  return ids;
}

} // namespace

void check_every_graph(const config::Config& config, Diagnostics& diags)
{
  Diagnostics found;
  lower(config, {}, std::nullopt, found);
  const auto required = required_ids(config);
  for (std::size_t i = 0; i < config.deployment.size(); ++i) {
    if (may_add_graph_errors(config.deployment[i], required)) {
      lower(config, {}, i, found);
    }
  }
  found.remove_duplicates(); // most errors are in every section's graph
  diags.append(found);
}

config::Validation validate_pipeline(const std::string& path, std::string text)
{
  config::Validation result = config::validate_text(path, std::move(text));
  Diagnostics& diags = result.diagnostics;
  // The graph is only as good as the config it is built from: with errors
  // the config is partly read, and some of its errors (a service dependency
  // cycle) would come back as graph errors in other words.
  if (!diags.has_errors()) {
    check_every_graph(result.config, diags);
    diags.sort_by_position();
  }
  return result;
}

} // namespace drydock::circle1

#include "config/checks.hpp"

#include <fmt/format.h>

#include <map>
#include <set>

#include "config/names.hpp"
#include "config/walk.hpp"
#include "util/cycle.hpp"
#include "util/regex.hpp"
#include "util/spelling.hpp"

namespace drydock::config {
namespace {

template <class Spec>
std::vector<std::string_view> names_of(const std::vector<Spec>& specs)
{
  std::vector<std::string_view> names;
  for (const auto& spec : specs) {
    names.push_back(spec.name);
  }
  return names;
}

// Reports a reference to a name that is not declared, with a suggestion.
void check_ref(Diagnostics& diags, const Ref& ref, std::string_view what, std::span<const std::string_view> names)
{
  for (const auto name : names) {
    if (name == ref.value) {
      return;
    }
  }
  std::string message = fmt::format("unknown {} '{}'", what, ref.value);
  if (const auto suggestion = closest_match(ref.value, names)) {
    message += fmt::format("; did you mean '{}'?", *suggestion);
  } else if (names.empty()) {
    message += "; none is declared";
  }
  diags.error(ref.pos, std::move(message), count_chars(ref.value));
}

// `${NAME` without its closing brace is a typo the shell would only half
// catch; `$NAME` and `${NAME}` are fine, and `$$` is a literal dollar.
void check_interpolation(Diagnostics& diags, const std::string& value, Pos pos, std::string_view name)
{
  for (std::size_t at = value.find("${"); at != std::string::npos; at = value.find("${", at + 2)) {
    const auto close = value.find('}', at);
    if (close == std::string::npos) {
      diags.error(pos, fmt::format("'{}' has '${{' without a closing '}}'", name));
      return;
    }
    if (close == at + 2) {
      diags.error(pos, fmt::format("'{}' has an empty '${{}}'", name));
      return;
    }
  }
}

void check_env(Diagnostics& diags, const std::vector<EnvVar>& vars)
{
  for (const auto& var : vars) {
    check_interpolation(diags, var.value, var.pos, var.name);
  }
}

struct StepIds {
  std::map<std::string, Pos> ids;
  std::vector<std::string_view> names;
};

StepIds collect_step_ids(const Config& config, Diagnostics& diags)
{
  StepIds result;
  for_each_command(config, [&](const Command& command, const std::string&) {
    if (!command.drydock.id) {
      return;
    }
    const Text& id = *command.drydock.id;
    const auto [it, inserted] = result.ids.emplace(id.value, id.pos);
    if (!inserted) {
      diags.error(id.pos,
                  fmt::format("step id '{}' is already used at line {}, column {}", id.value, it->second.line,
                              it->second.column),
                  count_chars(id.value));
    }
  });
  for (const auto& [name, pos] : result.ids) {
    result.names.push_back(name);
  }
  return result;
}

void check_commands(const Config& config, Diagnostics& diags)
{
  const StepIds ids = collect_step_ids(config, diags);
  const auto images = names_of(config.drydock.images);
  const auto services = names_of(config.drydock.services);
  const bool has_database = config.drydock.database.has_value()
                            || std::any_of(config.machine.services.begin(), config.machine.services.end(),
                                           [](const Text& s) { return s.value == "postgresql"; });
  for_each_command(config, [&](const Command& command, const std::string& path) {
    const StepExtension& ext = command.drydock;
    for (const auto& ref : ext.requires_) {
      check_ref(diags, ref, "step id", ids.names);
    }
    if (ext.image) {
      check_ref(diags, *ext.image, "image", images);
    }
    for (const auto& ref : ext.services) {
      check_ref(diags, ref, "service", services);
    }
    if (ext.database && !has_database) {
      diags.error(command.pos, "the step asks for the database, but neither 'drydock.database' nor "
                               "'machine.services: [postgresql]' declares one");
    }
    if (path.starts_with("deployment.") && command.parallel.value_or(false)) {
      diags.error(command.pos, "'parallel: true' is not allowed in deployment commands");
    }
    check_env(diags, command.environment);
  });
}

void check_deployment(const Config& config, Diagnostics& diags)
{
  const auto publish = names_of(config.drydock.publish);
  for (const auto& section : config.deployment) {
    if (section.branch.empty() && section.tag.empty()) {
      diags.error(section.pos,
                  fmt::format("deployment section '{}' needs a 'branch' or a 'tag' to say when it runs", section.name),
                  count_chars(section.name));
    }
    const bool runs_something = (section.commands && !section.commands->commands.empty()) || section.heroku_appname
                                || !section.publish.empty();
    if (!runs_something) {
      diags.error(section.pos,
                  fmt::format("deployment section '{}' has nothing to run (no 'commands', 'heroku' or "
                              "'drydock.publish')",
                              section.name),
                  count_chars(section.name));
    }
    for (const auto& ref : section.publish) {
      check_ref(diags, ref, "publish entry", publish);
    }
  }
}

// A cycle in services' depends_on, reported at its first service.
void check_service_cycles(const Extension& ext, Diagnostics& diags)
{
  // services[i] -> the services it depends on, by index.
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < ext.services.size(); ++i) {
    index[ext.services[i].name] = i;
  }
  std::vector<std::vector<std::size_t>> depends(ext.services.size());
  for (std::size_t i = 0; i < ext.services.size(); ++i) {
    for (const auto& dep : ext.services[i].depends_on) {
      if (const auto found = index.find(dep.value); found != index.end()) {
        depends[i].push_back(found->second);
      }
    }
  }
  const auto cycle = util::find_cycle(
      depends.size(), [&](std::size_t i) -> const auto& { return depends[i]; });
  if (!cycle.empty()) {
    std::vector<std::string> shown;
    for (const std::size_t i : cycle) {
      shown.push_back(ext.services[i].name);
    }
    shown.push_back(shown.front());
    diags.error(ext.services[cycle.front()].pos,
                fmt::format("services depend on each other in a cycle: {}", fmt::join(shown, " -> ")));
  }
}

void check_services(const Extension& ext, Diagnostics& diags)
{
  const auto names = names_of(ext.services);
  for (const auto& service : ext.services) {
    for (const auto& dep : service.depends_on) {
      check_ref(diags, dep, "service", names);
    }
    check_env(diags, service.environment);
    if (!service.ready) {
      continue;
    }
    const Readiness& ready = *service.ready;
    if (ready.log) {
      if (const auto regex = util::compile_regex(ready.log->value); !regex) {
        diags.error(ready.log->pos, fmt::format("invalid regular expression '{}': {}",
                                                util::shown_pattern(ready.log->value), regex.error()));
      }
    }
  }
  check_service_cycles(ext, diags);
}

void check_extension(const Extension& ext, Diagnostics& diags)
{
  const auto images = names_of(ext.images);
  for (const auto& image : ext.images) {
    check_env(diags, image.build_args);
  }
  if (ext.database) {
    const DatabaseSpec& db = *ext.database;
    if (db.provider == DatabaseProvider::url && !db.url) {
      diags.error(db.pos, "'drydock.database' with provider 'url' needs a 'url'");
    }
    if (db.provider != DatabaseProvider::url && db.url) {
      diags.error(db.url->pos, "'url' is only used with 'provider: url'");
    }
    if (db.provider != DatabaseProvider::container && db.image) {
      diags.error(db.image->pos, "'image' is only used with 'provider: container'");
    }
  }
  check_services(ext, diags);
  for (const auto& publish : ext.publish) {
    if (publish.image.pos.known()) { // a missing `image` is the schema's to report
      check_ref(diags, publish.image, "image", images);
    }
    if ((publish.semver || publish.latest) && !publish.version) {
      diags.error(publish.pos,
                  fmt::format("publish entry '{}' uses 'semver' or 'latest', which need a 'version'", publish.name),
                  count_chars(publish.name));
    }
  }
}

} // namespace

void check_config(const Config& config, Diagnostics& diags)
{
  check_env(diags, config.machine.environment);
  check_commands(config, diags);
  check_deployment(config, diags);
  check_extension(config.drydock, diags);
  check_names(config, diags);
}

} // namespace drydock::config

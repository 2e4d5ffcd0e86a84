#include "graph/graph.hpp"

#include <fmt/format.h>

#include "config/derived.hpp"
#include "config/walk.hpp"

#include <algorithm>
#include <map>

namespace drydock::graph {

std::string_view phase_name(Phase phase)
{
  switch (phase) {
  case Phase::machine: return "machine";
  case Phase::checkout: return "checkout";
  case Phase::dependencies: return "dependencies";
  case Phase::database: return "database";
  case Phase::compile: return "compile";
  case Phase::test: return "test";
  case Phase::deployment: return "deployment";
  }
  return "?";
}

namespace {

Phase phase_from_name(std::string_view name)
{
  for (const Phase phase : {Phase::machine, Phase::checkout, Phase::dependencies, Phase::database, Phase::compile,
                            Phase::test, Phase::deployment}) {
    if (phase_name(phase) == name) {
      return phase;
    }
  }
  return Phase::machine; // unreachable: for_each_command_list names only these
}

// drydock's own steps, which run beside the phases rather than in one:
// they start once `after` is done and the first phase from `joins` on
// waits for them.
struct SideBranch {
  Phase after;
  std::optional<Phase> joins; // nothing: only the steps that use it wait
  std::vector<Step> steps; // index not yet set
  std::vector<std::size_t> added;
  bool joined = false;
};

class Builder {
public:
  Builder(const config::Config& config, Diagnostics& diags);

  // Adds the side branches that start before (and join at) this phase.
  void before_phase(Phase phase);
  void add_list(const config::CommandList& list, Phase phase, const std::string& list_name);
  // The section's publish steps, once, before its commands.
  void add_publish(const config::Deployment& section);
  void add_required_edges();
  void add_usage_edges();
  void find_cycles();
  Graph take() { return std::move(m_graph); }

private:
  std::size_t add_step(Step step);
  void add_edge(std::size_t from, std::size_t to);
  void add_usage_edge(std::optional<std::size_t> provider, const Step& user, std::string_view what);
  std::string describe(std::size_t step) const;
  bool visit(std::size_t step, std::vector<int>& colour, std::vector<std::size_t>& path);

  const config::Config& m_config;
  Diagnostics& m_diags;
  Graph m_graph;
  std::vector<std::size_t> m_frontier; // what the next list waits for
  std::vector<SideBranch> m_branches;
  bool m_published = false;
};

Step own_step(StepKind kind, std::string name, std::string subject, std::string text, Pos pos)
{
  Step step;
  step.name = std::move(name);
  step.list = "drydock";
  step.kind = kind;
  step.subject = std::move(subject);
  step.command.text = std::move(text);
  step.command.pos = pos;
  step.command.timeout = 3600; // a first image build can be silent for long
  return step;
}

Builder::Builder(const config::Config& config, Diagnostics& diags) : m_config(config), m_diags(diags)
{
  SideBranch images{Phase::checkout, Phase::database, {}, {}, false};
  for (const auto& image : config.drydock.images) {
    images.steps.push_back(own_step(StepKind::image, "image:" + image.name, image.name,
                                    fmt::format("image {}: {}:<inputs key>, present, loaded from {} or built",
                                                image.name, image.repository.value, image.cache_dir.value),
                                    image.pos));
    images.steps.back().phase = Phase::dependencies;
  }
  SideBranch database{Phase::machine, Phase::database, {}, {}, false};
  const auto spec = config::effective_database(config);
  if (spec && spec->provider != config::DatabaseProvider::url) {
    std::vector<std::string> names;
    for (const auto& name : spec->databases) {
      names.push_back(name.value);
    }
    const bool cluster = spec->provider == config::DatabaseProvider::cluster;
    database.steps.push_back(own_step(StepKind::database, "postgresql", "",
                                      fmt::format("postgresql: {}, user {}, databases {}",
                                                  cluster ? "throwaway cluster" : "container of " +
                                                      (spec->image ? spec->image->value : std::string(config::kDefaultPostgresImage)),
                                                  spec->user, fmt::join(names, ", ")),
                                      spec->pos));
    database.steps.back().phase = Phase::machine;
    database.steps.back().command.timeout = 120;
  }
  SideBranch services{Phase::machine, std::nullopt, {}, {}, false};
  for (const auto& service : config.drydock.services) {
    services.steps.push_back(own_step(StepKind::service, "service:" + service.name, service.name,
                                      fmt::format("service {}: {}", service.name, service.image.value), service.pos));
    services.steps.back().phase = Phase::machine;
    const int timeout = service.ready ? service.ready->timeout : 60;
    services.steps.back().command.timeout = timeout + 600; // the readiness timeout decides first
  }
  m_branches = {std::move(database), std::move(services), std::move(images)};
}

std::size_t Builder::add_step(Step step)
{
  step.index = m_graph.steps.size();
  m_graph.steps.push_back(std::move(step));
  m_graph.deps.emplace_back();
  m_graph.dependents.emplace_back();
  return m_graph.steps.size() - 1;
}

void Builder::before_phase(Phase phase)
{
  // All branches start from the same frontier before any of them joins it.
  for (auto& branch : m_branches) {
    if (branch.added.empty() && !branch.steps.empty() && phase > branch.after) {
      for (auto& step : branch.steps) {
        const std::size_t index = add_step(std::move(step));
        for (const std::size_t dep : m_frontier) {
          add_edge(dep, index);
        }
        branch.added.push_back(index);
      }
    }
  }
  for (auto& branch : m_branches) {
    if (!branch.joined && !branch.added.empty() && branch.joins && phase >= *branch.joins) {
      m_frontier.insert(m_frontier.end(), branch.added.begin(), branch.added.end());
      branch.joined = true;
    }
  }
}

void Builder::add_publish(const config::Deployment& section)
{
  if (m_published || section.publish.empty()) {
    return;
  }
  m_published = true;
  std::vector<std::size_t> steps;
  for (const auto& ref : section.publish) {
    const auto spec = std::find_if(m_config.drydock.publish.begin(), m_config.drydock.publish.end(),
                                   [&](const config::PublishSpec& entry) { return entry.name == ref.value; });
    if (spec == m_config.drydock.publish.end()) {
      continue; // config checks report the unknown name
    }
    Step step = own_step(StepKind::publish, "publish:" + spec->name, spec->name,
                         fmt::format("publish {}: tag and push image {}{}", spec->name, spec->image.value,
                                     spec->registry ? " to " + spec->registry->value : std::string()),
                         ref.pos);
    step.phase = Phase::deployment;
    step.command.timeout = 1800;
    const std::size_t index = add_step(std::move(step));
    for (const std::size_t dep : m_frontier) {
      add_edge(dep, index);
    }
    steps.push_back(index);
  }
  m_frontier = steps;
}

void Builder::add_edge(std::size_t from, std::size_t to)
{
  auto& deps = m_graph.deps[to];
  if (std::find(deps.begin(), deps.end(), from) == deps.end()) {
    deps.push_back(from);
    m_graph.dependents[from].push_back(to);
  }
}

// A list's commands run in order; a `concurrent` command joins the group of
// the command before it (same waits), and the next ordinary command waits
// for the whole group. Lists are barriers: concurrency stays inside one.
void Builder::add_list(const config::CommandList& list, Phase phase, const std::string& list_name)
{
  std::vector<std::size_t> group;
  std::vector<std::size_t> group_waits = m_frontier;
  for (std::size_t i = 0; i < list.commands.size(); ++i) {
    const config::Command& command = list.commands[i];
    Step step;
    step.name = command.drydock.id ? command.drydock.id->value : fmt::format("{}[{}]", list_name, i);
    step.list = list_name;
    step.phase = phase;
    step.command = command;
    const std::size_t index = add_step(std::move(step));
    if (command.drydock.concurrent && !group.empty()) {
      group.push_back(index);
    } else {
      group_waits = group.empty() ? m_frontier : group;
      group = {index};
    }
    for (const std::size_t dep : group_waits) {
      add_edge(dep, index);
    }
  }
  m_frontier = group;
}

// The deployment section of each step id declared in one.
std::map<std::string, std::string> section_step_ids(const config::Config& config)
{
  std::map<std::string, std::string> ids;
  for (const auto& section : config.deployment) {
    if (!section.commands) {
      continue;
    }
    for (const auto& command : section.commands->commands) {
      if (command.drydock.id) {
        ids.emplace(command.drydock.id->value, section.name);
      }
    }
  }
  return ids;
}

void Builder::add_required_edges()
{
  std::map<std::string, std::size_t> by_id;
  for (const auto& step : m_graph.steps) {
    if (step.command.drydock.id) {
      by_id.emplace(step.command.drydock.id->value, step.index);
    }
  }
  const auto section_ids = section_step_ids(m_config);
  for (const auto& step : m_graph.steps) {
    for (const auto& ref : step.command.drydock.requires_) {
      if (const auto found = by_id.find(ref.value); found != by_id.end()) {
        add_edge(found->second, step.index);
      } else if (const auto section = section_ids.find(ref.value); section != section_ids.end()) {
        // Worded the same whichever section this graph has: validate reports
        // the errors of every section's graph once.
        m_diags.error(ref.pos,
                      fmt::format("step id '{}' is in deployment section '{}', which does not run in every build; "
                                  "a step outside that section cannot require it",
                                  ref.value, section->second),
                      count_chars(ref.value));
      } // else an unknown id: config checks report it
    }
  }
}

void Builder::add_usage_edge(std::optional<std::size_t> provider, const Step& user, std::string_view what)
{
  if (!provider) {
    return; // an unknown name: config checks report it
  }
  if (*provider > user.index) {
    m_diags.error(user.command.pos, fmt::format("'{}' runs in {}, before drydock makes {} ready (step '{}'); "
                                                "use it from a later phase",
                                                user.name, phase_name(user.phase), what,
                                                m_graph.steps[*provider].name));
    return;
  }
  add_edge(*provider, user.index);
}

// A step that runs in an image or reaches the database waits for the step
// that makes it ready, even where the phases alone would not order them.
void Builder::add_usage_edges()
{
  std::map<std::string, std::size_t> images;
  std::map<std::string, std::size_t> services;
  std::optional<std::size_t> database;
  for (const auto& step : m_graph.steps) {
    if (step.kind == StepKind::image) {
      images.emplace(step.subject, step.index);
    } else if (step.kind == StepKind::service) {
      services.emplace(step.subject, step.index);
    } else if (step.kind == StepKind::database) {
      database = step.index;
    }
  }
  const auto find = [](const std::map<std::string, std::size_t>& in, const std::string& name) {
    const auto found = in.find(name);
    return found == in.end() ? std::nullopt : std::optional(found->second);
  };
  // A service starts once the services it depends on are ready.
  for (const auto& service : m_config.drydock.services) {
    const auto self = find(services, service.name);
    for (const auto& dep : service.depends_on) {
      if (const auto other = find(services, dep.value); self && other) {
        add_edge(*other, *self);
      }
    }
  }
  for (std::size_t i = 0; i < m_graph.steps.size(); ++i) {
    const Step& step = m_graph.steps[i];
    if (step.kind != StepKind::command) {
      continue;
    }
    if (const auto& image = step.command.drydock.image) {
      const auto found = images.find(image->value);
      add_usage_edge(found == images.end() ? std::nullopt : std::optional(found->second), step,
                     fmt::format("image '{}'", image->value));
    }
    if (step.command.drydock.database) {
      add_usage_edge(database, step, "the database");
    }
    for (const auto& service : step.command.drydock.services) {
      add_usage_edge(find(services, service.value), step, fmt::format("service '{}'", service.value));
    }
  }
}

std::string Builder::describe(std::size_t step) const
{
  const auto& s = m_graph.steps[step];
  return fmt::format("{} ({}:{}:{})", s.name, m_config.path, s.command.pos.line, s.command.pos.column);
}

bool Builder::visit(std::size_t step, std::vector<int>& colour, std::vector<std::size_t>& path)
{
  colour[step] = 1;
  path.push_back(step);
  for (const std::size_t next : m_graph.dependents[step]) {
    if (colour[next] == 1) {
      path.push_back(next);
      return true;
    }
    if (colour[next] == 0 && visit(next, colour, path)) {
      return true;
    }
  }
  colour[step] = 2;
  path.pop_back();
  return false;
}

// Reports one cycle, starting at its earliest step so the text is stable.
void Builder::find_cycles()
{
  std::vector<int> colour(m_graph.steps.size(), 0);
  for (std::size_t start = 0; start < m_graph.steps.size(); ++start) {
    std::vector<std::size_t> path;
    if (colour[start] != 0 || !visit(start, colour, path)) {
      continue;
    }
    std::vector<std::size_t> cycle(std::find(path.begin(), path.end(), path.back()), path.end() - 1);
    std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
    cycle.push_back(cycle.front());
    std::vector<std::string> names;
    for (const std::size_t step : cycle) {
      names.push_back(describe(step));
    }
    m_diags.error(m_graph.steps[cycle.front()].command.pos,
                  fmt::format("dependency cycle: {}", fmt::join(names, " -> ")));
    return;
  }
}

} // namespace

Graph build_graph(const config::Config& config, std::optional<std::size_t> deployment, Diagnostics& diags)
{
  Builder builder(config, diags);
  const config::Deployment* selected =
      deployment && *deployment < config.deployment.size() ? &config.deployment[*deployment] : nullptr;
  config::for_each_command_list(config, [&](const config::CommandList& list, std::string_view phase,
                                            const std::string& name, const config::Deployment* section) {
    if (section == nullptr || section == selected) {
      builder.before_phase(phase_from_name(phase));
      if (section != nullptr) {
        builder.add_publish(*section);
      }
      builder.add_list(list, phase_from_name(phase), name);
    }
  });
  builder.before_phase(Phase::deployment); // own steps of a config with no later phase
  if (selected != nullptr) {
    builder.add_publish(*selected); // a section with publish and no commands
  }
  builder.add_required_edges();
  builder.add_usage_edges();
  builder.find_cycles();
  return builder.take();
}

std::vector<std::size_t> topological_order(const Graph& graph)
{
  std::vector<std::size_t> waiting(graph.steps.size());
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < graph.steps.size(); ++i) {
    waiting[i] = graph.deps[i].size();
    if (waiting[i] == 0) {
      order.push_back(i);
    }
  }
  for (std::size_t at = 0; at < order.size(); ++at) {
    for (const std::size_t next : graph.dependents[order[at]]) {
      if (--waiting[next] == 0) {
        order.push_back(next);
      }
    }
  }
  return order;
}

} // namespace drydock::graph

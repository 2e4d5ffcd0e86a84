#include "frontends/circle1/lower.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "config/derived.hpp"
#include "config/walk.hpp"
#include "frontends/circle1/actions.hpp"
#include "frontends/circle1/kept.hpp"
#include "graph/graph.hpp"

namespace fs = std::filesystem;

namespace drydock::circle1 {
namespace {

constexpr Phase kPhases[] = {Phase::machine, Phase::checkout, Phase::dependencies, Phase::database,
                             Phase::compile, Phase::test,     Phase::deployment,   Phase::artifacts};

Phase phase_from_name(std::string_view name)
{
  for (const Phase phase : kPhases) {
    if (phase_name(phase) == name) {
      return phase;
    }
  }
  return Phase::machine; // unreachable: for_each_command_list names only these
}

// CircleCI 1.0: in test every command runs even after one failed; a failure
// elsewhere stops the build; deployment needs a green build.
pipeline::Group phase_group(Phase phase)
{
  pipeline::Group group{std::string(phase_name(phase)), "phase", {}};
  if (phase == Phase::test) {
    group.policy = {pipeline::RunsWhen::always, pipeline::OnFailure::continue_build, ""};
  } else if (phase == Phase::deployment) {
    group.policy.skipped_because = "deployment runs only after a green build";
  } else if (phase == Phase::artifacts) {
    group.policy = {pipeline::RunsWhen::finally, pipeline::OnFailure::continue_build, ""};
  }
  return group;
}

// A step as the builder keeps it until it is placed: the command it came
// from (none for drydock's own steps) and the name its users refer to.
struct Pending {
  pipeline::Step step;
  const config::Command* command = nullptr;
  std::string subject; // an image or service name
};

// drydock's own steps, which run beside the phases rather than in one:
// they start once `after` is done and the first phase from `joins` on
// waits for them.
struct SideBranch {
  Phase after;
  std::optional<Phase> joins; // nothing: only the steps that use it wait
  std::vector<Pending> steps;
  std::vector<std::size_t> added;
  bool joined = false;
  // Beside steps[i] (when there is one): a step that starts after it and
  // that nothing waits for (an image's archive).
  std::vector<std::optional<Pending>> followers;
};

// drydock's own steps resolve paths from the config's folder.
Pending own_step(Phase phase, std::string id, pipeline::Action action, std::string summary, Pos pos, int timeout,
                 const BuildContext& context)
{
  Pending pending;
  auto& step = pending.step;
  step.workdir.base = context.config_dir;
  step.id = std::move(id);
  step.name = step.id;
  step.group = static_cast<std::size_t>(phase);
  step.origin = "drydock";
  step.pos = pos;
  step.summary = std::move(summary);
  step.action = std::move(action);
  step.no_output_timeout = timeout;
  return pending;
}

std::string database_summary(const pipeline::Database& database)
{
  const bool cluster = database.provider == pipeline::DatabaseProvider::cluster;
  return fmt::format("postgresql: {}, user {}, databases {}",
                     cluster ? "throwaway cluster" : "container of " + database.image, database.user,
                     fmt::join(database.databases, ", "));
}

// `archive:NAME`: the image's archive written beside the steps that use
// the image. Its failure (an interrupt; a failed write is only a warning)
// stops nothing, and nothing waits for it.
Pending archive_step(const config::ImageSpec& image, const BuildContext& context)
{
  auto pending = own_step(Phase::dependencies, "archive:" + image.name, pipeline::ImageArchive{image_action(image)},
                          fmt::format("archive {}: docker save {}:<inputs key> into {}, if image:{} built it",
                                      image.name, image.repository.value, image.cache_dir.value, image.name),
                          image.pos, 3600, context); // docker save of a large image can be silent for long
  pending.step.policy = pipeline::Policy{pipeline::RunsWhen::on_success, pipeline::OnFailure::continue_build, ""};
  pending.subject = image.name;
  return pending;
}

class Builder {
public:
  Builder(const config::Config& config, const BuildContext& context, Diagnostics& diags);

  // Adds the side branches that start before (and join at) this phase.
  void before_phase(Phase phase);
  void add_list(const config::CommandList& list, Phase phase, const std::string& list_name);
  // The section's publish steps, once, before its commands.
  void add_publish(const config::Deployment& section);
  void add_required_edges();
  void add_usage_edges();
  // The side branches' followers, after every other step, so that a step
  // the build waits for goes first among equals (the ready queue's ties,
  // the critical path shown).
  void add_followers();
  // general.artifacts: one step after every other, whatever they did.
  void add_artifacts();
  // dependencies.cache_directories: restored before the dependencies
  // phase, saved after it.
  void add_cache_steps(Phase phase);
  pipeline::Pipeline take();

private:
  std::size_t add_step(Pending pending);
  void add_edge(std::size_t from, std::size_t to);
  void add_usage_edge(std::optional<std::size_t> provider, std::size_t user, std::string_view what);
  pipeline::Step command_step(const config::Command& command, Phase phase, const std::string& id) const;
  void add_side_branches();

  const config::Config& m_config;
  const BuildContext& m_context;
  Diagnostics& m_diags;
  pipeline::Pipeline m_pipeline;
  std::vector<Pending> m_pending;      // beside m_pipeline.steps until take()
  std::vector<std::size_t> m_frontier; // what the next list waits for
  std::vector<SideBranch> m_branches;
  std::vector<std::pair<std::size_t, Pending>> m_followers; // the step it follows, the follower
  bool m_published = false;
  bool m_cache_restored = false;
  bool m_cache_saved = false;
  // Each step's dependents in the order the edges were added: the cycle
  // search follows them, so which cycle is named first stays as it was.
  std::vector<std::vector<std::size_t>> m_edges;

public:
  graph::Graph edges_in_order() const;
};

graph::Graph Builder::edges_in_order() const
{
  graph::Graph graph;
  graph.dependents = m_edges;
  graph.dependents.resize(m_pending.size());
  graph.deps.resize(m_pending.size());
  for (std::size_t to = 0; to < m_pending.size(); ++to) {
    graph.deps[to] = m_pending[to].step.deps;
  }
  return graph;
}

Builder::Builder(const config::Config& config, const BuildContext& context, Diagnostics& diags)
  : m_config(config), m_context(context), m_diags(diags)
{
  for (const Phase phase : kPhases) {
    m_pipeline.groups.push_back(phase_group(phase));
  }
  add_side_branches();
}

void Builder::add_side_branches()
{
  SideBranch images{Phase::checkout, Phase::database, {}, {}, false, {}};
  for (const auto& image : m_config.drydock.images) {
    images.steps.push_back(own_step(Phase::dependencies, "image:" + image.name, image_action(image),
                                    fmt::format("image {}: {}:<inputs key>, present, loaded from {} or built",
                                                image.name, image.repository.value, image.cache_dir.value),
                                    image.pos, 3600, m_context)); // a first image build can be silent for long
    images.steps.back().subject = image.name;
    images.followers.emplace_back(archive_step(image, m_context));
  }
  SideBranch database{Phase::machine, Phase::database, {}, {}, false, {}};
  const auto spec = config::effective_database(m_config);
  if (spec && spec->provider != config::DatabaseProvider::url) {
    const auto action = pipeline::DatabaseStart{database_of(*spec)};
    database.steps.push_back(
        own_step(Phase::machine, "postgresql", action, database_summary(action.database), spec->pos, 120, m_context));
  }
  SideBranch services{Phase::machine, std::nullopt, {}, {}, false, {}};
  for (const auto& service : m_config.drydock.services) {
    const int timeout = service.ready ? service.ready->timeout : 60;
    services.steps.push_back(own_step(Phase::machine, "service:" + service.name, service_action(service),
                                      fmt::format("service {}: {}", service.name, service.image.value), service.pos,
                                      timeout + 600, m_context)); // the readiness timeout decides first
    services.steps.back().subject = service.name;
  }
  m_branches = {std::move(database), std::move(services), std::move(images)};
}

std::size_t Builder::add_step(Pending pending)
{
  pending.step.index = m_pending.size();
  m_pending.push_back(std::move(pending));
  return m_pending.size() - 1;
}

void Builder::before_phase(Phase phase)
{
  add_cache_steps(phase);
  // All branches start from the same frontier before any of them joins it.
  for (auto& branch : m_branches) {
    if (branch.added.empty() && !branch.steps.empty() && phase > branch.after) {
      for (std::size_t i = 0; i < branch.steps.size(); ++i) {
        const std::size_t index = add_step(std::move(branch.steps[i]));
        for (const std::size_t dep : m_frontier) {
          add_edge(dep, index);
        }
        branch.added.push_back(index);
        if (i < branch.followers.size() && branch.followers[i]) {
          m_followers.emplace_back(index, std::move(*branch.followers[i]));
        }
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

void Builder::add_followers()
{
  for (auto& [leader, follower] : m_followers) {
    add_edge(leader, add_step(std::move(follower)));
  }
  m_followers.clear();
}

void Builder::add_publish(const config::Deployment& section)
{
  if (m_published || section.publish.empty()) {
    return;
  }
  m_published = true;
  std::vector<std::size_t> steps;
  for (const auto& ref : section.publish) {
    const auto& entries = m_config.drydock.publish;
    const auto spec = std::find_if(entries.begin(), entries.end(),
                                   [&](const config::PublishSpec& entry) { return entry.name == ref.value; });
    const auto action = spec == entries.end() ? std::nullopt : publish_action(*spec, m_config);
    if (!action) {
      continue; // config checks report the unknown name
    }
    const std::size_t index = add_step(
        own_step(Phase::deployment, "publish:" + spec->name, *action,
                 fmt::format("publish {}: tag and push image {}{}", spec->name, spec->image.value,
                             spec->registry ? " to " + spec->registry->value : std::string()),
                 ref.pos, 1800, m_context));
    for (const std::size_t dep : m_frontier) {
      add_edge(dep, index);
    }
    steps.push_back(index);
  }
  if (!steps.empty()) { // with none, the section's commands still wait for every phase
    m_frontier = steps;
  }
}

void Builder::add_edge(std::size_t from, std::size_t to)
{
  auto& deps = m_pending[to].step.deps;
  if (std::find(deps.begin(), deps.end(), from) == deps.end()) {
    deps.push_back(from);
    m_edges.resize(m_pending.size());
    m_edges[from].push_back(to);
  }
}

// A command as a shell step: bash on the host (CircleCI runs machine
// commands in $HOME and the rest in the build directory), sh in its image
// (which need not have bash).
pipeline::Step Builder::command_step(const config::Command& command, Phase phase, const std::string& id) const
{
  pipeline::Step step;
  step.id = id;
  step.name = id;
  step.group = static_cast<std::size_t>(phase);
  step.pos = command.pos;
  step.summary = command.text;
  pipeline::ShellCommand shell{command.text, {"bash", "-eo", "pipefail", "-c"}, {}};
  for (const auto& pattern : command.files) {
    shell.append_files.push_back(pattern.value);
  }
  const auto& ext = command.drydock;
  if (ext.image) {
    shell.shell = {"sh", "-c"};
    step.container = pipeline::Container{ext.image->value, ext.database, {}, {}};
    for (const auto& host : m_config.machine.hosts) {
      step.container->hosts.emplace_back(host.name, host.address); // machine.hosts, as --add-host
    }
    for (const auto& service : ext.services) {
      step.container->services.push_back(service.value);
    }
  }
  step.action = std::move(shell);
  step.workdir.base = phase == Phase::machine ? m_context.home : m_context.build_dir;
  step.workdir.base_is_home = phase == Phase::machine;
  if (command.pwd) {
    step.workdir.path = command.pwd->value;
    step.workdir.home = m_context.home; // the host's, whatever the steps set HOME to
  }
  step.environment = config::name_values(command.environment);
  step.no_output_timeout = command.timeout.value_or(config::Command::kDefaultTimeout);
  step.background = command.background;
  step.concurrent = ext.concurrent;
  return step;
}

// A list's commands run in order; a `concurrent` command joins the group of
// the command before it (same waits), and the next ordinary command waits
// for the whole group. Lists are barriers: concurrency stays inside one.
// How many nodes run a command: `parallel: true` in test and compile runs
// on every node; elsewhere a command runs once (the setup phases' default
// of "every node" would only repeat the same work on one machine).
int nodes_of(const config::Command& command, Phase phase, int parallelism)
{
  const bool spread = (phase == Phase::test || phase == Phase::compile) && command.parallel.value_or(false);
  return spread ? parallelism : 1;
}

// Node `node` of `nodes` of a parallel command: its own id, its index and
// its share of the files.
void make_node(pipeline::Step& step, int node, int nodes)
{
  step.id = fmt::format("{}:{}", step.id, node);
  step.name = step.id;
  step.environment.insert(step.environment.begin(), {"CIRCLE_NODE_INDEX", std::to_string(node)});
  auto& shell = std::get<pipeline::ShellCommand>(step.action);
  shell.files_node = node;
  shell.files_nodes = nodes;
}

void Builder::add_list(const config::CommandList& list, Phase phase, const std::string& list_name)
{
  std::vector<std::size_t> group;
  std::vector<std::size_t> group_waits = m_frontier;
  for (std::size_t i = 0; i < list.commands.size(); ++i) {
    const config::Command& command = list.commands[i];
    const int nodes = nodes_of(command, phase, m_context.parallelism);
    for (int node = 0; node < nodes; ++node) {
      Pending pending;
      pending.step = command_step(command, phase,
                                  command.drydock.id ? command.drydock.id->value : fmt::format("{}[{}]", list_name, i));
      if (nodes > 1) {
        make_node(pending.step, node, nodes);
      }
      pending.step.origin = list_name;
      pending.command = &command;
      const std::size_t index = add_step(std::move(pending));
      // The nodes after the first start with it, as a `concurrent` command does.
      if ((node > 0 || command.drydock.concurrent) && !group.empty()) {
        group.push_back(index);
      } else {
        group_waits = group.empty() ? m_frontier : group;
        group = {index};
      }
      for (const std::size_t dep : group_waits) {
        add_edge(dep, index);
      }
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
  std::map<std::string, std::vector<std::size_t>> by_id; // a parallel command's nodes share its id
  for (const auto& pending : m_pending) {
    if (pending.command != nullptr && pending.command->drydock.id) {
      by_id[pending.command->drydock.id->value].push_back(pending.step.index);
    }
  }
  const auto section_ids = section_step_ids(m_config);
  for (std::size_t index = 0; index < m_pending.size(); ++index) {
    if (m_pending[index].command == nullptr) {
      continue;
    }
    for (const auto& ref : m_pending[index].command->drydock.requires_) {
      if (const auto found = by_id.find(ref.value); found != by_id.end()) {
        for (const std::size_t required : found->second) {
          add_edge(required, index);
        }
      } else if (const auto section = section_ids.find(ref.value); section != section_ids.end()) {
        // Worded the same whichever section this pipeline has: validate
        // reports the errors of every section's pipeline once.
        m_diags.error(ref.pos,
                      fmt::format("step id '{}' is in deployment section '{}', which does not run in every build; "
                                  "a step outside that section cannot require it",
                                  ref.value, section->second),
                      count_chars(ref.value));
      } // else an unknown id: config checks report it
    }
  }
}

void Builder::add_usage_edge(std::optional<std::size_t> provider, std::size_t user, std::string_view what)
{
  if (!provider) {
    return; // an unknown name: config checks report it
  }
  const auto& step = m_pending[user].step;
  if (*provider > user) {
    m_diags.error(step.pos,
                  fmt::format("'{}' runs in {}, before drydock makes {} ready (step '{}'); "
                              "use it from a later phase",
                              step.name, m_pipeline.groups[step.group].name, what, m_pending[*provider].step.name));
    return;
  }
  add_edge(*provider, user);
}

// A step that runs in an image or reaches the database waits for the step
// that makes it ready, even where the phases alone would not order them.
void Builder::add_usage_edges()
{
  std::map<std::string, std::size_t> images;
  std::map<std::string, std::size_t> services;
  std::optional<std::size_t> database;
  for (const auto& pending : m_pending) {
    const auto& action = pending.step.action;
    if (std::holds_alternative<pipeline::ImageBuild>(action)) {
      images.emplace(pending.subject, pending.step.index);
    } else if (std::holds_alternative<pipeline::ServiceStart>(action)) {
      services.emplace(pending.subject, pending.step.index);
    } else if (std::holds_alternative<pipeline::DatabaseStart>(action)) {
      database = pending.step.index;
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
  for (std::size_t i = 0; i < m_pending.size(); ++i) {
    if (m_pending[i].command == nullptr) {
      continue;
    }
    const auto& ext = m_pending[i].command->drydock;
    if (ext.image) {
      add_usage_edge(find(images, ext.image->value), i, fmt::format("image '{}'", ext.image->value));
    }
    if (ext.database) {
      add_usage_edge(database, i, "the database");
    }
    for (const auto& service : ext.services) {
      add_usage_edge(find(services, service.value), i, fmt::format("service '{}'", service.value));
    }
  }
}


void Builder::add_cache_steps(Phase phase)
{
  const bool restore = !m_cache_restored && phase >= Phase::dependencies;
  const bool save = !m_cache_saved && phase > Phase::dependencies;
  if (!restore && !save) {
    return;
  }
  const auto dirs = directories_to_cache(m_config, m_context);
  if (dirs.empty()) {
    return;
  }
  const auto add = [this](pipeline::Step step) {
    Pending pending;
    pending.step = std::move(step);
    const std::size_t index = add_step(std::move(pending));
    for (const std::size_t dep : m_frontier) {
      add_edge(dep, index);
    }
    m_frontier = {index};
  };
  const auto group = static_cast<std::size_t>(Phase::dependencies);
  if (restore) {
    m_cache_restored = true;
    add(cache_restore_step(dirs, m_context, group));
  }
  if (save) {
    m_cache_saved = true;
    add(cache_save_step(dirs, m_context, group));
  }
}

void Builder::add_artifacts()
{
  auto step = artifacts_step(m_config.general, m_context, static_cast<std::size_t>(Phase::artifacts));
  if (!step) {
    return;
  }
  // The steps nothing waits for: once they are settled, so is every other.
  std::vector<std::size_t> last;
  for (std::size_t before = 0; before < m_pending.size(); ++before) {
    if (before >= m_edges.size() || m_edges[before].empty()) {
      last.push_back(before);
    }
  }
  Pending pending;
  pending.step = std::move(*step);
  const std::size_t index = add_step(std::move(pending));
  for (const std::size_t before : last) {
    add_edge(before, index);
  }
}

// --container or drydock.container: the checkout, the build directory and
// the shared directories mounted at their paths, machine.hosts as --add-host.
std::optional<pipeline::BuildContainer> build_container_of(const config::Config& config, const BuildContext& context)
{
  pipeline::BuildContainer container;
  if (context.container) {
    container = {*context.container, "--container", {}, {}};
  } else if (config.drydock.container) {
    container = {config.drydock.container->value, "drydock.container", {}, {}};
  } else {
    return std::nullopt;
  }
  container.mounts = {context.checkout_dir, context.artifacts_dir, context.test_reports_dir};
  const auto from_checkout = fs::path(context.build_dir).lexically_relative(context.checkout_dir);
  if (from_checkout.empty() || *from_checkout.begin() == "..") {
    container.mounts.push_back(context.build_dir); // outside the checkout: mounted too
  }
  if (!config.dependencies.cache_directories.empty()) {
    container.mounts.push_back(context.directories_cache); // cache_directories are saved there
  }
  for (const auto& host : config.machine.hosts) {
    container.hosts.emplace_back(host.name, host.address);
  }
  container.engine_socket = config::uses_docker(config); // `docker` in its steps reaches the engine, as on 1.0
  return container;
}

pipeline::Pipeline Builder::take()
{
  for (auto& pending : m_pending) {
    m_pipeline.steps.push_back(std::move(pending.step));
  }
  m_pipeline.file = m_config.path;
  m_pipeline.format = "circle.yml 1.0";
  m_pipeline.build = {m_context.build_num, m_context.env.get("CIRCLE_SHA1").value_or(""), m_context.target.branch,
                      m_context.target.tag, m_context.target.owner};
  m_pipeline.environment = pipeline_environment(m_context);
  m_pipeline.host_env_dropped = kHostCiVariables;
  m_pipeline.shared_dirs = {{"artifacts", m_context.artifacts_dir}, {"test reports", m_context.test_reports_dir}};
  m_pipeline.log_dir = m_context.artifacts_dir;
  m_pipeline.engine_needed_by = engine_needed_by(m_config, m_context.container);
  m_pipeline.build_container = build_container_of(m_config, m_context);
  if (const auto spec = config::effective_database(m_config)) {
    m_pipeline.database = database_of(*spec);
  }
  for (const auto& publish : m_config.drydock.publish) {
    if (publish.login) {
      m_pipeline.secret_env.push_back(publish.login->password_env.value);
    }
  }
  return std::move(m_pipeline);
}

} // namespace

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
  case Phase::artifacts: return "artifacts";
  }
  return "?";
}

std::string engine_needed_by(const config::Config& config, const std::optional<std::string>& container)
{
  if (container) {
    return "--container";
  }
  if (config.drydock.container) {
    return "drydock.container";
  }
  return config::uses_docker(config) ? "machine.services: docker" : "";
}

bool uses_host_cluster(const config::Config& config)
{
  const auto database = config::effective_database(config);
  return database && database->provider == config::DatabaseProvider::cluster;
}

Phase phase_of(const pipeline::Step& step) { return kPhases[step.group]; }

namespace {

// The inferred commands as lists of the config's shape, at the phase's position.
std::vector<std::pair<Phase, config::CommandList>> inferred_lists(const config::Config& config,
                                                                  const std::vector<InferredPhase>& inferred)
{
  std::vector<std::pair<Phase, config::CommandList>> lists;
  for (const auto& phase : inferred) {
    const Phase at = phase_from_name(phase.phase);
    const config::Phase* section = at == Phase::dependencies ? &config.dependencies
                                   : at == Phase::database   ? &config.database
                                                             : &config.test;
    config::CommandList list{section->pos, {}};
    for (const auto& text : phase.commands) {
      config::Command command;
      command.text = text;
      command.pos = section->pos;
      list.commands.push_back(std::move(command));
    }
    lists.emplace_back(at, std::move(list));
  }
  return lists;
}

} // namespace

pipeline::Pipeline lower(const config::Config& config, const BuildContext& context,
                         std::optional<std::size_t> deployment, Diagnostics& diags,
                         const std::vector<InferredPhase>& inferred)
{
  Builder builder(config, context, diags);
  const config::Deployment* selected = deployment && *deployment < config.deployment.size()
                                           ? &config.deployment[*deployment]
                                           : nullptr;
  // Kept here: the builder points at their commands until it is done.
  const auto lists = inferred_lists(config, inferred);
  std::size_t next_inferred = 0;
  // An inferred list goes where `override` would: after pre, before post
  // and before any later phase.
  const auto add_inferred_before = [&](Phase phase, bool is_post) {
    while (next_inferred < lists.size()
           && (lists[next_inferred].first < phase || (lists[next_inferred].first == phase && is_post))) {
      const auto& [at, list] = lists[next_inferred++];
      builder.before_phase(at);
      builder.add_list(list, at, fmt::format("{}.inferred", phase_name(at)));
    }
  };
  config::for_each_command_list(config, [&](const config::CommandList& list, std::string_view phase,
                                            const std::string& name, const config::Deployment* section) {
    if (section == nullptr || section == selected) {
      add_inferred_before(phase_from_name(phase), name.ends_with(".post"));
      builder.before_phase(phase_from_name(phase));
      if (section != nullptr) {
        builder.add_publish(*section);
      }
      builder.add_list(list, phase_from_name(phase), name);
    }
  });
  add_inferred_before(Phase::artifacts, false);
  builder.before_phase(Phase::deployment); // own steps of a config with no later phase
  if (selected != nullptr) {
    builder.add_publish(*selected); // a section with publish and no commands
  }
  builder.add_required_edges();
  builder.add_usage_edges();
  builder.add_followers();
  builder.add_artifacts();
  const auto edges = builder.edges_in_order();
  auto pipeline = builder.take();
  graph::check_cycles(pipeline, edges, diags);
  return pipeline;
}

} // namespace drydock::circle1

#include "exec/run_setup.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <unistd.h>

#include "docker/build_container.hpp"
#include "docker/commands.hpp"
#include "docker/engine.hpp"
#include "docker/leftovers.hpp"
#include "os/process.hpp"
#include "docker/image_cache.hpp"
#include "services/postgres_cluster.hpp"
#include "services/postgres_template.hpp"
#include "util/file.hpp"

namespace drydock::exec {
namespace {

std::string first_database(const pipeline::Database& spec)
{
  return spec.databases.empty() ? std::string() : spec.databases.front();
}

// Steps in the build container reach the database by its alias, as
// containerized steps do; psql and libpq read the PG* names.
void set_container_database_env(const pipeline::Database& spec, int port, RunContext& context)
{
  context.containers.database_env_in_containers = {{"PGHOST", spec.alias},
                                                   {"PGPORT", std::to_string(port)},
                                                   {"PGUSER", spec.user},
                                                   {"PGDATABASE", first_database(spec)},
                                                   {spec.env, context.containers.database_url}};
}

// Host steps reach the database as psql and libpq expect, on loopback.
void set_host_database_env(const pipeline::Database& spec, int port, RunContext& context)
{
  const std::string database = first_database(spec);
  context.env.set("PGHOST", "127.0.0.1");
  context.env.set("PGPORT", std::to_string(port));
  context.env.set("PGUSER", spec.user);
  context.env.set("PGDATABASE", database);
  context.env.set(spec.env, services::database_url(spec.user, "127.0.0.1", port, database));
}

tl::expected<void, std::string> prepare_cluster(const pipeline::Database& spec, const docker::EngineFacts* engine,
                                                RunContext& context, SetupMode mode)
{
  services::ClusterSpec cluster;
  if (mode == SetupMode::run) {
    const auto dir = services::make_cluster_dir(
        services::cluster_parent_dir(context.env.get("TMPDIR"), services::folder_space(services::kMemoryFolder)));
    if (!dir) {
      return tl::unexpected(dir.error());
    }
    cluster.dir = *dir;
    context.cluster_dir = *dir;
    // `drydock clean` removes a cluster whose drydock is gone (kill -9).
    std::ofstream((std::filesystem::path(*dir) / "drydock.owner").string()) << context.containers.owner << "\n";
    const auto port = services::reserve_port();
    if (!port) {
      return tl::unexpected(port.error());
    }
    cluster.port = port->port;
    context.cluster_port_fd = port->fd;
    cluster.template_root = services::template_root(context.env.get("XDG_CACHE_HOME").value_or(""), context.host_home);
  } else {
    cluster.dir = "(a new directory at run time)";
    cluster.port = 5432;
  }
  cluster.listen = {"127.0.0.1"};
  if (engine != nullptr) {
    cluster.listen.push_back(engine->gateway);
    cluster.trust_subnet = engine->subnet;
  }
  cluster.user = spec.user;
  cluster.databases = spec.databases;
  if (mode == SetupMode::run) {
    context.cluster_spare = services::SpareCopy::begin(
        cluster, [&context](const std::string& name) { return context.env.get(name); },
        [&context](const std::string& line) { context.setup_notes.push_back(line); });
  }
  context.cluster = cluster;
  set_host_database_env(spec, cluster.port, context);
  context.containers.database_url = services::database_url(spec.user, spec.alias, cluster.port, first_database(spec));
  set_container_database_env(spec, cluster.port, context);
  return {};
}

// A Postgres container on the run's network: containers reach it by its
// alias at 5432, host steps at a loopback port published for them.
tl::expected<void, std::string> prepare_database_container(const pipeline::Database& spec, RunContext& context,
                                                           SetupMode mode)
{
  const int host_port = mode == SetupMode::run ? services::free_port() : 5432;
  context.containers.database_port = host_port;
  set_host_database_env(spec, host_port, context);
  context.containers.database_url = services::database_url(spec.user, spec.alias, 5432, first_database(spec));
  context.containers.database_on_network = true;
  set_container_database_env(spec, 5432, context);
  return {};
}

tl::expected<void, std::string> create_network(RunContext& context, SetupMode mode)
{
  context.containers.network = "drydock-" + context.containers.run_id;
  if (mode == SetupMode::dry_run) {
    return {};
  }
  const auto created = os::run_capture(docker::create_network(context.containers.network, context.containers.run_id,
                                                              context.containers.owner),
                                       ".", os::Stderr::merge);
  if (!created || created->exit_code != 0) {
    context.containers.network.clear();
    return tl::unexpected(
        fmt::format("cannot create the run's network: {}", created ? created->output : created.error()));
  }
  context.containers.network_created = true;
  return {};
}

// The engine's socket, for a build container whose config asks for docker.
std::string engine_socket(const env::Environment& env)
{
  return docker::engine_socket_of(env.get("DOCKER_HOST").value_or(""));
}

docker::BuildContainerSpec build_container_spec(const pipeline::BuildContainer& wanted, const RunContext& context)
{
  const ContainerSetup& setup = context.containers;
  docker::BuildContainerSpec spec;
  spec.image = wanted.image;
  spec.name = "drydock-" + setup.run_id + "-build";
  spec.run_id = setup.run_id;
  spec.owner = setup.owner;
  spec.mounts = wanted.mounts;
  spec.hosts = wanted.hosts;
  spec.network = setup.network;
  if (!setup.database_alias.empty() && !setup.database_on_network && !setup.host_address.empty()) {
    spec.hosts.emplace_back(setup.database_alias, setup.host_address);
  }
  std::error_code ec;
  if (const std::string socket = engine_socket(context.env);
      wanted.engine_socket && !socket.empty() && std::filesystem::exists(socket, ec)) {
    spec.engine_socket = socket; // at /var/run/docker.sock, where a docker CLI there looks
  }
  return spec;
}

tl::expected<void, std::string> start_build_container(const pipeline::BuildContainer& wanted, RunContext& context,
                                                      SetupMode mode)
{
  const auto spec = build_container_spec(wanted, context);
  context.containers.build_container = spec.name;
  if (mode == SetupMode::dry_run) {
    context.containers.build_home = "~";
    return {};
  }
  for (const auto& dir : spec.mounts) {
    std::error_code ec; // made here, not by the engine (as root, for a socket path a directory)
    if (!std::filesystem::exists(dir, ec)) {
      std::filesystem::create_directories(dir, ec);
    }
  }
  const auto facts = docker::start_build_container(docker::EngineClient{}, spec);
  if (!facts) {
    return tl::unexpected(fmt::format("{}: {}", wanted.origin, facts.error()));
  }
  context.containers.build_home = facts->home;
  context.containers.build_path = facts->path;
  context.setup_notes.push_back(fmt::format("host steps run in the build container {} ({}; ~ is {}{})", spec.name,
                                            wanted.image, facts->home,
                                            facts->sudo_stand_in ? "; `sudo` runs commands as they are, as root" : ""));
  return {};
}

tl::expected<void, std::string> prepare_database(const pipeline::Database& database, const Engine& engine,
                                                 RunContext& context, SetupMode mode)
{
  context.containers.database_alias = database.alias;
  context.containers.database_env = database.env;
  switch (database.provider) {
  case pipeline::DatabaseProvider::cluster:
    return prepare_cluster(database, engine ? &*engine : nullptr, context, mode);
  case pipeline::DatabaseProvider::url: {
    const std::string url = env::expand(database.url, context.env);
    context.env.set(database.env, url);
    context.containers.database_url = url;
    context.containers.database_env_in_containers = {{database.env, url}};
    return {};
  }
  case pipeline::DatabaseProvider::container: return prepare_database_container(database, context, mode);
  }
  return {};
}

} // namespace

std::string new_run_id()
{
  std::random_device device;
  std::uniform_int_distribution<std::uint64_t> digits(0, (1ULL << 48) - 1);
  return fmt::format("{:012x}", digits(device));
}

tl::expected<Engine, std::string> find_engine(const EngineNeeds& needs, const env::Environment& env, SetupMode mode)
{
  if (needs.needed_by.empty()) {
    return Engine{};
  }
  if (mode == SetupMode::dry_run) {
    return Engine{docker::EngineFacts{"", "", "172.17.0.0/16", "172.17.0.1", true}};
  }
  auto facts = docker::probe_engine(docker::EngineClient{}, env.get("DOCKER_HOST").value_or(""), needs.bridge);
  if (!facts) {
    return tl::unexpected(fmt::format("{}: {}", needs.needed_by, facts.error()));
  }
  return Engine{std::move(*facts)};
}

EngineNeeds engine_needs(const pipeline::Pipeline& pipeline)
{
  const bool cluster = pipeline.database && pipeline.database->provider == pipeline::DatabaseProvider::cluster;
  return {pipeline.engine_needed_by, cluster};
}

// The pipeline's tools as executable files in `dir`, made when missing.
tl::expected<void, std::string> write_tools(const std::vector<pipeline::Tool>& tools, const std::string& dir)
{
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  for (const auto& tool : tools) {
    const auto path = (std::filesystem::path(dir) / tool.name).string();
    auto written = util::write_file_atomically(path, tool.script);
    std::filesystem::permissions(path, std::filesystem::perms(0755), ec);
    if (!written || ec) {
      return tl::unexpected(
          fmt::format("cannot write the tool {}: {}", path, !written ? written.error() : ec.message()));
    }
  }
  return {};
}

tl::expected<void, std::string> prepare_run(const pipeline::Pipeline& pipeline, RunContext& context, SetupMode mode,
                                            const Engine& engine)
{
  const auto& database = pipeline.database;
  if (mode == SetupMode::dry_run || pipeline.tools.empty()) {
    context.tools_dir.clear();
  } else if (!context.tools_dir.empty()) {
    if (auto written = write_tools(pipeline.tools, context.tools_dir); !written) {
      return written;
    }
  }
  context.containers.run_id = mode == SetupMode::run ? new_run_id() : "RUN";
  context.containers.owner = mode == SetupMode::run ? docker::owner_of(::getpid()) : "0";
  if (engine) {
    context.containers.host_address = docker::host_address_for_containers(*engine);
  }
  bool has_services = false;
  for (const auto& step : pipeline.steps) {
    if (const auto* image = std::get_if<pipeline::ImageBuild>(&step.action)) {
      context.containers.image_refs[image->name] = docker::run_reference(image->repository, context.run_tag);
    }
    has_services = has_services || std::holds_alternative<pipeline::ServiceStart>(step.action);
    context.containers.job_containers = context.containers.job_containers
                                        || std::holds_alternative<pipeline::ContainerStart>(step.action);
  }
  const bool database_container = database && database->provider == pipeline::DatabaseProvider::container;
  if (engine && (has_services || database_container)) {
    if (auto created = create_network(context, mode); !created) {
      return created;
    }
  }
  if (database) {
    if (auto prepared = prepare_database(*database, engine, context, mode); !prepared) {
      return prepared;
    }
  }
  if (pipeline.build_container && engine) {
    return start_build_container(*pipeline.build_container, context, mode);
  }
  return {};
}

std::vector<std::string> finish_run(const RunContext& context, bool containers_may_remain)
{
  std::vector<std::string> notes;
  const auto log = [&notes](const std::string& line) { notes.push_back(line); };
  // Service containers run detached: with a network there is always something to remove.
  containers_may_remain = containers_may_remain || context.containers.network_created
                          || !context.containers.build_container.empty() || context.containers.job_containers;
  if (containers_may_remain && !context.containers.host_address.empty() && !context.containers.run_id.empty()) {
    const auto removed = docker::remove_run_containers(docker::EngineClient{}, context.containers.run_id);
    if (!removed) {
      log(removed.error());
    } else if (*removed > 0) {
      log(fmt::format("removed {} container(s) of this run", *removed));
    }
  }
  if (context.containers.network_created) {
    const auto removed = os::run_capture(docker::remove_networks({context.containers.network}), ".", os::Stderr::merge);
    if (!removed || removed->exit_code != 0) {
      log(fmt::format("cannot remove the network {}: {}", context.containers.network,
                      removed ? removed->output : removed.error()));
    }
  }
  if (context.cluster_spare) {
    context.cluster_spare->finish(false, log); // a copy takes well under a second: an interrupt waits for it
  }
  if (!context.cluster_dir.empty()) {
    services::remove_cluster(context.cluster_dir, log);
  }
  if (context.cluster_port_fd >= 0) {
    ::close(context.cluster_port_fd); // the server has the port now, or never will
  }
  return notes;
}

} // namespace drydock::exec

// `drydock internal ...`: drydock's own steps (image cache, database,
// service containers, publishing), run
// by `drydock run` as child processes so that they share the step seam
// with every other step: output, timeouts, interrupts and the summary.
// Not for users; hidden from --help.
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/pipeline.hpp"
#include "config/derived.hpp"
#include "docker/image_cache.hpp"
#include "docker/service.hpp"
#include "publish/from_config.hpp"
#include "exec/build_context.hpp"
#include "services/postgres_cluster.hpp"
#include "util/shell.hpp"

namespace drydock::cli {
namespace {

struct InternalOptions {
  std::string file;
  std::string image;
  std::string publish;
  std::string service;
  std::string run_id;
  std::string network;
  std::string owner;
  int port = 0;
  std::vector<std::string> cluster_args;
};

void print_line(const std::string& line)
{
  fmt::print("{}\n", line);
  std::fflush(stdout);
}

env::Environment own_environment() { return env::Environment::from_entries(host_environment()); }

// The run that started this step has shown the config's warnings already.
std::unique_ptr<config::Validation> load_config(const std::string& file) { return load_checked_config(file, false); }

int run_image(const InternalOptions& options)
{
  const auto loaded = load_config(options.file);
  if (!loaded) {
    return kExitConfigOrUsage;
  }
  const auto& validation = *loaded;
  const auto& images = validation.config.drydock.images;
  const auto spec = std::find_if(images.begin(), images.end(), [&](const auto& image) { return image.name == options.image; });
  if (spec == images.end()) {
    fmt::print(stderr, "drydock: {}: no drydock.images entry '{}'\n", options.file, options.image);
    return kExitConfigOrUsage;
  }
  const auto job = docker::make_image_job(*spec, exec::config_dir_of(options.file), own_environment());
  const auto result = docker::ensure_image(docker::EngineClient{}, job, print_line);
  if (!result) {
    fmt::print(stderr, "drydock: image {}: {}\n", options.image, result.error());
    return kExitStepFailed;
  }
  return kExitOk;
}

int run_publish(const InternalOptions& options)
{
  const auto loaded = load_config(options.file);
  if (!loaded) {
    return kExitConfigOrUsage;
  }
  const auto& ext = loaded->config.drydock;
  const auto spec = std::find_if(ext.publish.begin(), ext.publish.end(), [&](const auto& entry) { return entry.name == options.publish; });
  const auto image = spec == ext.publish.end() ? ext.images.end()
                     : std::find_if(ext.images.begin(), ext.images.end(), [&](const auto& entry) { return entry.name == spec->image.value; });
  if (image == ext.images.end()) {
    fmt::print(stderr, "drydock: {}: no drydock.publish entry '{}' with a drydock.images image\n", options.file, options.publish);
    return kExitConfigOrUsage;
  }
  const auto env = own_environment();
  const auto tag_options = publish::tag_options(*spec, env);
  const auto login = publish::login_from(*spec, env);
  const auto plan = tag_options ? publish::plan_tags_from(docker::run_reference(*image, env), image->repository.value, *tag_options)
                                : tl::unexpected(tag_options.error());
  if (!plan || !login) {
    fmt::print(stderr, "drydock: {}\n", !plan ? plan.error() : login.error());
    return kExitStepFailed;
  }
  for (const auto& note : plan->notes) {
    print_line("note: " + note);
  }
  const auto report = publish::run_tag_plan(docker::EngineClient{}, *plan, {"docker", true, *login}, print_line);
  for (const auto& pushed : report.pushed) {
    print_line("pushed " + pushed);
  }
  if (!report.error.empty()) {
    fmt::print(stderr, "drydock: publish {}: {}; not pushed: {}\n", options.publish, report.error,
               fmt::join(report.not_pushed, ", "));
    return kExitStepFailed;
  }
  return kExitOk;
}

// Sets each variable in this process, so `docker run -e NAME` passes it on
// without its value on the command line; returns the names.
std::vector<std::string> export_for_container(const std::vector<std::pair<std::string, std::string>>& vars)
{
  std::vector<std::string> names;
  for (const auto& [name, value] : vars) {
    ::setenv(name.c_str(), value.c_str(), 1);
    names.push_back(name);
  }
  return names;
}

docker::ServiceContainerSpec container_for(const InternalOptions& options, const std::string& service)
{
  docker::ServiceContainerSpec spec;
  spec.name = fmt::format("drydock-{}-{}", options.run_id, service);
  spec.run_id = options.run_id;
  spec.owner = options.owner;
  spec.service = service;
  spec.network = options.network;
  return spec;
}

int run_service(const InternalOptions& options)
{
  const auto loaded = load_config(options.file);
  if (!loaded) {
    return kExitConfigOrUsage;
  }
  const auto& services = loaded->config.drydock.services;
  const auto spec = std::find_if(services.begin(), services.end(), [&](const auto& entry) { return entry.name == options.service; });
  if (spec == services.end()) {
    fmt::print(stderr, "drydock: {}: no drydock.services entry '{}'\n", options.file, options.service);
    return kExitConfigOrUsage;
  }
  env::Environment env = own_environment();
  const auto vars = env::apply_expanded(env, config::name_values(spec->environment));
  docker::ServiceRun run;
  run.container = container_for(options, spec->name);
  run.container.image = spec->image.value;
  run.container.alias = spec->alias ? spec->alias->value : spec->name;
  run.container.env_names = export_for_container(vars);
  for (const auto& path : spec->tmpfs) {
    run.container.tmpfs.push_back(path.value);
  }
  for (const auto& word : spec->command) {
    run.container.command.push_back(word.value);
  }
  if (spec->ready) {
    const auto& ready = *spec->ready;
    run.ready.log = ready.log ? std::optional(ready.log->value) : std::nullopt;
    run.ready.times = ready.times;
    run.ready.port = ready.port;
    run.ready.command = ready.command ? std::optional(ready.command->value) : std::nullopt;
    run.ready.timeout = std::chrono::seconds(ready.timeout);
  } else if (!spec->ports.empty()) {
    run.ready.port = spec->ports.front(); // a declared port accepting connections
  }
  if (const auto started = docker::start_service(docker::EngineClient{}, run, print_line); !started) {
    fmt::print(stderr, "drydock: {}\n", started.error());
    return kExitStepFailed;
  }
  return kExitOk;
}

// drydock.database with provider container: a Postgres image following the
// official image's conventions (POSTGRES_USER, POSTGRES_DB, trust auth).
int run_database_container(const InternalOptions& options)
{
  const auto loaded = load_config(options.file);
  if (!loaded) {
    return kExitConfigOrUsage;
  }
  const auto spec = config::effective_database(loaded->config);
  if (!spec || spec->provider != config::DatabaseProvider::container) {
    fmt::print(stderr, "drydock: {}: drydock.database has no provider 'container'\n", options.file);
    return kExitConfigOrUsage;
  }
  docker::ServiceRun run;
  run.container = container_for(options, "postgresql");
  run.container.image = spec->image ? spec->image->value : std::string(config::kDefaultPostgresImage);
  run.container.alias = spec->alias;
  run.container.env_names = export_for_container({{"POSTGRES_USER", spec->user},
                                                  {"POSTGRES_DB", spec->databases.front().value},
                                                  {"POSTGRES_HOST_AUTH_METHOD", "trust"}});
  run.container.tmpfs = {"/var/lib/postgresql/data"};
  run.container.publish = {fmt::format("127.0.0.1:{}:5432", options.port)};
  // The official image's first server (initdb time) listens on its socket
  // only; TCP answers once the real server is up.
  run.ready.command = "pg_isready -q -h 127.0.0.1 -p 5432 -U " + shell_quote(spec->user);
  run.ready.timeout = std::chrono::seconds(90);
  for (std::size_t i = 1; i < spec->databases.size(); ++i) {
    run.after_ready.push_back({"createdb", "-h", "127.0.0.1", "-U", spec->user, "--", spec->databases[i].value});
  }
  if (const auto started = docker::start_service(docker::EngineClient{}, run, print_line); !started) {
    fmt::print(stderr, "drydock: {}\n", started.error());
    return kExitStepFailed;
  }
  return kExitOk;
}

int run_postgres_start(const InternalOptions& options)
{
  const auto spec = services::parse_cluster_arguments(options.cluster_args);
  if (!spec) {
    fmt::print(stderr, "drydock: postgres-start: {}\n", spec.error());
    return kExitConfigOrUsage;
  }
  if (auto started = services::start_cluster(*spec, print_line); !started) {
    fmt::print(stderr, "drydock: postgresql: {}\n", started.error());
    return kExitStepFailed;
  }
  return kExitOk;
}

} // namespace

Action add_internal_command(CLI::App& app)
{
  auto options = std::make_shared<InternalOptions>();
  auto* sub = app.add_subcommand("internal", "drydock's own steps, run by `drydock run`")->group("");
  sub->require_subcommand(1);
  auto* image = sub->add_subcommand("image", "Make a drydock.images entry present");
  image->add_option("--file", options->file)->required();
  image->add_option("name", options->image)->required();
  auto* publish = sub->add_subcommand("publish", "Tag and push a drydock.publish entry");
  publish->add_option("--file", options->file)->required();
  publish->add_option("name", options->publish)->required();
  auto* service = sub->add_subcommand("service", "Start a drydock.services entry and wait until it is ready");
  auto* database = sub->add_subcommand("database-container", "Start the Postgres container of drydock.database");
  for (auto* container : {service, database}) {
    container->add_option("--file", options->file)->required();
    container->add_option("--run", options->run_id)->required();
    container->add_option("--network", options->network)->required();
    container->add_option("--owner", options->owner)->required();
  }
  service->add_option("name", options->service)->required();
  database->add_option("--port", options->port)->required();
  auto* postgres = sub->add_subcommand("postgres-start", "Start the throwaway PostgreSQL cluster");
  postgres->allow_extras();
  return [options, image, publish, service, database, postgres] {
    if (image->parsed()) {
      return run_image(*options);
    }
    if (publish->parsed()) {
      return run_publish(*options);
    }
    if (service->parsed()) {
      return run_service(*options);
    }
    if (database->parsed()) {
      return run_database_container(*options);
    }
    options->cluster_args = postgres->remaining();
    return run_postgres_start(*options);
  };
}

} // namespace drydock::cli

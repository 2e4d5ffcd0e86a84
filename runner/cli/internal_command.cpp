// `drydock internal step`: drydock's own steps (image cache, database,
// service containers, publishing), run by `drydock run` as child processes
// so that they share the step seam with every other step: output,
// timeouts, interrupts and the summary. The step comes as JSON on stdin
// (exec/internal_step.hpp). Not for users; hidden from --help.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <memory>

#include "cli/commands.hpp"
#include "cli/internal_kept.hpp"
#include "cli/pipeline.hpp"
#include "docker/image_archive.hpp"
#include "docker/image_cache.hpp"
#include "docker/job_container.hpp"
#include "docker/service.hpp"
#include "exec/internal_step.hpp"
#include "os/checkout.hpp"
#include "publish/from_pipeline.hpp"
#include "record/reports.hpp"
#include "record/run_record.hpp"
#include "record/step_events.hpp"
#include "services/postgres_cluster.hpp"
#include "util/file.hpp"
#include "util/shell.hpp"

namespace drydock::cli {
namespace {

// Where a job container's steps find the pipeline's tools: on every image's PATH.
constexpr const char* kToolsInContainer = "/usr/local/bin";

void print_line(const std::string& line)
{
  fmt::print("{}\n", line);
  std::fflush(stdout);
}

env::Environment own_environment() { return env::Environment::from_entries(host_environment()); }

docker::ImageJob image_job(const exec::InternalStep& step, const pipeline::ImageBuild& image)
{
  auto job = docker::make_image_job(image, step.base_dir, own_environment(), step.run_tag);
  job.run_id = step.run_id;
  job.owner = step.owner;
  return job;
}

// What the step decided, for the run's record (record/step_events.hpp).
void report_event(std::string_view event, const nlohmann::ordered_json& fields)
{
  const char* path = std::getenv(plan::kStepEventsEnv);
  record::append_step_event(path == nullptr ? "" : path, event, fields);
}

void report_ready(const std::string& service, std::chrono::milliseconds ready_in)
{
  report_event("service_ready", {{"service", service}, {"ms", ready_in.count()}});
}

int run_image(const exec::InternalStep& step, const pipeline::ImageBuild& image)
{
  const auto job = image_job(step, image);
  const auto result = docker::ensure_image(docker::EngineClient{}, job, print_line);
  if (!result) {
    fmt::print(stderr, "drydock: image {}: {}\n", image.name, result.error());
    return kExitStepFailed;
  }
  report_event("image", {{"image", image.name},
                         {"decision", docker::source_name(result->source)},
                         {"reference", result->reference}});
  return kExitOk;
}

// Never a failure: a failed write is a warning (the image is in the engine).
int run_archive(const exec::InternalStep& step, const pipeline::ImageArchive& archive)
{
  docker::write_requested_archive(docker::EngineClient{}, image_job(step, archive.image), print_line);
  return kExitOk;
}

int run_publish(const exec::InternalStep& step, const pipeline::Publish& publish)
{
  const auto env = own_environment();
  const auto tag_options = publish::tag_options(publish, env);
  const auto login = publish::login_from(publish, env);
  const auto plan = tag_options ? publish::plan_tags_from(docker::run_reference(publish.image.repository, step.run_tag),
                                                          publish.image.repository, *tag_options)
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
    fmt::print(stderr, "drydock: publish {}: {}; not pushed: {}\n", publish.name, report.error,
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

docker::ServiceContainerSpec container_for(const exec::InternalStep& step, const std::string& service)
{
  docker::ServiceContainerSpec spec;
  spec.name = fmt::format("drydock-{}-{}", step.run_id, service);
  spec.run_id = step.run_id;
  spec.owner = step.owner;
  spec.service = service;
  spec.network = step.network;
  return spec;
}

docker::ReadyCheck readiness_of(const pipeline::ServiceStart& service)
{
  docker::ReadyCheck ready;
  if (service.ready) {
    ready.log = service.ready->log;
    ready.times = service.ready->times;
    ready.port = service.ready->port;
    ready.command = service.ready->command;
    ready.timeout = std::chrono::seconds(service.ready->timeout);
  } else if (!service.ports.empty()) {
    ready.port = service.ports.front(); // a declared port accepting connections
  }
  return ready;
}

int run_service(const exec::InternalStep& step, const pipeline::ServiceStart& service)
{
  env::Environment env = own_environment();
  const auto vars = env::apply_expanded(env, service.environment);
  docker::ServiceRun run;
  run.container = container_for(step, service.name);
  run.container.image = service.image;
  run.container.alias = service.alias;
  run.container.env_names = export_for_container(vars);
  run.container.tmpfs = service.tmpfs;
  run.container.command = service.command;
  run.ready = readiness_of(service);
  const auto started = docker::start_service(docker::EngineClient{}, run, print_line);
  if (!started) {
    fmt::print(stderr, "drydock: {}\n", started.error());
    return kExitStepFailed;
  }
  report_ready(service.name, *started);
  return kExitOk;
}

// drydock.database with provider container: a Postgres image following the
// official image's conventions (POSTGRES_USER, POSTGRES_DB, trust auth).
int run_database_container(const exec::InternalStep& step, const pipeline::Database& spec)
{
  docker::ServiceRun run;
  run.container = container_for(step, "postgresql");
  run.container.image = spec.image;
  run.container.alias = spec.alias;
  run.container.env_names = export_for_container({{"POSTGRES_USER", spec.user},
                                                  {"POSTGRES_DB", spec.databases.empty() ? "" : spec.databases.front()},
                                                  {"POSTGRES_HOST_AUTH_METHOD", "trust"}});
  run.container.tmpfs = {"/var/lib/postgresql/data"};
  run.container.publish = {fmt::format("127.0.0.1:{}:5432", step.database_port)};
  // The official image's first server (initdb time) listens on its socket
  // only; TCP answers once the real server is up.
  run.ready.command = "pg_isready -q -h 127.0.0.1 -p 5432 -U " + shell_quote(spec.user);
  run.ready.timeout = std::chrono::seconds(90);
  for (std::size_t i = 1; i < spec.databases.size(); ++i) {
    run.after_ready.push_back({"createdb", "-h", "127.0.0.1", "-U", spec.user, "--", spec.databases[i]});
  }
  const auto started = docker::start_service(docker::EngineClient{}, run, print_line);
  if (!started) {
    fmt::print(stderr, "drydock: {}\n", started.error());
    return kExitStepFailed;
  }
  report_ready("postgresql", *started);
  return kExitOk;
}

int run_cluster(const exec::InternalStep& step)
{
  if (!step.cluster) {
    fmt::print(stderr, "drydock: postgresql: the step has no cluster to start\n");
    return kExitConfigOrUsage;
  }
  const auto begin = std::chrono::steady_clock::now();
  if (auto started = services::start_cluster(*step.cluster, print_line); !started) {
    fmt::print(stderr, "drydock: postgresql: {}\n", started.error());
    return kExitStepFailed;
  }
  report_ready("postgresql",
               std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - begin));
  return kExitOk;
}

int run_database(const exec::InternalStep& step, const pipeline::DatabaseStart& start)
{
  switch (start.database.provider) {
  case pipeline::DatabaseProvider::cluster: return run_cluster(step);
  case pipeline::DatabaseProvider::container: return run_database_container(step, start.database);
  case pipeline::DatabaseProvider::url: break;
  }
  fmt::print(stderr, "drydock: postgresql: a database given by URL has nothing to start\n");
  return kExitConfigOrUsage;
}

docker::JobContainerStart job_containers_of(const exec::InternalStep& step, const pipeline::JobContainer& wanted)
{
  env::Environment env = own_environment();
  docker::JobContainerStart start;
  auto& primary = start.container;
  primary.image = wanted.image;
  primary.name = docker::job_container_name(step.run_id, wanted.name);
  primary.run_id = step.run_id;
  primary.owner = step.owner;
  primary.user = wanted.user;
  primary.hosts = wanted.hosts;
  primary.env_names = export_for_container(env::apply_expanded(env, wanted.environment));
  if (wanted.engine_socket) { // setup_remote_docker: the job's docker commands reach this engine
    primary.engine_socket = docker::engine_socket_of(own_environment().get("DOCKER_HOST").value_or(""));
  }
  for (const auto& sidecar : wanted.sidecars) {
    docker::SidecarSpec spec;
    spec.image = sidecar.image;
    spec.name = docker::sidecar_name(step.run_id, wanted.name, sidecar.name);
    spec.run_id = step.run_id;
    spec.owner = step.owner;
    spec.beside = primary.name;
    spec.user = sidecar.user;
    env::Environment own = own_environment(); // each container its own variables, by name
    spec.env_names = export_for_container(env::apply_expanded(own, sidecar.environment));
    spec.entrypoint = sidecar.entrypoint;
    spec.command = sidecar.command;
    start.sidecars.push_back(std::move(spec));
  }
  return start;
}

// Each of the pipeline's tools into the job container, file by file (the
// folder's own mode would go onto the container's folder). The engine
// writes them as root, whoever the image's user is. One that cannot go in
// is a warning: only the steps that call it need it.
void put_tools(const docker::Client& client, const std::string& tools_dir, const std::string& container)
{
  std::error_code ec;
  for (const auto& tool : std::filesystem::directory_iterator(tools_dir, ec)) {
    const std::string into = std::string(kToolsInContainer) + "/" + tool.path().filename().string();
    const auto copied = client.capture(docker::copy_file_into(tool.path().string(), container, into), ".",
                                       os::Stderr::merge);
    if (!copied || copied->exit_code != 0) {
      fmt::print(stderr, "drydock: warning: cannot put {} in {}:{}: {}; the job's steps will not find it\n",
                 tool.path().filename().string(), container, into, copied ? copied->output : copied.error());
    }
  }
}

int run_container_start(const exec::InternalStep& step, const pipeline::ContainerStart& start)
{
  const docker::EngineClient client;
  const auto started = docker::start_job_containers(client, job_containers_of(step, start.container), print_line);
  if (!started) {
    fmt::print(stderr, "drydock: {}\n", started.error());
    return kExitStepFailed;
  }
  put_tools(client, step.tools_dir, docker::job_container_name(step.run_id, start.container.name));
  return kExitOk;
}

int run_container_stop(const exec::InternalStep& step, const pipeline::ContainerStop& stop)
{
  std::vector<std::string> names{docker::job_container_name(step.run_id, stop.container.name)};
  for (const auto& sidecar : stop.container.sidecars) {
    names.push_back(docker::sidecar_name(step.run_id, stop.container.name, sidecar.name));
  }
  const auto removed = docker::remove_job_containers(docker::EngineClient{}, names);
  if (!removed) {
    fmt::print(stderr, "drydock: warning: {}\n", removed.error()); // the run's end tries again
  } else if (*removed == 0) {
    print_line("nothing to remove: the job's containers never started");
  } else {
    print_line(fmt::format("removed {}", fmt::join(names, ", ")));
  }
  return kExitOk;
}

// A clone of the commit (its .git included, no alternates: it moves into
// the container), copied in and removed here.
int run_checkout(const exec::InternalStep& step, const pipeline::Checkout& checkout)
{
  const auto repo = os::read_repo_facts(checkout.source_dir);
  if (repo.top_dir.empty() || checkout.sha.empty()) {
    fmt::print(stderr, "drydock: checkout: {} is not in a git work tree with a commit\n", checkout.source_dir);
    return kExitStepFailed;
  }
  os::CommitSource source{repo.top_dir, checkout.sha, repo.branch,
                          repo.origin_url.empty() ? "file://" + repo.top_dir : repo.origin_url};
  source.self_contained = true;
  auto clone = os::FreshCheckout::of_commit(source, step.owner);
  if (!clone) {
    fmt::print(stderr, "drydock: checkout: {}\n", clone.error());
    return kExitStepFailed;
  }
  const auto container = docker::job_container_name(step.run_id, checkout.container);
  const auto copied = docker::copy_tree_into(docker::EngineClient{}, clone->dir(), container, checkout.path);
  if (!copied) {
    fmt::print(stderr, "drydock: checkout: {}\n", copied.error());
    return kExitStepFailed;
  }
  print_line(fmt::format("checked out {} in {}", checkout.sha.substr(0, 12), *copied));
  return kExitOk;
}

// Copies a host file or directory's contents into `into`, symbolic links
// as links (never followed; removed after); whether there was anything.
tl::expected<bool, std::string> copy_host_tree(const std::string& path, const std::string& into)
{
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(path, ec))) {
    return false;
  }
  fs::create_directories(into, ec);
  const auto target = fs::is_directory(fs::symlink_status(path, ec)) ? fs::path(into)
                                                                     : fs::path(into) / fs::path(path).filename();
  fs::copy(path, target,
           fs::copy_options::recursive | fs::copy_options::copy_symlinks | fs::copy_options::overwrite_existing, ec);
  if (ec) {
    return tl::unexpected(fmt::format("cannot copy {} to {}: {}", path, into, ec.message()));
  }
  return true;
}

// Copies what the step names; the absolute path it came from, nothing, or why not.
tl::expected<std::optional<std::string>, std::string> collect_into_record(const exec::InternalStep& step,
                                                                          const pipeline::CollectFiles& collect)
{
  if (!collect.container.empty()) {
    return docker::copy_tree_out(docker::EngineClient{}, docker::job_container_name(step.run_id, collect.container),
                                 collect.base, collect.path, collect.into);
  }
  const auto home = own_environment().get("HOME").value_or("/");
  const std::string path = env::expand_home(collect.path, home);
  const auto copied = copy_host_tree(path, collect.into);
  if (!copied) {
    return tl::unexpected(copied.error());
  }
  return *copied ? std::optional<std::string>(std::filesystem::absolute(path).string()) : std::nullopt;
}

// Never a failure: what is missing or cannot be copied is a warning. What
// the job left cannot lead the copy out of the record, through a link it
// made there by an earlier store step.
int run_collect(const exec::InternalStep& step, const pipeline::CollectFiles& collect)
{
  if (const auto escape = util::escape_from(collect.root, collect.into)) {
    fmt::print(stderr, "drydock: warning: nothing stored: {}\n", *escape);
    return kExitOk;
  }
  const auto copied = collect_into_record(step, collect);
  const int links = std::filesystem::exists(collect.into) ? util::remove_symlinks(collect.into) : 0;
  if (!copied) {
    fmt::print(stderr, "drydock: warning: {}\n", copied.error());
  } else if (!*copied) {
    print_line(fmt::format("warning: nothing at {}: nothing stored", collect.path));
  } else {
    print_line(fmt::format("stored {} in {}{}", **copied, collect.into,
                           links > 0 ? fmt::format(" (without its {} symbolic link(s))", links) : ""));
  }
  return kExitOk;
}

int run_step(const exec::InternalStep& step)
{
  return std::visit(
      [&](const auto& action) -> int {
        using Action = std::decay_t<decltype(action)>;
        if constexpr (std::is_same_v<Action, pipeline::ImageBuild>) {
          return run_image(step, action);
        } else if constexpr (std::is_same_v<Action, pipeline::ImageArchive>) {
          return run_archive(step, action);
        } else if constexpr (std::is_same_v<Action, pipeline::Publish>) {
          return run_publish(step, action);
        } else if constexpr (std::is_same_v<Action, pipeline::ServiceStart>) {
          return run_service(step, action);
        } else if constexpr (std::is_same_v<Action, pipeline::DatabaseStart>) {
          return run_database(step, action);
        } else if constexpr (std::is_same_v<Action, pipeline::ContainerStart>) {
          return run_container_start(step, action);
        } else if constexpr (std::is_same_v<Action, pipeline::ContainerStop>) {
          return run_container_stop(step, action);
        } else if constexpr (std::is_same_v<Action, pipeline::Checkout>) {
          return run_checkout(step, action);
        } else if constexpr (std::is_same_v<Action, pipeline::CollectFiles>) {
          return run_collect(step, action);
        } else if constexpr (std::is_same_v<Action, pipeline::CacheSave>) {
          return run_cache_save(step, action);
        } else if constexpr (std::is_same_v<Action, pipeline::CacheRestore>) {
          return run_cache_restore(step, action);
        } else if constexpr (std::is_same_v<Action, pipeline::WorkspacePersist>) {
          return run_workspace_persist(step, action);
        } else if constexpr (std::is_same_v<Action, pipeline::WorkspaceAttach>) {
          return run_workspace_attach(step, action);
        } else if constexpr (std::is_same_v<Action, pipeline::Gate>) {
          return kExitOk; // the scheduler passes it without a process; nothing to do here either
        } else {
          fmt::print(stderr, "drydock: internal step: a shell command is not a step of drydock's own\n");
          return kExitConfigOrUsage;
        }
      },
      step.action);
}

int run_internal_step()
{
  const std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  const auto step = exec::decode_internal_step(input);
  if (!step) {
    fmt::print(stderr, "drydock: internal step: {}\n", step.error());
    return kExitConfigOrUsage;
  }
  return run_step(*step);
}

// The reports made again from the record's events alone: what `drydock
// run` wrote, byte for byte (the replay test compares them).
int run_internal_report(const std::string& dir)
{
  for (const auto& warning : record::write_reports(dir)) {
    fmt::print(stderr, "drydock: warning: {}\n", warning);
  }
  const record::RecordPaths paths{dir};
  std::error_code ec;
  if (!std::filesystem::exists(paths.report(), ec)) {
    return kExitStepFailed;
  }
  fmt::print("{}\n", paths.report());
  return kExitOk;
}

} // namespace

Action add_internal_command(CLI::App& app)
{
  auto* sub = app.add_subcommand("internal", "drydock's own steps, run by `drydock run`")->group("");
  sub->require_subcommand(1);
  auto* step = sub->add_subcommand("step", "Run a step of drydock's own, given as JSON on stdin "
                                           "(exec/internal_step.hpp)");
  auto* report = sub->add_subcommand("report", "Write a run record's junit.xml, trace.json and report.html again");
  auto dir = std::make_shared<std::string>();
  report->add_option("DIR", *dir, "The run record (.git/drydock/runs/N)")->required();
  return [step, dir] { return step->parsed() ? run_internal_step() : run_internal_report(*dir); };
}

} // namespace drydock::cli

#include "exec/build.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "config/derived.hpp"
#include "docker/commands.hpp"
#include "os/glob.hpp"
#include "util/shell.hpp"

namespace fs = std::filesystem;

namespace drydock::exec {
namespace {

using Clock = std::chrono::steady_clock;

std::string safe_file_name(const std::string& name)
{
  std::string out;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    out += ok ? c : '_';
  }
  return out;
}

std::string working_directory(const graph::Step& step, const BuildContext& context, const env::Environment& env)
{
  // CircleCI runs machine commands in $HOME and the rest in the build dir.
  const std::string base = step.phase == graph::Phase::machine ? context.home : context.build_dir;
  if (!step.command.pwd) {
    return base;
  }
  const std::string pwd = env::expand_home(env::expand(step.command.pwd->value, env), context.home);
  return (fs::path(base) / pwd).lexically_normal().string();
}

// The `files` modifier: globs appended as arguments. They are matched from
// the directory the command runs in (its pwd), so each path names the file
// from where the command sees it.
std::string command_text(const graph::Step& step, const BuildContext& context, const env::Environment& env)
{
  std::string text = step.command.text;
  const std::string dir = working_directory(step, context, env);
  for (const auto& pattern : step.command.files) {
    for (const auto& file : os::expand_glob(dir, pattern.value)) {
      text += " " + shell_quote(file);
    }
  }
  return text;
}

// `docker run --rm` of the step's image: the pipeline's variables and the
// step's own go in by name only (values stay out of argv), the artifacts
// directories are mounted at the same paths, and the database's alias
// points at this host.
std::vector<std::string> container_argv(const graph::Step& step, const BuildContext& context, env::Environment& env)
{
  const ContainerSetup& setup = context.containers;
  docker::ContainerSpec spec;
  const auto image = setup.image_refs.find(step.command.drydock.image->value);
  spec.image = image == setup.image_refs.end() ? step.command.drydock.image->value : image->second;
  spec.name = fmt::format("drydock-{}-{}", setup.run_id, step.index);
  spec.run_id = setup.run_id;
  spec.owner = setup.owner;
  spec.step = step.name;
  spec.env_names = context.pipeline_vars;
  for (const auto& var : step.command.environment) {
    spec.env_names.push_back(var.name);
  }
  if (step.command.drydock.database && !setup.database_url.empty()) {
    env.set(setup.database_env, setup.database_url);
    spec.env_names.push_back(setup.database_env);
    if (!setup.database_on_network) {
      spec.hosts.emplace_back(setup.database_alias, setup.host_address);
    }
  }
  std::sort(spec.env_names.begin(), spec.env_names.end());
  spec.env_names.erase(std::unique(spec.env_names.begin(), spec.env_names.end()), spec.env_names.end());
  spec.mounts = {context.artifacts_dir, context.test_reports_dir};
  spec.network = setup.network; // services answer there by their alias
  std::string text = command_text(step, context, env);
  if (step.command.pwd) {
    const std::string pwd = env::expand(step.command.pwd->value, env);
    if (pwd.starts_with("/")) {
      spec.workdir = pwd;
    } else {
      text = "cd -- " + shell_quote(pwd) + " && " + text; // from the image's WORKDIR
    }
  }
  // sh, not bash: an image need not have bash.
  spec.command = {"sh", "-c", text};
  return docker::run_container(spec);
}

std::vector<std::string> step_argv(const graph::Step& step, const BuildContext& context, env::Environment& env)
{
  switch (step.kind) {
  case graph::StepKind::image:
    return {context.self_exe, "internal", "image", "--file=" + context.config_path, "--", step.subject};
  case graph::StepKind::publish:
    return {context.self_exe, "internal", "publish", "--file=" + context.config_path, "--", step.subject};
  case graph::StepKind::database: {
    std::vector<std::string> argv{context.self_exe, "internal", context.database_command};
    argv.insert(argv.end(), context.database_arguments.begin(), context.database_arguments.end());
    return argv;
  }
  case graph::StepKind::service:
    return {context.self_exe, "internal", "service", "--file=" + context.config_path,
            "--run=" + context.containers.run_id, "--network=" + context.containers.network,
            "--owner=" + context.containers.owner, "--", step.subject};
  case graph::StepKind::command:
    break;
  }
  if (step.command.drydock.image) {
    return container_argv(step, context, env);
  }
  return {"bash", "-eo", "pipefail", "-c", command_text(step, context, env)};
}

} // namespace

StepRequest make_request(const graph::Step& step, const BuildContext& context)
{
  env::Environment env = context.env;
  env::apply_expanded(env, config::name_values(step.command.environment));
  StepRequest request;
  request.step = step.index;
  request.argv = step_argv(step, context, env);
  if (step.kind != graph::StepKind::command) {
    request.cwd = context.config_dir; // drydock's own steps resolve paths from the config's folder
  } else if (step.command.drydock.image) {
    request.cwd = context.build_dir; // pwd applies inside the container
  } else {
    request.cwd = working_directory(step, context, env);
  }
  request.env = env.entries();
  request.no_output_timeout = std::chrono::seconds(step.command.timeout.value_or(config::Command::kDefaultTimeout));
  request.background = step.command.background;
  request.background_log = (fs::path(context.artifacts_dir) / ("background-" + safe_file_name(step.name) + ".log")).string();
  return request;
}

namespace {

class Driver {
public:
  Driver(const graph::Graph& graph, const BuildContext& context, StepRunner& runner, RunObserver& observer)
    : m_graph(graph), m_context(context), m_runner(runner), m_observer(observer), m_plan(graph),
      m_started(graph.steps.size())
  {
    m_result.steps.resize(graph.steps.size());
  }

  BuildResult run();

private:
  void start(std::size_t step);
  void record(const StepResult& result);
  void stop_after_interrupt();

  const graph::Graph& m_graph;
  const BuildContext& m_context;
  StepRunner& m_runner;
  RunObserver& m_observer;
  plan::Plan m_plan;
  std::vector<Clock::time_point> m_started;
  BuildResult m_result;
};

void Driver::start(std::size_t step)
{
  const StepRequest request = make_request(m_graph.steps[step], m_context);
  m_started[step] = Clock::now();
  m_observer.step_started(m_graph.steps[step], request);
  std::error_code ec;
  if (!fs::is_directory(request.cwd, ec)) {
    record({step, StepResult::Kind::start_failed, 127, fmt::format("the directory {} does not exist", request.cwd)});
    return;
  }
  m_runner.start(request);
}

void Driver::record(const StepResult& result)
{
  StepOutcome& outcome = m_result.steps[result.step];
  outcome.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - m_started[result.step]);
  outcome.exit_code = result.exit_code;
  outcome.message = result.message;
  const bool succeeded = result.succeeded();
  if (m_result.interrupted && !succeeded && outcome.message.empty()) {
    outcome.message = "stopped: interrupted";
  }
  outcome.status = succeeded ? plan::StepStatus::succeeded : plan::StepStatus::failed;
  m_plan.finished(result.step, succeeded);
  m_observer.step_finished(m_graph.steps[result.step], outcome);
}

void Driver::stop_after_interrupt()
{
  m_result.interrupted = true;
  m_observer.interrupted();
  m_plan.stop("interrupted");
  m_runner.abort();
  while (m_plan.running_count() > 0) {
    const auto result = m_runner.wait();
    if (!result) {
      break; // the runner has no more results for us
    }
    record(*result);
  }
}

BuildResult Driver::run()
{
  const auto begin = Clock::now();
  while (true) {
    while (m_runner.can_run_more() && m_plan.has_ready()) {
      start(m_plan.start_next());
    }
    if (m_plan.running_count() == 0) {
      break;
    }
    const auto result = m_runner.wait();
    if (!result) {
      stop_after_interrupt();
      break;
    }
    record(*result);
  }
  m_runner.shutdown();
  m_plan.close("not reached");
  for (std::size_t step = 0; step < m_graph.steps.size(); ++step) {
    if (m_plan.status(step) == plan::StepStatus::skipped) {
      m_result.steps[step].status = plan::StepStatus::skipped;
      m_result.steps[step].message = m_plan.skip_reason(step);
    }
  }
  m_result.failed = m_plan.any_failed();
  m_result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - begin);
  return m_result;
}

} // namespace

BuildResult run_build(const graph::Graph& graph, const BuildContext& context, StepRunner& runner,
                      RunObserver& observer)
{
  return Driver(graph, context, runner, observer).run();
}

} // namespace drydock::exec

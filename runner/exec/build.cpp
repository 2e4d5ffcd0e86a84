#include "exec/build.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "docker/build_container.hpp"
#include "docker/commands.hpp"
#include "docker/job_container.hpp"
#include "exec/internal_step.hpp"
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
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
                    || c == '.';
    out += ok ? c : '_';
  }
  return out;
}

// The step's directory on the host: its path (${VAR} and ~ expanded) from its base.
std::string working_directory(const pipeline::Step& step, const env::Environment& env)
{
  if (!step.workdir.path) {
    return step.workdir.base;
  }
  const std::string home = !step.workdir.home.empty() ? step.workdir.home : env.get("HOME").value_or("/root");
  const std::string path = env::expand_home(env::expand(*step.workdir.path, env), home);
  return (fs::path(step.workdir.base) / path).lexically_normal().string();
}

// The script with its appended files. They are matched from the directory
// the command runs in, so each path names the file from where the command
// sees it.
std::string script_text(const pipeline::Step& step, const pipeline::ShellCommand& shell, const env::Environment& env)
{
  std::string text = shell.script;
  const std::string dir = working_directory(step, env);
  std::vector<std::string> files;
  for (const auto& pattern : shell.append_files) {
    for (auto& file : os::expand_glob(dir, pattern)) {
      if (std::find(files.begin(), files.end(), file) == files.end()) {
        files.push_back(std::move(file)); // a file two patterns match goes once
      }
    }
  }
  const auto nodes = static_cast<std::size_t>(std::max(shell.files_nodes, 1));
  std::string share;
  for (std::size_t at = 0; at < files.size(); ++at) {
    if (at % nodes == static_cast<std::size_t>(shell.files_node)) {
      share += " " + shell_quote(files[at]);
    }
  }
  if (nodes > 1 && share.empty() && !shell.append_files.empty()) {
    // Fewer files than nodes: without any, the command would run the whole suite again.
    return fmt::format("echo 'no files for node {} of {}: nothing to run'", shell.files_node, nodes);
  }
  return text + share;
}

std::vector<std::string> names_of(const std::vector<pipeline::EnvVar>& vars)
{
  std::vector<std::string> names;
  for (const auto& [name, value] : vars) {
    names.push_back(name);
  }
  return names;
}

// A relative pwd for sh in the image: ~ is the image's $HOME there, not
// this machine's, so it is left for that sh to expand.
std::string in_container_path(const std::string& pwd)
{
  if (pwd == "~") {
    return "\"$HOME\"";
  }
  return pwd.starts_with("~/") ? "\"$HOME\"/" + shell_quote(pwd.substr(2)) : shell_quote(pwd);
}

// `docker run --rm` of the step's image: the pipeline's variables and the
// step's own go in by name only (values stay out of argv), the shared
// directories are mounted at the same paths, and the database's alias
// points at this host.
std::vector<std::string> container_argv(const pipeline::Pipeline& pipeline, const pipeline::Step& step,
                                        const pipeline::ShellCommand& shell, const RunContext& context,
                                        env::Environment& env)
{
  const ContainerSetup& setup = context.containers;
  const pipeline::Container& container = *step.container;
  docker::ContainerSpec spec;
  const auto image = setup.image_refs.find(container.image);
  spec.image = image == setup.image_refs.end() ? container.image : image->second;
  spec.name = fmt::format("drydock-{}-{}", setup.run_id, step.index);
  spec.run_id = setup.run_id;
  spec.owner = setup.owner;
  spec.step = step.name;
  spec.env_names = context.pipeline_vars;
  const auto own = names_of(step.environment);
  spec.env_names.insert(spec.env_names.end(), own.begin(), own.end());
  if (container.database && !setup.database_url.empty()) {
    env.set(setup.database_env, setup.database_url);
    spec.env_names.push_back(setup.database_env);
    if (!setup.database_on_network) {
      spec.hosts.emplace_back(setup.database_alias, setup.host_address);
    }
  }
  std::sort(spec.env_names.begin(), spec.env_names.end());
  spec.env_names.erase(std::unique(spec.env_names.begin(), spec.env_names.end()), spec.env_names.end());
  for (const auto& dir : pipeline.shared_dirs) {
    spec.mounts.push_back(dir.path);
  }
  spec.hosts.insert(spec.hosts.end(), container.hosts.begin(), container.hosts.end());
  spec.network = setup.network; // services answer there by their alias
  std::string text = script_text(step, shell, env);
  if (step.workdir.path) {
    const std::string pwd = env::expand(*step.workdir.path, env);
    if (pwd.starts_with("/")) {
      spec.workdir = pwd;
    } else {
      text = "cd -- " + in_container_path(pwd) + " && " + text; // from the image's WORKDIR
    }
  }
  spec.command = shell.shell;
  spec.command.push_back(text);
  return docker::run_container(spec);
}

// A value the pipeline expanded on this machine, for the build container:
// this machine's PATH in it becomes the container's, and its HOME (as a
// whole path component) the container's home. `PATH: ~/bin:${PATH}` then
// means there what it meant on CircleCI's box.
std::string rebased(std::string value, const RunContext& context)
{
  const ContainerSetup& setup = context.containers;
  const auto replace_all = [&value](const std::string& from, const std::string& to, bool whole_component) {
    if (from.empty() || to.empty() || from == to) {
      return;
    }
    for (std::size_t at = value.find(from); at != std::string::npos; at = value.find(from, at)) {
      const std::size_t end = at + from.size();
      const bool bounded = end == value.size() || value[end] == '/' || value[end] == ':';
      if (whole_component && !bounded) {
        at = end;
        continue;
      }
      value.replace(at, from.size(), to);
      at += to.size();
    }
  };
  replace_all(context.host_path, setup.build_path, false);
  replace_all(context.host_home, setup.build_home, true);
  return value;
}

// A host step in the build container: `docker exec` in the step's
// directory there (~ is the container's home), with the pipeline's and the
// step's variables by name and the database as containers reach it.
void exec_in_build_container(const pipeline::Step& step, const pipeline::ShellCommand& shell, const RunContext& context,
                             env::Environment& env, StepRequest& request)
{
  const ContainerSetup& setup = context.containers;
  docker::ExecStepSpec spec;
  spec.container = setup.build_container;
  spec.pid_file = docker::step_pid_file(step.index);
  spec.env_names = context.pipeline_vars;
  const auto own = names_of(step.environment);
  spec.env_names.insert(spec.env_names.end(), own.begin(), own.end());
  for (const auto& name : spec.env_names) {
    env.set(name, rebased(env.get(name).value_or(""), context));
  }
  for (const auto& [name, value] : setup.database_env_in_containers) {
    if (std::find(own.begin(), own.end(), name) == own.end()) { // the step's own value wins, as on the host
      env.set(name, value);
      spec.env_names.push_back(name);
    }
  }
  std::sort(spec.env_names.begin(), spec.env_names.end());
  spec.env_names.erase(std::unique(spec.env_names.begin(), spec.env_names.end()), spec.env_names.end());
  pipeline::Step in_container = step;
  in_container.workdir.home = setup.build_home;
  if (step.workdir.base_is_home) {
    in_container.workdir.base = setup.build_home;
  }
  spec.workdir = working_directory(in_container, env);
  spec.command = shell.shell;
  spec.command.push_back(script_text(step, shell, env)); // files: matched on the host, where the checkout is
  request.argv = docker::exec_step(spec);
  request.stop_argv = docker::signal_exec_step(spec.container, spec.pid_file, "TERM");
  request.kill_argv = docker::signal_exec_step(spec.container, spec.pid_file, "KILL");
  request.cwd = "/"; // the client's; the step's directory is inside the container
}

// A shell step in its job container: `docker exec` from its directory
// there (as written: ~ is the container's home), with the pipeline's and
// the step's variables by name. The step's own files are not matched: they
// are in the container, not here.
void exec_in_job_container(const pipeline::Step& step, const pipeline::ShellCommand& shell, const RunContext& context,
                           StepRequest& request)
{
  docker::JobStepSpec spec;
  spec.container = docker::job_container_name(context.containers.run_id, *step.runs_in);
  spec.dir = step.workdir.path.value_or("~");
  spec.pid_file = docker::step_pid_file(step.index);
  spec.env_names = context.pipeline_vars;
  const auto own = names_of(step.environment);
  spec.env_names.insert(spec.env_names.end(), own.begin(), own.end());
  std::sort(spec.env_names.begin(), spec.env_names.end());
  spec.env_names.erase(std::unique(spec.env_names.begin(), spec.env_names.end()), spec.env_names.end());
  spec.command = shell.shell;
  spec.command.push_back(shell.script);
  request.argv = docker::exec_job_step(spec);
  request.stop_argv = docker::signal_exec_step(spec.container, spec.pid_file, "TERM");
  request.kill_argv = docker::signal_exec_step(spec.container, spec.pid_file, "KILL");
  request.cwd = "/"; // the client's; the step's directory is inside the container
}

// What `drydock internal step` needs besides the action.
InternalStep internal_step(const pipeline::Step& step, const RunContext& context)
{
  InternalStep internal;
  internal.action = step.action;
  internal.base_dir = step.workdir.base;
  internal.run_tag = context.run_tag;
  internal.run_id = context.containers.run_id;
  internal.owner = context.containers.owner;
  internal.network = context.containers.network;
  internal.database_port = context.containers.database_port;
  internal.tools_dir = context.tools_dir;
  if (std::holds_alternative<pipeline::DatabaseStart>(step.action)) {
    internal.cluster = context.cluster; // only the database step starts it
  }
  return internal;
}

} // namespace

StepRequest make_request(const pipeline::Pipeline& pipeline, const pipeline::Step& step, const RunContext& context)
{
  env::Environment env = context.env;
  env::apply_expanded(env, step.environment);
  if (!context.step_events_dir.empty()) { // drydock's own steps and its cache steps on the host report there
    env.set(plan::kStepEventsEnv, plan::step_events_file(context.step_events_dir, step.index));
  }
  StepRequest request;
  request.step = step.index;
  const auto* shell = std::get_if<pipeline::ShellCommand>(&step.action);
  if (shell == nullptr) {
    request.argv = internal_argv(context.self_exe);
    auto input = encode(internal_step(step, context));
    request.input = input ? std::move(*input) : "";
    request.start_error = input ? "" : input.error();
    request.cwd = step.workdir.base; // drydock's own steps resolve paths from there
  } else if (step.runs_in) {
    exec_in_job_container(step, *shell, context, request);
  } else if (step.container) {
    request.argv = container_argv(pipeline, step, *shell, context, env);
    request.cwd = step.workdir.base; // the path applies inside the container
  } else if (pipeline::in_build_container(pipeline, step) && !context.containers.build_container.empty()) {
    exec_in_build_container(step, *shell, context, env, request);
  } else {
    if (!context.tools_dir.empty()) { // first: the pipeline's tools stand in for what CI puts there
      env.set("PATH", context.tools_dir + ":" + env.get("PATH").value_or(""));
    }
    request.argv = shell->shell;
    request.argv.push_back(script_text(step, *shell, env));
    request.cwd = working_directory(step, env);
  }
  request.env = env.entries();
  request.no_output_timeout = std::chrono::seconds(step.no_output_timeout);
  request.background = step.background;
  request.background_log = (fs::path(pipeline.log_dir) / ("background-" + safe_file_name(step.name) + ".log")).string();
  return request;
}

namespace {

class Driver {
public:
  Driver(const pipeline::Pipeline& pipeline, const RunContext& context, StepRunner& runner, RunObserver& observer)
    : m_pipeline(pipeline), m_context(context), m_runner(runner), m_observer(observer), m_plan(pipeline),
      m_started(pipeline.steps.size())
  {
    m_result.steps.resize(pipeline.steps.size());
  }

  BuildResult run();

private:
  void start(std::size_t step);
  void report_queued();
  void record(const StepResult& result);
  void stop_after_interrupt();

  const pipeline::Pipeline& m_pipeline;
  const RunContext& m_context;
  StepRunner& m_runner;
  RunObserver& m_observer;
  plan::Plan m_plan;
  std::vector<Clock::time_point> m_started;
  BuildResult m_result;
};

void Driver::start(std::size_t step)
{
  m_started[step] = Clock::now();
  if (std::holds_alternative<pipeline::Gate>(m_pipeline.steps[step].action)) {
    m_observer.step_started(m_pipeline.steps[step]);
    record({step, StepResult::Kind::exited, 0, ""}); // nothing to run: it passes
    return;
  }
  const StepRequest request = make_request(m_pipeline, m_pipeline.steps[step], m_context);
  m_observer.step_started(m_pipeline.steps[step]);
  if (!request.start_error.empty()) {
    record({step, StepResult::Kind::start_failed, 127, request.start_error});
    return;
  }
  std::error_code ec;
  if (!fs::is_directory(request.cwd, ec)) {
    record({step, StepResult::Kind::start_failed, 127, fmt::format("the directory {} does not exist", request.cwd)});
    return;
  }
  m_runner.start(request);
}

void Driver::report_queued()
{
  for (const std::size_t step : m_plan.take_newly_ready()) {
    m_observer.step_queued(m_pipeline.steps[step]);
  }
}

void Driver::record(const StepResult& result)
{
  StepOutcome& outcome = m_result.steps[result.step];
  outcome.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - m_started[result.step]);
  outcome.exit_code = result.exit_code;
  outcome.message = result.message;
  outcome.timed_out = result.kind == StepResult::Kind::timed_out;
  const bool succeeded = result.succeeded();
  if (m_result.interrupted && !succeeded && outcome.message.empty()) {
    outcome.message = "stopped: interrupted";
  }
  const auto& step = m_pipeline.steps[result.step];
  const auto* shell = std::get_if<pipeline::ShellCommand>(&step.action);
  const bool halts = shell != nullptr && shell->halt_exit_code != 0 && result.kind == StepResult::Kind::exited
                     && result.exit_code == shell->halt_exit_code;
  outcome.status = succeeded || halts ? plan::StepStatus::succeeded : plan::StepStatus::failed;
  if (halts) {
    outcome.exit_code = 0;
    outcome.message = "its job halts here, passed";
    m_plan.finished_halting_group(result.step, fmt::format("'{}' halted its job", step.name));
  } else {
    m_plan.finished(result.step, succeeded);
  }
  m_observer.step_finished(m_pipeline.steps[result.step], outcome);
  report_queued();
}

void Driver::stop_after_interrupt()
{
  m_result.interrupted = true;
  m_observer.interrupted();
  m_plan.stop("interrupted", false); // no finally steps either: the user asked to stop now
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
  report_queued();
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
  for (std::size_t step = 0; step < m_pipeline.steps.size(); ++step) {
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

BuildResult run_build(const pipeline::Pipeline& pipeline, const RunContext& context, StepRunner& runner,
                      RunObserver& observer)
{
  return Driver(pipeline, context, runner, observer).run();
}

} // namespace drydock::exec

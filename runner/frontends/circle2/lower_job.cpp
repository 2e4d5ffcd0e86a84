#include "frontends/circle2/lower_job.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "frontends/circle2/continuation.hpp"
#include "frontends/circle2/lower_parts.hpp"

namespace drydock::circle2 {
namespace {

// ---- steps ----

// Sets a variable once: a later value replaces the earlier one, at the end.
void assign(std::vector<pipeline::EnvVar>& vars, const std::string& name, std::string value)
{
  std::erase_if(vars, [&name](const pipeline::EnvVar& set) { return set.first == name; });
  vars.emplace_back(name, std::move(value));
}

} // namespace

JobLowering::JobLowering(pipeline::Pipeline& out, const LowerContext& context, const JobRun& run, std::size_t group,
                         std::vector<pipeline::WorkspaceLayer> upstream, bool setup)
  : m_out(out), m_context(context), m_run(run), m_group(group), m_container(fmt::format("j{}", group)),
    m_docker(run.job != nullptr && run.job->executor.kind == ExecutorKind::docker), m_upstream(std::move(upstream)),
    m_setup(setup)
{
}

constexpr const char* kDefaultWorkingDirectory = "~/project";

std::string JobLowering::working_directory() const
{
  const auto& dir = m_run.job->working_directory;
  return dir ? dir->value : kDefaultWorkingDirectory;
}

// A step's directory: absolute, or ~, as written; relative: under the job's.
std::string JobLowering::in_job_dir(const std::optional<Text>& dir) const
{
  if (!dir) {
    return working_directory();
  }
  const std::string& path = dir->value;
  if (path.starts_with("/") || path == "~" || path.starts_with("~/")) {
    return path;
  }
  std::string base = working_directory();
  while (base.size() > 1 && base.back() == '/') {
    base.pop_back();
  }
  return base + "/" + path;
}

// The variables of the entry's contexts, literal; a later context's value wins.
std::vector<pipeline::EnvVar> JobLowering::context_vars() const
{
  std::vector<pipeline::EnvVar> vars;
  if (m_run.entry == nullptr) {
    return vars;
  }
  for (const auto& name : m_run.entry->contexts) {
    const auto found = m_context.contexts.find(name.value);
    if (found == m_context.contexts.end()) {
      continue; // said by say_missing_contexts
    }
    for (const auto& [var, value] : found->second) {
      assign(vars, var, literal(value));
    }
  }
  return vars;
}

std::vector<pipeline::EnvVar> JobLowering::environment_of(const std::vector<EnvVar>& own) const
{
  std::vector<pipeline::EnvVar> vars = context_vars();
  const std::vector<pipeline::EnvVar> builtin = {
      {"CIRCLE_JOB", literal(m_run.entry != nullptr ? m_run.entry->shown().value : m_run.job->name.value)},
      {"CIRCLE_NODE_INDEX", std::to_string(m_run.node)},
      {"CIRCLE_NODE_TOTAL", std::to_string(m_run.nodes)},
  };
  for (const auto& [name, value] : builtin) {
    assign(vars, name, value);
  }
  if (m_docker) {
    assign(vars, "CIRCLE_WORKING_DIRECTORY", literal(working_directory()));
  }
  if (m_setup) { // what circleci continue (the stand-in) reads
    assign(vars, "CIRCLE_CONTINUATION_KEY", fmt::format("drydock-build-{}", m_context.build.number));
    assign(vars, "DRYDOCK_CONTINUATION_DIR",
           literal(m_docker ? std::string(kContinuationInContainer) : continuation_folder()));
  }
  for (const auto* list : {&m_run.job->environment, &own}) {
    for (const auto& var : *list) {
      assign(vars, var.name, literal(var.value));
    }
  }
  return vars;
}

// What setup_remote_docker and add_ssh_keys mean here, said where they are written.
void JobLowering::note(const Step& step, Diagnostics& diags) const
{
  if (step.kind == "add_ssh_keys") {
    diags.warning(step.pos, "add_ssh_keys: drydock adds no keys and does not forward your SSH agent: the job's ssh "
                            "and git over ssh see none of yours");
  } else if (m_docker) {
    diags.warning(step.pos, fmt::format("setup_remote_docker: job '{}' reaches this machine's Docker engine through "
                                        "its socket, mounted at /var/run/docker.sock: what its docker commands "
                                        "start runs beside drydock's containers, and stays after the job",
                                        m_run.job->name.value));
  }
}

pipeline::JobContainer JobLowering::job_container() const
{
  const auto& images = m_run.job->executor.images;
  pipeline::JobContainer container;
  container.name = m_container;
  container.engine_socket = std::any_of(m_run.job->steps.begin(), m_run.job->steps.end(),
                                        [](const Step& step) { return step.kind == "setup_remote_docker"; });
  container.image = images.front().image.value;
  container.user = images.front().user ? images.front().user->value : "";
  for (const auto& var : images.front().environment) {
    container.environment.emplace_back(var.name, literal(var.value));
  }
  for (std::size_t i = 1; i < images.size(); ++i) {
    if (images[i].name) { // its name reaches it as on CircleCI: it is on the job container's localhost
      container.hosts.emplace_back(images[i].name->value, "127.0.0.1");
    }
    pipeline::Sidecar sidecar;
    sidecar.name = fmt::format("s{}", i);
    sidecar.image = images[i].image.value;
    sidecar.user = images[i].user ? images[i].user->value : "";
    for (const auto& var : images[i].environment) {
      sidecar.environment.emplace_back(var.name, literal(var.value));
    }
    for (const auto& word : images[i].entrypoint) {
      sidecar.entrypoint.push_back(word.value);
    }
    for (const auto& word : images[i].command) {
      sidecar.command.push_back(word.value);
    }
    container.sidecars.push_back(std::move(sidecar));
  }
  return container;
}

std::size_t JobLowering::add(const std::string& id, const std::string& name, Pos pos, pipeline::Action action,
                             pipeline::Policy policy)
{
  pipeline::Step step;
  step.index = m_out.steps.size();
  step.id = m_run.name + "/" + id;
  const auto taken = [&](const std::string& candidate) {
    return std::any_of(m_out.steps.begin(), m_out.steps.end(),
                       [&](const auto& other) { return other.id == candidate; });
  };
  for (int again = 2; taken(step.id); ++again) { // a second checkout in a job: JOB/checkout-2
    step.id = fmt::format("{}/{}-{}", m_run.name, id, again);
  }
  step.name = m_run.name + ": " + name;
  step.group = m_group;
  step.origin = m_run.job != nullptr ? fmt::format("jobs.{}", m_run.job->name.value)
                                     : fmt::format("workflows.{}.jobs", m_run.workflow->name.value);
  step.pos = pos;
  step.action = std::move(action);
  step.workdir.base = m_context.checkout_dir;
  step.deps = m_after;
  step.policy = std::move(policy);
  m_out.steps.push_back(std::move(step));
  m_after = {m_out.steps.back().index};
  return m_out.steps.back().index;
}

pipeline::Policy policy_of(StepWhen when)
{
  switch (when) {
  case StepWhen::always: return {pipeline::RunsWhen::always, pipeline::OnFailure::continue_build, ""};
  case StepWhen::on_fail:
    return {pipeline::RunsWhen::on_failure, pipeline::OnFailure::continue_build,
            "runs only when a step before it failed"};
  case StepWhen::on_success: break;
  }
  return {pipeline::RunsWhen::on_success, pipeline::OnFailure::continue_build, ""};
}

void JobLowering::add_run(const Step& step, const RunStep& run, std::size_t number)
{
  pipeline::ShellCommand shell;
  shell.script = run.command.value;
  shell.shell = shell_of(run.shell, m_run.job->shell);
  shell.halt_exit_code = run.background ? 0 : kHaltExitCode; // a background command ends no job
  shell.files_node = m_run.node;                             // the node a plan shows; 2.x appends no files
  shell.files_nodes = m_run.nodes;
  const std::string name = run.name ? run.name->value : first_line(run.command.value);
  const std::size_t index = add(fmt::format("{}", number), name, step.pos, std::move(shell), policy_of(run.when));
  pipeline::Step& added = m_out.steps[index];
  added.summary = run.command.value;
  added.environment = environment_of(run.environment);
  added.no_output_timeout = run.no_output_timeout.value_or(600);
  added.background = run.background;
  if (m_docker) {
    added.runs_in = m_container;
    added.workdir.path = in_job_dir(run.working_directory);
  } else if (run.working_directory && !run.working_directory->value.starts_with("~")) {
    added.workdir.path = run.working_directory->value; // from the work tree, the machine job's directory
  }
}

void JobLowering::add_checkout(const Step& step, const CheckoutStep& checkout, Diagnostics& diags)
{
  if (!m_docker) {
    diags.warning(step.pos, fmt::format("job '{}' runs on this machine, in the work tree: its checkout is the work "
                                        "tree itself, with what is not committed",
                                        m_run.job->name.value));
    return;
  }
  const pipeline::Checkout action{m_container, m_context.checkout_dir, m_context.build.sha, in_job_dir(checkout.path)};
  const std::size_t index = add("checkout", "Checkout code", step.pos, action, policy_of(StepWhen::on_success));
  m_out.steps[index].summary = fmt::format("the commit, cloned from {} into {}", action.source_dir, action.path);
}

void JobLowering::add_store(const Step& step, const StoreStep& store)
{
  const bool artifacts = step.kind == "store_artifacts";
  const std::string root = artifacts ? m_context.artifacts_dir : m_context.test_results_dir;
  std::string into = layer_dir(root, m_run.folder);
  if (artifacts && !artifact_place(store).empty()) {
    into += "/" + artifact_place(store);
  }
  pipeline::CollectFiles collect{m_docker ? m_container : "", m_docker ? working_directory() : "", store.path.value,
                                 into, root};
  const std::string name = artifacts ? "Uploading artifacts" : "Uploading test results";
  // As on CircleCI: after a failure too, and never the job's failure.
  const std::size_t index = add(fmt::format("{}-{}", step.kind, m_out.steps.size()), name, step.pos, std::move(collect),
                                {pipeline::RunsWhen::always, pipeline::OnFailure::continue_build, ""});
  m_out.steps[index].summary = fmt::format("{} into the record's {}", store.path.value,
                                           artifacts ? "artifacts" : "test results");
}


std::size_t JobLowering::add_kept_step(const Step& step, const std::string& name, pipeline::Action action,
                                       StepWhen when)
{
  const std::size_t index = add(fmt::format("{}-{}", step.kind, m_out.steps.size()), name, step.pos, std::move(action),
                                policy_of(when));
  m_out.steps[index].environment = environment_of({}); // what {{ .Environment.X }} reads
  return index;
}

// save_cache, restore_cache, persist_to_workspace, attach_workspace.
void JobLowering::add_kept(const Step& step)
{
  const std::string container = m_docker ? m_container : "";
  const std::string base = m_docker ? working_directory() : m_context.checkout_dir;
  if (const auto* save = std::get_if<SaveCacheStep>(&step.action)) {
    pipeline::CacheSave action{container, base, cache_key_of(save->key), values_of(save->paths), m_context.caches_dir};
    const auto index = add_kept_step(step, save->name ? save->name->value : "Saving cache", std::move(action),
                                     save->when);
    m_out.steps[index].summary = fmt::format("{} as {}", fmt::join(values_of(save->paths), ", "),
                                             save->key.written.value);
  } else if (const auto* restore = std::get_if<RestoreCacheStep>(&step.action)) {
    pipeline::CacheRestore action{container, base, {}, m_context.caches_dir};
    std::vector<std::string> keys;
    for (const auto& key : restore->keys) {
      action.keys.push_back(cache_key_of(key));
      keys.push_back(key.written.value);
    }
    const auto index = add_kept_step(step, restore->name ? restore->name->value : "Restoring cache", std::move(action),
                                     StepWhen::on_success);
    m_out.steps[index].summary = fmt::format("the first cache of {}", fmt::join(keys, ", "));
  } else if (const auto* persist = std::get_if<PersistStep>(&step.action)) {
    pipeline::WorkspacePersist action{container, base, persist->root.value, values_of(persist->paths),
                                      layer_dir(m_context.workspace_dir, m_run.folder)};
    const auto index = add_kept_step(step, persist->name ? persist->name->value : "Persisting to workspace",
                                     std::move(action), StepWhen::on_success);
    m_out.steps[index].summary = fmt::format("{} under {}", fmt::join(values_of(persist->paths), ", "),
                                             persist->root.value);
  } else if (const auto* attach = std::get_if<AttachStep>(&step.action)) {
    pipeline::WorkspaceAttach action{container, base, attach->at.value, m_upstream};
    const auto index = add_kept_step(step, attach->name ? attach->name->value : "Attaching workspace",
                                     std::move(action), StepWhen::on_success);
    m_out.steps[index].summary = fmt::format("what the jobs it requires persisted, at {}", attach->at.value);
  }
}

std::string JobLowering::continuation_folder() const { return layer_dir(m_context.continuation_dir, m_run.folder); }

// What a docker job's `circleci continue` left in its container, into the record.
void JobLowering::add_continuation_handover()
{
  pipeline::CollectFiles collect{m_container, working_directory(), std::string(kContinuationInContainer),
                                 continuation_folder(), m_context.continuation_dir};
  const std::size_t index = add("continuation", "Handing over the continuation", m_run.job->executor.pos,
                                std::move(collect),
                                {pipeline::RunsWhen::on_success, pipeline::OnFailure::continue_build, ""});
  m_out.steps[index].summary = "what circleci continue left, for the configuration that runs next";
}

std::vector<std::size_t> JobLowering::lower_approval(std::vector<std::size_t> after)
{
  m_after = std::move(after);
  const std::size_t gate = add("approval", "Approval", m_run.entry->pos, pipeline::Gate{"the jobs it requires"},
                               {pipeline::RunsWhen::on_success, pipeline::OnFailure::skip_dependants, ""});
  m_out.steps[gate].summary = "approved with --approve; passes once the jobs it requires passed";
  return {gate};
}

std::vector<std::size_t> JobLowering::lower(std::vector<std::size_t> after, Diagnostics& diags)
{
  m_after = std::move(after);
  if (!m_docker && !m_after.empty()) {
    // A docker job's container step is its gate; a machine job that
    // requires others gets one, so its `when: always` steps do not run
    // after a failure there.
    const std::size_t gate = add("requires", "Wait for the required jobs", m_run.job->executor.pos,
                                 pipeline::Gate{"the jobs it requires"},
                                 {pipeline::RunsWhen::on_success, pipeline::OnFailure::skip_dependants, ""});
    m_out.steps[gate].summary = "passes once the jobs it requires passed";
  }
  if (m_docker) {
    const std::size_t started = add("container", "Spin up environment", m_run.job->executor.pos,
                                    pipeline::ContainerStart{job_container()},
                                    {pipeline::RunsWhen::on_success, pipeline::OnFailure::skip_dependants, ""});
    m_out.steps[started].summary = fmt::format("{} and {} sidecar(s){}", m_run.job->executor.images.front().image.value,
                                               m_run.job->executor.images.size() - 1,
                                               job_container().engine_socket ? ", with the engine's socket" : "");
  }
  std::size_t number = 0;
  for (const auto& step : m_run.job->steps) {
    if (const auto* run = std::get_if<RunStep>(&step.action)) {
      add_run(step, *run, ++number);
    } else if (const auto* checkout = std::get_if<CheckoutStep>(&step.action)) {
      add_checkout(step, *checkout, diags);
    } else if (const auto* store = std::get_if<StoreStep>(&step.action)) {
      add_store(step, *store);
    } else if (std::holds_alternative<NoteStep>(step.action)) {
      note(step, diags);
    } else {
      add_kept(step);
    }
  }
  if (m_setup && m_docker) {
    add_continuation_handover();
  }
  // The jobs that require this one wait for its steps, not for the
  // removal of its containers, which goes on beside them.
  std::vector<std::size_t> ends = m_after;
  if (m_docker) {
    const std::size_t stopped = add("container-stop", "Remove environment", m_run.job->executor.pos,
                                    pipeline::ContainerStop{job_container()},
                                    {pipeline::RunsWhen::finally, pipeline::OnFailure::continue_build, ""});
    m_out.steps[stopped].summary = "the job container and its sidecars removed";
  }
  return ends;
}

} // namespace drydock::circle2

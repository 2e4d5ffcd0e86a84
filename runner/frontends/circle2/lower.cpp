#include "frontends/circle2/lower.hpp"
#include "frontends/circle2/circleci_tool.hpp"
#include "frontends/circle2/lower_parts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>

#include <tl/expected.hpp>

#include "util/regex.hpp"

namespace drydock::circle2 {
namespace {

// One job as one workflow runs it.
struct JobRun {
  const Workflow* workflow = nullptr; // none: the `build` job of a config without workflows
  const WorkflowJob* entry = nullptr;
  const Job* job = nullptr;
  std::string name;                   // shown: the job's name in its workflow, with the workflow's when several run
  std::vector<std::size_t> requires_; // other runs, by index
  int node = 0;                       // of a parallel job: which copy (CIRCLE_NODE_INDEX), of `nodes`
  int nodes = 1;
  // Its folder in the record's artifacts, test results and workspace: [WORKFLOW, ]JOB, each one
  // folder (an orb's job, node/test, is not a folder in a folder).
  std::vector<std::string> folder;
};

std::vector<JobRun> runs_of_workflow(const Config& config, const Workflow& workflow)
{
  std::vector<JobRun> runs;
  std::map<std::string, std::size_t> by_name;
  for (const auto& entry : workflow.jobs) {
    by_name.emplace(entry.shown().value, runs.size());
    runs.push_back({&workflow, &entry, config.job_of(entry), entry.shown().value, {}, 0, 1, {entry.shown().value}});
  }
  for (auto& run : runs) {
    for (const auto& required : run.entry->requires_) {
      for (const auto& name : workflow.required(required.value)) {
        if (const auto found = by_name.find(name); found != by_name.end()) { // the checks said so otherwise
          run.requires_.push_back(found->second);
        }
      }
    }
  }
  return runs;
}

// The runs `wanted` needs, itself last, each after what it requires.
void add_with_requires(const std::vector<JobRun>& runs, std::size_t wanted, bool only, std::vector<bool>& taken,
                       std::vector<std::size_t>& order)
{
  if (taken[wanted]) {
    return;
  }
  taken[wanted] = true;
  if (!only) {
    for (const std::size_t required : runs[wanted].requires_) {
      add_with_requires(runs, required, false, taken, order);
    }
  }
  order.push_back(wanted);
}

// The workflow's runs the selection wants, in an order where each comes
// after what it requires; requires_ renumbered to that order (a required
// job left out by --only is not waited for).
std::vector<JobRun> select_runs(std::vector<JobRun> runs, const Selection& selection)
{
  std::vector<bool> taken(runs.size(), false);
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (!selection.job || runs[i].name == *selection.job) {
      add_with_requires(runs, i, selection.only, taken, order);
    }
  }
  std::vector<std::size_t> position(runs.size(), runs.size());
  for (std::size_t at = 0; at < order.size(); ++at) {
    position[order[at]] = at;
  }
  std::vector<JobRun> selected;
  for (const std::size_t index : order) {
    JobRun run = runs[index];
    std::vector<std::size_t> kept;
    for (const std::size_t required : run.requires_) {
      if (position[required] < order.size()) {
        kept.push_back(position[required]);
      }
    }
    run.requires_ = std::move(kept);
    selected.push_back(std::move(run));
  }
  return selected;
}

std::vector<const Workflow*> selected_workflows(const Config& config, const Selection& selection)
{
  std::vector<const Workflow*> workflows;
  for (const auto& workflow : config.workflows) {
    if (!selection.workflow || workflow.name.value == *selection.workflow) {
      workflows.push_back(&workflow);
    }
  }
  return workflows;
}

using Runs = tl::expected<std::vector<JobRun>, std::string>;

Runs runs_without_workflows(const Config& config, const Selection& selection)
{
  if (selection.workflow) {
    return tl::unexpected(fmt::format("--workflow {}: the config has no workflows", *selection.workflow));
  }
  if (selection.job && *selection.job != "build") {
    return tl::unexpected(fmt::format("--job {}: without workflows only the job 'build' runs", *selection.job));
  }
  const Job* build = config.job("build");
  if (build == nullptr) {
    return std::vector<JobRun>{}; // the checks said so
  }
  return std::vector<JobRun>{JobRun{nullptr, nullptr, build, "build", {}, 0, 1, {"build"}}};
}

// The jobs the selection picks, each after what it requires.
Runs all_runs(const Config& config, const Selection& selection)
{
  if (selection.only && !selection.job) {
    return tl::unexpected(std::string("--only goes with --job NAME"));
  }
  if (config.workflows.empty()) {
    return runs_without_workflows(config, selection);
  }
  const auto workflows = selected_workflows(config, selection);
  if (selection.workflow && workflows.empty()) {
    return tl::unexpected(fmt::format("--workflow {}: the config has no workflow of that name", *selection.workflow));
  }
  std::vector<JobRun> runs;
  for (const Workflow* workflow : workflows) {
    const std::size_t offset = runs.size();
    for (auto run : select_runs(runs_of_workflow(config, *workflow), selection)) {
      for (auto& required : run.requires_) {
        required += offset;
      }
      if (workflows.size() > 1) {
        run.name = workflow->name.value + "/" + run.name;
        run.folder.insert(run.folder.begin(), workflow->name.value);
      }
      runs.push_back(std::move(run));
    }
  }
  if (selection.job && runs.empty()) {
    return tl::unexpected(
        selection.workflow
            ? fmt::format("--job {}: workflow '{}' has no job of that name", *selection.job, *selection.workflow)
            : fmt::format("--job {}: no workflow has a job of that name", *selection.job));
  }
  return runs;
}

// ---- filters ----

std::string shown(const config::Pattern& pattern)
{
  return pattern.is_regex ? "/" + util::shown_pattern(pattern.text) + "/" : "'" + pattern.text + "'";
}

const config::Pattern* first_match(const std::vector<config::Pattern>& patterns, const std::string& name)
{
  for (const auto& pattern : patterns) {
    const bool matched = pattern.is_regex ? pattern.regex && pattern.regex->full_match(name) : pattern.text == name;
    if (matched) {
      return &pattern;
    }
  }
  return nullptr;
}

// `what` ("branch", "tag") `name` against the filter.
pipeline::Decision by_filter(const RefFilter& filter, std::string_view what, const std::string& name)
{
  const std::string key = what == "tag" ? "tags" : "branches";
  if (const auto* ignored = first_match(filter.ignore, name)) {
    return {"", false, fmt::format("{} '{}' matches {}.ignore {}", what, name, key, shown(*ignored))};
  }
  if (filter.only.empty()) {
    return {"", true,
            filter.ignore.empty() ? fmt::format("no {} filter", what)
                                  : fmt::format("{} '{}' matches no {}.ignore", what, name, key)};
  }
  if (const auto* only = first_match(filter.only, name)) {
    return {"", true, fmt::format("{} '{}' matches {}.only {}", what, name, key, shown(*only))};
  }
  return {"", false, fmt::format("{} '{}' matches no {}.only", what, name, key)};
}

pipeline::Decision filter_decision(const JobRun& run, const pipeline::Build& build)
{
  const Filters none;
  const Filters& filters = run.entry != nullptr ? run.entry->filters : none;
  if (run.workflow != nullptr && run.workflow->off) {
    return {run.name, false,
            fmt::format("workflow '{}' does not run: {}", run.workflow->name.value, *run.workflow->off)};
  }
  if (!build.tag.empty()) {
    if (!filters.tags.given) {
      return {run.name, false,
              fmt::format("a build of tag '{}': CircleCI runs a job for a tag only when its filters have tags",
                          build.tag)};
    }
    auto decision = by_filter(filters.tags, "tag", build.tag);
    decision.name = run.name;
    return decision;
  }
  if (build.branch.empty()) {
    return {run.name, true,
            filters.branches.given ? "the build has no branch: branch filters do not apply" : "no branch filter"};
  }
  auto decision = by_filter(filters.branches, "branch", build.branch);
  decision.name = run.name;
  return decision;
}

bool is_approval(const JobRun& run) { return run.entry != nullptr && run.entry->approval; }

bool is_approved(const JobRun& run, const std::vector<std::string>& approved)
{
  return std::any_of(approved.begin(), approved.end(),
                     [&](const std::string& name) { return name == run.name || name == run.entry->shown().value; });
}

// Why a run that requires `required` (which does not run) does not run either.
std::string held_by(const JobRun& required, const std::vector<std::string>& approved)
{
  if (is_approval(required) && !is_approved(required, approved)) {
    return fmt::format("it waits for the approval of '{}' (--approve {})", required.name, required.name);
  }
  return fmt::format("it requires '{}', which does not run", required.name);
}

// Each run's decision: its filters, its approval, then what it requires (earlier in the order).
std::vector<pipeline::Decision> decide(const std::vector<JobRun>& runs, const pipeline::Build& build,
                                       const std::vector<std::string>& approved)
{
  std::vector<pipeline::Decision> decisions;
  for (const auto& run : runs) {
    auto decision = filter_decision(run, build);
    if (decision.runs && is_approval(run)) {
      decision.reason = is_approved(run, approved) ? "approved (--approve)"
                                                   : fmt::format("on hold: approve it with --approve {}", run.name);
      decision.runs = is_approved(run, approved);
    }
    for (const std::size_t required : run.requires_) {
      if (decision.runs && !decisions[required].runs) {
        decision = {run.name, false, held_by(runs[required], approved)};
      }
    }
    decisions.push_back(std::move(decision));
  }
  return decisions;
}

// The runs that run, their requires renumbered.
std::vector<JobRun> running(const std::vector<JobRun>& runs, const std::vector<pipeline::Decision>& decisions)
{
  std::vector<std::size_t> position(runs.size());
  std::vector<JobRun> kept;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (!decisions[i].runs) {
      continue;
    }
    position[i] = kept.size();
    JobRun run = runs[i];
    for (auto& required : run.requires_) {
      required = position[required]; // it runs: decide() said so
    }
    kept.push_back(std::move(run));
  }
  return kept;
}

// Each run of a job with parallelism N as N runs, NAME:0 to NAME:N-1; a
// run that requires it requires them all.
std::vector<JobRun> with_nodes(const std::vector<JobRun>& runs)
{
  std::vector<std::vector<std::size_t>> copies(runs.size());
  std::vector<JobRun> out;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const int nodes = runs[i].job != nullptr ? runs[i].job->parallelism : 1;
    for (int node = 0; node < nodes; ++node) {
      JobRun run = runs[i];
      run.requires_.clear();
      for (const std::size_t required : runs[i].requires_) {
        run.requires_.insert(run.requires_.end(), copies[required].begin(), copies[required].end());
      }
      if (nodes > 1) {
        run.name = fmt::format("{}:{}", run.name, node);
        run.folder.back() += fmt::format(":{}", node);
        run.node = node;
        run.nodes = nodes;
      }
      copies[i].push_back(out.size());
      out.push_back(std::move(run));
    }
  }
  return out;
}

// ---- steps ----

// Sets a variable once: a later value replaces the earlier one, at the end.
void assign(std::vector<pipeline::EnvVar>& vars, const std::string& name, std::string value)
{
  std::erase_if(vars, [&name](const pipeline::EnvVar& set) { return set.first == name; });
  vars.emplace_back(name, std::move(value));
}

class JobLowering {
public:
  // `upstream`: the workspace layers of the jobs it requires, directly or not.
  JobLowering(pipeline::Pipeline& out, const LowerContext& context, const JobRun& run, std::size_t group,
              std::vector<pipeline::WorkspaceLayer> upstream)
    : m_out(out), m_context(context), m_run(run), m_group(group), m_container(fmt::format("j{}", group)),
      m_docker(run.job != nullptr && run.job->executor.kind == ExecutorKind::docker), m_upstream(std::move(upstream))
  {
  }

  // The job's steps after `after` (the ends of the jobs it requires); returns its ends.
  std::vector<std::size_t> lower(std::vector<std::size_t> after, Diagnostics& diags);
  // An approved approval job: one gate after `after`; returns it.
  std::vector<std::size_t> lower_approval(std::vector<std::size_t> after);

private:
  std::string working_directory() const;
  std::string in_job_dir(const std::optional<Text>& dir) const;
  std::vector<pipeline::EnvVar> context_vars() const;
  std::vector<pipeline::EnvVar> environment_of(const std::vector<EnvVar>& own) const;
  pipeline::JobContainer job_container() const;
  std::size_t add(const std::string& id, const std::string& name, Pos pos, pipeline::Action action,
                  pipeline::Policy policy);
  void add_run(const Step& step, const RunStep& run, std::size_t number);
  void add_checkout(const Step& step, const CheckoutStep& checkout, Diagnostics& diags);
  void add_store(const Step& step, const StoreStep& store);
  void add_kept(const Step& step);
  void note(const Step& step, Diagnostics& diags) const;
  std::size_t add_kept_step(const Step& step, const std::string& name, pipeline::Action action, StepWhen when);

  pipeline::Pipeline& m_out;
  const LowerContext& m_context;
  const JobRun& m_run;
  std::size_t m_group;
  std::string m_container;
  bool m_docker;
  std::vector<std::size_t> m_after; // what the next step waits for
  std::vector<pipeline::WorkspaceLayer> m_upstream;
};

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

} // namespace

std::vector<pipeline::Decision> job_decisions(const Config& config, const LowerContext& context,
                                              const Selection& selection)
{
  const auto runs = all_runs(config, selection);
  return runs ? decide(*runs, context.build, selection.approved) : std::vector<pipeline::Decision>{};
}

std::optional<std::string> selection_error(const Config& config, const Selection& selection)
{
  const auto runs = all_runs(config, selection);
  if (!runs) {
    return runs.error();
  }
  std::vector<std::string> holds;
  for (const auto& run : *runs) {
    if (is_approval(run)) {
      holds.push_back(run.name);
    }
  }
  for (const auto& name : selection.approved) {
    const bool found = std::any_of(runs->begin(), runs->end(),
                                   [&](const JobRun& run) { return is_approval(run) && is_approved(run, {name}); });
    if (!found) {
      return holds.empty() ? fmt::format("--approve {}: the jobs selected have no approval job", name)
                           : fmt::format("--approve {}: no approval job of that name (approval jobs: {})", name,
                                         fmt::join(holds, ", "));
    }
  }
  return std::nullopt;
}

std::string engine_needed_by(const Config& config, const Selection& selection, const pipeline::Build& build)
{
  const auto selected = all_runs(config, selection);
  const auto runs = selected ? running(*selected, decide(*selected, build, selection.approved)) : std::vector<JobRun>{};
  for (const auto& run : runs) {
    if (run.job != nullptr && run.job->executor.kind == ExecutorKind::docker) {
      return fmt::format("jobs.{}.docker", run.job->name.value);
    }
  }
  return "";
}

std::string literal(const std::string& value)
{
  std::string out;
  for (const char c : value) {
    if (c == '$') {
      out += '\\';
    }
    out += c;
  }
  return out;
}

// Every run `run` requires, directly or not, as indexes in ascending order.
std::vector<std::size_t> upstream_of(const std::vector<JobRun>& runs, std::size_t run)
{
  std::vector<bool> seen(runs.size());
  std::vector<std::size_t> todo = runs[run].requires_;
  while (!todo.empty()) {
    const std::size_t next = todo.back();
    todo.pop_back();
    if (!seen[next]) {
      seen[next] = true;
      todo.insert(todo.end(), runs[next].requires_.begin(), runs[next].requires_.end());
    }
  }
  std::vector<std::size_t> upstream;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (seen[i]) {
      upstream.push_back(i);
    }
  }
  return upstream;
}

// The layers an attach_workspace of `run` reads: its upstream jobs', each
// with the upstream jobs it comes after; required jobs come first.
std::vector<pipeline::WorkspaceLayer> upstream_layers(const std::vector<JobRun>& runs, std::size_t run,
                                                      const std::string& workspace_dir)
{
  std::vector<pipeline::WorkspaceLayer> layers;
  for (const std::size_t i : upstream_of(runs, run)) {
    pipeline::WorkspaceLayer layer{runs[i].name, layer_dir(workspace_dir, runs[i].folder), {}};
    for (const std::size_t before : upstream_of(runs, i)) {
      layer.after.push_back(runs[before].name);
    }
    layers.push_back(std::move(layer));
  }
  return layers;
}

// The run's name without its node: what all the nodes of a parallel job share.
std::string job_name_of(const JobRun& run)
{
  return run.nodes > 1 ? run.name.substr(0, run.name.rfind(':')) : run.name;
}

// A context the run's entry names that the command line could not read.
void say_missing_contexts(const JobRun& run, const LowerContext& context, Diagnostics& diags)
{
  if (run.entry == nullptr || run.job == nullptr) {
    return; // approval jobs run no step: their contexts give nothing
  }
  for (const auto& name : run.entry->contexts) {
    if (context.contexts.contains(name.value)) {
      continue;
    }
    auto message = fmt::format("job '{}' needs the context '{}', which has no file here: write its variables to {} "
                               "(NAME=value lines), or name another folder with --contexts DIR",
                               job_name_of(run), name.value, context_file(context.contexts_dir, name.value));
    if (context.contexts_optional) {
      diags.warning(name.pos, message + "; a run would stop here", static_cast<int>(name.value.size()));
    } else {
      diags.error(name.pos, std::move(message), static_cast<int>(name.value.size()));
    }
  }
}

void check_contexts(const Config& config, const LowerContext& context, const Selection& selection, Diagnostics& diags)
{
  const auto selected = all_runs(config, selection);
  if (!selected) {
    return; // the selection's error is said before
  }
  for (const auto& run : running(*selected, decide(*selected, context.build, selection.approved))) {
    say_missing_contexts(run, context, diags);
  }
}

std::vector<std::string> contexts_named(const Config& config)
{
  std::vector<std::string> names;
  for (const auto& workflow : config.workflows) {
    for (const auto& entry : workflow.jobs) {
      for (const auto& name : entry.contexts) {
        if (std::find(names.begin(), names.end(), name.value) == names.end()) {
          names.push_back(name.value);
        }
      }
    }
  }
  return names;
}

std::string context_file(const std::string& contexts_dir, const std::string& name)
{
  return contexts_dir + "/" + name + ".env";
}

pipeline::Pipeline lower(const Config& config, const LowerContext& context, const Selection& selection,
                         Diagnostics& diags)
{
  pipeline::Pipeline out;
  out.file = config.path;
  out.format = "CircleCI " + (config.version.value.empty() ? std::string("2") : config.version.value);
  out.build = context.build;
  out.log_dir = context.log_dir;
  out.tools = {circleci_tool()};
  const auto selected = all_runs(config, selection);
  if (!selected) {
    diags.error(Pos{1, 1}, selected.error()); // checked before, by selection_error
    return out;
  }
  const auto runs = with_nodes(running(*selected, decide(*selected, context.build, selection.approved)));
  std::vector<std::vector<std::size_t>> ends(runs.size());
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& run = runs[i];
    out.groups.push_back({run.name, "job", {pipeline::RunsWhen::on_success, pipeline::OnFailure::continue_build, ""}});
    std::vector<std::size_t> after;
    for (const std::size_t required : run.requires_) {
      after.insert(after.end(), ends[required].begin(), ends[required].end());
    }
    if (run.job == nullptr && !is_approval(run)) {
      continue; // an unknown job: the checks said so
    }
    if (run.node == 0) { // once for the nodes of a parallel job
      say_missing_contexts(run, context, diags);
    }
    JobLowering job(out, context, run, i, upstream_layers(runs, i, context.workspace_dir));
    ends[i] = is_approval(run) ? job.lower_approval(after) : job.lower(after, diags); // no step: what it waited for
    if (run.job != nullptr && run.job->executor.kind == ExecutorKind::docker && out.engine_needed_by.empty()) {
      out.engine_needed_by = fmt::format("jobs.{}.docker", run.job->name.value);
    }
  }
  return out;
}

} // namespace drydock::circle2

#include "frontends/circle2/lower.hpp"
#include "frontends/circle2/circleci_tool.hpp"
#include "frontends/circle2/lower_job.hpp"
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

// Whether a scheduled workflow runs: only when asked for by name, as if
// its schedule fired now, on a branch one of its schedules runs on.
std::optional<std::string> schedule_off(const Workflow& workflow, const pipeline::Build& build,
                                        const Selection& selection)
{
  const auto& name = workflow.name.value;
  if (selection.workflow != name) {
    return fmt::format("workflow '{}' runs on a schedule (cron \"{}\"), not for a push: --workflow {} runs it now",
                       name, workflow.schedules.front().cron.value, name);
  }
  if (!build.tag.empty()) {
    return fmt::format("workflow '{}' runs on a schedule, on branches: never for a build of tag '{}'", name, build.tag);
  }
  if (build.branch.empty()) { // a schedule always fires on a branch: a detached HEAD is none of them
    return fmt::format("workflow '{}' runs on a schedule, on branches: this build has none (check one out, or "
                       "--env CIRCLE_BRANCH=NAME)",
                       name);
  }
  std::string reason;
  for (const auto& schedule : workflow.schedules) {
    const auto decision = by_filter(schedule.branches, "branch", build.branch);
    if (decision.runs) {
      return std::nullopt;
    }
    reason = decision.reason;
  }
  return fmt::format("workflow '{}' is not scheduled on this branch: {}", name, reason);
}

pipeline::Decision filter_decision(const JobRun& run, const pipeline::Build& build, const Selection& selection)
{
  const Filters none;
  const Filters& filters = run.entry != nullptr ? run.entry->filters : none;
  if (run.workflow != nullptr && run.workflow->off) {
    return {run.name, false,
            fmt::format("workflow '{}' does not run: {}", run.workflow->name.value, *run.workflow->off)};
  }
  if (run.workflow != nullptr && !run.workflow->schedules.empty()) {
    if (auto off = schedule_off(*run.workflow, build, selection)) {
      return {run.name, false, std::move(*off)};
    }
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
                                       const Selection& selection)
{
  const auto& approved = selection.approved;
  std::vector<pipeline::Decision> decisions;
  for (const auto& run : runs) {
    auto decision = filter_decision(run, build, selection);
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


} // namespace

std::vector<pipeline::Decision> job_decisions(const Config& config, const LowerContext& context,
                                              const Selection& selection)
{
  const auto runs = all_runs(config, selection);
  return runs ? decide(*runs, context.build, selection) : std::vector<pipeline::Decision>{};
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
  const auto runs = selected ? running(*selected, decide(*selected, build, selection)) : std::vector<JobRun>{};
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

// Runs whose folders read alike once made safe (o/j and o_j, test:0 and
// test_0) keep their records apart: a later one's last part gets -2, -3...
std::vector<JobRun> with_unique_folders(std::vector<JobRun> runs)
{
  std::set<std::string> taken;
  const auto joined = [](const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& part : parts) {
      out += "/" + as_dir_name(part);
    }
    return out;
  };
  for (auto& run : runs) {
    const std::string last = run.folder.empty() ? std::string() : run.folder.back();
    for (int again = 2; !run.folder.empty() && !taken.insert(joined(run.folder)).second; ++again) {
      run.folder.back() = fmt::format("{}-{}", last, again);
    }
  }
  return runs;
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
  for (const auto& run : running(*selected, decide(*selected, context.build, selection))) {
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
  const auto runs = with_unique_folders(with_nodes(running(*selected, decide(*selected, context.build, selection))));
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
    JobLowering job(out, context, run, i, upstream_layers(runs, i, context.workspace_dir), config.setup);
    ends[i] = is_approval(run) ? job.lower_approval(after) : job.lower(after, diags); // no step: what it waited for
    if (run.job != nullptr && run.job->executor.kind == ExecutorKind::docker && out.engine_needed_by.empty()) {
      out.engine_needed_by = fmt::format("jobs.{}.docker", run.job->name.value);
    }
  }
  return out;
}

} // namespace drydock::circle2

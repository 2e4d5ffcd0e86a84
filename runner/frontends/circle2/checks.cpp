#include "frontends/circle2/checks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <string_view>

#include "frontends/circle2/orbs.hpp"
#include "util/cycle.hpp"
#include "util/spelling.hpp"

namespace drydock::circle2 {
namespace {

std::string unknown_name(std::string_view what, const std::string& name, const std::vector<std::string_view>& known)
{
  std::string message = fmt::format("{} '{}'", what, name);
  if (const auto suggestion = closest_match(name, known)) {
    message += fmt::format("; did you mean '{}'?", *suggestion);
  }
  return message;
}

void check_jobs_exist(const Config& config, const Workflow& workflow, Diagnostics& diags)
{
  std::vector<std::string_view> jobs;
  for (const auto& job : config.jobs) {
    jobs.push_back(job.name.value);
  }
  jobs.insert(jobs.end(), config.orb_jobs.begin(), config.orb_jobs.end());
  for (const auto& entry : workflow.jobs) {
    if (!entry.approval && config.job_of(entry) == nullptr
        && !of_unresolved_orb(entry.job.value, config.unresolved_orbs)) {
      diags.error(entry.job.pos,
                  unknown_name(fmt::format("workflow '{}' runs an unknown job", workflow.name.value), entry.job.value,
                               jobs),
                  static_cast<int>(entry.job.value.size()));
    }
  }
}

// The workflow's jobs by the name they have in it; a second use of a name is an error.
std::map<std::string, std::size_t> names_in(const Workflow& workflow, Diagnostics& diags)
{
  std::map<std::string, std::size_t> names;
  for (std::size_t i = 0; i < workflow.jobs.size(); ++i) {
    const Text& shown = workflow.jobs[i].shown();
    if (!names.emplace(shown.value, i).second) {
      diags.error(shown.pos,
                  fmt::format("workflow '{}' has two jobs named '{}': give one a `name:` of its own",
                              workflow.name.value, shown.value),
                  static_cast<int>(shown.value.size()));
    }
  }
  return names;
}

void check_requires(const std::string& file, const Workflow& workflow, Diagnostics& diags)
{
  const auto names = names_in(workflow, diags);
  std::vector<std::string_view> known;
  for (const auto& [name, index] : names) {
    known.push_back(name);
  }
  std::vector<std::vector<std::size_t>> edges(workflow.jobs.size());
  for (std::size_t i = 0; i < workflow.jobs.size(); ++i) {
    for (const auto& required : workflow.jobs[i].requires_) {
      for (const auto& name : workflow.required(required.value)) {
        const auto found = names.find(name);
        if (found != names.end()) {
          edges[i].push_back(found->second);
        }
      }
      const auto found = names.find(workflow.required(required.value).front());
      if (found == names.end()) {
        diags.error(required.pos,
                    unknown_name(fmt::format("'{}' requires a job that is not in workflow '{}':",
                                             workflow.jobs[i].shown().value, workflow.name.value),
                                 required.value, known),
                    static_cast<int>(required.value.size()));
      }
    }
  }
  const auto cycle = util::find_cycle(
      edges.size(), [&](std::size_t job) -> const auto& { return edges[job]; });
  if (cycle.empty()) {
    return;
  }
  std::vector<std::string> shown;
  for (const std::size_t job : cycle) {
    const auto& entry = workflow.jobs[job];
    shown.push_back(fmt::format("'{}' ({}:{}:{})", entry.shown().value, file, entry.pos.line, entry.pos.column));
  }
  const auto& first = workflow.jobs[cycle.front()];
  diags.error(first.pos, fmt::format("workflow '{}' has a cycle of requires: {} requires the first again",
                                     workflow.name.value, fmt::join(shown, " requires ")));
}

bool is_host_name(const std::string& name)
{
  return !name.empty() && name.size() <= 253 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
  });
}

// What a job's images and directories mean here, beyond their shape.
void check_executor(const Job& job, Diagnostics& diags)
{
  const auto& images = job.executor.images;
  if (job.executor.kind == ExecutorKind::machine && job.working_directory) {
    diags.warning(job.working_directory->pos, fmt::format("job '{}' runs on this machine, in the work tree: its "
                                                          "working_directory is not used",
                                                          job.name.value));
  }
  if (!images.empty() && (!images.front().entrypoint.empty() || !images.front().command.empty())) {
    diags.warning(images.front().pos, "the primary image's entrypoint and command are not used: drydock keeps the "
                                      "job container alive itself and runs each step in it, as CircleCI does");
  }
  std::set<std::string> names;
  for (std::size_t i = 1; i < images.size(); ++i) {
    const auto& name = images[i].name;
    if (!name) {
      continue;
    }
    if (!is_host_name(name->value)) {
      diags.error(name->pos, fmt::format("an image's name is the host name the job reaches it by: letters, digits, "
                                         "'-', '.' and '_', got '{}'",
                                         name->value));
    } else if (!names.insert(name->value).second) {
      diags.error(name->pos, fmt::format("job '{}' has two images named '{}'", job.name.value, name->value));
    }
  }
}

} // namespace

void check_config(const Config& config, Diagnostics& diags)
{
  for (const auto& workflow : config.workflows) {
    check_jobs_exist(config, workflow, diags);
    check_requires(config.path, workflow, diags);
  }
  for (const auto* jobs : {&config.jobs, &config.instances}) {
    for (const auto& job : *jobs) {
      check_executor(job, diags);
    }
  }
  if (const Job* build = config.job("build"); config.workflows.empty() && build != nullptr && build->needs_arguments) {
    diags.error(build->name.pos,
                "job 'build' has parameters without defaults: without workflows nothing gives it "
                "their values",
                static_cast<int>(build->name.value.size()));
  }
  if (config.workflows.empty() && !config.jobs.empty() && config.job("build") == nullptr) {
    diags.error(config.jobs.front().name.pos,
                "without workflows CircleCI runs the job named 'build', and there is none: add a `workflows:` "
                "section or a job named build",
                static_cast<int>(config.jobs.front().name.value.size()));
  }
}

} // namespace drydock::circle2

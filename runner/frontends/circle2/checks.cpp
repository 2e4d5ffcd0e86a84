#include "frontends/circle2/checks.hpp"

#include <fmt/format.h>

#include <map>
#include <string_view>

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
  for (const auto& entry : workflow.jobs) {
    if (config.job(entry.job.value) == nullptr) {
      diags.error(entry.job.pos, unknown_name(fmt::format("workflow '{}' runs an unknown job", workflow.name.value),
                                              entry.job.value, jobs),
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

void check_requires(const Workflow& workflow, Diagnostics& diags)
{
  const auto names = names_in(workflow, diags);
  std::vector<std::string_view> known;
  for (const auto& [name, index] : names) {
    known.push_back(name);
  }
  std::vector<std::vector<std::size_t>> edges(workflow.jobs.size());
  for (std::size_t i = 0; i < workflow.jobs.size(); ++i) {
    for (const auto& required : workflow.jobs[i].requires_) {
      const auto found = names.find(required.value);
      if (found == names.end()) {
        diags.error(required.pos,
                    unknown_name(fmt::format("'{}' requires a job that is not in workflow '{}':",
                                             workflow.jobs[i].shown().value, workflow.name.value),
                                 required.value, known),
                    static_cast<int>(required.value.size()));
      } else {
        edges[i].push_back(found->second);
      }
    }
  }
  const auto cycle = util::find_cycle(edges.size(), [&](std::size_t job) -> const auto& { return edges[job]; });
  if (cycle.empty()) {
    return;
  }
  std::vector<std::string> shown;
  for (const std::size_t job : cycle) {
    const auto& entry = workflow.jobs[job];
    shown.push_back(fmt::format("'{}' ({}:{})", entry.shown().value, entry.pos.line, entry.pos.column));
  }
  const auto& first = workflow.jobs[cycle.front()];
  diags.error(first.pos, fmt::format("workflow '{}' has a cycle of requires: {} requires the first again",
                                     workflow.name.value, fmt::join(shown, " requires ")));
}

} // namespace

void check_config(const Config& config, Diagnostics& diags)
{
  for (const auto& workflow : config.workflows) {
    check_jobs_exist(config, workflow, diags);
    check_requires(workflow, diags);
  }
  if (config.workflows.empty() && !config.jobs.empty() && config.job("build") == nullptr) {
    diags.error(config.jobs.front().name.pos,
                "without workflows CircleCI runs the job named 'build', and there is none: add a `workflows:` "
                "section or a job named build",
                static_cast<int>(config.jobs.front().name.value.size()));
  }
}

} // namespace drydock::circle2

#include "frontends/circle2/model.hpp"

#include <algorithm>

namespace drydock::circle2 {

const Job* Config::job(std::string_view name) const
{
  for (const auto& job : jobs) {
    if (job.name.value == name) {
      return &job;
    }
  }
  return nullptr;
}

std::vector<std::string> Workflow::required(const std::string& written) const
{
  const bool a_job = std::any_of(jobs.begin(), jobs.end(),
                                 [&](const WorkflowJob& job) { return job.shown().value == written; });
  const auto alias = aliases.find(written);
  return a_job || alias == aliases.end() || alias->second.empty() ? std::vector<std::string>{written} : alias->second;
}

const Job* Config::job_of(const WorkflowJob& entry) const
{
  return entry.instance && *entry.instance < instances.size() ? &instances[*entry.instance] : job(entry.job.value);
}

} // namespace drydock::circle2

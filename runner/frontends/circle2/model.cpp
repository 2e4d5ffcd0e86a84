#include "frontends/circle2/model.hpp"

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

const Job* Config::job_of(const WorkflowJob& entry) const
{
  return entry.instance && *entry.instance < instances.size() ? &instances[*entry.instance] : job(entry.job.value);
}

} // namespace drydock::circle2

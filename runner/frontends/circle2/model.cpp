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

} // namespace drydock::circle2

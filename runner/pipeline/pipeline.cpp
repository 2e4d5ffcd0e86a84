#include "pipeline/pipeline.hpp"

#include <algorithm>
#include <cctype>

namespace drydock::pipeline {

std::string_view action_kind(const Action& action)
{
  static constexpr std::string_view kKinds[] = {
      "shell",   "image",      "database",       "service",           "publish",
      "archive", "container",  "container-stop", "checkout",          "collect",
      "gate",    "cache-save", "cache-restore",  "workspace-persist", "workspace-attach"};
  static_assert(std::size(kKinds) == std::variant_size_v<Action>);
  return kKinds[action.index()];
}

const Policy& policy_of(const Pipeline& pipeline, const Step& step)
{
  return step.policy ? *step.policy : pipeline.groups.at(step.group).policy;
}

bool in_build_container(const Pipeline& pipeline, const Step& step)
{
  return pipeline.build_container && !step.container && !step.runs_in
         && std::holds_alternative<ShellCommand>(step.action);
}

std::string placement_of(const Pipeline& pipeline, const Step& step)
{
  if (step.container) {
    return "image " + step.container->image;
  }
  if (step.runs_in) {
    return "container " + *step.runs_in;
  }
  return in_build_container(pipeline, step) ? "build container" : "host";
}

std::string group_heading(const Pipeline& pipeline)
{
  const auto& groups = pipeline.groups;
  const bool one_kind = !groups.empty() && std::all_of(groups.begin(), groups.end(), [&](const Group& group) {
    return group.kind == groups.front().kind && !group.kind.empty();
  });
  std::string heading = one_kind ? groups.front().kind : "group";
  std::transform(heading.begin(), heading.end(), heading.begin(), [](unsigned char c) { return std::toupper(c); });
  return heading;
}

std::string run_tag(const Build& build) { return build.sha.empty() ? "local" : build.sha; }

} // namespace drydock::pipeline

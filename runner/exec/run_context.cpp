#include "exec/run_context.hpp"

namespace drydock::exec {

RunContext make_run_context(const pipeline::Pipeline& pipeline, const std::vector<std::string>& host_env,
                            std::string self_exe)
{
  RunContext context;
  context.self_exe = std::move(self_exe);
  context.env = env::without(env::Environment::from_entries(host_env), pipeline.host_env_dropped);
  context.host_home = context.env.get("HOME").value_or("");
  context.host_path = context.env.get("PATH").value_or("");
  for (const auto& [name, value] : pipeline.environment) {
    context.env.set(name, value);
    context.pipeline_vars.push_back(name);
  }
  context.run_tag = pipeline::run_tag(pipeline.build);
  return context;
}

} // namespace drydock::exec

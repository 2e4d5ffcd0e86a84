#pragma once
// Before a run: check the Docker engine when the pipeline needs one, pick
// the run id containers are labelled with, the image references they run,
// and the throwaway cluster's directory, port and URLs. After a run,
// whatever happened: remove the run's containers and the cluster.
#include <tl/expected.hpp>

#include <optional>
#include <string>
#include <vector>

#include "docker/engine.hpp"
#include "exec/run_context.hpp"
#include "pipeline/pipeline.hpp"

namespace drydock::exec {

enum class SetupMode {
  run,     // asks the engine and creates the cluster's directory
  dry_run, // no side effects: placeholders where the engine would answer
};

// Whether a run needs the engine (and what asks for it, for the error), and
// whether it needs the bridge's addresses (the host's cluster serves them).
struct EngineNeeds {
  std::string needed_by;
  bool bridge = false;
};
EngineNeeds engine_needs(const pipeline::Pipeline& pipeline);

// The engine's facts when the pipeline uses docker: asked of the engine for
// a run (an error when none answers), placeholders for a dry run. A run
// asks before it takes a build number.
using Engine = std::optional<docker::EngineFacts>;
tl::expected<Engine, std::string> find_engine(const EngineNeeds& needs, const env::Environment& env, SetupMode mode);

tl::expected<void, std::string> prepare_run(const pipeline::Pipeline& pipeline, RunContext& context, SetupMode mode,
                                            const Engine& engine);

// Lines for the user about what was cleaned up (or could not be).
// `containers_may_remain`: a container step was interrupted, timed out or
// ended with docker's own failure (125 and up); a `docker run --rm` that
// ended normally has removed its container already, so the engine is not
// asked then.
std::vector<std::string> finish_run(const RunContext& context, bool containers_may_remain);

// A random id for labels and names: 12 hex digits.
std::string new_run_id();

} // namespace drydock::exec

#pragma once
// The scheduler loop: start what the plan allows up to the runner's
// capacity, then reap one result; repeat (ninja's Builder::Build).
#include "exec/run_context.hpp"
#include "exec/step_runner.hpp"
#include "pipeline/pipeline.hpp"
#include "plan/run_events.hpp"

namespace drydock::exec {

using plan::BuildResult;
using plan::RunObserver;
using plan::StepOutcome;

// The step as a process: its argv (the shell and script, `docker run` of
// its container, or `drydock internal step` with the action on stdin), the
// directory, the environment and limits.
StepRequest make_request(const pipeline::Pipeline& pipeline, const pipeline::Step& step, const RunContext& context);

BuildResult run_build(const pipeline::Pipeline& pipeline, const RunContext& context, StepRunner& runner,
                      RunObserver& observer);

} // namespace drydock::exec

#pragma once
// circle.yml 1.0 lowered to the neutral pipeline model: CircleCI 1.0's
// phases become groups with its failure rules, commands become shell steps
// (in bash on the host, sh in a drydock image), and drydock's extension
// keys become steps of their own (images, the database, services, publish).
#include <optional>

#include "config/model.hpp"
#include "frontends/circle1/context.hpp"
#include "frontends/circle1/infer.hpp"
#include "pipeline/pipeline.hpp"
#include "util/diagnostic.hpp"

namespace drydock::circle1 {

// The phases in run order, each a group of the pipeline (same index).
// `artifacts` holds the step that copies general.artifacts at the end.
enum class Phase { machine, checkout, dependencies, database, compile, test, deployment, artifacts };
std::string_view phase_name(Phase phase);

// The phase a step of a lowered pipeline is in (its group's index).
Phase phase_of(const pipeline::Step& step);

// What in the config needs a Docker engine, for its error ("machine.services:
// docker"), or empty; and whether the database is the host's throwaway
// cluster (containers reach it through the bridge). Asked before a run takes
// its number, when there is no pipeline yet.
// `container` is --container's image, when given.
std::string engine_needed_by(const config::Config& config, const std::optional<std::string>& container = {});
bool uses_host_cluster(const config::Config& config);

// Every command of the config, with the deployment section given (if any).
// Edges: phases in order, and within a phase pre -> override -> post;
// inside a list each command waits for the one before it, unless it is
// `concurrent`, when it starts with it; `requires` adds edges (an unknown
// id is left to the config checks; an id in a deployment section this
// pipeline lacks is an error). A cycle is an error naming every step on it
// with its position.
// Policies, as CircleCI 1.0 had them: a failure stops the build, except in
// test, where every command still runs; deployment runs only after a green
// build.
// drydock's own steps run beside the phases: `image:NAME` for each
// drydock.images entry starts after checkout and the phases after
// dependencies wait for it; `postgresql` (the throwaway cluster or
// container) starts after machine and the database phase waits for it. A
// step that uses an image or the database waits for that step too.
// `service:NAME` steps start after machine, after the services they depend
// on; only the steps that list a service wait for it. The selected
// deployment section's `publish` entries become `publish:NAME` steps before
// its commands, which wait for them.
// The context gives the directories, the build's facts and variables; a
// default one is enough to find the errors.
// `inferred` (--infer): commands CircleCI would have run in phases without
// `override`, placed where override would be, as `PHASE.inferred[i]`.
pipeline::Pipeline lower(const config::Config& config, const BuildContext& context,
                         std::optional<std::size_t> deployment, Diagnostics& diags,
                         const std::vector<InferredPhase>& inferred = {});

} // namespace drydock::circle1

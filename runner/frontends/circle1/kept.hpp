#pragma once
// What a 1.0 build keeps beyond its run: dependencies.cache_directories,
// restored before the dependencies phase and saved after it, per branch as
// CircleCI kept them; general.artifacts, copied into $CIRCLE_ARTIFACTS at
// the end. Each becomes a shell step (in the build container when there is
// one, where ~ is the container's), placed by the lowering (lower.cpp).
#include <optional>
#include <vector>

#include "config/model.hpp"
#include "frontends/circle1/context.hpp"
#include "pipeline/pipeline.hpp"

namespace drydock::circle1 {

// The cache directories that start empty in this build, so that the cache
// is worth its copy: a path in the checkout when the checkout is fresh, a
// path under ~ or an absolute one in the build container. Elsewhere they
// stay in place on this machine from one run to the next.
std::vector<config::Text> directories_to_cache(const config::Config& config, const BuildContext& context);

// `cache:restore` and `cache:save` for these directories (not empty), in
// the given group. Restore takes the branch's archive, else the default
// branch's (master, main), else the newest of any branch; it unpacks only
// into a missing or empty directory. Save writes the branch's archive
// through a temporary file and a rename.
pipeline::Step cache_restore_step(const std::vector<config::Text>& dirs, const BuildContext& context,
                                  std::size_t group);
pipeline::Step cache_save_step(const std::vector<config::Text>& dirs, const BuildContext& context, std::size_t group);

// `artifacts`: each general.artifacts path copied into $CIRCLE_ARTIFACTS;
// nothing when the list is empty.
std::optional<pipeline::Step> artifacts_step(const config::General& general, const BuildContext& context,
                                             std::size_t group);

} // namespace drydock::circle1

#pragma once
// `drydock plan`: the DAG as it will run, and why the build and its optional
// parts (deployment sections) do or do not apply, as text, JSON or Graphviz DOT.
// Each step shows where it runs, its directory, the names of the variables
// it sets (never their values), its appended files and its no-output timeout.
#include <nlohmann/json.hpp>

#include <string>

#include "pipeline/pipeline.hpp"

namespace drydock::report {

// What the front end decided for this build, beside the pipeline itself.
struct PlanFacts {
  std::string file;
  std::vector<pipeline::Decision> build;      // whether the build runs at all: each check ("branches", ...)
  std::string choices_name;                   // "deployment"
  std::vector<pipeline::Decision> choices;    // which optional parts run
  std::vector<std::string> cache_directories; // kept between builds, image caches included
  std::string build_dir;                      // the directory shown as $build_dir in the steps' directories
  // What the format would have run by default, per group, and whether the
  // pipeline runs it (steps) or not (shown only).
  std::vector<pipeline::Decision> inferred; // name: the group; reason: the commands, "; "-joined
  bool inferred_run = false;
};

// The directory a step starts in as the plan shows it: its path as written,
// from its base: "$build_dir" (facts.build_dir), "~" (the home directory:
// the build container's for a step in it), "$WORKDIR" (the image's, for a
// step in its own image) or the base's path. An absolute path, ~/..., or a
// path starting with a variable is shown as it is; a relative one after its
// base ("$build_dir/api"). For drydock's own steps: where their paths are
// resolved from.
std::string shown_workdir(const pipeline::Step& step, const PlanFacts& facts);

std::string plan_text(const pipeline::Pipeline& pipeline, const PlanFacts& facts);
nlohmann::json plan_json(const pipeline::Pipeline& pipeline, const PlanFacts& facts);
std::string plan_dot(const pipeline::Pipeline& pipeline);

} // namespace drydock::report

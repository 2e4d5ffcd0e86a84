#pragma once
// `drydock plan`: the DAG as it will run, and why the build and its optional
// parts (deployment sections) do or do not apply, as text, JSON or Graphviz DOT.
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
};

std::string plan_text(const pipeline::Pipeline& pipeline, const PlanFacts& facts);
nlohmann::json plan_json(const pipeline::Pipeline& pipeline, const PlanFacts& facts);
std::string plan_dot(const pipeline::Pipeline& pipeline);

} // namespace drydock::report

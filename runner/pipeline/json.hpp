#pragma once
// The pipeline model as JSON and back: `drydock plan --format json` shows
// it, `drydock internal` receives a step's action in it, and the agent will
// store it. Every field is written; reading needs only "kind" in an action
// and takes defaults for what is missing.
#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include <string>

#include "pipeline/pipeline.hpp"

namespace drydock::pipeline {

nlohmann::json to_json(const Action& action);
tl::expected<Action, std::string> action_from_json(const nlohmann::json& json);

nlohmann::json to_json(const Step& step);
nlohmann::json to_json(const Pipeline& pipeline);
tl::expected<Pipeline, std::string> pipeline_from_json(const nlohmann::json& json);

std::string_view when_name(RunsWhen when);
std::string_view on_failure_name(OnFailure on_failure);

} // namespace drydock::pipeline

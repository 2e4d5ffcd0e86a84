// The pipeline model as JSON: what plan shows, internal receives and the
// agent will store must come back as it went.
#include <catch2/catch.hpp>

#include "pipeline/json.hpp"
#include "test_support.hpp"

using namespace drydock;

namespace {
constexpr const char* kConfig = R"(machine:
  services: [docker]
test:
  override:
    - pytest:
        pwd: src
        timeout: 90
        environment: {MODE: ci}
        files: ["tests/*.py"]
        drydock: {id: unit, image: app}
    - echo done: {background: true}
drydock:
  images:
    app: {repository: org/app, inputs: [requirements.txt], build_args: {PY: "3.11"}}
  services:
    cache: {image: redis:7, ports: [6379], ready: {log: "Ready to accept", timeout: 20}}
)";
} // namespace

TEST_CASE("a lowered pipeline survives the trip through JSON", "[pipeline][json]")
{
  const auto pipeline = test::lower(test::load(kConfig));
  const auto json = pipeline::to_json(pipeline);
  const auto back = pipeline::pipeline_from_json(nlohmann::json::parse(json.dump()));
  REQUIRE(back);
  CHECK(pipeline::to_json(*back) == json);
  REQUIRE(back->steps.size() == pipeline.steps.size());
  const auto found = std::find_if(back->steps.begin(), back->steps.end(),
                                  [](const auto& step) { return step.id == "unit"; });
  REQUIRE(found != back->steps.end());
  const auto& unit = *found;
  CHECK(unit.id == "unit");
  CHECK(unit.workdir.path == "src");
  CHECK(unit.no_output_timeout == 90);
  REQUIRE(unit.container);
  CHECK(unit.container->image == "app");
  const auto& shell = std::get<pipeline::ShellCommand>(unit.action);
  CHECK(shell.shell == std::vector<std::string>{"sh", "-c"});
  CHECK(shell.append_files == std::vector<std::string>{"tests/*.py"});
  CHECK(std::any_of(back->steps.begin(), back->steps.end(), [](const auto& step) { return step.background; }));
  CHECK(pipeline::policy_of(*back, unit).when == pipeline::RunsWhen::always);
  CHECK(back->engine_needed_by == "machine.services: docker");
  const auto archive = std::find_if(back->steps.begin(), back->steps.end(),
                                    [](const auto& step) { return step.id == "archive:app"; });
  REQUIRE(archive != back->steps.end());
  CHECK(std::get<pipeline::ImageArchive>(archive->action).image.inputs == std::vector<std::string>{"requirements.txt"});
}

TEST_CASE("a broken pipeline document is refused with a reason", "[pipeline][json]")
{
  CHECK(pipeline::pipeline_from_json(nlohmann::json::parse(R"({"steps": [{"id": "a", "action": {"kind": "x"}}]})"))
            .error()
        == "step 'a': unknown action kind 'x'");
  CHECK(pipeline::pipeline_from_json(nlohmann::json::parse(R"({"steps": [{"id": "a", "action": {"kind": "shell"}}]})"))
            .error()
        == "step 'a': no group 0");
  const auto self_loop = R"({"groups": [{"name": "g"}],
                             "steps": [{"id": "a", "deps": [0], "action": {"kind": "shell"}}]})";
  CHECK(pipeline::pipeline_from_json(nlohmann::json::parse(self_loop)).error()
        == "step 'a': waits for step 0, which is not another step");
  CHECK(pipeline::pipeline_from_json(nlohmann::json::parse(R"({"steps": 3})")).error().starts_with("bad pipeline: "));
  const auto cycle = R"({"groups": [{"name": "g"}], "steps": [{"id": "a", "deps": [1], "action": {"kind": "shell"}},
                                                              {"id": "b", "deps": [0], "action": {"kind": "shell"}}]})";
  CHECK(pipeline::pipeline_from_json(nlohmann::json::parse(cycle)).error()
        == "step 'a' waits for itself through a cycle");
  CHECK(pipeline::action_from_json(nlohmann::json::parse(R"({"kind": "shell", "shell": []})")).error()
        == "a shell action needs a shell to run its script");
  CHECK(pipeline::action_from_json(nlohmann::json::parse(R"({"kind": "database", "database": {"provider": "bogus"}})"))
            .error()
        == "bad action: unknown value 'bogus'");
  const auto bad_policy = R"({"groups": [{"name": "g", "policy": {"when": "sometimes"}}]})";
  CHECK(pipeline::pipeline_from_json(nlohmann::json::parse(bad_policy)).error()
        == "bad pipeline: unknown value 'sometimes'");
}

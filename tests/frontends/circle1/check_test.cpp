// validate, plan and run share one check: the config's own problems and
// those of the step graph of every deployment choice.
#include <catch2/catch.hpp>

#include "frontends/circle1/check.hpp"
#include "test_support.hpp"

using namespace drydock;
using Lines = std::vector<std::string>;

namespace {
Lines pipeline_messages(const std::string& yaml)
{
  return test::messages(circle1::validate_pipeline("circle.yml", yaml).diagnostics);
}
} // namespace

TEST_CASE("a requires cycle is a validate error", "[circle1][check]")
{
  CHECK(pipeline_messages("test:\n  override:\n    - a:\n        drydock: {id: a, requires: [b]}\n"
                          "    - b:\n        drydock: {id: b}\n")
        == Lines{"3:7: error: dependency cycle: a (circle.yml:3:7) -> b (circle.yml:5:7) -> a (circle.yml:3:7)"});
}

TEST_CASE("an image used before drydock can make it is a validate error", "[circle1][check]")
{
  CHECK(pipeline_messages("machine:\n  pre:\n    - early:\n        drydock: {image: app}\n"
                          "drydock:\n  images:\n    app: {repository: org/app}\n")
        == Lines{"3:7: error: 'machine.pre[0]' runs in machine, before drydock makes image 'app' ready "
                 "(step 'image:app'); use it from a later phase"});
}

TEST_CASE("a cycle through one deployment section is found though no branch selects it", "[circle1][check]")
{
  // test waits for `release`, which runs after test: a cycle only in the
  // builds that run the `prod` section.
  CHECK(pipeline_messages("test:\n  override:\n    - check:\n        drydock: {id: check, requires: [release]}\n"
                          "deployment:\n  staging:\n    branch: dev\n    commands: [./stage]\n"
                          "  prod:\n    branch: master\n    commands:\n      - ./release:\n"
                          "          drydock: {id: release}\n")
        == Lines{"3:7: error: dependency cycle: check (circle.yml:3:7) -> release (circle.yml:12:9) -> check "
                 "(circle.yml:3:7)",
                 "4:41: error: step id 'release' is in deployment section 'prod', which does not run in every "
                 "build; a step outside that section cannot require it"});
}

TEST_CASE("an error in every section's graph is reported once", "[circle1][check]")
{
  CHECK(pipeline_messages("test:\n  override:\n    - a:\n        drydock: {id: a, requires: [b]}\n"
                          "    - b:\n        drydock: {id: b, requires: [a]}\n"
                          "deployment:\n  one:\n    branch: x\n    commands:\n      - c:\n          drydock: {id: c}\n"
                          "  two:\n    branch: y\n    commands:\n      - d:\n          drydock: {id: d}\n")
        == Lines{"3:7: error: dependency cycle: a (circle.yml:3:7) -> b (circle.yml:5:7) -> a (circle.yml:3:7)"});
}

TEST_CASE("an unknown step id is reported once, by the config checks", "[circle1][check]")
{
  CHECK(pipeline_messages("test:\n  override:\n    - a:\n        drydock: {requires: [nope]}\n")
        == Lines{"4:30: error: unknown step id 'nope'; none is declared"});
}

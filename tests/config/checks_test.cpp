// Semantic checks: rules a schema cannot express.
#include <catch2/catch.hpp>

#include "test_support.hpp"

using drydock::test::validate_messages;
using Messages = std::vector<std::string>;

TEST_CASE("requires must name a step id, with a suggestion", "[checks]")
{
  CHECK(validate_messages(R"(test:
  override:
    - make lint:
        drydock: {id: lint}
    - make test:
        drydock: {requires: [lnt]}
)") == Messages{"6:30: error: unknown step id 'lnt'; did you mean 'lint'?"});
}

TEST_CASE("step ids are unique across phases", "[checks]")
{
  CHECK(validate_messages(R"(dependencies:
  override:
    - a:
        drydock: {id: x}
test:
  override:
    - b:
        drydock: {id: x}
)") == Messages{"8:23: error: step id 'x' is already used at line 4, column 23"});
}

TEST_CASE("a step image must be declared", "[checks]")
{
  CHECK(validate_messages("test:\n  override:\n    - t:\n        drydock: {image: app}\n")
        == Messages{"4:26: error: unknown image 'app'; none is declared"});
}

TEST_CASE("a database step needs a database declared somewhere", "[checks]")
{
  const std::string step = "test:\n  override:\n    - t:\n        drydock: {database: true}\n";
  CHECK(validate_messages(step)
        == Messages{"3:7: error: the step asks for the database, but neither 'drydock.database' nor "
                    "'machine.services: [postgresql]' declares one"});
  CHECK(validate_messages(step + "machine:\n  services: [postgresql]\n").empty());
  CHECK(validate_messages(step + "drydock:\n  database: {databases: [t]}\n").empty());
}

TEST_CASE("deployment sections need a trigger and something to run", "[checks][deployment]")
{
  CHECK(validate_messages("deployment:\n  prod:\n    commands: [x]\n")
        == Messages{"2:3: error: deployment section 'prod' needs a 'branch' or a 'tag' to say when it runs"});
  CHECK(validate_messages("deployment:\n  prod:\n    branch: master\n")
        == Messages{"2:3: error: deployment section 'prod' has nothing to run (no 'commands', 'heroku' or "
                    "'drydock.publish')"});
}

TEST_CASE("parallel: true is refused in deployment only", "[checks][deployment]")
{
  CHECK(validate_messages("deployment:\n  prod:\n    branch: master\n    commands:\n      - x:\n          parallel: "
                          "true\n")
        == Messages{"5:9: error: 'parallel: true' is not allowed in deployment commands"});
  CHECK(validate_messages("test:\n  override:\n    - x:\n        parallel: true\n").empty());
}

TEST_CASE("services: unknown dependencies and cycles", "[checks][services]")
{
  CHECK(validate_messages(R"(drydock:
  services:
    a: {image: i, depends_on: [b]}
    b: {image: i, depends_on: [c]}
    c: {image: i, depends_on: [a, d]}
)")
        == Messages{"3:5: error: services depend on each other in a cycle: a -> b -> c -> a",
                    "5:35: error: unknown service 'd'"}); // sorted by position
}

TEST_CASE("database provider options must fit the provider", "[checks][database]")
{
  CHECK(validate_messages("drydock:\n  database:\n    provider: url\n")
        == Messages{"3:5: error: 'drydock.database' with provider 'url' needs a 'url'"});
  CHECK(validate_messages("drydock:\n  database:\n    url: postgres://h/\n")
        == Messages{"3:10: error: 'url' is only used with 'provider: url'"});
  CHECK(validate_messages("drydock:\n  database:\n    provider: url\n    url: postgres://h/\n").empty());
}

TEST_CASE("publish needs a known image and a version for semver or latest", "[checks][publish]")
{
  CHECK(validate_messages("drydock:\n  publish:\n    hub: {image: app, latest: true}\n")
        == Messages{"3:5: error: publish entry 'hub' uses 'semver' or 'latest', which need a 'version'",
                    "3:18: error: unknown image 'app'; none is declared"});
}

TEST_CASE("${ without its closing brace is caught in environment values", "[checks][env]")
{
  CHECK(validate_messages("machine:\n  environment:\n    A: \"${HOME\"\n    B: \"$HOME and ${PATH}\"\n")
        == Messages{"3:5: error: 'A' has '${' without a closing '}'"});
}

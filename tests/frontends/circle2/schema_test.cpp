// schema/circleci2.schema.json, the shape of a 2.x config for editors,
// agrees with the 2.x front end on real configs: the ones drydock runs
// pass it, and the shapes it refuses are refused there too.
#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>

#include "config/schema.hpp"
#include "config/yaml_tree.hpp"
#include "frontends/circle2/load.hpp"
#include "test_support.hpp"

using namespace drydock;

namespace {

const config::SchemaValidator& circle2_schema()
{
  static const config::SchemaValidator validator(test::read_text(DRYDOCK_CIRCLE2_SCHEMA_PATH));
  return validator;
}

// The schema's issues with a config's text, as "path: message" lines.
std::vector<std::string> schema_issues(const std::string& text)
{
  const SourceFile source("config.yml", text);
  Diagnostics diags;
  const auto root = config::parse_yaml(source, diags);
  REQUIRE(root != nullptr);
  config::PathIndex index(*root);
  std::vector<std::string> lines;
  for (const auto& issue : circle2_schema().validate(*root)) {
    lines.push_back(index.format(issue.path));
    UNSCOPED_INFO(index.format(issue.path) << ": " << issue.message);
  }
  return lines;
}

std::vector<std::filesystem::path> configs_drydock_runs()
{
  const std::filesystem::path tests = DRYDOCK_TEST_DIR;
  std::vector<std::filesystem::path> files = {tests / "circle2/webapp/.circleci/config.yml",
                                              tests / "circle2/reuse/config.yml", tests / "circle2/caches/config.yml"};
  for (const auto& entry : std::filesystem::directory_iterator(tests / "corpus/circle2")) {
    files.push_back(entry.path());
  }
  return files;
}

} // namespace

TEST_CASE("the configs drydock runs pass the 2.x schema", "[circle2][schema]")
{
  for (const auto& file : configs_drydock_runs()) {
    INFO(file.string());
    const std::string text = test::read_text(file);
    REQUIRE_FALSE(circle2::validate_text(file.string(), text).diagnostics.has_errors());
    CHECK(schema_issues(text).empty());
  }
}

TEST_CASE("the 2.x schema refuses the shapes the front end refuses", "[circle2][schema]")
{
  using Lines = std::vector<std::string>;
  CHECK(schema_issues("version: 2.1\njobs:\n  build:\n    docker: [{image: a}]\n") == Lines{"jobs.build"});
  CHECK(schema_issues("version: 3\njobs: {}\n") == Lines{"version"});
  CHECK(schema_issues("version: 2.1\njobs:\n  b:\n    machine: true\n    steps:\n      - run: {name: x}\n")
        == Lines{"jobs.b.steps[0].run"});
  CHECK(schema_issues("version: 2.1\njobs:\n  b:\n    machine: true\n    steps:\n      - run: x\n        name: y\n")
        == Lines{"jobs.b.steps[0]", "jobs.b.steps[0].name"});
  CHECK(schema_issues("version: 2.1\njobs:\n  b:\n    machine: true\n    steps: [checkout]\n"
                      "    docker: [{name: x}]\n")
        == Lines{"jobs.b.docker[0]"});
  CHECK(schema_issues("version: 2.1\nparameters:\n  p: {default: 1}\njobs: {}\n") == Lines{"parameters.p"});
  CHECK(schema_issues("version: 2.1\njobs: {}\nworkflows:\n  w:\n    jobs:\n      - b: {type: manual}\n")
        == Lines{"workflows.w.jobs[0].b.type"});
  CHECK(schema_issues("version: 2.1\njobs: {}\nworkflows:\n  w:\n    when: {nand: [a]}\n    jobs: [b]\n")
        == Lines{"workflows.w.when"});
  CHECK(schema_issues("version: 2.1\njobs:\n  b:\n    machine: true\n    steps:\n      - restore_cache: {name: x}\n")
        == Lines{"jobs.b.steps[0].restore_cache"});
  CHECK(schema_issues("version: 2.1\njobs: {}\nworkflows:\n  w:\n    triggers: []\n    jobs: [b]\n")
        == Lines{"workflows.w.triggers"});
  // (A cron's five fields are a pattern: for editors; drydock's own check is the front end's.)
  CHECK(schema_issues("version: 2.1\njobs: {}\nworkflows:\n  w:\n    triggers:\n      - schedule: {cron: '0 0 * * *', "
                      "filters: {tags: {only: v1}}}\n    jobs: [b]\n")
        == Lines{"workflows.w.triggers[0].schedule.filters"});
  // (An orb's reference is a pattern: for editors; drydock's own check is the front end's.)
  CHECK(schema_issues("version: 2.1\norbs:\n  node: 7\n  ok: circleci/node@5.1\njobs: {}\n") == Lines{"orbs.node"});
  CHECK(schema_issues("version: 2.1\norbs:\n  o:\n    comands: {}\njobs: {}\n") == Lines{"orbs.o"});
  CHECK(schema_issues("version: 2.1\norbs:\n  o:\n    orbs: {i: [x]}\n    commands: {c: {steps: [checkout]}}\njobs: "
                      "{}\n")
        == Lines{"orbs.o.orbs.i"});
}

TEST_CASE("a config with orbs, and the orbs it reads from its cache, pass the 2.x schema", "[circle2][schema]")
{
  const std::filesystem::path orbs = std::filesystem::path(DRYDOCK_TEST_DIR) / "circle2/orbs";
  CHECK(schema_issues(test::read_text(orbs / "config.yml")).empty());
  // A registry orb's packed source has an orb's shape: the config's `orbs:` entry, written inline.
  for (const auto* orb : {"orb-cache/acme/pytest@1.2.3.yml", "orb-cache/acme/notify@0.3.1.yml"}) {
    INFO(orb);
    std::string inline_orb = "version: 2.1\njobs: {}\norbs:\n  it:\n";
    std::istringstream lines(test::read_text(orbs / orb));
    for (std::string line; std::getline(lines, line);) {
      inline_orb += "    " + line + "\n";
    }
    CHECK(schema_issues(inline_orb).empty());
  }
}

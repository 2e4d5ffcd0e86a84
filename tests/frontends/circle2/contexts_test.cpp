// CircleCI 2.x contexts: a workflow entry's `context` as the loader reads
// it, and the variables its job's steps get from the contexts the command
// line read (the rest of the pipeline never sees them).
#include <catch2/catch.hpp>

#include "frontends/circle2/lower.hpp"
#include "lower_support.hpp"

using namespace drydock;
using Lines = std::vector<std::string>;
using test::env_lines;
using test::step_by_id;

namespace {

Lines problems(const std::string& yaml) { return test::problems_of(yaml); }

Lines names(const std::vector<config::Text>& texts)
{
  Lines out;
  for (const auto& text : texts) {
    out.push_back(fmt::format("{}@{}:{}", text.value, text.pos.line, text.pos.column));
  }
  return out;
}

// Two machine jobs; `deploy` (its entry from line 12) requires `test`.
std::string config_with(const std::string& deploy_entry)
{
  return R"(version: 2.1
jobs:
  test:
    machine: true
    steps: [{run: "true"}]
  deploy:
    machine: true
    environment: {REGION: job}
    steps: [{run: {command: "true", environment: {STAGE: step}}}]
workflows:
  main:
    jobs:
      - test
)" + deploy_entry;
}

circle2::LowerContext with_contexts()
{
  circle2::LowerContext context;
  context.checkout_dir = "/src";
  context.build = pipeline::Build{3, "abc123", "main", "", "acme"};
  context.contexts_dir = "/home/u/.config/drydock/contexts";
  context.contexts = {{"org", {{"TOKEN", "org-token"}, {"REGION", "org"}, {"STAGE", "org"}, {"CIRCLE_JOB", "x"}}},
                      {"aws", {{"TOKEN", "aws-$ecret"}, {"AWS_KEY", "k"}}}};
  return context;
}

} // namespace

TEST_CASE("context is a name or a list of names, kept with their positions", "[circle2][contexts]")
{
  auto one = circle2::validate_text(".circleci/config.yml", config_with("      - deploy: {context: org}\n"));
  REQUIRE(one.diagnostics.all().empty());
  CHECK(names(one.config.workflows.at(0).jobs.at(1).contexts) == Lines{"org@14:27"});
  auto two = circle2::validate_text(".circleci/config.yml", config_with("      - deploy:\n          context: [org, "
                                                                        "aws]\n"));
  REQUIRE(two.diagnostics.all().empty());
  CHECK(names(two.config.workflows.at(0).jobs.at(1).contexts) == Lines{"org@15:21", "aws@15:26"});
  CHECK(circle2::contexts_named(two.config) == Lines{"org", "aws"});
  CHECK(two.config.workflows.at(0).jobs.at(0).contexts.empty());
}

TEST_CASE("a context name that could leave the contexts folder is an error where it is written", "[circle2][contexts]")
{
  CHECK(problems(config_with("      - deploy: {context: [org, ../secrets, .hidden, 'a\\b']}\n"))
        == Lines{"14:33: error: 'workflows.main.jobs[1].deploy.context': the context name '../secrets' cannot name a "
                 "file of variables (no '/', '\\', control characters or leading '.')",
                 "14:45: error: 'workflows.main.jobs[1].deploy.context': the context name '.hidden' cannot name a "
                 "file of variables (no '/', '\\', control characters or leading '.')",
                 "14:54: error: 'workflows.main.jobs[1].deploy.context': the context name 'a\\b' cannot name a file "
                 "of variables (no '/', '\\', control characters or leading '.')"});
  CHECK(problems(config_with("      - deploy: {context: {name: org}}\n")).size() == 1);
}

TEST_CASE("a job's steps get its contexts' variables under its own; a later context wins; other jobs get none",
          "[circle2][contexts]")
{
  const auto lowered = test::lowered_with(config_with("      - deploy: {context: [org, aws], requires: [test]}\n"),
                                          with_contexts());
  CHECK(lowered->diags.all().empty());
  // CircleCI's order: the context's values, under the built-in CIRCLE_* ones, the job's and the step's.
  CHECK(env_lines(step_by_id(lowered->pipeline, "deploy/1").environment)
        == Lines{"TOKEN=aws-\\$ecret", "AWS_KEY=k", "CIRCLE_JOB=deploy", "CIRCLE_NODE_INDEX=0", "CIRCLE_NODE_TOTAL=1",
                 "REGION=job", "STAGE=step"});
  CHECK(env_lines(step_by_id(lowered->pipeline, "test/1").environment)
        == Lines{"CIRCLE_JOB=test", "CIRCLE_NODE_INDEX=0", "CIRCLE_NODE_TOTAL=1"});
  CHECK(lowered->pipeline.environment.empty()); // nothing pipeline-wide
}

TEST_CASE("a context the command line has no file for: an error for a run, a warning for a plan, nothing for a "
          "job that does not run",
          "[circle2][contexts]")
{
  const auto config = config_with("      - deploy: {context: [org, gcp], requires: [test]}\n");
  const std::string message = "14:33: {}: job 'deploy' needs the context 'gcp', which has no file here: write its "
                              "variables to /home/u/.config/drydock/contexts/gcp.env (NAME=value lines), or name "
                              "another folder with --contexts DIR{}";
  CHECK(test::messages(test::lowered_with(config, with_contexts())->diags)
        == Lines{fmt::format(fmt::runtime(message), "error", "")});
  auto planning = with_contexts();
  planning.contexts_optional = true;
  CHECK(test::messages(test::lowered_with(config, planning)->diags)
        == Lines{fmt::format(fmt::runtime(message), "warning", "; a run would stop here")});
  const circle2::Selection test_only{std::nullopt, "test", false, {}};
  CHECK(test::lowered_with(config, with_contexts(), test_only)->diags.all().empty());
}

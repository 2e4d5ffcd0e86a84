// The plan alone, driven by hand as ninja's PlanTest does: no processes.
#include <catch2/catch.hpp>

#include "plan/plan.hpp"
#include "test_support.hpp"

using namespace drydock;
using plan::StepStatus;

namespace {

struct Fixture {
  explicit Fixture(const std::string& yaml, std::optional<std::size_t> deployment = std::nullopt)
    : config(test::load(yaml))
  {
    Diagnostics diags;
    graph = circle1::lower(config, {}, deployment, diags);
    REQUIRE_FALSE(diags.has_errors());
  }
  config::Config config;
  pipeline::Pipeline graph;
};

std::vector<std::string> names(const pipeline::Pipeline& graph, const std::vector<std::size_t>& steps)
{
  std::vector<std::string> out;
  for (const auto step : steps) {
    out.push_back(graph.steps[step].name);
  }
  return out;
}

// Starts everything ready, returning what started.
std::vector<std::size_t> start_all(plan::Plan& plan)
{
  std::vector<std::size_t> started;
  while (plan.has_ready()) {
    started.push_back(plan.start_next());
  }
  return started;
}

} // namespace

TEST_CASE("steps become ready only when everything they wait for is done", "[plan]")
{
  Fixture f("test:\n  override: [a, b]\n");
  plan::Plan plan(f.graph);
  CHECK(names(f.graph, start_all(plan)) == std::vector<std::string>{"test.override[0]"});
  CHECK_FALSE(plan.has_ready());
  plan.finished(0, true);
  CHECK(names(f.graph, start_all(plan)) == std::vector<std::string>{"test.override[1]"});
  plan.finished(1, true);
  CHECK(plan.done());
  CHECK_FALSE(plan.any_failed());
}

TEST_CASE("the ready queue starts the longest remaining path first", "[plan]")
{
  // Four concurrent chains of different lengths, as ids with requires.
  Fixture f(R"(test:
  override:
    - s1:
        drydock: {id: s1}
    - l1:
        drydock: {id: l1, concurrent: true}
    - l2:
        drydock: {id: l2, concurrent: true, requires: [l1]}
    - l3:
        drydock: {id: l3, concurrent: true, requires: [l2]}
)");
  plan::Plan plan(f.graph);
  CHECK(plan.critical_path(1) == 3);
  CHECK(plan.critical_path(0) == 1);
  CHECK(f.graph.steps[plan.start_next()].name == "l1");
  CHECK(f.graph.steps[plan.start_next()].name == "s1");
}

TEST_CASE("a failure in a setup phase stops the build; running steps still finish", "[plan]")
{
  Fixture f(R"(dependencies:
  override:
    - a
    - b:
        drydock: {concurrent: true}
    - c
test:
  override: [t]
)");
  plan::Plan plan(f.graph);
  CHECK(start_all(plan).size() == 2); // a and b together
  plan.finished(0, false);
  CHECK_FALSE(plan.has_ready());
  CHECK(plan.running_count() == 1);
  plan.finished(1, true); // b was running and is recorded
  CHECK(plan.done());
  plan.close("not reached");
  CHECK(plan.status(0) == StepStatus::failed);
  CHECK(plan.status(1) == StepStatus::succeeded);
  CHECK(plan.status(2) == StepStatus::skipped);
  CHECK(plan.skip_reason(2) == "not started: 'dependencies.override[0]' failed");
  CHECK(plan.status(3) == StepStatus::skipped);
  CHECK(plan.any_failed());
}

TEST_CASE("in test every command runs after a failure, and deployment is skipped", "[plan]")
{
  Fixture f("test:\n  override: [a, b]\n  post: [c]\ndeployment:\n  d:\n    branch: master\n    commands: [x, y]\n", 0);
  plan::Plan plan(f.graph);
  plan.finished(plan.start_next(), false);
  REQUIRE(plan.has_ready());
  plan.finished(plan.start_next(), true);
  REQUIRE(plan.has_ready());
  CHECK(f.graph.steps[plan.start_next()].name == "test.post[0]");
  plan.finished(2, true);
  CHECK(plan.done());
  plan.close("not reached");
  CHECK(plan.status(3) == StepStatus::skipped);
  CHECK(plan.skip_reason(3) == "deployment runs only after a green build");
  CHECK(plan.status(4) == StepStatus::skipped);
}

TEST_CASE("deployment runs after a green build and stops at its first failure", "[plan]")
{
  Fixture f("test:\n  override: [a]\ndeployment:\n  d:\n    branch: master\n    commands: [x, y]\n", 0);
  plan::Plan plan(f.graph);
  plan.finished(plan.start_next(), true);
  REQUIRE(plan.has_ready());
  plan.finished(plan.start_next(), false);
  CHECK(plan.done());
  plan.close("not reached");
  CHECK(plan.status(2) == StepStatus::skipped);
  CHECK(plan.skip_reason(2) == "not started: 'deployment.d.commands[0]' failed");
}

TEST_CASE("stop() (an interrupt) starts nothing new", "[plan]")
{
  Fixture f("test:\n  override: [a, b]\n");
  plan::Plan plan(f.graph);
  plan.start_next();
  plan.stop("interrupted", false);
  plan.finished(0, true);
  CHECK_FALSE(plan.has_ready());
  CHECK(plan.done());
  plan.close("not reached");
  CHECK(plan.skip_reason(1) == "not started: interrupted");
}

TEST_CASE("general.artifacts: a finally step after every other, even when a failure stopped the build", "[plan]")
{
  Fixture f("dependencies:\n  override: [a, b]\ntest:\n  override: [t]\ngeneral:\n  artifacts: [out]\n");
  REQUIRE(f.graph.steps.back().name == "artifacts");
  const std::size_t artifacts = f.graph.steps.size() - 1;
  CHECK(f.graph.steps[artifacts].deps == std::vector<std::size_t>{2}); // the last step, so every other too
  SECTION("after a green build")
  {
    plan::Plan plan(f.graph);
    for (std::size_t step = 0; step < artifacts; ++step) {
      REQUIRE(plan.has_ready());
      plan.finished(plan.start_next(), true);
    }
    REQUIRE(plan.has_ready());
    CHECK(plan.start_next() == artifacts);
  }
  SECTION("after a failure that stopped the build")
  {
    plan::Plan plan(f.graph);
    plan.finished(plan.start_next(), false); // dependencies.override[0]
    REQUIRE(plan.has_ready());
    CHECK(plan.start_next() == artifacts);
    plan.finished(artifacts, true);
    CHECK(plan.done());
    plan.close("not reached");
    CHECK(plan.status(1) == StepStatus::skipped);
    CHECK(plan.skip_reason(1) == "not started: 'dependencies.override[0]' failed");
    CHECK(plan.skip_reason(2) == "not started: 'dependencies.override[0]' failed");
    CHECK(plan.status(artifacts) == StepStatus::succeeded);
  }
  SECTION("not after an interrupt")
  {
    plan::Plan plan(f.graph);
    plan.start_next();
    plan.stop("interrupted", false);
    plan.finished(0, false);
    CHECK_FALSE(plan.has_ready());
    CHECK(plan.done());
    plan.close("not reached");
    CHECK(plan.skip_reason(artifacts) == "not started: interrupted");
  }
  SECTION("an interrupt after a failure takes the finally step off the queue")
  {
    plan::Plan plan(f.graph);
    plan.finished(plan.start_next(), false);
    REQUIRE(plan.has_ready());
    plan.stop("interrupted", false);
    CHECK_FALSE(plan.has_ready());
  }
}

namespace {
constexpr const char* kArchived = R"(dependencies:
  override: [d]
test:
  override:
    - t:
        drydock: {image: app}
drydock:
  images:
    app: {repository: org/app}
)";
} // namespace

TEST_CASE("an image's archive step starts with the steps that use the image, after them among equals", "[plan]")
{
  Fixture f(kArchived); // image:app, dependencies.override[0], test.override[0], archive:app
  plan::Plan plan(f.graph);
  CHECK(names(f.graph, start_all(plan)) == std::vector<std::string>{"image:app", "dependencies.override[0]"});
  plan.finished(0, true);
  plan.finished(1, true);
  // Both ready at once: the test first (a tie on the critical path goes to the earlier step).
  CHECK(names(f.graph, start_all(plan)) == std::vector<std::string>{"test.override[0]", "archive:app"});
}

TEST_CASE("a failed test does not stop the archive step; a failure that stops the build lets it finish", "[plan]")
{
  Fixture f(kArchived);
  plan::Plan plan(f.graph);
  start_all(plan);
  plan.finished(0, true); // image:app
  SECTION("the test fails while the archive is written")
  {
    plan.finished(1, true);
    start_all(plan);
    plan.finished(2, false);
    CHECK(plan.running_count() == 1); // archive:app goes on
    plan.finished(3, true);
    CHECK(plan.status(3) == StepStatus::succeeded);
  }
  SECTION("dependencies fails while the archive is written")
  {
    CHECK(names(f.graph, start_all(plan)) == std::vector<std::string>{"archive:app"});
    plan.finished(1, false); // stops the build
    CHECK(plan.running_count() == 1);
    plan.finished(3, true);
    CHECK(plan.status(3) == StepStatus::succeeded);
    plan.close("not reached");
    CHECK(plan.status(2) == StepStatus::skipped);
  }
  SECTION("a failed archive step stops nothing")
  {
    plan.finished(1, true);
    start_all(plan);
    plan.finished(3, false);
    CHECK(plan.running_count() == 1);
    plan.finished(2, true);
    CHECK(plan.status(2) == StepStatus::succeeded);
  }
  CHECK(plan.done());
}

namespace {

// Two jobs as the 2.x front end writes them: a's steps a1 -> a2 -> a3 and
// its finally step a-stop; b waits for a3, a's last step.
pipeline::Pipeline halting_jobs()
{
  pipeline::Pipeline p;
  const pipeline::Policy job{pipeline::RunsWhen::on_success, pipeline::OnFailure::continue_build, ""};
  p.groups = {{"a", "job", job}, {"b", "job", job}};
  const auto add = [&p](const std::string& id, std::size_t group, std::vector<std::size_t> deps,
                        pipeline::RunsWhen when) {
    pipeline::Step step;
    step.id = id;
    step.name = id;
    step.group = group;
    step.index = p.steps.size();
    step.deps = std::move(deps);
    step.policy = pipeline::Policy{when, pipeline::OnFailure::skip_dependants, ""};
    p.steps.push_back(std::move(step));
  };
  add("a1", 0, {}, pipeline::RunsWhen::on_success);
  add("a2", 0, {0}, pipeline::RunsWhen::on_success);
  add("a3", 0, {1}, pipeline::RunsWhen::always);
  add("a-stop", 0, {2}, pipeline::RunsWhen::finally);
  add("b1", 1, {2}, pipeline::RunsWhen::on_success);
  return p;
}

} // namespace

TEST_CASE("a step that halts its group: the group's later steps are skipped as passed, its finally step and what "
          "waits for the group run",
          "[plan]")
{
  const auto p = halting_jobs();
  plan::Plan plan(p);
  CHECK(names(p, start_all(plan)) == std::vector<std::string>{"a1"});
  plan.finished_halting_group(0, "'a1' halted its job");
  CHECK(plan.status(0) == StepStatus::succeeded);
  for (const std::size_t later : {1, 2}) { // even the always step
    CHECK(plan.status(later) == StepStatus::skipped);
    CHECK(plan.skip_reason(later) == "'a1' halted its job");
  }
  CHECK(names(p, start_all(plan)) == std::vector<std::string>{"a-stop", "b1"});
  plan.finished(3, true);
  plan.finished(4, true);
  CHECK(plan.done());
  CHECK_FALSE(plan.any_failed());
}

TEST_CASE("a failure skips the group's later steps so that what waits for the group does not run", "[plan]")
{
  // The same jobs failing instead: the contrast the halt must not fall into.
  const auto p = halting_jobs();
  plan::Plan plan(p);
  start_all(plan);
  plan.finished(0, false);
  CHECK(plan.status(1) == StepStatus::skipped);
  CHECK(plan.status(2) == StepStatus::skipped); // its steps skip their dependants
  CHECK(names(p, start_all(plan)) == std::vector<std::string>{"a-stop"});
  CHECK(plan.status(4) == StepStatus::skipped);
  CHECK(plan.skip_reason(4) == "'a1' failed");
}

// The scheduler loop over the fake runner: policies, interrupts and start
// failures, with no process in sight.
#include <catch2/catch.hpp>

#include "exec/build.hpp"
#include "exec/fake_step_runner.hpp"

using namespace drydock;
using Strings = std::vector<std::string>;
using pipeline::OnFailure;
using pipeline::RunsWhen;

namespace {

struct Recorder : plan::RunObserver {
  void step_started(const pipeline::Step& step) override { events.push_back("start " + step.id); }
  void step_finished(const pipeline::Step& step, const plan::StepOutcome& outcome) override
  {
    events.push_back(std::string(plan::status_name(outcome.status)) + " " + step.id);
  }
  void interrupted() override { events.push_back("interrupted"); }
  Strings events;
};

struct StepSpec {
  std::string id;
  std::vector<std::size_t> deps;
  std::size_t group = 0;
  std::optional<pipeline::Policy> policy;
};

pipeline::Pipeline make(std::vector<pipeline::Group> groups, const std::vector<StepSpec>& specs)
{
  pipeline::Pipeline pipeline;
  pipeline.groups = std::move(groups);
  for (const auto& spec : specs) {
    pipeline::Step step;
    step.index = pipeline.steps.size();
    step.id = spec.id;
    step.name = spec.id;
    step.group = spec.group;
    step.action = pipeline::ShellCommand{"true", {"sh", "-c"}, {}};
    step.workdir.base = "/";
    step.deps = spec.deps;
    step.policy = spec.policy;
    pipeline.steps.push_back(step);
  }
  return pipeline;
}

struct Run {
  plan::BuildResult result;
  Strings events;
  Strings started;
  int aborts = 0;
  int shutdowns = 0;
};

Run run(const pipeline::Pipeline& pipeline, const std::map<std::string, int>& codes, std::size_t capacity = 1,
        std::optional<std::size_t> interrupt_after = std::nullopt)
{
  test::FakeStepRunner runner(pipeline, capacity);
  for (const auto& [id, code] : codes) {
    runner.exit_code(id, code);
  }
  if (interrupt_after) {
    runner.interrupt_after(*interrupt_after);
  }
  Recorder recorder;
  exec::RunContext context;
  Run out;
  out.result = exec::run_build(pipeline, context, runner, recorder);
  out.events = recorder.events;
  out.started = runner.started;
  out.aborts = runner.aborts;
  out.shutdowns = runner.shutdowns;
  return out;
}

const pipeline::Group kStops{"build", "job", {RunsWhen::on_success, OnFailure::stop_build, ""}};

} // namespace

TEST_CASE("a failure that stops the build: nothing new starts and the rest is skipped", "[exec][build]")
{
  const auto pipeline = make({kStops}, {{"a", {}}, {"b", {0}}, {"c", {1}}});
  const auto out = run(pipeline, {{"a", 3}});
  CHECK(out.events == Strings{"start a", "failed a"});
  CHECK(out.result.failed);
  CHECK(out.result.steps[0].exit_code == 3);
  CHECK(out.result.steps[1].status == plan::StepStatus::skipped);
  CHECK(out.result.steps[1].message == "not started: 'a' failed");
  CHECK(out.result.steps[2].message == "not started: 'a' failed");
  CHECK(out.shutdowns == 1);
}

TEST_CASE("a group that goes on: later steps run or skip by their RunsWhen", "[exec][build]")
{
  const pipeline::Group goes_on{"test", "phase", {RunsWhen::always, OnFailure::continue_build, ""}};
  const pipeline::Policy on_success{RunsWhen::on_success, OnFailure::stop_build, "runs only after a green build"};
  const pipeline::Policy on_failure{RunsWhen::on_failure, OnFailure::continue_build, ""};
  const auto pipeline = make({goes_on},
                             {{"a", {}}, {"b", {0}}, {"deploy", {1}, 0, on_success}, {"notify", {1}, 0, on_failure}});
  const auto out = run(pipeline, {{"a", 1}});
  CHECK(out.started == Strings{"a", "b", "notify"});
  CHECK(out.result.steps[2].message == "runs only after a green build");
  CHECK(out.result.failed);

  const auto green = run(pipeline, {});
  CHECK(green.started == Strings{"a", "b", "deploy"});
  CHECK(green.result.steps[3].message == "runs only after a failure");
  CHECK_FALSE(green.result.failed);
}

TEST_CASE("a failure that skips its dependants leaves the other branches running", "[exec][build]")
{
  const pipeline::Group job{"jobs", "job", {RunsWhen::always, OnFailure::skip_dependants, ""}};
  const auto pipeline = make({job}, {{"build", {}}, {"test", {0}}, {"lint", {}}, {"deploy", {1, 2}}});
  const auto out = run(pipeline, {{"build", 2}}, 2);
  CHECK(out.started == Strings{"build", "lint"});
  CHECK(out.result.steps[1].message == "'build' failed");
  CHECK(out.result.steps[3].message == "'build' failed"); // through the skipped step
  CHECK(out.result.steps[2].status == plan::StepStatus::succeeded);
  CHECK(out.result.failed);
}

TEST_CASE("an interrupt stops the running steps and skips the rest", "[exec][build]")
{
  const auto pipeline = make({kStops}, {{"a", {}}, {"b", {0}}, {"c", {1}}});
  const auto out = run(pipeline, {}, 1, 1);
  CHECK(out.events == Strings{"start a", "ok a", "start b", "interrupted", "failed b"});
  CHECK(out.aborts == 1);
  CHECK(out.result.interrupted);
  CHECK(out.result.steps[1].message == "stopped: interrupted");
  CHECK(out.result.steps[2].message == "not started: interrupted");
}

TEST_CASE("a step whose directory is missing fails to start and says which", "[exec][build]")
{
  auto pipeline = make({kStops}, {{"a", {}}});
  pipeline.steps[0].workdir = {"/nonexistent-drydock-dir", std::nullopt, ""};
  const auto out = run(pipeline, {});
  CHECK(out.started.empty());
  CHECK(out.result.steps[0].exit_code == 127);
  CHECK(out.result.steps[0].message == "the directory /nonexistent-drydock-dir does not exist");
}

TEST_CASE("a shell step runs its shell with the script and the step's environment over the build's", "[exec][build]")
{
  auto pipeline = make({kStops}, {{"a", {}}});
  pipeline.steps[0].action = pipeline::ShellCommand{"echo $GREETING", {"bash", "-c"}, {}};
  pipeline.steps[0].environment = {{"GREETING", "hi ${WHO}"}};
  pipeline.steps[0].workdir = {"/", "tmp", ""};
  pipeline.environment = {{"WHO", "there"}};
  const auto context = exec::make_run_context(pipeline, {"PATH=/bin", "WHO=host"}, "/opt/drydock");
  const auto request = exec::make_request(pipeline, pipeline.steps[0], context);
  CHECK(request.argv == Strings{"bash", "-c", "echo $GREETING"});
  CHECK(request.cwd == "/tmp");
  CHECK(std::find(request.env.begin(), request.env.end(), "GREETING=hi there") != request.env.end());
  CHECK(std::find(request.env.begin(), request.env.end(), "PATH=/bin") != request.env.end());
  CHECK(request.input.empty());
}

TEST_CASE("a host step never gets the host variables the pipeline drops", "[exec][build]")
{
  auto pipeline = make({kStops}, {{"a", {}}});
  pipeline.steps[0].action = pipeline::ShellCommand{"true", {"sh", "-c"}, {}};
  pipeline.environment = {{"CIRCLE_BRANCH", "the-build's"}};
  pipeline.host_env_dropped = {"CIRCLE_*", "SECRET_DIR"};
  const auto context = exec::make_run_context(
      pipeline, {"PATH=/bin", "CIRCLE_BRANCH=host", "CIRCLE_TOKEN=host", "SECRET_DIR=/x", "KEEP=1"}, "/opt/drydock");
  const auto request = exec::make_request(pipeline, pipeline.steps[0], context);
  const auto has = [&](const char* entry) {
    return std::find(request.env.begin(), request.env.end(), entry) != request.env.end();
  };
  CHECK(has("CIRCLE_BRANCH=the-build's"));
  CHECK(has("KEEP=1"));
  CHECK_FALSE(has("CIRCLE_TOKEN=host"));
  CHECK_FALSE(has("CIRCLE_BRANCH=host"));
  CHECK_FALSE(has("SECRET_DIR=/x"));
}

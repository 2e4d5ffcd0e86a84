#include <catch2/catch.hpp>

#include "record/events.hpp"
#include "test_support.hpp"

using namespace drydock;
using std::chrono::milliseconds;

namespace {

pipeline::Pipeline two_steps()
{
  return test::lower(test::load("machine:\n  pre: [echo a]\ntest:\n  override: [echo b]\n"));
}

} // namespace

TEST_CASE("run_started names the build and every step with its needs", "[record][events]")
{
  const auto pipeline = two_steps();
  record::RunInfo info{"/src/circle.yml", "abc123", "main", "", 7, "0.1.0", "42:99", "2026-12-01T20:00:00Z", false};
  CHECK(
      record::run_started(milliseconds(0), info, pipeline)
      == R"({"event":"run_started","t":0,"version":1,"config":"/src/circle.yml","commit":"abc123","branch":"main",)"
         R"("tag":"","build":7,"drydock":"0.1.0","owner":"42:99","started_at":"2026-12-01T20:00:00Z","dry_run":false,)"
         R"("steps":[{"id":"machine.pre[0]","name":"machine.pre[0]","group":"machine","kind":"shell","needs":[],)"
         R"("runs_in":"host","background":false},{"id":"test.override[0]","name":"test.override[0]",)"
         R"("group":"test","kind":"shell","needs":["machine.pre[0]"],"runs_in":"host","background":false}]})"
         "\n");
}

TEST_CASE("step events carry the step's id, status, exit code, signal and times", "[record][events]")
{
  const auto pipeline = two_steps();
  const auto& step = pipeline.steps[1];
  CHECK(record::step_queued(milliseconds(5), step)
        == R"({"event":"step_queued","t":5,"step":"test.override[0]"})"
           "\n");
  CHECK(record::step_started(milliseconds(6), pipeline, step, {"machine.pre[0]"})
        == R"({"event":"step_started","t":6,"step":"test.override[0]","needs":["machine.pre[0]"],)"
           R"("released_by":["machine.pre[0]"]})"
           "\n");
  CHECK(record::step_finished(milliseconds(1506), step, {plan::StepStatus::failed, 143, milliseconds(1500), "x", true})
        == R"({"event":"step_finished","t":1506,"step":"test.override[0]","status":"failed","exit_code":143,)"
           R"("signal":15,"timed_out":true,"duration_ms":1500,"message":"x"})"
           "\n");
  CHECK(record::step_finished(milliseconds(9), step, {plan::StepStatus::succeeded, 0, milliseconds(3), ""})
        == R"({"event":"step_finished","t":9,"step":"test.override[0]","status":"succeeded","exit_code":0,)"
           R"("signal":null,"timed_out":false,"duration_ms":3,"message":""})"
           "\n");
  CHECK(record::step_skipped(milliseconds(10), step, "not started: interrupted")
        == R"({"event":"step_skipped","t":10,"step":"test.override[0]","reason":"not started: interrupted"})"
           "\n");
}

TEST_CASE("run_finished gives the verdict; text that is not UTF-8 is replaced", "[record][events]")
{
  plan::BuildResult result;
  result.interrupted = true;
  result.duration = milliseconds(1234);
  CHECK(record::run_finished(milliseconds(1240), result)
        == R"({"event":"run_finished","t":1240,"result":"interrupted","duration_ms":1234,"message":""})"
           "\n");
  result = {};
  result.failed = true;
  CHECK(record::run_finished(milliseconds(1), result, "bad \xff byte")
        == "{\"event\":\"run_finished\",\"t\":1,\"result\":\"failed\",\"duration_ms\":0,\"message\":\"bad \xEF\xBF\xBD "
           "byte\"}\n");
  CHECK(record::stored(milliseconds(2), "artifacts_stored", "/r/artifacts", 3, 120)
        == R"({"event":"artifacts_stored","t":2,"path":"/r/artifacts","files":3,"bytes":120})"
           "\n");
}

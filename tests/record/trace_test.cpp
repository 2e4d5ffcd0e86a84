#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <set>

#include "record/replay.hpp"
#include "record/timeline.hpp"
#include "record/trace.hpp"
#include "record_test_support.hpp"

using namespace drydock;

namespace {

const char* const kSampleTrace =
    R"({"displayTimeUnit":"ms","otherData":{"build":7,"commit":"0123456789abcdef0123456789abcdef01234567","branch":"main","result":"failed","started_at":"2026-01-02T03:04:05Z"},"traceEvents":[)"
    "\n"
    R"({"name":"process_name","ph":"M","pid":1,"args":{"name":"drydock run"}},)"
    "\n"
    R"({"name":"thread_name","ph":"M","pid":1,"tid":0,"args":{"name":"lane 0"}},)"
    "\n"
    R"({"name":"thread_sort_index","ph":"M","pid":1,"tid":0,"args":{"sort_index":0}},)"
    "\n"
    R"({"name":"thread_name","ph":"M","pid":1,"tid":1,"args":{"name":"lane 1"}},)"
    "\n"
    R"({"name":"thread_sort_index","ph":"M","pid":1,"tid":1,"args":{"sort_index":1}},)"
    "\n"
    R"({"name":"echo setup","cat":"machine","ph":"X","ts":10000,"dur":200000,"pid":1,"tid":0,"args":{"id":"machine.pre[0]","status":"succeeded","exit_code":0,"needs":[],"released_by":[],"runs_in":"host","critical_path":true}},)"
    "\n"
    R"({"name":"sleep 5","cat":"test","ph":"X","ts":220000,"dur":1000000,"pid":1,"tid":0,"args":{"id":"test.override[0]","status":"failed","exit_code":137,"needs":["machine.pre[0]"],"released_by":["machine.pre[0]"],"runs_in":"host","critical_path":true,"message":"timed out after 1 s without output"}},)"
    "\n"
    R"({"name":"exit 3","cat":"test","ph":"X","ts":220000,"dur":180000,"pid":1,"tid":1,"args":{"id":"test.override[1]","status":"failed","exit_code":3,"needs":["machine.pre[0]"],"released_by":["machine.pre[0]"],"runs_in":"host"}})"
    "\n"
    R"(]})"
    "\n";

} // namespace

TEST_CASE("trace.json is the run in the Chrome Trace Event format", "[record][trace]")
{
  const auto history = record::parse_history(test::sample_events());
  const std::string trace = record::trace_json(history, record::timeline_of(history));
  CHECK(trace == kSampleTrace);
}

TEST_CASE("every slice of trace.json is on a named lane, with microseconds", "[record][trace]")
{
  const auto history = record::parse_history(test::sample_events());
  const auto trace = nlohmann::json::parse(record::trace_json(history, record::timeline_of(history)));
  std::set<int> named;
  int slices = 0;
  for (const auto& event : trace["traceEvents"]) {
    CHECK(event["pid"] == 1);
    if (event["ph"] == "M" && event["name"] == "thread_name") {
      named.insert(event["tid"].get<int>());
    } else if (event["ph"] == "X") {
      ++slices;
      CHECK(named.count(event["tid"].get<int>()) == 1);
      CHECK(event["dur"].get<long>() % 1000 == 0);
    }
  }
  CHECK(slices == 3);
  CHECK(named == std::set<int>{0, 1});
}

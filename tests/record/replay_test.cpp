#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "record/replay.hpp"
#include "record_test_support.hpp"

using namespace drydock;
namespace fs = std::filesystem;

TEST_CASE("a record's events replay as the run's history", "[record][replay]")
{
  const auto history = record::parse_history(test::sample_events());
  CHECK(history.commit == "0123456789abcdef0123456789abcdef01234567");
  CHECK(history.branch == "main");
  CHECK(history.build == 7);
  CHECK(history.started_at == "2026-01-02T03:04:05Z");
  CHECK(history.result == "failed");
  CHECK(history.duration_ms == 1500);
  CHECK(history.skipped_lines == 0);
  REQUIRE(history.steps.size() == 4);

  const auto& setup = history.steps[0];
  CHECK(setup.id == "machine.pre[0]");
  CHECK(setup.group == "machine");
  CHECK(setup.status == "succeeded");
  CHECK(setup.started_ms == 10);
  CHECK(setup.finished_ms == 210);
  CHECK(setup.duration_ms == 200);

  const auto& failing = history.steps[2];
  CHECK(failing.name == "exit 3");
  CHECK(failing.needs == std::vector<std::string>{"machine.pre[0]"});
  CHECK(failing.released_by == std::vector<std::string>{"machine.pre[0]"});
  CHECK(failing.status == "failed");
  CHECK(failing.exit_code == 3);
  CHECK_FALSE(failing.signal);

  const auto& killed = history.steps[1];
  CHECK(killed.exit_code == 137);
  CHECK(killed.signal == 9);
  CHECK(killed.timed_out);
  CHECK(killed.message == "timed out after 1 s without output");

  CHECK(history.steps[3].status == "skipped");
  CHECK(history.steps[3].message == "an earlier step failed");
  CHECK_FALSE(history.steps[3].started_ms);

  REQUIRE(history.services.size() == 1);
  CHECK(history.services[0].service == "postgresql");
  CHECK(history.services[0].ms == 321);
  REQUIRE(history.images.size() == 1);
  CHECK(history.images[0].decision == "built");
  REQUIRE(history.caches.size() == 1);
  CHECK(history.caches[0].key == "branch-main");
}

TEST_CASE("a cut last line and lines that are not events are skipped", "[record][replay]")
{
  std::string events = test::sample_events();
  events.erase(events.rfind("{\"event\":\"run_finished\""));
  events += "not json\n[1,2]\n{\"event\":\"step_finished\",\"t\":90,\"step\":\"test.over";
  const auto history = record::parse_history(events);
  CHECK(history.skipped_lines == 3);
  CHECK(history.result.empty());
  CHECK(history.duration_ms == 1400); // the last whole event's t
  CHECK(history.steps[2].status == "failed");
}

TEST_CASE("a step that started and never finished is unfinished", "[record][replay]")
{
  const std::string events = R"({"event":"run_started","t":0,"steps":[{"id":"a","name":"sleep 9"}]})"
                             "\n"
                             R"({"event":"step_started","t":5,"step":"a","needs":[],"released_by":[]})"
                             "\n";
  const auto history = record::parse_history(events);
  REQUIRE(history.steps.size() == 1);
  CHECK(history.steps[0].status == "unfinished");
  CHECK(history.duration_ms == 5);
}

TEST_CASE("read_history needs run_started first", "[record][replay]")
{
  test::ScratchDir dir;
  CHECK_FALSE(record::read_history(dir.path.string()));
  std::ofstream(dir.path / "events.jsonl") << "{\"event\":\"run_finished\",\"t\":0}\n";
  CHECK_FALSE(record::read_history(dir.path.string()));
  std::ofstream(dir.path / "events.jsonl") << test::sample_events();
  const auto history = record::read_history(dir.path.string());
  REQUIRE(history);
  CHECK(history->steps.size() == 4);
}

TEST_CASE("last_lines keeps the end of a text", "[record][replay]")
{
  CHECK(record::last_lines("a\nb\nc\n", 2) == "b\nc\n");
  CHECK(record::last_lines("a\nb\nc", 2) == "b\nc");
  CHECK(record::last_lines("a\nb\n", 5) == "a\nb\n");
  CHECK(record::last_lines("a\nb\n", 0).empty());
  CHECK(record::last_lines("", 3).empty());
}

TEST_CASE("a log's tail is cut to whole lines within its limits", "[record][replay]")
{
  test::ScratchDir dir;
  record::StepHistory step;
  step.index = 2;
  step.id = "test.override[0] <x>";
  CHECK(record::log_path_of(step) == "logs/002-test.override_0___x_.log");
  CHECK(record::read_log_tail(dir.path.string(), step, 10, 100).log_bytes == 0);

  fs::create_directories(dir.path / "logs");
  std::ofstream(dir.path / record::log_path_of(step)) << "one\ntwo\nthree\nfour\n";
  auto tail = record::read_log_tail(dir.path.string(), step, 2, 100);
  CHECK(tail.text == "three\nfour\n");
  CHECK(tail.cut);
  CHECK(tail.log_bytes == 19);
  tail = record::read_log_tail(dir.path.string(), step, 10, 12);
  CHECK(tail.text == "three\nfour\n"); // "two\n" lost its start to the byte limit
  CHECK(tail.cut);
  tail = record::read_log_tail(dir.path.string(), step, 10, 100);
  CHECK(tail.text == "one\ntwo\nthree\nfour\n");
  CHECK_FALSE(tail.cut);
}

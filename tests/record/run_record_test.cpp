#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "record/events.hpp"
#include "record/recorder.hpp"
#include "record/run_record.hpp"
#include "test_support.hpp"
#include "util/file.hpp"

using namespace drydock;
using std::chrono::milliseconds;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir()
  {
    std::string templ = (fs::path(util::temp_dir()) / "drydock-record-test.XXXXXX").string();
    path = ::mkdtemp(templ.data());
  }
  ~TempDir()
  {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

// A record holding these events.
void write_record(const fs::path& runs, int number, const std::string& events)
{
  const auto paths = record::create_record(runs.string(), number);
  REQUIRE(paths);
  std::ofstream(paths->events()) << events;
}

std::string started(const std::string& owner, const std::string& branch = "main")
{
  return record::event_line("run_started", milliseconds(0),
                            {{"version", 1}, {"commit", "0123456789abcdef"}, {"branch", branch}, {"owner", owner}});
}

std::string finished(const std::string& result, int ms)
{
  return record::event_line("run_finished", milliseconds(ms), {{"result", result}, {"duration_ms", ms}});
}

const record::OwnerAlive kAlive = [](const std::string& owner) { return owner == "1:1"; };

} // namespace

TEST_CASE("records are listed newest first with their verdicts; a run without run_finished ran or died", "[record]["
                                                                                                         "runs]")
{
  TempDir dir;
  write_record(dir.path, 2, started("9:9") + finished("failed", 61'000));
  write_record(dir.path, 10, started("9:9") + finished("passed", 1500));
  write_record(dir.path, 11, started("1:1", "dev") + R"({"event":"step_sta)"); // running, cut line
  write_record(dir.path, 12, started("9:9"));                                  // its drydock is gone
  fs::create_directories(dir.path / "not-a-number");
  const auto runs = record::list_runs(dir.path.string(), kAlive);
  REQUIRE(runs.size() == 4);
  CHECK(record::format_runs(runs)
        == "  RUN  COMMIT        BRANCH  RESULT       DURATION\n"
           "   12  0123456789ab  main    died                -\n"
           "   11  0123456789ab  dev     running             -\n"
           "   10  0123456789ab  main    passed          1.50s\n"
           "    2  0123456789ab  main    failed          1m01s\n");
  CHECK(record::format_runs({}) == "no runs recorded\n");
}

TEST_CASE("pruning keeps the newest records and never a running one", "[record][runs]")
{
  TempDir dir;
  for (int n = 1; n <= 5; ++n) {
    write_record(dir.path, n, started(n == 1 ? "1:1" : "9:9") + (n == 1 ? "" : finished("passed", 10)));
  }
  CHECK(record::prune_runs(dir.path.string(), 2, kAlive) == std::vector<int>{3, 2});
  CHECK(test::files_in(dir.path) == std::vector<std::string>{"1", "4", "5"});
}

TEST_CASE("clean removes the records of runs that died, and only those", "[record][runs]")
{
  TempDir dir;
  write_record(dir.path, 1, started("9:9"));
  write_record(dir.path, 2, started("1:1"));
  write_record(dir.path, 3, started("9:9") + finished("passed", 10));
  CHECK(record::remove_died_runs(dir.path.string(), kAlive, true).size() == 1);
  CHECK(test::files_in(dir.path) == std::vector<std::string>{"1", "2", "3"});
  const auto died = record::remove_died_runs(dir.path.string(), kAlive, false);
  REQUIRE(died.size() == 1);
  CHECK(died[0].number == 1);
  CHECK(test::files_in(dir.path) == std::vector<std::string>{"2", "3"});
}

TEST_CASE("log file names stay in the logs folder whatever the step's id", "[record][runs]")
{
  pipeline::Step step;
  step.index = 7;
  step.id = "../../etc/passwd x$(rm)";
  CHECK(record::log_file_name(step) == "007-.._.._etc_passwd_x__rm_.log");
  step.id = std::string(300, 'a');
  CHECK(record::log_file_name(step) == "007-" + std::string(100, 'a') + ".log");
}

TEST_CASE("the recorder writes each event as it happens, logs uncut and masked, and merges a step's own events",
          "[record][recorder]")
{
  TempDir dir;
  auto pipeline = test::lower(test::load("machine:\n  pre: [echo a]\ntest:\n  override: [echo b]\n"));
  const auto paths = record::create_record(dir.path.string(), 3);
  REQUIRE(paths);
  std::int64_t now = 0;
  std::string streamed;
  record::Recorder recorder(
      pipeline, *paths, {"hunter2"}, [&] { return milliseconds(now); },
      [&](std::string_view line) { streamed += line; });
  REQUIRE(recorder.error().empty());
  recorder.step_queued(pipeline.steps[0]);
  now = 1;
  recorder.step_started(pipeline.steps[0]);
  CHECK(test::read_text(paths->events())
        == record::step_queued(milliseconds(0), pipeline.steps[0])
               + record::step_started(milliseconds(1), pipeline, pipeline.steps[0], {}));
  recorder.on_output(0, "pass: hun");
  recorder.on_output(0, "ter2 ok\n" + std::string(200'000, 'x'));
  recorder.on_output(0, "y");
  std::ofstream(paths->step_events(0)) << R"({"event":"image","image":"app","decision":"built"})"
                                       << "\n{cut";
  now = 20;
  recorder.step_finished(pipeline.steps[0], {plan::StepStatus::succeeded, 0, milliseconds(19), ""});
  CHECK(test::read_text(fs::path(paths->logs()) / "000-machine.pre_0_.log")
        == "pass: *** ok\n" + std::string(200'000, 'x') + "y");
  const std::string events = test::read_text(paths->events());
  CHECK(events.ends_with(R"({"event":"image","t":20,"image":"app","decision":"built","step":"machine.pre[0]"})"
                         "\n"
                         + record::step_finished(milliseconds(20), pipeline.steps[0],
                                                 {plan::StepStatus::succeeded, 0, milliseconds(19), ""})));
  CHECK_FALSE(fs::exists(paths->step_events(0)));
  recorder.step_started(pipeline.steps[1]);
  CHECK(test::read_text(paths->events())
            .ends_with(R"("released_by":["machine.pre[0]"]})"
                       "\n"));
  CHECK(streamed == test::read_text(paths->events()));
  recorder.step_finished(pipeline.steps[1], {plan::StepStatus::succeeded, 0, milliseconds(1), ""});
  CHECK(test::files_in(paths->logs()) == std::vector<std::string>{"000-machine.pre_0_.log"}); // a quiet step has none
}

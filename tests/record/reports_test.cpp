#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "record/reports.hpp"
#include "record/run_record.hpp"
#include "record_test_support.hpp"
#include "test_support.hpp"

using namespace drydock;
namespace fs = std::filesystem;

namespace {

// A record of the sample run, with a log and a stored JUnit file.
record::RecordPaths sample_record(const fs::path& dir)
{
  const record::RecordPaths paths{dir.string()};
  fs::create_directories(paths.logs());
  fs::create_directories(fs::path(paths.test_results()) / "unit");
  std::ofstream(paths.events(), std::ios::binary) << test::sample_events();
  std::ofstream(paths.logs() + "/002-test.override_1_.log", std::ios::binary) << "compiling\nerror: it broke\n";
  std::ofstream(paths.test_results() + "/unit/a.xml")
      << R"(<testsuite name="unit"><testcase name="t" classname="c"/></testsuite>)";
  return paths;
}

std::vector<std::string> files_in(const std::string& dir)
{
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

} // namespace

TEST_CASE("write_reports writes junit.xml, trace.json and report.html from the record", "[record][reports]")
{
  test::ScratchDir dir;
  const auto paths = sample_record(dir.path);
  CHECK(record::write_reports(paths.dir).empty());
  CHECK(files_in(paths.dir)
        == std::vector<std::string>{"events.jsonl", "junit.xml", "logs", "report.html", "test-results", "trace.json"});
  const std::string junit = test::read_text(paths.junit());
  CHECK(junit.find("error: it broke\n</failure>") != std::string::npos);
  CHECK(junit.find(R"(<testsuite name="unit")") != std::string::npos);
  CHECK(test::read_text(paths.report()).find(R"("log":"compiling\nerror: it broke\n")") != std::string::npos);
  CHECK(test::read_text(paths.trace()).find(R"("traceEvents":[)") != std::string::npos);
}

TEST_CASE("the reports of a record written twice are the same bytes", "[record][reports]")
{
  test::ScratchDir dir;
  const auto paths = sample_record(dir.path);
  record::write_reports(paths.dir);
  const std::string html = test::read_text(paths.report());
  const std::string junit = test::read_text(paths.junit());
  const std::string trace = test::read_text(paths.trace());
  record::write_reports(paths.dir);
  CHECK(test::read_text(paths.report()) == html);
  CHECK(test::read_text(paths.junit()) == junit);
  CHECK(test::read_text(paths.trace()) == trace);
}

TEST_CASE("a broken stored file or an unreadable record is a warning", "[record][reports]")
{
  test::ScratchDir dir;
  const auto paths = sample_record(dir.path);
  std::ofstream(paths.test_results() + "/broken.xml") << "<testsuite";
  const auto warnings = record::write_reports(paths.dir);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].rfind("test-results/broken.xml: not merged into junit.xml: ", 0) == 0);
  CHECK(fs::exists(paths.report()));

  test::ScratchDir empty;
  const auto none = record::write_reports(empty.path.string());
  REQUIRE(none.size() == 1);
  CHECK(none[0].rfind("no reports: cannot read ", 0) == 0);
  CHECK(files_in(empty.path.string()).empty());
}

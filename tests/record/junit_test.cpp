#include <catch2/catch.hpp>
#include <pugixml.hpp>

#include <string>

#include "record/junit.hpp"
#include "record/replay.hpp"
#include "record_test_support.hpp"

using namespace drydock;

namespace {

std::string fake_lines(const record::StepHistory& step) { return "last line of " + step.id + "\n"; }

long long number(pugi::xml_node node, const char* name) { return node.attribute(name).as_llong(-1); }

// The schema's rules (testmoapp/junitxml) as GitLab and Buildkite read them:
// every testcase has a name and a classname, and the counts add up, from
// the testcases to their suite and from the suites to the root.
void check_schema_rules(const std::string& xml)
{
  pugi::xml_document doc;
  const auto parsed = doc.load_string(xml.c_str());
  INFO(xml);
  REQUIRE(parsed);
  const auto root = doc.document_element();
  REQUIRE(std::string(root.name()) == "testsuites");
  long long tests = 0;
  long long failures = 0;
  long long skipped = 0;
  long long errors = 0;
  for (const auto suite : root.children()) {
    REQUIRE(std::string(suite.name()) == "testsuite");
    CHECK(!std::string(suite.attribute("name").value()).empty());
    long long cases = 0;
    long long failed = 0;
    long long skips = 0;
    long long errs = 0;
    for (const auto testcase : suite.children("testcase")) {
      CHECK(!std::string(testcase.attribute("name").value()).empty());
      CHECK(!std::string(testcase.attribute("classname").value()).empty());
      ++cases;
      failed += testcase.child("failure") ? 1 : 0;
      skips += testcase.child("skipped") ? 1 : 0;
      errs += testcase.child("error") ? 1 : 0;
    }
    CHECK(number(suite, "tests") == cases);
    CHECK(number(suite, "failures") == failed);
    CHECK(number(suite, "skipped") == skips);
    CHECK(number(suite, "errors") == errs);
    tests += cases;
    failures += failed;
    skipped += skips;
    errors += errs;
  }
  CHECK(number(root, "tests") == tests);
  CHECK(number(root, "failures") == failures);
  CHECK(number(root, "skipped") == skipped);
  CHECK(number(root, "errors") == errors);
}

const char* const kSampleJunit = R"(<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="drydock build 7" tests="4" failures="2" errors="0" skipped="1" time="1.380" timestamp="2026-01-02T03:04:05">
  <testsuite name="machine" tests="1" failures="0" errors="0" skipped="0" time="0.200" timestamp="2026-01-02T03:04:05">
    <testcase name="echo setup" classname="machine" time="0.200" />
  </testsuite>
  <testsuite name="test" tests="3" failures="2" errors="0" skipped="1" time="1.180" timestamp="2026-01-02T03:04:05">
    <testcase name="sleep 5" classname="test" time="1.000">
      <failure message="exit code 137 (signal 9): timed out after 1 s without output" type="timeout">last line of test.override[0]
</failure>
    </testcase>
    <testcase name="exit 3" classname="test" time="0.180">
      <failure message="exit code 3" type="exit">last line of test.override[1]
</failure>
    </testcase>
    <testcase name="echo after" classname="test" time="0.000">
      <skipped message="an earlier step failed" />
    </testcase>
  </testsuite>
</testsuites>
)";

} // namespace

TEST_CASE("junit.xml has a testsuite per phase and a testcase per step", "[record][junit]")
{
  const auto report = record::junit_xml(record::parse_history(test::sample_events()), fake_lines, {});
  CHECK(report.xml == kSampleJunit);
  CHECK(report.warnings.empty());
  check_schema_rules(report.xml);
}

TEST_CASE("stored JUnit files are merged as further testsuites", "[record][junit]")
{
  const std::vector<record::StoredJunit> stored = {
      {"rspec/a.xml", R"(<testsuites><testsuite name="rspec" tests="2" failures="1" errors="0" skipped="0" time="0.5">)"
                      R"(<testcase name="works" classname="A" time="0.2"/>)"
                      R"(<testcase name="breaks" classname="A" time="0.3"><failure message="no">trace</failure>)"
                      R"(</testcase></testsuite>)"
                      R"(<testsuite name="more" time="1"><testcase name="x" classname="B"/></testsuite></testsuites>)"},
      {"single.xml", R"(<?xml version="1.0"?><testsuite name="pytest" tests="1"><testcase name="t" classname="m">)"
                     R"(<skipped/></testcase></testsuite>)"},
      {"broken.xml", "<testsuite><testcase"},
      {"other.xml", "<coverage/>"},
  };
  const auto report = record::junit_xml(record::parse_history(test::sample_events()), fake_lines, stored);
  check_schema_rules(report.xml);
  pugi::xml_document doc;
  REQUIRE(doc.load_string(report.xml.c_str()));
  const auto root = doc.document_element();
  CHECK(number(root, "tests") == 4 + 3 + 1);
  CHECK(number(root, "failures") == 2 + 1);
  CHECK(number(root, "skipped") == 1 + 1);
  CHECK(std::string(root.attribute("time").value()) == "2.880");
  std::vector<std::string> names;
  for (const auto suite : root.children("testsuite")) {
    names.emplace_back(suite.attribute("name").value());
  }
  CHECK(names == std::vector<std::string>{"machine", "test", "rspec", "more", "pytest"});
  REQUIRE(report.warnings.size() == 2);
  CHECK(report.warnings[0].rfind("test-results/broken.xml: not merged into junit.xml: ", 0) == 0);
  CHECK(report.warnings[1]
        == "test-results/other.xml: not merged into junit.xml: its root is <coverage>, not <testsuites> or "
           "<testsuite>");
}

TEST_CASE("hostile step names and log bytes come out as valid XML", "[record][junit]")
{
  auto history = record::parse_history(test::sample_events());
  history.steps[2].name = "<script>alert(\"x\" & 'y')</script>\x01\xFF";
  history.steps[2].group = "t<e>st";
  static const char kLog[] = "bad \x1b[31m\xC3(\n]]> & <b>\0 end";
  const auto lines = [](const record::StepHistory&) { return std::string(kLog, sizeof(kLog) - 1); };
  const auto report = record::junit_xml(history, lines,
                                        {{"evil.xml", "<testsuite name=\"e&#1;\x02\"><testcase name=\"\xFE\" "
                                                      "classname=\"c\"/></testsuite>"}});
  check_schema_rules(report.xml);
  for (const char c : report.xml) {
    const auto byte = static_cast<unsigned char>(c);
    CHECK((byte >= 0x20 || c == '\n' || c == '\t' || c == '\r'));
  }
  CHECK(report.xml.find("\xFF") == std::string::npos);
  CHECK(report.xml.find("&lt;script>alert(&quot;x&quot; &amp; 'y')&lt;/script>\xEF\xBF\xBD\xEF\xBF\xBD")
        != std::string::npos);
  CHECK(report.xml.find("classname=\"t&lt;e>st\"") != std::string::npos);
  CHECK(report.xml.find("]]&gt; &amp; &lt;b&gt;\xEF\xBF\xBD end") != std::string::npos);
}

TEST_CASE("timestamps are the run's start plus the step's offset", "[record][junit]")
{
  CHECK(record::timestamp_after("2026-12-31T23:59:59Z", 1500) == "2027-01-01T00:00:00");
  CHECK(record::timestamp_after("2026-01-02T03:04:05Z", 0) == "2026-01-02T03:04:05");
  CHECK(record::timestamp_after("yesterday", 0).empty());
  CHECK(record::timestamp_after("2026-02-30T00:00:00Z", 0).empty());
}

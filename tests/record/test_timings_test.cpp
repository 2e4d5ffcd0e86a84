// The timings table `circleci tests split --split-by=timings` reads, made
// from a run's stored JUnit files: each testcase's time summed by its file,
// its classname and its name, as milliseconds.
#include <catch2/catch.hpp>

#include "record/test_timings.hpp"

using drydock::record::StoredJunit;
using drydock::record::timings_table;

TEST_CASE("timings: testcases summed by file, classname and name, in milliseconds", "[record]")
{
  const std::vector<StoredJunit> files = {
      {"unit_0/junit.xml", R"(<testsuites><testsuite name="a">
  <testcase classname="tests.Models" name="test_save" file="./tests/models.py" time="1.25"/>
  <testcase classname="tests.Models" name="test_load" file="tests/models.py" time="0.5"/>
  <testsuite name="nested"><testcase classname="tests.Views" name="test_get" file="tests/views.py" time="2"/></testsuite>
</testsuite></testsuites>)"},
      {"unit_1/junit.xml", R"(<testsuite name="b" file="spec/api_spec.rb">
  <testcase classname="Api" name="test_get" time="0.0004"/>
</testsuite>)"},
  };
  CHECK(timings_table(files)
        == "classname\tApi\t0\n"
           "classname\ttests.Models\t1750\n"
           "classname\ttests.Views\t2000\n"
           "filename\tspec/api_spec.rb\t0\n"
           "filename\ttests/models.py\t1750\n"
           "filename\ttests/views.py\t2000\n"
           "testname\ttest_get\t2000\n"
           "testname\ttest_load\t500\n"
           "testname\ttest_save\t1250\n");
}

TEST_CASE("timings: what cannot be a line of the table, or is not JUnit, is left out", "[record]")
{
  const std::vector<StoredJunit> files = {
      {"broken.xml", R"(<testsuite><testcase name="x" time="1">)"},
      {"odd.xml", R"(<testsuite><testcase name="tab&#9;here" classname="" time="1"/>)"
                  R"(<testcase name="negative" time="-3"/><testcase name="nan" time="nan"/>)"
                  R"(<testcase name="no time"/><testcase name="comma" time="1,5"/>)"
                  R"(<testcase name="huge" time="1e300"/><testcase name="spaced" time="2 s"/></testsuite>)"},
  };
  CHECK(timings_table(files) == "testname\tno time\t0\n");
  CHECK(timings_table({}).empty());
}

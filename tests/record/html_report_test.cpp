#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>

#include "record/html_report.hpp"
#include "record/replay.hpp"
#include "record/timeline.hpp"
#include "record_test_support.hpp"

using namespace drydock;

namespace {

record::LogTail fake_tail(const record::StepHistory& step, std::size_t /*lines*/, std::size_t bytes)
{
  const std::string log = "output of " + step.id + "\n";
  return {log.substr(0, bytes), bytes < log.size(), log.size()};
}

std::string page_of(const record::RunHistory& history, const record::HtmlLimits& limits = {})
{
  return record::report_html(history, record::timeline_of(history), fake_tail, limits);
}

const std::string kDataOpen = R"(<script type="application/json" id="run-data">)";

std::string data_blob(const std::string& page)
{
  const auto start = page.find(kDataOpen);
  REQUIRE(start != std::string::npos);
  const auto end = page.find("</script>", start);
  REQUIRE(end != std::string::npos);
  return page.substr(start + kDataOpen.size(), end - start - kDataOpen.size());
}

std::size_t count_of(const std::string& text, const std::string& what)
{
  std::size_t count = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++count;
  }
  return count;
}

} // namespace

TEST_CASE("report.html carries the verdict and the run as one JSON blob", "[record][html]")
{
  const std::string page = page_of(record::parse_history(test::sample_events()));
  CHECK(page.rfind("<!DOCTYPE html>\n", 0) == 0);
  CHECK(page.find("<title>Build #7 failed on main</title>") != std::string::npos);
  CHECK(page.find(R"(<h1 id="verdict" class="failed" data-result="failed">Build #7 failed</h1>)") != std::string::npos);
  for (const char* fetch : {"<link", " src=", "url(", "@import", "fetch(", "XMLHttpRequest"}) {
    CHECK(page.find(fetch) == std::string::npos); // nothing to fetch: it opens offline
  }
  CHECK(
      data_blob(page)
      == R"({"run":{"result":"failed","build":7,"commit":"0123456789abcdef0123456789abcdef01234567","branch":"main",)"
         R"("tag":"","config":"circle.yml","started_at":"2026-01-02T03:04:05Z","duration_ms":1500,"message":"",)"
         R"("drydock":"0.1.0","skipped_lines":0},"lanes":2,"steps":[)"
         R"({"i":0,"id":"machine.pre[0]","name":"echo setup","group":"machine","kind":"shell","runs_in":"host",)"
         R"("status":"succeeded","exit":0,"ms":200,"start":10,"end":210,"lane":0,"critical":true,"needs":[],)"
         R"("released_by":[],"log":"output of machine.pre[0]\n","log_bytes":25,"log_file":"logs/000-machine.pre_0_.log"},)"
         R"({"i":1,"id":"test.override[0]","name":"sleep 5","group":"test","kind":"shell","runs_in":"host",)"
         R"("status":"failed","exit":137,"ms":1000,"signal":9,"timed_out":true,)"
         R"("message":"timed out after 1 s without output","start":220,"end":1220,"lane":0,"critical":true,)"
         R"("needs":[0],"released_by":[0],"log":"output of test.override[0]\n","log_bytes":27,)"
         R"("log_file":"logs/001-test.override_0_.log"},)"
         R"({"i":2,"id":"test.override[1]","name":"exit 3","group":"test","kind":"shell","runs_in":"host",)"
         R"("status":"failed","exit":3,"ms":180,"start":220,"end":400,"lane":1,"needs":[0],"released_by":[0],)"
         R"("log":"output of test.override[1]\n","log_bytes":27,"log_file":"logs/002-test.override_1_.log"},)"
         R"({"i":3,"id":"test.post[0]","name":"echo after","group":"test","kind":"shell","runs_in":"host",)"
         R"("status":"skipped","message":"an earlier step failed","needs":[1,2],"released_by":[]}],)"
         R"("services":[{"step":"machine.pre[0]","service":"postgresql","ms":321}],)"
         R"("images":[{"step":"machine.pre[0]","image":"app","decision":"built","reference":"app:abc"}],)"
         R"("caches":[{"step":"machine.pre[0]","dir":"vendor","decision":"saved","key":"branch-main"}]})");
}

TEST_CASE("hostile names and logs cannot end the script or reach the markup", "[record][html]")
{
  auto history = record::parse_history(test::sample_events());
  const std::string name = "</script><!--<script>alert('x')</script>\xE2\x80\xA8\xE2\x80\xA9 & \"q\"";
  history.steps[2].name = name;
  history.branch = "<b>main</b>";
  const auto hostile_tail = [](const record::StepHistory&, std::size_t, std::size_t) {
    return record::LogTail{"</script>\x01\xFF\n", false, 12};
  };
  const std::string page = record::report_html(history, record::timeline_of(history), hostile_tail);
  CHECK(count_of(page, "</script>") == 2); // the blob's end and the script's
  CHECK(count_of(page, "<script") == 2);
  CHECK(page.find("<title>Build #7 failed on &lt;b&gt;main&lt;/b&gt;</title>") != std::string::npos);
  const std::string blob = data_blob(page);
  CHECK(blob.find('<') == std::string::npos);
  CHECK(blob.find("\xE2\x80\xA8") == std::string::npos);
  const auto data = nlohmann::json::parse(blob);
  CHECK(data["steps"][2]["name"] == name);
  CHECK(data["steps"][2]["log"] == "</script>\xEF\xBF\xBD\xEF\xBF\xBD\n");
  CHECK(data["run"]["branch"] == "<b>main</b>");
}

TEST_CASE("logs are embedded within their limits, the failed steps' first", "[record][html]")
{
  const auto history = record::parse_history(test::sample_events());
  const auto data = nlohmann::json::parse(data_blob(page_of(history, {200, 64 * 1024, 60})));
  // 27 + 27 bytes for the two failed steps, 6 left for the first one.
  CHECK(data["steps"][1]["log"] == "output of test.override[0]\n");
  CHECK(data["steps"][2]["log"] == "output of test.override[1]\n");
  CHECK(data["steps"][0]["log"] == "output");
  CHECK(data["steps"][0]["log_cut"] == true);
  CHECK(data["steps"][0]["log_file"] == "logs/000-machine.pre_0_.log");
  CHECK_FALSE(data["steps"][3].contains("log"));
}

TEST_CASE("script_safe_json and html_escape", "[record][html]")
{
  CHECK(record::script_safe_json(R"({"a":"</script>&"})") == R"({"a":"\u003c/script\u003e\u0026"})");
  CHECK(record::script_safe_json("\"\xE2\x80\xA8\xE2\x80\xA9\xE2\x80\xA7\"") == "\"\\u2028\\u2029\xE2\x80\xA7\"");
  CHECK(record::html_escape(R"(<a href="x">'&'</a>)") == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

#include <catch2/catch.hpp>

#include "report/json_report.hpp"

using namespace drydock;

TEST_CASE("the JSON report carries position, span, severity and message", "[report][json]")
{
  Diagnostics diags;
  diags.error(Pos{3, 5}, "unknown key 'x'", 1);
  diags.warning(Pos{1, 1}, "w", 4);
  const auto json = report::file_report_json("c.yml", diags);
  CHECK(json["path"] == "c.yml");
  CHECK(json["valid"] == false);
  CHECK(json["errors"] == 1);
  CHECK(json["warnings"] == 1);
  REQUIRE(json["diagnostics"].size() == 2);
  CHECK(json["diagnostics"][0]
        == nlohmann::json{
            {"severity", "error"}, {"line", 3}, {"column", 5}, {"end_column", 6}, {"message", "unknown key 'x'"}});
  CHECK(json["diagnostics"][1]["severity"] == "warning");
  CHECK(json["diagnostics"][1]["end_column"] == 5);
}

TEST_CASE("a file with warnings only is valid in JSON too", "[report][json]")
{
  Diagnostics diags;
  diags.warning(Pos{1, 1}, "w");
  CHECK(report::file_report_json("c.yml", diags)["valid"] == true);
  CHECK(report::unreadable_json("c.yml", "gone")["valid"] == false);
  CHECK(report::unreadable_json("c.yml", "gone")["diagnostics"][0]["message"] == "cannot read the file: gone");
}

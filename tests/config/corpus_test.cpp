// The corpus: real-project-style configs that must be valid, and broken
// configs whose whole `drydock validate` text is pinned in FILE.expected.
// Regenerate an expectation only after reading the new text: it is the
// product's user interface.
#include <catch2/catch.hpp>

#include "frontends/circle1/check.hpp"
#include "test_support.hpp"

using namespace drydock;

TEST_CASE("every config in the valid corpus validates without errors", "[corpus]")
{
  // A valid file with warnings pins them, like a broken one, in FILE.expected.
  const auto files = test::yaml_files(test::test_dir() / "corpus" / "valid");
  REQUIRE(files.size() >= 8);
  for (const auto& file : files) {
    const std::string name = "valid/" + file.filename().string();
    INFO(name);
    const auto result = circle1::validate_pipeline(name, test::read_text(file));
    const auto expected_path = file.string() + ".expected";
    if (std::filesystem::exists(expected_path)) {
      CHECK_FALSE(result.diagnostics.has_errors());
      CHECK(report::format_file_report(result.source, result.diagnostics) == test::read_text(expected_path));
    } else {
      CHECK(test::messages(result.diagnostics) == std::vector<std::string>{});
    }
  }
}

TEST_CASE("every config in the broken corpus gives its pinned diagnostics", "[corpus]")
{
  const auto dir = test::test_dir() / "corpus" / "broken";
  const auto files = test::yaml_files(dir);
  REQUIRE(files.size() >= 15);
  for (const auto& file : files) {
    const std::string name = "broken/" + file.filename().string();
    INFO(name);
    const auto expected_path = file.string() + ".expected";
    REQUIRE(std::filesystem::exists(expected_path));
    const auto result = circle1::validate_pipeline(name, test::read_text(file));
    CHECK(result.diagnostics.has_errors());
    CHECK(report::format_file_report(result.source, result.diagnostics) == test::read_text(expected_path));
  }
}

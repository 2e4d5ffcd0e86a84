// The fuzz target's path (plan_path.hpp) over the whole corpus, so each
// finding that became a corpus file stays fixed in the ordinary build: no
// exception, no broken invariant, and the valid configs reach the plans.
#include <catch2/catch.hpp>

#include "fuzz/plan_path.hpp"
#include "test_support.hpp"

using namespace drydock;

TEST_CASE("every corpus file goes through validate and plan as the fuzz target takes it", "[corpus][fuzz]")
{
  for (const char* folder : {"valid", "broken", "circle2"}) {
    const auto files = test::yaml_files(test::test_dir() / "corpus" / folder);
    REQUIRE_FALSE(files.empty());
    for (const auto& file : files) {
      INFO(std::string(folder) + "/" + file.filename().string());
      const auto outcome = fuzz::plan_path(test::read_text(file));
      CHECK(outcome.problem == "");
      CHECK(outcome.valid == (std::string(folder) != "broken"));
    }
  }
}

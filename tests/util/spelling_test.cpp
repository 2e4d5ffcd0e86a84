#include <catch2/catch.hpp>

#include "util/spelling.hpp"

using drydock::closest_match;
using drydock::edit_distance;

TEST_CASE("edit_distance counts insertions, deletions, substitutions and swaps", "[util][spelling]")
{
  CHECK(edit_distance("test", "test", 3) == 0);
  CHECK(edit_distance("tst", "test", 3) == 1);
  CHECK(edit_distance("tesst", "test", 3) == 1);
  CHECK(edit_distance("text", "test", 3) == 1);
  CHECK(edit_distance("onyl", "only", 3) == 1);
  CHECK(edit_distance("Test", "test", 3) == 0);
  CHECK(edit_distance("", "abc", 5) == 3);
}

TEST_CASE("edit_distance stops early past the limit", "[util][spelling]")
{
  CHECK(edit_distance("machine", "deployment", 2) == 3);
}

TEST_CASE("closest_match suggests only plausible typos", "[util][spelling]")
{
  const std::string_view keys[] = {"machine", "dependencies", "database", "test", "deployment"};
  CHECK(closest_match("dependncies", keys) == "dependencies");
  CHECK(closest_match("databse", keys) == "database");
  CHECK(closest_match("tset", keys) == "test");
  CHECK_FALSE(closest_match("notify", keys));
  CHECK_FALSE(closest_match("x", keys));
  const std::string_view short_names[] = {"a", "db", "app"};
  CHECK_FALSE(closest_match("d", short_names));
  CHECK(closest_match("ap", short_names) == "a"); // a tie goes to the first
  CHECK(closest_match("aps", short_names) == "app");
}

#include <catch2/catch.hpp>

#include "util/shell.hpp"

TEST_CASE("shell_quote makes one word of anything", "[util]")
{
  CHECK(drydock::shell_quote("plain") == "'plain'");
  CHECK(drydock::shell_quote("it's $HOME") == "'it'\\''s $HOME'");
  CHECK(drydock::shell_quote("") == "''");
}

#include <catch2/catch.hpp>

#include "record/safe_text.hpp"

using drydock::record::safe_text;

TEST_CASE("safe_text keeps UTF-8 text, tabs and newlines as they are", "[record][safe_text]")
{
  CHECK(safe_text("plain ascii\ttab\r\nnext") == "plain ascii\ttab\r\nnext");
  CHECK(safe_text("gr\xC3\xBC\xC3\x9F \xE2\x82\xAC \xF0\x9F\x98\x80")
        == "gr\xC3\xBC\xC3\x9F \xE2\x82\xAC \xF0\x9F\x98\x80");
  CHECK(safe_text("").empty());
}

TEST_CASE("safe_text replaces control characters and bytes that are not UTF-8 with U+FFFD", "[record][safe_text]")
{
  const std::string r = "\xEF\xBF\xBD";
  CHECK(safe_text(std::string("a\0b", 3)) == "a" + r + "b");
  CHECK(safe_text("\x1b[31mred") == r + "[31mred");
  CHECK(safe_text("\xFF\xFE") == r + r);
  CHECK(safe_text("\xC0\xAF") == r + r);                 // overlong '/'
  CHECK(safe_text("\xED\xA0\x80") == r + r + r);         // a surrogate
  CHECK(safe_text("\xF4\x90\x80\x80") == r + r + r + r); // past U+10FFFF
  CHECK(safe_text("cut \xE2\x82") == "cut " + r + r);
  CHECK(safe_text("\xEF\xBF\xBF") == r); // U+FFFF is not an XML character
}

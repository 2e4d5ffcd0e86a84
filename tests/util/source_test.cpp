#include <catch2/catch.hpp>

#include "util/source.hpp"

using drydock::Pos;
using drydock::SourceFile;

TEST_CASE("SourceFile maps byte offsets to 1-based line and character column", "[util][source]")
{
  const SourceFile file("f.yml", "ab\ncd\xc3\xa9x\n");
  CHECK(file.pos_of_offset(0) == Pos{1, 1});
  CHECK(file.pos_of_offset(1) == Pos{1, 2});
  CHECK(file.pos_of_offset(3) == Pos{2, 1});
  // 'x' is at byte 7 of the text but is the 4th character of line 2.
  CHECK(file.pos_of_offset(7) == Pos{2, 4});
  CHECK(file.pos_of_line_byte(1, 4) == Pos{2, 4});
}

TEST_CASE("SourceFile line text drops the line break, CRLF included", "[util][source]")
{
  const SourceFile file("f.yml", "one\r\ntwo\nthree");
  CHECK(file.line_count() == 3);
  CHECK(file.line_text(1) == "one");
  CHECK(file.line_text(2) == "two");
  CHECK(file.line_text(3) == "three");
  CHECK(file.line_text(4).empty());
  CHECK(file.line_text(0).empty());
}

TEST_CASE("offsets past the end clamp to the end of the text", "[util][source]")
{
  const SourceFile file("f.yml", "a\nb");
  CHECK(file.pos_of_offset(99) == Pos{2, 2});
  CHECK(file.pos_of_line_byte(7, 0) == Pos{2, 2});
}

TEST_CASE("find_non_text_byte accepts UTF-8 and finds NULs and malformed bytes", "[util][source]")
{
  CHECK_FALSE(drydock::find_non_text_byte("plain ascii\n"));
  CHECK_FALSE(drydock::find_non_text_byte("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\xa2"));
  CHECK(drydock::find_non_text_byte(std::string_view("ab\0c", 4)) == 2u);
  CHECK(drydock::find_non_text_byte("ab\xff") == 2u);
  CHECK(drydock::find_non_text_byte("ab\xc3") == 2u);        // truncated sequence
  CHECK(drydock::find_non_text_byte("\xc0\xaf") == 0u);      // overlong encoding
  CHECK(drydock::find_non_text_byte("a\xe2\x28\xa1") == 1u); // bad continuation
}

TEST_CASE("find_non_text_byte holds to RFC 3629, as JSON output does (fuzz finding)", "[util][source]")
{
  CHECK(drydock::find_non_text_byte("ab\xe0\x9e\x8b") == 2u);     // overlong three-byte form of U+078B
  CHECK(drydock::find_non_text_byte("ab\xed\xa0\x80") == 2u);     // a UTF-16 surrogate, U+D800
  CHECK(drydock::find_non_text_byte("ab\xf0\x8f\xbf\xbf") == 2u); // overlong four-byte form
  CHECK(drydock::find_non_text_byte("ab\xf4\x90\x80\x80") == 2u); // U+110000, past Unicode
  // The edges that are text: U+0800, U+D7FF, U+E000, U+10000, U+10FFFF.
  CHECK_FALSE(drydock::find_non_text_byte("\xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80 \xf0\x90\x80\x80 \xf4\x8f\xbf\xbf"));
}

TEST_CASE("count_chars counts code points, not bytes", "[util][source]")
{
  CHECK(drydock::count_chars("") == 0);
  CHECK(drydock::count_chars("abc") == 3);
  CHECK(drydock::count_chars("caf\xc3\xa9") == 4);
}

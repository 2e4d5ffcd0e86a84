#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "util/lines.hpp"

using namespace drydock;

namespace {

std::vector<std::string> split(std::string_view text)
{
  std::vector<std::string> out;
  for (const auto line : util::lines(text)) {
    out.emplace_back(line);
  }
  return out;
}

std::vector<std::string> getline_split(const std::string& text)
{
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  return out;
}

} // namespace

TEST_CASE("lines are split as std::getline splits a stream", "[util][lines]")
{
  CHECK(split("").empty());
  CHECK(split("\n") == std::vector<std::string>{""});
  CHECK(split("a") == std::vector<std::string>{"a"});
  CHECK(split("a\nb\n") == std::vector<std::string>{"a", "b"});
  CHECK(split("a\nb") == std::vector<std::string>{"a", "b"});
  CHECK(split("a\n\n\nb\n\n") == std::vector<std::string>{"a", "", "", "b", ""});
  CHECK(split("dos\r\nline\r\n") == std::vector<std::string>{"dos\r", "line\r"});
  for (const std::string text : {"", "\n", "\n\n", "x", "x\n", "\nx", "a\n\nb", "a\nb\n\n", "\r\n"}) {
    INFO("text: " << text);
    CHECK(split(text) == getline_split(text));
  }
}

TEST_CASE("lines are views into the text, and an early break is fine", "[util][lines]")
{
  const std::string text = "first\nsecond\nthird\n";
  const auto lines = util::lines(text);
  const auto first = *lines.begin();
  CHECK(first.data() == text.data());
  CHECK(std::distance(lines.begin(), lines.end()) == 3);
  std::string seen;
  for (const auto line : lines) {
    if (line == "second") {
      break;
    }
    seen += line;
  }
  CHECK(seen == "first");
}

TEST_CASE("split keeps every part between separators, empty ones too", "[util][lines]")
{
  using Parts = std::vector<std::string_view>;
  CHECK(drydock::util::split("a,,b", ',') == Parts{"a", "", "b"});
  CHECK(drydock::util::split("5.1.0", '.') == Parts{"5", "1", "0"});
  CHECK(drydock::util::split("", ',') == Parts{""});
  CHECK(drydock::util::split(",", ',') == Parts{"", ""});
  CHECK(drydock::util::split("abc", ',') == Parts{"abc"});
}

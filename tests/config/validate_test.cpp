// The whole pipeline on odd and hostile input: never a crash, always a
// positioned message.
#include <catch2/catch.hpp>

#include <random>

#include "test_support.hpp"

using namespace drydock;
using Messages = std::vector<std::string>;

TEST_CASE("an empty config is valid with a warning", "[validate]")
{
  CHECK(test::validate_messages("") == Messages{"1:1: warning: the config is empty; nothing will run"});
  CHECK(test::validate_messages("# only a comment\n") == Messages{"1:1: warning: the config is empty; nothing will run"});
}

TEST_CASE("a scalar or a list at the top level is refused", "[validate]")
{
  CHECK(test::validate_messages("42\n")
        == Messages{"1:1: error: a config must be a mapping of sections (machine, dependencies, test, ...), got a number (42)"});
}

TEST_CASE("binary input is refused before parsing", "[validate]")
{
  CHECK(test::validate_messages(std::string("a: \x01\x02\xfe", 6))
        == Messages{"1:6: error: not a text file: byte 0xfe is not valid UTF-8 text"});
}

TEST_CASE("diagnostics come out sorted by position", "[validate]")
{
  const auto messages = test::validate_messages("test:\n  overide: []\nmachine:\n  servises: []\n");
  REQUIRE(messages.size() == 2);
  CHECK(messages[0].starts_with("2:3:"));
  CHECK(messages[1].starts_with("4:3:"));
}

TEST_CASE("an error inside a merged anchor is reported once per use at the anchor", "[validate][merge]")
{
  CHECK(test::validate_messages("x-m: &m {timout: 1}\ntest:\n  override:\n    - a:\n        <<: *m\n")
        == Messages{"1:10: error: unknown key 'timout' in 'test.override[0]'; did you mean 'timeout'?"});
}

TEST_CASE("mutated corpus files never crash and every message is positioned in the file", "[validate][robust]")
{
  // Deterministic mutations (byte flips, deletions, duplications of lines)
  // of every valid corpus file; a crash, hang or exception fails the test.
  std::mt19937 random(20261122);
  int checked = 0;
  for (const auto& file : test::yaml_files(test::test_dir() / "corpus" / "valid")) {
    const std::string original = test::read_text(file);
    for (int round = 0; round < 60; ++round) {
      std::string text = original;
      const auto at = std::uniform_int_distribution<std::size_t>(0, text.size() - 1)(random);
      switch (round % 4) {
      case 0: text[at] = "-:[]{}&*!|>'\"#%@`\t\n "[random() % 21]; break;
      case 1: text.erase(at, std::min<std::size_t>(1 + random() % 12, text.size() - at)); break;
      case 2: text.insert(at, text.substr(0, std::min<std::size_t>(40, text.size()))); break;
      default: text[at] = static_cast<char>(random() % 256); break;
      }
      const auto result = config::validate_text("m.yml", text);
      for (const auto& d : result.diagnostics.all()) {
        INFO(d.message);
        CHECK(d.pos.line >= 1);
        CHECK(d.pos.line <= result.source.line_count());
        CHECK(d.pos.column >= 1);
        CHECK_FALSE(d.message.empty());
      }
      ++checked;
    }
  }
  CHECK(checked >= 480);
}

TEST_CASE("a filter with 16k nested groups is a positioned error, never a crash", "[validate][regex]")
{
  const std::string nested = std::string(16000, '(') + "a" + std::string(16000, ')');
  const std::string shown = std::string(60, '(') + "...";
  CHECK(test::validate_messages("general:\n  branches:\n    only: [master, /" + nested + "/]\n")
        == Messages{"3:20: error: invalid regular expression /" + shown +
                    "/: groups nested more than 1000 deep are not supported"});
  CHECK(test::validate_messages("drydock:\n  services:\n    db:\n      image: postgres:15\n      ready:\n"
                                "        log: '" + nested + "'\n")
        == Messages{"6:14: error: invalid regular expression '" + shown +
                    "': groups nested more than 1000 deep are not supported"});
}

TEST_CASE("patterns in RE2 syntax as Java users write them validate", "[validate][regex]")
{
  CHECK(test::validate_messages("general:\n  branches:\n    only: ['/\\Amaster\\z/', '/(?i)^release-\\d+$/']\n"
                                "    ignore: ['/^wip[[:digit:]]*/']\n")
        == Messages{});
}

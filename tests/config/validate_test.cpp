// The whole pipeline on odd and hostile input: never a crash, always a
// positioned message.
#include <catch2/catch.hpp>

#include <random>

#include "config/schema.hpp"
#include "test_support.hpp"

using namespace drydock;
using Messages = std::vector<std::string>;

TEST_CASE("an empty config is valid with a warning", "[validate]")
{
  CHECK(test::validate_messages("") == Messages{"1:1: warning: the config is empty; nothing will run"});
  CHECK(test::validate_messages("# only a comment\n")
        == Messages{"1:1: warning: the config is empty; nothing will run"});
}

TEST_CASE("a scalar or a list at the top level is refused", "[validate]")
{
  CHECK(test::validate_messages("42\n")
        == Messages{"1:1: error: a config must be a mapping of sections (machine, dependencies, test, ...), got a "
                    "number (42)"});
}

TEST_CASE("a 2.x config handed to the 1.0 checks is one error at version, none for its 2.x keys", "[validate]")
{
  // The command line sends such a file to the 2.x front end (frontends/format.hpp); this is
  // what any other caller of the 1.0 checks gets.
  CHECK(test::validate_messages("version: 2.1\njobs:\n  build:\n    docker: [{image: node}]\n    steps: [checkout]\n")
        == Messages{"1:1: error: this is a CircleCI 2.x config (version: 2.1), not circle.yml 1.0: drydock's "
                    "commands check and run it as 2.x"});
}

TEST_CASE("binary input is refused before parsing", "[validate]")
{
  CHECK(test::validate_messages(std::string("a: \x01\x02\xfe", 6))
        == Messages{"1:6: error: not a text file: byte 0xfe is not valid UTF-8 text"});
}

TEST_CASE("a NUL byte from a \\0 escape is an error, and later messages show the escape (fuzz finding)", "[validate]")
{
  // The command would run cut at the NUL; the top-level message quotes the
  // value as written, so the report stays text.
  CHECK(test::validate_messages("test:\n  override:\n    - \"echo a\\0; echo b\"\n")
        == Messages{"3:7: error: this value holds a NUL byte (\\0), which no command, path or variable can carry"});
  CHECK(test::validate_messages("\"\\0\"\n")
        == Messages{"1:1: error: this value holds a NUL byte (\\0), which no command, path or variable can carry",
                    "1:1: error: a config must be a mapping of sections (machine, dependencies, test, ...), got a "
                    "string ('\\0')"});
}

TEST_CASE("an unknown escape names its whole character, at its backslash (fuzz finding)", "[validate]")
{
  // yaml-cpp quotes the escape's first byte only: half of a character.
  CHECK(test::validate_messages("a: \"x\\\xc3\xa9y\"\n")
        == Messages{"1:6: error: YAML syntax: unknown escape character: \\\xc3\xa9"});
  CHECK(test::validate_messages("a: \"x\\q\"\n") == Messages{"1:6: error: YAML syntax: unknown escape character: \\q"});
  // After a byte order mark, which yaml-cpp's columns leave out.
  CHECK(test::validate_messages("\xef\xbb\xbf\"\\\xde\x85\"\n")
        == Messages{"1:3: error: YAML syntax: unknown escape character: \\\xde\x85"});
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
        == Messages{"3:20: error: invalid regular expression /" + shown
                    + "/: groups nested more than 1000 deep are not supported"});
  CHECK(test::validate_messages("drydock:\n  services:\n    db:\n      image: postgres:15\n      ready:\n"
                                "        log: '"
                                + nested + "'\n")
        == Messages{"6:14: error: invalid regular expression '" + shown
                    + "': groups nested more than 1000 deep are not supported"});
}

TEST_CASE("patterns in RE2 syntax as Java users write them validate", "[validate][regex]")
{
  CHECK(test::validate_messages("general:\n  branches:\n    only: ['/\\Amaster\\z/', '/(?i)^release-\\d+$/']\n"
                                "    ignore: ['/^wip[[:digit:]]*/']\n")
        == Messages{});
}

TEST_CASE("a command with a second key gets the loader's message, not the schema's", "[validate][schema]")
{
  // Was also "Value type not permitted by 'type' constraint. (schema, at
  // 'test.override[0].b')": valijson's words for a key the loader reports
  // at the command that holds it.
  CHECK(test::validate_messages("test:\n  override:\n    - a:\n      b: s\n")
        == Messages{"3:7: error: 'test.override[0]' must be a command: a string, or a mapping with one key (the "
                    "command) whose value holds the modifiers; this mapping has 2 keys"});
  CHECK(test::validate_messages("test:\n  override:\n    - ? [a]\n      : x\n")
        == Messages{"3:7: error: 'test.override[0]' must be a command (a string, or a mapping from the command to "
                    "its modifiers), got a mapping"});
}

TEST_CASE("a key that is not a plain name is reported by the loader wherever names are keys", "[validate][schema]")
{
  CHECK(test::validate_messages("machine:\n  environment:\n    ? [a]\n    :\n")
        == Messages{"3:7: error: 'a list' is not a valid environment variable name (letters, digits and _; not "
                    "starting with a digit)"});
  CHECK(test::validate_messages("deployment:\n  ? [a]\n  : {branch: x, commands: [y]}\n")
        == Messages{"2:5: error: keys must be plain names, but a key of 'deployment' is a list"});
  CHECK(test::validate_messages("drydock:\n  images:\n    ? ~\n    :\n")
        == Messages{"3:7: error: keys must be plain names, but a key of 'drydock.images' is nothing (null)"});
}

TEST_CASE("a schema issue the loader does not report is shown in drydock's words", "[validate][schema]")
{
  // Stricter schemas than the built-in one stand for constraints the loader
  // does not check yet.
  const auto shown = [](const char* schema_json, const char* yaml) {
    const config::SchemaValidator strict(schema_json);
    return test::messages(config::validate_text("t.yml", yaml, strict).diagnostics);
  };
  CHECK(shown(R"({"properties": {"test": {"properties": {"pre": {"type": "object"}}}}})", "test:\n  pre: [a]\n")
        == Messages{"2:8: error: a list is not allowed here (schema, at 'test.pre')"});
  CHECK(shown(R"({"properties": {"test": {"additionalProperties": false}}})", "test:\n  pre: [a]\n")
        == Messages{"2:3: error: unknown key 'pre' (schema, at 'test')"});
  CHECK(shown(R"({"properties": {"test": {"required": ["post"]}}})", "test:\n  pre: [a]\n")
        == Messages{"2:3: error: 'post' is missing, which is needed here (schema, at 'test')"});
}

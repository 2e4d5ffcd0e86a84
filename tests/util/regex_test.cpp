#include <catch2/catch.hpp>

#include "util/regex.hpp"

using namespace drydock;

namespace {

util::CompiledRegex compiled(std::string_view pattern)
{
  auto regex = util::compile_regex(pattern);
  INFO(pattern << ": " << (regex ? "" : regex.error()));
  REQUIRE(regex);
  return *regex;
}

std::string refusal(std::string_view pattern)
{
  const auto regex = util::compile_regex(pattern);
  return regex ? std::string("(compiled)") : regex.error();
}

} // namespace

TEST_CASE("regex: \\A and \\z anchor the input, not the letters A and z", "[regex]")
{
  const auto master = compiled("\\Amaster\\z");
  CHECK(master.search("master"));
  CHECK_FALSE(master.search("Amasterz"));
  CHECK_FALSE(master.search("master2"));
}

TEST_CASE("regex: what Java users write and RE2 understands", "[regex]")
{
  CHECK(compiled("(?i)^MASTER$").search("master"));
  CHECK(compiled("^release/[0-9]+\\.[0-9]+$").search("release/1.4"));
  CHECK(compiled("^feature_\\w+").search("feature_x"));
  CHECK(compiled("[[:alpha:]]+-\\d{2,}").search("hotfix-12"));
  CHECK(compiled("\\p{L}+").search("été"));
  CHECK(compiled("\\Qa.b\\E").search("a.b"));
  CHECK_FALSE(compiled("\\Qa.b\\E").search("axb"));
  CHECK(compiled("a.*?b").search("aXXb"));
  CHECK(compiled("\\bv1\\b").search("tag v1 here"));
  CHECK(compiled("[]a]").search("]"));
  CHECK(compiled("\\x{41}+").search("AA"));
  CHECK(compiled("ready").full_match("ready"));
  CHECK_FALSE(compiled("ready").full_match("is ready"));
}

TEST_CASE("regex: Java constructs RE2 cannot do are refused by name", "[regex]")
{
  const std::string why = " is not supported: drydock matches with RE2 (linear time)";
  CHECK(refusal("(a)\\1") == "backreference \\1" + why);
  CHECK(refusal("(?<n>a)\\k<n>") == "named group (?<name>...)" + why + "; write (?P<name>...)");
  CHECK(refusal("(?P<n>a)\\k<n>") == "backreference \\k<name>" + why);
  CHECK(refusal("^(?=master)") == "lookahead (?=...)" + why);
  CHECK(refusal("^(?!wip)") == "negative lookahead (?!...)" + why);
  CHECK(refusal("(?<=v)1") == "lookbehind (?<=...)" + why);
  CHECK(refusal("(?<!v)1") == "negative lookbehind (?<!...)" + why);
  CHECK(refusal("(?>a|ab)c") == "atomic group (?>...)" + why);
  CHECK(refusal("a*+") == "possessive quantifier *+" + why);
  CHECK(refusal("a++b") == "possessive quantifier ++" + why);
  CHECK(refusal("a?+") == "possessive quantifier ?+" + why);
  CHECK(refusal("a{2,3}+") == "possessive quantifier {2,3}+" + why);
  CHECK(refusal("master\\Z") == "\\Z" + why + "; write \\z (or $) for the end of the input");
  CHECK(refusal("\\Gx") == "\\G" + why);
  CHECK(refusal("[a-z&&[^b]]") == "character class intersection [...&&...]" + why);
  CHECK(refusal("[a[bc]]")
        == "a character class inside a character class [...[...]...]" + why + "; write the characters in one class");
}

TEST_CASE("regex: look-alikes of refused constructs are fine", "[regex]")
{
  CHECK(compiled("\\\\1").search("\\1"));     // an escaped backslash, then 1
  CHECK(compiled("[(?=]").search("="));       // a class of three characters
  CHECK(compiled("a+?b").search("aab"));      // lazy, not possessive
  CHECK(compiled("\\Q(?=\\E").search("(?=")); // quoted text
  CHECK(compiled("a\\++").search("a++"));     // an escaped plus, repeated
  CHECK(compiled("x{a}+").search("x{a}}"));   // '{' that is no repetition
}

TEST_CASE("regex: RE2's own errors in words", "[regex]")
{
  CHECK(refusal("release-(") == "a '(' has no ')' to close it");
  CHECK(refusal("feature_[") == "a '[' has no ']' to close it");
  CHECK(refusal("a)") == "a ')' has no '(' to open it");
  CHECK(refusal("*a") == "'*' has nothing before it to repeat");
  CHECK(refusal("a{1001}") == "the repetition {1001} is too large (RE2 allows up to 1000)");
  CHECK(refusal("\\p{Alpha}") == "invalid character class or range \\p{Alpha}");
  CHECK(refusal("(?x)a") == "unsupported group or flag (?x");
  CHECK(refusal("a\\") == "it ends with a lone '\\'");
}

TEST_CASE("regex: deep nesting is refused, never a crash", "[regex]")
{
  const auto nested = [](int depth) { return std::string(depth, '(') + "a" + std::string(depth, ')'); };
  CHECK(compiled(nested(util::kMaxRegexNesting)).search("a"));
  CHECK(refusal(nested(16000)) == "groups nested more than 1000 deep are not supported");
  CHECK(refusal(nested(util::kMaxRegexNesting + 1)) == "groups nested more than 1000 deep are not supported");
}

TEST_CASE("regex: long inputs match in linear time, without recursion", "[regex]")
{
  const std::string long_name(std::size_t{100} * 1024, 'a');
  CHECK(compiled("^(a|b)*$").search(long_name));
  CHECK(compiled(".*ready").search(std::string(1 << 20, 'x') + "ready"));
  CHECK_FALSE(compiled(".*ready").search(std::string(1 << 20, 'x')));
}

TEST_CASE("regex: whole-text groups, unmatched ones empty", "[regex]")
{
  const auto ref = compiled("([a-z]+)(?::([a-z0-9]+))?");
  const auto tagged = ref.full_match_groups("redis:7");
  REQUIRE(tagged);
  CHECK(*tagged == std::vector<std::optional<std::string_view>>{"redis", "7"});
  const auto bare = ref.full_match_groups("redis");
  REQUIRE(bare);
  CHECK(*bare == std::vector<std::optional<std::string_view>>{"redis", std::nullopt});
  CHECK_FALSE(ref.full_match_groups("Redis"));
}

TEST_CASE("regex: long patterns are quoted short", "[regex]")
{
  CHECK(util::shown_pattern("^master$") == "^master$");
  CHECK(util::shown_pattern(std::string(100, '(')) == std::string(60, '(') + "...");
}

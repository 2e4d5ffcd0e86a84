#include <catch2/catch.hpp>

#include "config/yaml_tree.hpp"
#include "test_support.hpp"

using namespace drydock;
using namespace drydock::config;

namespace {

struct Parsed {
  SourceFile source;
  Diagnostics diags;
  NodePtr root;
};

Parsed parse(const std::string& text, TreeLimits limits = {})
{
  Parsed parsed{SourceFile("t.yml", text), {}, nullptr};
  parsed.root = parse_yaml(parsed.source, parsed.diags, limits);
  return parsed;
}

std::vector<std::string> keys_of(const Node& map)
{
  std::vector<std::string> keys;
  for (const auto& entry : map.entries) {
    keys.push_back(entry.key->text);
  }
  return keys;
}

} // namespace

TEST_CASE("every node keeps its 1-based position", "[yaml]")
{
  const auto p = parse("test:\n  override:\n    - make\n");
  REQUIRE(p.root);
  CHECK(p.root->pos == Pos{1, 1});
  const Node* test = p.root->find("test");
  REQUIRE(test);
  CHECK(test->pos == Pos{2, 3});
  const Node* override_ = test->find("override");
  REQUIRE(override_);
  REQUIRE(override_->items.size() == 1);
  CHECK(override_->items[0]->pos == Pos{3, 7});
  CHECK(override_->items[0]->text == "make");
  CHECK(p.root->entries[0].key->pos == Pos{1, 1});
}

TEST_CASE("plain and quoted scalars are told apart", "[yaml]")
{
  const auto p = parse("a: 1\nb: \"1\"\nc: |\n  text\n");
  CHECK(p.root->find("a")->is_plain());
  CHECK_FALSE(p.root->find("b")->is_plain());
  CHECK_FALSE(p.root->find("c")->is_plain());
  CHECK(p.root->find("c")->text == "text\n");
}

TEST_CASE("duplicate keys are errors that name the first definition", "[yaml]")
{
  const auto p = parse("a: 1\nb: 2\na: 3\n");
  CHECK(test::messages(p.diags)
        == std::vector<std::string>{"3:1: error: duplicate key 'a' (first defined at line 1, column 1)"});
  REQUIRE(p.root);
  CHECK(keys_of(*p.root) == std::vector<std::string>{"a", "b"});
  CHECK(p.root->find("a")->text == "1");
}

TEST_CASE("merge keys bring in entries; explicit keys win", "[yaml][merge]")
{
  const auto p = parse("base: &base {a: 1, b: 2}\nuse:\n  <<: *base\n  b: 3\n");
  REQUIRE(p.diags.all().empty());
  const Node* use = p.root->find("use");
  CHECK(keys_of(*use) == std::vector<std::string>{"b", "a"});
  CHECK(use->find("a")->text == "1");
  CHECK(use->find("b")->text == "3");
  CHECK(use->entries[1].merged);
  CHECK_FALSE(use->entries[0].merged);
}

TEST_CASE("a list of merged mappings gives the first one priority", "[yaml][merge]")
{
  const auto p = parse("x: &x {k: from-x, only-x: 1}\ny: &y {k: from-y, only-y: 2}\nuse:\n  <<: [*x, *y]\n");
  REQUIRE(p.diags.all().empty());
  const Node* use = p.root->find("use");
  CHECK(use->find("k")->text == "from-x");
  CHECK(use->find("only-x")->text == "1");
  CHECK(use->find("only-y")->text == "2");
}

TEST_CASE("a quoted '<<' is an ordinary key, not a merge", "[yaml][merge]")
{
  const auto p = parse("x: &x {a: 1}\nuse:\n  \"<<\": *x\n");
  REQUIRE(p.diags.all().empty());
  CHECK(keys_of(*p.root->find("use")) == std::vector<std::string>{"<<"});
}

TEST_CASE("merging something other than mappings is an error", "[yaml][merge]")
{
  const auto p = parse("use:\n  <<: text\n");
  CHECK(test::messages(p.diags)
        == std::vector<std::string>{"2:7: error: '<<' needs a mapping or a list of mappings, got a string ('text')"});
}

TEST_CASE("an alias keeps the position where it is used", "[yaml][alias]")
{
  const auto p = parse("a: &anchor [1, 2]\nb: *anchor\n");
  REQUIRE(p.diags.all().empty());
  CHECK(p.root->find("a")->pos == Pos{1, 4});
  CHECK(p.root->find("b")->pos == Pos{2, 4});
  CHECK(p.root->find("b")->items.size() == 2);
}

TEST_CASE("an alias inside its own anchor is an error, not a loop", "[yaml][alias]")
{
  const auto p = parse("a: &x [1, *x]\n");
  CHECK(test::messages(p.diags)
        == std::vector<std::string>{"1:11: error: alias refers to a node that contains it (recursive alias)"});
}

TEST_CASE("alias bombs are stopped by the expansion limit", "[yaml][limits]")
{
  std::string text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char name = 'b'; name <= 'h'; ++name) {
    const char prev = static_cast<char>(name - 1);
    text += fmt::format("{0}: &{0} [*{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}]\n", name, prev);
  }
  const auto p = parse(text, TreeLimits{.max_depth = 64, .max_expanded_nodes = 100'000});
  CHECK(p.root == nullptr);
  CHECK(test::messages(p.diags)
        == std::vector<std::string>{"1:1: error: the document expands to more than 100000 nodes through aliases"});
}

TEST_CASE("nesting past the depth limit stops parsing with one error", "[yaml][limits]")
{
  const std::string text = "a: " + std::string(10'000, '[') + std::string(10'000, ']') + "\n";
  const auto p = parse(text, TreeLimits{.max_depth = 8, .max_expanded_nodes = 1000});
  CHECK(p.root == nullptr);
  CHECK(test::messages(p.diags) == std::vector<std::string>{"1:11: error: nesting is deeper than 8 levels"});
}

TEST_CASE("syntax errors carry yaml-cpp's position and message", "[yaml]")
{
  const auto p = parse("a: [1, 2\n");
  CHECK(p.root == nullptr);
  REQUIRE(p.diags.error_count() == 1);
  CHECK(p.diags.all()[0].message.starts_with("YAML syntax: "));
}

TEST_CASE("a second document is an error", "[yaml]")
{
  const auto p = parse("a: 1\n---\nb: 2\n");
  CHECK(test::messages(p.diags)
        == std::vector<std::string>{"2:1: error: a config file holds one YAML document, but a second one starts here"});
}

TEST_CASE("an empty text has no document", "[yaml]")
{
  const auto p = parse("");
  CHECK(p.root == nullptr);
  CHECK(p.diags.all().empty());
}

TEST_CASE("an empty value points at its key; an empty list item at its dash", "[yaml]")
{
  const auto p = parse("a:\nb:\n  -\n  - x\n");
  REQUIRE(p.root);
  CHECK(p.root->find("a")->is_null());
  CHECK(p.root->find("a")->pos == Pos{1, 1});
  CHECK(p.root->find("b")->items[0]->pos == Pos{3, 3});
}

TEST_CASE("the escapes \\N and \\_ come out as UTF-8, where yaml-cpp gives one byte (fuzz finding)", "[yaml]")
{
  const auto p = parse("a: \"x\\N\\_y\\u00e9\\N\"\nb: \"\\L\\P\\x85\"\n");
  REQUIRE(p.root);
  CHECK(p.diags.all().empty());
  CHECK(p.root->find("a")->text == "x\xc2\x85\xc2\xa0y\xc3\xa9\xc2\x85");
  CHECK(p.root->find("b")->text == "\xe2\x80\xa8\xe2\x80\xa9\xc2\x85");
  CHECK(p.root->find("a")->length == 8); // 6 characters and the quotes
}

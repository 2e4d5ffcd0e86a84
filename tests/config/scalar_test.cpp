#include <catch2/catch.hpp>

#include "config/scalar.hpp"

using namespace drydock::config;

namespace {
Node plain(std::string text)
{
  Node node;
  node.kind = NodeKind::scalar;
  node.text = std::move(text);
  node.tag = "?";
  return node;
}
Node quoted(std::string text)
{
  Node node = plain(std::move(text));
  node.tag = "!";
  return node;
}
} // namespace

TEST_CASE("plain scalars resolve by the YAML 1.2 core schema", "[scalar]")
{
  CHECK(resolve_scalar(plain("~")) == ScalarType::null);
  CHECK(resolve_scalar(plain("null")) == ScalarType::null);
  CHECK(resolve_scalar(plain("true")) == ScalarType::boolean);
  CHECK(resolve_scalar(plain("FALSE")) == ScalarType::boolean);
  CHECK(resolve_scalar(plain("yes")) == ScalarType::string); // YAML 1.1 only
  CHECK(resolve_scalar(plain("240")) == ScalarType::integer);
  CHECK(resolve_scalar(plain("-7")) == ScalarType::integer);
  CHECK(resolve_scalar(plain("0x1F")) == ScalarType::integer);
  CHECK(resolve_scalar(plain("0o17")) == ScalarType::integer);
  CHECK(resolve_scalar(plain("3.5")) == ScalarType::floating);
  CHECK(resolve_scalar(plain("1e3")) == ScalarType::floating);
  CHECK(resolve_scalar(plain(".inf")) == ScalarType::floating);
  CHECK(resolve_scalar(plain("3.5.1")) == ScalarType::string);
  CHECK(resolve_scalar(plain("1e")) == ScalarType::string);
  CHECK(resolve_scalar(plain("make test")) == ScalarType::string);
}

TEST_CASE("quoted scalars are strings and tags are honoured", "[scalar]")
{
  CHECK(resolve_scalar(quoted("240")) == ScalarType::string);
  CHECK(resolve_scalar(quoted("true")) == ScalarType::string);
  Node tagged = quoted("12");
  tagged.tag = "tag:yaml.org,2002:int";
  CHECK(resolve_scalar(tagged) == ScalarType::integer);
  CHECK(scalar_as_integer(tagged) == 12);
}

TEST_CASE("integers and booleans convert, out of range does not", "[scalar]")
{
  CHECK(scalar_as_integer(plain("240")) == 240);
  CHECK(scalar_as_integer(plain("+5")) == 5);
  CHECK(scalar_as_integer(plain("0x10")) == 16);
  CHECK_FALSE(scalar_as_integer(plain("99999999999999999999")));
  CHECK_FALSE(scalar_as_integer(plain("abc")));
  CHECK(scalar_as_bool(plain("True")) == true);
  CHECK(scalar_as_bool(plain("false")) == false);
  CHECK_FALSE(scalar_as_bool(plain("1")));
}

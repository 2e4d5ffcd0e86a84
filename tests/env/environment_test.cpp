#include <catch2/catch.hpp>

#include "env/environment.hpp"

using drydock::env::Environment;
using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST_CASE("expand replaces $NAME and ${NAME}; unset names expand to nothing", "[env]")
{
  Environment env;
  env.set("HOME", "/home/u");
  env.set("A_B", "x");
  CHECK(drydock::env::expand("${HOME}/.go:$HOME/bin", env) == "/home/u/.go:/home/u/bin");
  CHECK(drydock::env::expand("$A_B-$MISSING-${MISSING}.", env) == "x--.");
  CHECK(drydock::env::expand("cost \\$5 and $1", env) == "cost $5 and $1");
  CHECK(drydock::env::expand("open ${HOME", env) == "open ${HOME");
}

TEST_CASE("apply_expanded lets later values refer to earlier ones", "[env]")
{
  Environment env = Environment::from_entries({"PATH=/usr/bin", "HOME=/h"});
  drydock::env::apply_expanded(env, {{"GOPATH", "${HOME}/go"}, {"PATH", "$GOPATH/bin:${PATH}"}});
  CHECK(env.get("PATH") == "/h/go/bin:/usr/bin");
  CHECK(env.vars().size() == 3);
  CHECK(env.entries().front() == "PATH=/h/go/bin:/usr/bin");
}

TEST_CASE("dotenv files: comments, export, quotes and escapes", "[env]")
{
  const auto vars = drydock::env::parse_dotenv(R"(# comment
PLAIN=value # trailing comment
export EXPORTED=yes

SINGLE='literal $HOME \n'
DOUBLE="line\nnext \"quoted\""
EMPTY=
)");
  REQUIRE(vars);
  CHECK(*vars
        == Pairs{{"PLAIN", "value"},
                 {"EXPORTED", "yes"},
                 {"SINGLE", "literal $HOME \\n"},
                 {"DOUBLE", "line\nnext \"quoted\""},
                 {"EMPTY", ""}});
}

TEST_CASE("dotenv errors name the line", "[env]")
{
  CHECK(drydock::env::parse_dotenv("A=1\nnot an assignment\n").error() == "line 2: expected NAME=value");
  CHECK(drydock::env::parse_dotenv("BAD-NAME=1\n").error() == "line 1: 'BAD-NAME' is not a valid variable name");
  CHECK(drydock::env::parse_dotenv("A=\"open\n").error() == "line 1: missing closing \"");
}

TEST_CASE("command-line NAME=value assignments", "[env]")
{
  CHECK(drydock::env::parse_assignment("CIRCLE_BRANCH=master").value()
        == std::pair<std::string, std::string>{"CIRCLE_BRANCH", "master"});
  CHECK(drydock::env::parse_assignment("EMPTY=").value().second.empty());
  CHECK(drydock::env::parse_assignment("X=a=b").value().second == "a=b");
  CHECK(drydock::env::parse_assignment("novalue").error() == "expected NAME=value, got 'novalue'");
}

TEST_CASE("a leading ~ is the home directory, elsewhere it is a character", "[env]")
{
  CHECK(drydock::env::expand_home("~", "/home/ci") == "/home/ci");
  CHECK(drydock::env::expand_home("~/cache", "/home/ci") == "/home/ci/cache");
  CHECK(drydock::env::expand_home("~other/x", "/home/ci") == "~other/x");
  CHECK(drydock::env::expand_home("a/~/b", "/home/ci") == "a/~/b");
}

TEST_CASE("without drops the names and PREFIX* matches, keeping the rest in order", "[env]")
{
  const auto env = drydock::env::Environment::from_entries(
      {"PATH=/bin", "CIRCLE_TOKEN=t", "CIRCLECI=true", "CIRCLE_=x", "DIR=/d", "DIR2=/e", "HOME=/h"});
  const auto kept = drydock::env::without(env, {"CIRCLE_*", "DIR"});
  CHECK(kept.entries() == std::vector<std::string>{"PATH=/bin", "CIRCLECI=true", "DIR2=/e", "HOME=/h"});
  CHECK(drydock::env::without(env, {}).entries() == env.entries());
  CHECK(drydock::env::without(env, {"*"}).entries().empty());
}

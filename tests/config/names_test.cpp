// Names and input paths checked at validate time (config/names.cpp); the
// messages themselves are pinned in corpus/broken/names_and_inputs.yml.
#include <catch2/catch.hpp>

#include "config/names.hpp"
#include "test_support.hpp"

using namespace drydock::config;

TEST_CASE("drydock names: a safe charset, never . or .., at most 63 characters", "[checks][names]")
{
  CHECK(valid_simple_name("app"));
  CHECK(valid_simple_name("App_2.x-y"));
  CHECK(valid_simple_name("a..b")); // no '/', so never a path
  CHECK(valid_simple_name(std::string(63, 'a')));
  CHECK_FALSE(valid_simple_name(std::string(64, 'a')));
  CHECK_FALSE(valid_simple_name(""));
  CHECK_FALSE(valid_simple_name("."));
  CHECK_FALSE(valid_simple_name(".."));
  CHECK_FALSE(valid_simple_name("../../x"));
  CHECK_FALSE(valid_simple_name("a/b"));
  CHECK_FALSE(valid_simple_name("-a"));
  CHECK_FALSE(valid_simple_name("_a"));
  CHECK_FALSE(valid_simple_name("a b"));
  CHECK_FALSE(valid_simple_name("a\nb"));
}

TEST_CASE("step ids: no whitespace or control characters, at most 128 characters", "[checks][names]")
{
  CHECK(valid_step_id("unit"));
  CHECK(valid_step_id("ci/unit:py3.11_a-b"));
  CHECK(valid_step_id(std::string(128, 'a')));
  CHECK_FALSE(valid_step_id(std::string(129, 'a')));
  CHECK_FALSE(valid_step_id("lint\nok 1"));
  CHECK_FALSE(valid_step_id("a\tb"));
  CHECK_FALSE(valid_step_id("unit tests"));
  CHECK_FALSE(valid_step_id(":a"));
}

TEST_CASE("repositories: docker's reference name grammar, no tag, at most 255 characters", "[checks][names]")
{
  CHECK(valid_repository("acme/app"));
  CHECK(valid_repository("app"));
  CHECK(valid_repository("localhost:5000/a/b"));
  CHECK(valid_repository("registry.example.com/a__b/c--d"));
  CHECK(valid_repository(std::string(255, 'a')));
  CHECK_FALSE(valid_repository(std::string(256, 'a')));
  CHECK_FALSE(valid_repository("Evil/UPPER"));
  CHECK_FALSE(valid_repository("a; b"));
  CHECK_FALSE(valid_repository("acme/app:1.0"));
  CHECK_FALSE(valid_repository(""));
}

TEST_CASE("an input leaves the config's folder when absolute or through ..", "[checks][names]")
{
  CHECK_FALSE(input_leaves_folder("requirements/*.txt"));
  CHECK_FALSE(input_leaves_folder("docs/../requirements/base.txt"));
  CHECK_FALSE(input_leaves_folder("./a"));
  CHECK(input_leaves_folder("/etc/shadow"));
  CHECK(input_leaves_folder("../x"));
  CHECK(input_leaves_folder("a/../../x"));
  CHECK(input_leaves_folder("*/../../x"));
  CHECK(input_leaves_folder(".."));
}

TEST_CASE("allow_outside_inputs lets an image's inputs leave the config's folder", "[checks][names]")
{
  const std::string config = "drydock:\n  images:\n    app:\n      repository: acme/app\n"
                             "      inputs: [/etc/hosts, ../x]\n";
  CHECK(drydock::test::validate_messages(config).size() == 2);
  CHECK(drydock::test::validate_messages(config + "      allow_outside_inputs: true\n").empty());
}

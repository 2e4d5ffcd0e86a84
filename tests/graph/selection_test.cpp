#include <catch2/catch.hpp>

#include "graph/selection.hpp"
#include "test_support.hpp"

using namespace drydock;
using graph::BuildTarget;

TEST_CASE("patterns: exact names, and regexes searched anywhere", "[selection]")
{
  const config::Pattern exact{"master", false, {}};
  const config::Pattern regex{"feature_.*", true, {}};
  const config::Pattern anchored{"^v[0-9]+$", true, {}};
  CHECK(graph::pattern_matches(exact, "master"));
  CHECK_FALSE(graph::pattern_matches(exact, "master2"));
  CHECK(graph::pattern_matches(regex, "my-feature_x"));
  CHECK(graph::pattern_matches(anchored, "v12"));
  CHECK_FALSE(graph::pattern_matches(anchored, "v12-rc"));
}

TEST_CASE("general.branches only and ignore", "[selection]")
{
  const auto config = test::load("general:\n  branches:\n    only: [master, /release-.*/]\n    ignore: [release-old]\n");
  const auto& filter = config.general.branches;
  CHECK(graph::decide_branches(filter, {"master", "", ""}).runs);
  CHECK(graph::decide_branches(filter, {"release-2", "", ""}).runs);
  const auto other = graph::decide_branches(filter, {"topic", "", ""});
  CHECK_FALSE(other.runs);
  CHECK(other.reason == "branch 'topic' is not in general.branches.only ('master', /release-.*/)");
  const auto ignored = graph::decide_branches(filter, {"release-old", "", ""});
  CHECK_FALSE(ignored.runs);
  CHECK(ignored.reason == "branch 'release-old' is ignored by general.branches.ignore ('release-old')");
  CHECK(graph::decide_branches(filter, {"", "v1.0", ""}).runs);
}

TEST_CASE("the first matching deployment section is chosen, with reasons for all", "[selection]")
{
  const auto config = test::load(R"(deployment:
  prod:
    branch: master
    owner: acme
    commands: [a]
  any-release:
    tag: /^v[0-9.]+$/
    commands: [b]
  features:
    branch: [dev, /feature-.*/]
    commands: [c]
  catch-all:
    branch: /.*/
    commands: [d]
)");
  const auto on_feature = graph::choose_deployment(config.deployment, {"feature-x", "", "acme"});
  CHECK(on_feature.selected == 2u);
  REQUIRE(on_feature.sections.size() == 4);
  CHECK(on_feature.sections[0].reason == "branch 'feature-x' does not match 'master'");
  CHECK(on_feature.sections[1].reason == "the build is not for a tag");
  CHECK(on_feature.sections[2].reason == "branch 'feature-x' matches /feature-.*/");
  CHECK(on_feature.sections[3].reason == "an earlier section ('features') already matched");

  const auto fork = graph::choose_deployment(config.deployment, {"master", "", "someone"});
  CHECK(fork.sections[0].reason == "owner 'someone' is not 'acme'");
  CHECK(fork.selected == 3u);

  const auto tag = graph::choose_deployment(config.deployment, {"", "v1.2.3", "acme"});
  CHECK(tag.selected == 1u);
  CHECK(tag.sections[0].reason == "the build has no branch");
  CHECK(tag.sections[1].reason == "tag 'v1.2.3' matches /^v[0-9.]+$/");
}

TEST_CASE("no section matches: nothing is selected", "[selection]")
{
  const auto config = test::load("deployment:\n  prod:\n    branch: master\n    commands: [a]\n");
  const auto choice = graph::choose_deployment(config.deployment, {"topic", "", ""});
  CHECK_FALSE(choice.selected);
  CHECK_FALSE(choice.sections[0].selected);
}

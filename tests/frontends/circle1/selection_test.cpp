#include <catch2/catch.hpp>

#include "frontends/circle1/selection.hpp"
#include "test_support.hpp"

using namespace drydock;
using circle1::BuildTarget;

TEST_CASE("patterns: exact names, and regexes searched anywhere", "[selection]")
{
  const config::Pattern exact{"master", false, {}, std::nullopt};
  const config::Pattern regex{"feature_.*", true, {}, std::nullopt}; // compiled on the way
  const config::Pattern anchored{"^v[0-9]+$", true, {}, std::nullopt};
  CHECK(circle1::pattern_matches(exact, "master") == true);
  CHECK(circle1::pattern_matches(exact, "master2") == false);
  CHECK(circle1::pattern_matches(regex, "my-feature_x") == true);
  CHECK(circle1::pattern_matches(anchored, "v12") == true);
  CHECK(circle1::pattern_matches(anchored, "v12-rc") == false);
}

TEST_CASE("general.branches only and ignore", "[selection]")
{
  const auto config = test::load("general:\n  branches:\n    only: [master, /release-.*/]\n    ignore: "
                                 "[release-old]\n");
  const auto& filter = config.general.branches;
  CHECK(circle1::decide_branches(filter, {"master", "", ""})->runs);
  CHECK(circle1::decide_branches(filter, {"release-2", "", ""})->runs);
  const auto other = circle1::decide_branches(filter, {"topic", "", ""}).value();
  CHECK_FALSE(other.runs);
  CHECK(other.reason == "branch 'topic' is not in general.branches.only ('master', /release-.*/)");
  const auto ignored = circle1::decide_branches(filter, {"release-old", "", ""}).value();
  CHECK_FALSE(ignored.runs);
  CHECK(ignored.reason == "branch 'release-old' is ignored by general.branches.ignore ('release-old')");
  CHECK(circle1::decide_branches(filter, {"", "v1.0", ""})->runs);
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
  const auto on_feature = circle1::choose_deployment(config.deployment, {"feature-x", "", "acme"}).value();
  CHECK(on_feature.selected == 2u);
  REQUIRE(on_feature.sections.size() == 4);
  CHECK(on_feature.sections[0].reason == "branch 'feature-x' does not match 'master'");
  CHECK(on_feature.sections[1].reason == "the build is not for a tag");
  CHECK(on_feature.sections[2].reason == "branch 'feature-x' matches /feature-.*/");
  CHECK(on_feature.sections[3].reason == "an earlier section ('features') already matched");

  const auto fork = circle1::choose_deployment(config.deployment, {"master", "", "someone"}).value();
  CHECK(fork.sections[0].reason == "owner 'someone' is not 'acme'");
  CHECK(fork.selected == 3u);

  const auto tag = circle1::choose_deployment(config.deployment, {"", "v1.2.3", "acme"}).value();
  CHECK(tag.selected == 1u);
  CHECK(tag.sections[0].reason == "the build has no branch");
  CHECK(tag.sections[1].reason == "tag 'v1.2.3' matches /^v[0-9.]+$/");
}

TEST_CASE("no section matches: nothing is selected", "[selection]")
{
  const auto config = test::load("deployment:\n  prod:\n    branch: master\n    commands: [a]\n");
  const auto choice = circle1::choose_deployment(config.deployment, {"topic", "", ""}).value();
  CHECK_FALSE(choice.selected);
  CHECK_FALSE(choice.sections[0].selected);
}

TEST_CASE("a long branch name against /^(a|b)*$/ matches, without a crash", "[selection]")
{
  const auto config = test::load("general:\n  branches:\n    only: [/^(a|b)*$/]\n"
                                 "deployment:\n  ab:\n    branch: /^(a|b)*$/\n    commands: [a]\n");
  const std::string branch(100 * 1024, 'a');
  const auto decision = circle1::decide_branches(config.general.branches, {branch, "", ""}).value();
  CHECK(decision.runs);
  CHECK(circle1::choose_deployment(config.deployment, {branch, "", ""}).value().selected == 0u);
  CHECK_FALSE(circle1::decide_branches(config.general.branches, {branch + "c", "", ""}).value().runs);
}

TEST_CASE("/\\Amaster\\z/ is the whole name master, not Amasterz", "[selection]")
{
  const auto config = test::load("general:\n  branches:\n    only: [/\\Amaster\\z/]\n");
  CHECK(circle1::decide_branches(config.general.branches, {"master", "", ""}).value().runs);
  CHECK_FALSE(circle1::decide_branches(config.general.branches, {"Amasterz", "", ""}).value().runs);
  CHECK_FALSE(circle1::decide_branches(config.general.branches, {"mastery", "", ""}).value().runs);
}

TEST_CASE("a regex that cannot compile is an error, not \"no match\"", "[selection]")
{
  config::Deployment section;
  section.name = "broken";
  section.branch = {{"^(?=rel)", true, {7, 13}, std::nullopt}};
  const auto choice = circle1::choose_deployment({section}, {"release", "", ""});
  REQUIRE_FALSE(choice);
  CHECK(choice.error()
        == "invalid regular expression /^(?=rel)/ at line 7, column 13: lookahead (?=...) is "
           "not supported: drydock matches with RE2 (linear time)");
  config::BranchFilter filter;
  filter.ignore = section.branch;
  const auto decision = circle1::decide_branches(filter, {"release", "", ""});
  REQUIRE_FALSE(decision);
  CHECK(decision.error() == choice.error());
}

TEST_CASE("[ci skip] or [skip ci] in the commit's title or body skips the build", "[selection]")
{
  const std::string sha = "0123456789abcdef0123456789abcdef01234567";
  const auto title = circle1::decide_commit(sha, "docs: typo [ci skip]\n");
  CHECK_FALSE(title.runs);
  CHECK(title.reason == "the commit message of 0123456789ab holds [ci skip]");
  const auto body = circle1::decide_commit(sha, "Squashed work\n\n* wip\n* [skip ci] readme\n");
  CHECK_FALSE(body.runs);
  CHECK(body.reason == "the commit message of 0123456789ab holds [skip ci]");
  // both: the first one written is named
  CHECK(circle1::decide_commit(sha, "[skip ci] and [ci skip]").reason
        == "the commit message of 0123456789ab holds [skip ci]");
  const auto plain = circle1::decide_commit(sha, "Fix the parser\n\nci skip, skip-ci and [ci  skip] are not it\n");
  CHECK(plain.runs);
  CHECK(plain.reason == "the commit message holds no [ci skip] or [skip ci]");
  // written as CircleCI documents them, in lower case
  CHECK(circle1::decide_commit(sha, "[CI SKIP]").runs);
}

TEST_CASE("outside a git commit nothing is skipped", "[selection]")
{
  const auto decision = circle1::decide_commit("", "[ci skip]");
  CHECK(decision.runs);
  CHECK(decision.reason == "no git commit, so no message to hold [ci skip]");
}

#include <catch2/catch.hpp>

#include <cstdlib>

#include "frontends/circle1/context.hpp"
#include "os/git.hpp"
#include "record/build_number.hpp"
#include "exec/run_fixture.hpp"

using namespace drydock;
namespace fs = std::filesystem;

namespace {
void sh(const test::ScratchDir& dir, const std::string& command)
{
  const std::string full = "cd '" + dir.path().string() + "' && " + command + " >/dev/null 2>&1";
  REQUIRE(std::system(full.c_str()) == 0);
}

void make_repo(const test::ScratchDir& dir)
{
  sh(dir, "git init -q -b feature/x . && git remote add origin git@github.com:acme/widget.git"
          " && git -c user.name=t -c user.email=t@t commit -q --allow-empty -m one && git tag v1.2.3");
}

config::Config config_in(const test::ScratchDir& dir, const std::string& yaml)
{
  dir.write("circle.yml", yaml);
  auto result = config::validate_text((dir.path() / "circle.yml").string(), yaml);
  REQUIRE_FALSE(result.diagnostics.has_errors());
  return result.config;
}
} // namespace

TEST_CASE("owner and repository come from the origin URL in any of git's forms", "[exec][context]")
{
  using Pair = std::pair<std::string, std::string>;
  CHECK(os::owner_and_repo("git@github.com:acme/widget.git") == Pair{"acme", "widget"});
  CHECK(os::owner_and_repo("https://github.com/acme/widget") == Pair{"acme", "widget"});
  CHECK(os::owner_and_repo("ssh://git@example.com:2222/team/tool.git") == Pair{"team", "tool"});
  CHECK(os::owner_and_repo("/srv/git/team/tool.git/") == Pair{"team", "tool"});
  CHECK(os::owner_and_repo("") == Pair{"", ""});
}

TEST_CASE("CIRCLE_* variables come from the git work tree", "[exec][context]")
{
  test::ScratchDir dir;
  make_repo(dir);
  const auto config = config_in(dir, "test:\n  override: [true]\n");
  const auto context = circle1::make_build_context(config, {}, test::test_host_env(dir), circle1::ContextMode::plan);
  REQUIRE(context);
  const auto& env = context->env;
  CHECK(env.get("CIRCLE_SHA1")->size() == 40);
  CHECK(env.get("CIRCLE_BRANCH") == "feature/x");
  CHECK(env.get("CIRCLE_TAG") == ""); // a branch build, though HEAD is tagged
  CHECK(env.get("CIRCLE_PROJECT_USERNAME") == "acme");
  CHECK(env.get("CIRCLE_PROJECT_REPONAME") == "widget");
  CHECK(env.get("CIRCLE_REPOSITORY_URL") == "git@github.com:acme/widget.git");
  CHECK(context->target.branch == "feature/x");
  CHECK(context->target.tag.empty());
  CHECK(context->target.owner == "acme");
  CHECK(context->build_num == 1);
  // plan mode has no side effects: no counter, no directories
  CHECK_FALSE(fs::exists(dir.path() / ".git/drydock/build_num"));
}

TEST_CASE("the host's own CIRCLE_* variables are not the build's", "[exec][context]")
{
  test::ScratchDir dir;
  make_repo(dir);
  const auto config = config_in(dir, "test:\n  override: [true]\n");
  auto host = test::test_host_env(dir);
  for (const auto* entry : {"CIRCLE_CONTINUATION_KEY=secret", "CIRCLE_WORKFLOW_ID=abc", "CIRCLE_BRANCH=theirs",
                            "DRYDOCK_CONTINUATION_DIR=/tmp/x", "CIRCLECI_CLI_TOKEN=kept", "MY_CIRCLE_X=kept"}) {
    host.emplace_back(entry);
  }
  const auto context = circle1::make_build_context(config, {}, host, circle1::ContextMode::plan);
  REQUIRE(context);
  const auto& env = context->env;
  CHECK_FALSE(env.get("CIRCLE_CONTINUATION_KEY"));
  CHECK_FALSE(env.get("CIRCLE_WORKFLOW_ID"));
  CHECK_FALSE(env.get("DRYDOCK_CONTINUATION_DIR"));
  CHECK(env.get("CIRCLE_BRANCH") == "feature/x"); // the build's, from git
  CHECK(env.get("CIRCLECI_CLI_TOKEN") == "kept");
  CHECK(env.get("MY_CIRCLE_X") == "kept");
}

TEST_CASE("the build counter lives in the git dir and overrides win over git", "[exec][context]")
{
  test::ScratchDir dir;
  make_repo(dir);
  const auto config = config_in(dir, "machine:\n  environment:\n    WHERE: \"on-$CIRCLE_BRANCH\"\n");
  const circle1::Overrides overrides{{{"CIRCLE_BRANCH", "master"}, {"CIRCLE_TAG", ""}}};
  const auto context = circle1::make_build_context(config, overrides, test::test_host_env(dir),
                                                   circle1::ContextMode::run);
  REQUIRE(context);
  CHECK(dir.read(".git/drydock/build_num") == "1\n");
  CHECK(context->target.branch == "master");
  CHECK(context->target.tag.empty());
  CHECK(context->env.get("WHERE") == "on-master");
  fs::remove_all(context->artifacts_dir);
  fs::remove_all(context->test_reports_dir);
}

TEST_CASE("a given build number and record folder replace the counter and the runs folder", "[exec][context]")
{
  test::ScratchDir dir;
  make_repo(dir);
  const auto config = config_in(dir, "test:\n  override: [true]\n");
  circle1::Overrides overrides;
  const auto record = (dir.path() / "agent" / "builds" / "7" / "record").string();
  overrides.given = circle1::GivenBuild{42, record};
  const auto context = circle1::make_build_context(config, overrides, test::test_host_env(dir),
                                                   circle1::ContextMode::run);
  REQUIRE(context);
  CHECK(context->build_num == 42);
  CHECK(context->env.get("CIRCLE_BUILD_NUM") == "42");
  CHECK(context->env.get("CIRCLE_PREVIOUS_BUILD_NUM") == "41");
  CHECK(context->record_dir == record);
  CHECK(context->artifacts_dir == record + "/artifacts");
  CHECK(fs::is_directory(record + "/logs"));
  CHECK_FALSE(fs::exists(dir.path() / ".git" / "drydock" / "build_num")); // no counter taken
  CHECK_FALSE(fs::exists(dir.path() / ".git" / "drydock" / "runs"));
  // A plan shows the given number and makes nothing.
  const auto planned = circle1::make_build_context(config, {{}, {}, false, 1, circle1::GivenBuild{9, record + "-x"}},
                                                   test::test_host_env(dir), circle1::ContextMode::plan);
  REQUIRE(planned);
  CHECK(planned->build_num == 9);
  CHECK_FALSE(fs::exists(record + "-x"));
}

TEST_CASE("a given record folder that already holds files is an error, never replaced", "[exec][context]")
{
  test::ScratchDir dir;
  make_repo(dir);
  const auto config = config_in(dir, "test:\n  override: [true]\n");
  dir.write("old/events.jsonl", "{}\n");
  circle1::Overrides overrides;
  overrides.given = circle1::GivenBuild{3, (dir.path() / "old").string()};
  const auto context = circle1::make_build_context(config, overrides, test::test_host_env(dir),
                                                   circle1::ContextMode::run);
  REQUIRE_FALSE(context);
  CHECK(context.error() == "the run record " + (dir.path() / "old").string() + " already holds files");
  CHECK(dir.read("old/events.jsonl") == "{}\n");
}

namespace {
circle1::BuildContext plan_context(const test::ScratchDir& dir, const circle1::Overrides& overrides = {})
{
  const auto config = config_in(dir, "test:\n  override: [true]\n");
  auto context = circle1::make_build_context(config, overrides, test::test_host_env(dir), circle1::ContextMode::plan);
  REQUIRE(context);
  return *context;
}
} // namespace

TEST_CASE("a detached HEAD at a tag is a tag build with no branch", "[exec][context]")
{
  test::ScratchDir dir;
  make_repo(dir);
  sh(dir, "git checkout -q --detach v1.2.3");
  const auto context = plan_context(dir);
  CHECK(context.env.get("CIRCLE_BRANCH") == "");
  CHECK(context.env.get("CIRCLE_TAG") == "v1.2.3");
  CHECK(context.target.branch.empty());
  CHECK(context.target.tag == "v1.2.3");
}

TEST_CASE("an overriding CIRCLE_TAG makes a tag build, CIRCLE_BRANCH a branch build", "[exec][context]")
{
  test::ScratchDir dir;
  make_repo(dir); // on feature/x, HEAD tagged v1.2.3
  const auto tagged = plan_context(dir, {{{"CIRCLE_TAG", "v2.0.0"}}});
  CHECK(tagged.env.get("CIRCLE_BRANCH") == "");
  CHECK(tagged.env.get("CIRCLE_TAG") == "v2.0.0");
  CHECK(tagged.target.branch.empty());
  CHECK(tagged.target.tag == "v2.0.0");

  sh(dir, "git checkout -q --detach v1.2.3");
  const auto branch = plan_context(dir, {{{"CIRCLE_BRANCH", "master"}}});
  CHECK(branch.env.get("CIRCLE_BRANCH") == "master");
  CHECK(branch.env.get("CIRCLE_TAG") == "");
  CHECK(branch.target.tag.empty());
}

TEST_CASE("overrides setting both CIRCLE_BRANCH and CIRCLE_TAG are an error", "[exec][context]")
{
  test::ScratchDir dir;
  make_repo(dir);
  const auto config = config_in(dir, "test:\n  override: [true]\n");
  const circle1::Overrides both{{{"CIRCLE_BRANCH", "master"}, {"CIRCLE_TAG", "v2.0.0"}}};
  const auto context = circle1::make_build_context(config, both, test::test_host_env(dir), circle1::ContextMode::plan);
  REQUIRE_FALSE(context);
  CHECK(context.error()
        == "CIRCLE_BRANCH ('master') and CIRCLE_TAG ('v2.0.0') are both set: a build is for a "
           "branch or for a tag; set one of them");
}

TEST_CASE("an override reaches machine.environment values derived from it", "[exec][context]")
{
  test::ScratchDir dir;
  const auto config = config_in(dir, R"(machine:
  environment:
    A: "from-config"
    B: "${A}-derived"
    C: "${B}+${NEW}"
)");
  const circle1::Overrides overrides{{{"A", "x"}, {"NEW", "n"}}};
  const auto context = circle1::make_build_context(config, overrides, test::test_host_env(dir),
                                                   circle1::ContextMode::plan);
  REQUIRE(context);
  CHECK(context->env.get("A") == "x"); // the override wins over machine.environment's own A
  CHECK(context->env.get("B") == "x-derived");
  CHECK(context->env.get("C") == "x-derived+n");
}

TEST_CASE("without an origin the repository URL is the work tree's own", "[exec][context]")
{
  test::ScratchDir dir;
  sh(dir, "git init -q -b main . && git -c user.name=t -c user.email=t@t commit -q --allow-empty -m one");
  const auto config = config_in(dir, "test:\n  override: [true]\n");
  const auto context = circle1::make_build_context(config, {}, test::test_host_env(dir), circle1::ContextMode::plan);
  REQUIRE(context);
  const std::string top = os::read_repo_facts(dir.path().string()).top_dir;
  CHECK(context->env.get("CIRCLE_REPOSITORY_URL") == "file://" + top);
  CHECK(context->env.get("CIRCLE_PROJECT_USERNAME") == "");
  CHECK(context->env.get("CIRCLE_PROJECT_REPONAME") == dir.path().filename().string());
}

TEST_CASE("outside git the repository name is the folder's and nothing fails", "[exec][context]")
{
  test::ScratchDir dir;
  const auto config = config_in(dir, "test:\n  override: [true]\n");
  const auto context = circle1::make_build_context(config, {}, test::test_host_env(dir), circle1::ContextMode::plan);
  REQUIRE(context);
  CHECK(context->env.get("CIRCLE_SHA1") == "");
  CHECK(context->env.get("CIRCLE_PROJECT_REPONAME") == dir.path().filename().string());
}

TEST_CASE("the commit message, title and body, comes from git and reaches the context", "[exec][context]")
{
  test::ScratchDir dir;
  sh(dir, "git init -q -b main . && git -c user.name=t -c user.email=t@t commit -q --allow-empty "
          "-m 'Update the docs' -m 'Nothing to build. [ci skip]'");
  const auto facts = os::read_repo_facts(dir.path().string());
  CHECK(facts.message == "Update the docs\n\nNothing to build. [ci skip]\n");
  const auto config = config_in(dir, "test:\n  override: [true]\n");
  // an override of CIRCLE_SHA1 changes the variable, not the commit built
  const auto context = circle1::make_build_context(config, {{{"CIRCLE_SHA1", "feed"}}}, test::test_host_env(dir),
                                                   circle1::ContextMode::plan);
  REQUIRE(context);
  CHECK(context->repo.message == facts.message);
  CHECK(context->repo.sha == facts.sha);
  CHECK(context->env.get("CIRCLE_SHA1") == "feed");
}

TEST_CASE("a repository with no commit yet has no message, and nothing fails", "[exec][context]")
{
  test::ScratchDir dir;
  sh(dir, "git init -q -b main .");
  const auto facts = os::read_repo_facts(dir.path().string());
  CHECK_FALSE(facts.top_dir.empty());
  CHECK(facts.sha.empty());
  CHECK(facts.message.empty());
}

TEST_CASE("next_build_number increments under a lock", "[exec][context]")
{
  test::ScratchDir dir;
  const auto file = (dir.path() / "state/counter").string();
  CHECK(record::next_build_number(file) == 1);
  CHECK(record::next_build_number(file) == 2);
  dir.write("state/counter", "41\n");
  CHECK(record::next_build_number(file) == 42);
}

TEST_CASE("a missing build_dir is a clear error", "[exec][context]")
{
  test::ScratchDir dir;
  const auto config = config_in(dir, "general:\n  build_dir: nope\n");
  const auto context = circle1::make_build_context(config, {}, test::test_host_env(dir), circle1::ContextMode::plan);
  REQUIRE_FALSE(context);
  CHECK(context.error() == "the build directory " + (dir.path() / "nope").string() + " does not exist");
}

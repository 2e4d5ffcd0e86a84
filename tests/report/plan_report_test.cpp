#include <catch2/catch.hpp>

#include "frontends/circle1/lower.hpp"
#include "report/plan_report.hpp"
#include "test_support.hpp"

using namespace drydock;

namespace {

// A build in /src/app for a developer whose home is /home/dev.
circle1::BuildContext context(std::optional<std::string> container = std::nullopt)
{
  circle1::BuildContext context;
  context.config_path = "/src/app/circle.yml";
  context.config_dir = "/src/app";
  context.build_dir = "/src/app";
  context.checkout_dir = "/src/app";
  context.home = "/home/dev";
  context.build_num = 7;
  context.target.branch = "topic";
  context.container = std::move(container);
  return context;
}

pipeline::Pipeline lowered(const std::string& yaml, const circle1::BuildContext& context)
{
  Diagnostics diags;
  auto pipeline = circle1::lower(test::load(yaml), context, std::nullopt, diags);
  INFO(fmt::format("{}", fmt::join(test::messages(diags), "\n")));
  REQUIRE_FALSE(diags.has_errors());
  return pipeline;
}

report::PlanFacts facts()
{
  report::PlanFacts facts;
  facts.file = "circle.yml";
  facts.build = {{"branches", true, "no branch filter"}};
  facts.choices_name = "deployment";
  facts.build_dir = "/src/app";
  return facts;
}

const char* const kModifiers = R"(machine:
  pre:
    - echo machine
test:
  override:
    - make check
    - bundle exec rspec:
        pwd: api
        timeout: 240
        environment:
          RAILS_ENV: test
          API_TOKEN: s3cr3t-token-value
        files: [spec/**/*_spec.rb, "*.gemspec"]
    - ./server:
        pwd: ~/srv
        background: true
    - pytest:
        pwd: /opt/suite
    - sh run.sh:
        pwd: ./tools/../scripts
        drydock: {image: app}
drydock:
  images:
    app:
      repository: acme/app
      dockerfile: Dockerfile
      inputs: [Dockerfile]
)";

} // namespace

TEST_CASE("plan text: a detail line under each command that differs from a plain one", "[report][plan]")
{
  const auto pipeline = lowered(kModifiers, context());
  CHECK(report::plan_text(pipeline, facts())
        == "circle.yml: build #7 for branch 'topic'\n"
           "branches: build runs (no branch filter)\n"
           "build directory ($build_dir): /src/app\n"
           "\n"
           "  #  STEP              PHASE         WAITS FOR                 COMMAND\n"
           "  1  machine.pre[0]    machine       -                         echo machine\n"
           "       dir ~\n"
           "  2  image:app         dependencies  machine.pre[0]            image app: acme/app:<inputs key>, present, "
           "loaded from ~/.ca...\n"
           "  3  test.override[0]  test          machine.pre[0], image:app  make check\n"
           "  4  test.override[1]  test          test.override[0]          bundle exec rspec\n"
           "       dir $build_dir/api; env RAILS_ENV, API_TOKEN; files spec/**/*_spec.rb, *.gemspec; no-output "
           "timeout 240 s\n"
           "  5  test.override[2]  test          test.override[1]          ./server (background)\n"
           "       dir ~/srv\n"
           "  6  test.override[3]  test          test.override[2]          pytest\n"
           "       dir /opt/suite\n"
           "  7  test.override[4]  test          test.override[3], image:app  sh run.sh\n"
           "       in image app; dir $WORKDIR/scripts\n"
           "  8  archive:app       dependencies  image:app                 archive app: docker save acme/app:<inputs "
           "key> "
           "into ~/.cache...\n"
           "\n"
           "critical path: 7 steps: machine.pre[0] -> image:app -> test.override[0] -> test.override[1] -> "
           "test.override[2] -> test.override[3] -> test.override[4]\n");
}

TEST_CASE("plan text: plain commands keep the table as it was, with no legend and no detail lines", "[report][plan]")
{
  const auto pipeline = lowered("test:\n  override:\n    - make\n    - make check\n", context());
  CHECK(report::plan_text(pipeline, facts())
        == "circle.yml: build #7 for branch 'topic'\n"
           "branches: build runs (no branch filter)\n"
           "\n"
           "  #  STEP              PHASE         WAITS FOR                 COMMAND\n"
           "  1  test.override[0]  test          -                         make\n"
           "  2  test.override[1]  test          test.override[0]          make check\n"
           "\n"
           "critical path: 2 steps: test.override[0] -> test.override[1]\n");
}

TEST_CASE("plan text: the build container's line, and ~ in its steps' directories is the container's", "[report][plan]")
{
  const auto pipeline = lowered(R"(machine:
  pre: [sudo apt-get install -y jq]
test:
  override:
    - make check
    - ls:
        pwd: ~/cache
    - sh run.sh:
        drydock: {image: app}
drydock:
  images:
    app: {repository: acme/app, dockerfile: Dockerfile, inputs: [Dockerfile]}
)",
                                context("drydock-base:bookworm"));
  CHECK(report::plan_text(pipeline, facts())
        == "circle.yml: build #7 for branch 'topic'\n"
           "branches: build runs (no branch filter)\n"
           "build container: drydock-base:bookworm (--container): host steps run in it, and ~ is its home\n"
           "\n"
           "  #  STEP              PHASE         WAITS FOR                 COMMAND\n"
           "  1  machine.pre[0]    machine       -                         sudo apt-get install -y jq\n"
           "       dir ~ (the container's ~)\n"
           "  2  image:app         dependencies  machine.pre[0]            image app: acme/app:<inputs key>, present, "
           "loaded from ~/.ca...\n"
           "  3  test.override[0]  test          machine.pre[0], image:app  make check\n"
           "  4  test.override[1]  test          test.override[0]          ls\n"
           "       dir ~/cache (the container's ~)\n"
           "  5  test.override[2]  test          test.override[1], image:app  sh run.sh\n"
           "       in image app\n"
           "  6  archive:app       dependencies  image:app                 archive app: docker save acme/app:<inputs "
           "key> "
           "into ~/.cache...\n"
           "\n"
           "critical path: 5 steps: machine.pre[0] -> image:app -> test.override[0] -> test.override[1] -> "
           "test.override[2]\n");
  const auto json = report::plan_json(pipeline, facts());
  CHECK(json["build_container"] == nlohmann::json{{"image", "drydock-base:bookworm"}, {"origin", "--container"}});
  CHECK(json["steps"][0]["runs_in"] == "build container");
  CHECK(json["steps"][1]["runs_in"] == "host"); // drydock's own steps stay on the host
  CHECK(json["steps"][3]["workdir"] == "~/cache");
  CHECK(json["steps"][4]["runs_in"] == "image app");
}

TEST_CASE("plan json: each step's placement, directory, variable names, files and timeout", "[report][plan]")
{
  const auto pipeline = lowered(kModifiers, context());
  const auto json = report::plan_json(pipeline, facts());
  CHECK(json["build_dir"] == "/src/app");
  CHECK(json["build_container"].is_null());
  const auto& steps = json["steps"];
  REQUIRE(steps.size() == 8);
  CHECK(steps[0]["workdir"] == "~");
  CHECK(steps[0]["runs_in"] == "host");
  // drydock's own steps: where their paths are resolved from, on the host
  CHECK(steps[1]["workdir"] == "$build_dir");
  CHECK(steps[1]["runs_in"] == "host");
  CHECK(steps[1]["env_names"] == nlohmann::json::array());
  CHECK(steps[1]["files"] == nlohmann::json::array());
  CHECK(steps[2]["workdir"] == "$build_dir");
  CHECK(steps[2]["timeout"] == 600);
  CHECK(steps[2]["background"] == false);
  CHECK(steps[3]["workdir"] == "$build_dir/api");
  CHECK(steps[3]["env_names"] == nlohmann::json{"RAILS_ENV", "API_TOKEN"});
  CHECK(steps[3]["files"] == nlohmann::json{"spec/**/*_spec.rb", "*.gemspec"});
  CHECK(steps[3]["timeout"] == 240);
  CHECK(steps[4]["workdir"] == "~/srv");
  CHECK(steps[4]["background"] == true);
  CHECK(steps[5]["workdir"] == "/opt/suite");
  CHECK(steps[6]["workdir"] == "$WORKDIR/scripts");
  CHECK(steps[6]["runs_in"] == "image app");
  // the fields plan --format json had stay as they were
  CHECK(steps[3]["name"] == "test.override[1]");
  CHECK(steps[3]["action"]["append_files"] == nlohmann::json{"spec/**/*_spec.rb", "*.gemspec"});
  CHECK(steps[6]["container"]["image"] == "app");
  // the image's archive: drydock's own, on the host, nothing waits for it
  CHECK(steps[7]["id"] == "archive:app");
  CHECK(steps[7]["kind"] == "archive");
  CHECK(steps[7]["runs_in"] == "host");
  CHECK(steps[7]["waits_for"] == nlohmann::json{"image:app"});
  CHECK(steps[7]["on_failure"] == "continue_build");
  CHECK(steps[7]["action"]["image"]["repository"] == "acme/app");
}

TEST_CASE("plan never shows a step's variable values, in text or JSON", "[report][plan][security]")
{
  const auto pipeline = lowered(kModifiers, context());
  const std::string text = report::plan_text(pipeline, facts());
  const std::string json = report::plan_json(pipeline, facts()).dump();
  CHECK(text.find("API_TOKEN") != std::string::npos); // the name is shown...
  CHECK(json.find("API_TOKEN") != std::string::npos);
  CHECK(text.find("s3cr3t-token-value") == std::string::npos); // ...never the value
  CHECK(json.find("s3cr3t-token-value") == std::string::npos);
}

TEST_CASE("a step's directory as the plan shows it: its path from its base", "[report][plan]")
{
  const auto show = [](std::string base, std::optional<std::string> path, bool base_is_home = false,
                       bool in_image = false) {
    pipeline::Step step;
    step.workdir.base = std::move(base);
    step.workdir.path = std::move(path);
    step.workdir.base_is_home = base_is_home;
    if (in_image) {
      step.container = pipeline::Container{"app", false, {}, {}};
    }
    return report::shown_workdir(step, facts());
  };
  CHECK(show("/src/app", std::nullopt) == "$build_dir");
  CHECK(show("/src/app", "api") == "$build_dir/api");
  CHECK(show("/src/app", ".") == "$build_dir");
  CHECK(show("/src/app", "") == "$build_dir");
  CHECK(show("/src/app", "a/../b/./c") == "$build_dir/b/c");
  CHECK(show("/src/app", "../sibling") == "$build_dir/../sibling");
  CHECK(show("/src/app", "/opt/x") == "/opt/x");
  CHECK(show("/src/app", "~") == "~");
  CHECK(show("/src/app", "~/x") == "~/x");
  CHECK(show("/src/app", "${HOME}/x") == "${HOME}/x"); // absolute or not once expanded: shown as written
  CHECK(show("/home/dev", std::nullopt, true) == "~");
  CHECK(show("/home/dev", "sub", true) == "~/sub");
  CHECK(show("/elsewhere", "sub") == "/elsewhere/sub"); // a base that is not the build directory
  CHECK(show("/src/app", std::nullopt, false, true) == "$WORKDIR");
  CHECK(show("/src/app", "sub", false, true) == "$WORKDIR/sub");
  CHECK(show("/src/app", "/srv", false, true) == "/srv");
  CHECK(show("/src/app", "~/x", false, true) == "$WORKDIR/~/x"); // sh's cd gets it quoted: ~ stays ~
}

TEST_CASE("a build directory written with a trailing slash is still $build_dir", "[report][plan]")
{
  auto with_slash = facts();
  with_slash.build_dir = "/src/app/"; // general.build_dir: .
  pipeline::Step step;
  step.workdir.base = "/src/app";
  CHECK(report::shown_workdir(step, with_slash) == "$build_dir");
  const auto pipeline = lowered("test:\n  override:\n    - make:\n        pwd: api\n", context());
  CHECK(report::plan_json(pipeline, with_slash)["build_dir"] == "/src/app");
  CHECK(report::plan_text(pipeline, with_slash).find("build directory ($build_dir): /src/app\n") != std::string::npos);
}

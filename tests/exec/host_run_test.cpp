// The run rules with real processes: bash, exit codes, directories,
// environment, timeouts, background steps, process groups, parallelism.
#include <catch2/catch.hpp>

#include "exec/run_fixture.hpp"

using namespace drydock;
namespace fs = std::filesystem;
using plan::StepStatus;

TEST_CASE("each command runs in bash -eo pipefail", "[exec][run]")
{
  test::ScratchDir dir;
  const auto run = test::run_config(dir, R"(test:
  override:
    - false | true
    - false; echo not reached
    - true | true
)");
  CHECK(run.status("test.override[0]") == StepStatus::failed);
  CHECK(run.status("test.override[1]") == StepStatus::failed);
  CHECK(run.status("test.override[2]") == StepStatus::succeeded);
  CHECK(run.output.find("[test.override[1]] not reached\n") == std::string::npos);
  CHECK(run.output.find("[test.override[1]] $ false; echo not reached\n") != std::string::npos);
  CHECK(run.result.failed);
}

TEST_CASE("output lines are prefixed with their step, stderr included", "[exec][run]")
{
  test::ScratchDir dir;
  const auto run = test::run_config(dir, "test:\n  override:\n    - echo out; echo err >&2; printf partial\n");
  CHECK(run.output.find("[test.override[0]] out\n") != std::string::npos);
  CHECK(run.output.find("[test.override[0]] err\n") != std::string::npos);
  CHECK(run.output.find("[test.override[0]] partial\n") != std::string::npos);
  CHECK(run.output.find("[test.override[0]] ok in ") != std::string::npos);
}

TEST_CASE("a setup failure stops the build; test keeps going; deployment needs green", "[exec][run]")
{
  test::ScratchDir dir;
  const std::string tail = "deployment:\n  any:\n    branch: /.*/\n    commands: [touch deployed]\n";
  const auto setup_fails = test::run_config(dir, "dependencies:\n  override: [exit 4, touch after]\ntest:\n  override: "
                                                 "[touch tested]\n");
  CHECK(setup_fails.status("dependencies.override[0]") == StepStatus::failed);
  CHECK(setup_fails.status("dependencies.override[1]") == StepStatus::skipped);
  CHECK(setup_fails.status("test.override[0]") == StepStatus::skipped);
  CHECK_FALSE(fs::exists(dir.path() / "after"));
  CHECK_FALSE(fs::exists(dir.path() / "tested"));

  const auto test_fails = test::run_config(dir,
                                           "test:\n  override: [exit 1, touch second]\n  post: [touch post]\n" + tail,
                                           4, {{{"CIRCLE_BRANCH", "main"}}});
  CHECK(fs::exists(dir.path() / "second"));
  CHECK(fs::exists(dir.path() / "post"));
  CHECK_FALSE(fs::exists(dir.path() / "deployed"));
  CHECK(test_fails.status("deployment.any.commands[0]") == StepStatus::skipped);

  const auto green = test::run_config(dir, "test:\n  override: [true]\n" + tail, 4, {{{"CIRCLE_BRANCH", "main"}}});
  CHECK_FALSE(green.result.failed);
  CHECK(fs::exists(dir.path() / "deployed"));
}

TEST_CASE("commands run in the build dir; pwd and machine's HOME are honoured", "[exec][run]")
{
  test::ScratchDir dir;
  fs::create_directories(dir.path() / "sub" / "inner");
  test::run_config(dir, R"(machine:
  pre:
    - pwd > machine-pwd
test:
  override:
    - pwd > test-pwd
    - pwd > inner-pwd:
        pwd: sub/inner
)");
  CHECK(dir.read("machine-pwd") == dir.path().string() + "\n"); // HOME is the scratch dir here
  CHECK(dir.read("test-pwd") == dir.path().string() + "\n");
  CHECK(dir.read("sub/inner/inner-pwd") == (dir.path() / "sub/inner").string() + "\n");

  dir.write("api/.keep", "");
  test::run_config(dir, "general:\n  build_dir: api\ntest:\n  override: [pwd > here]\n");
  CHECK(dir.read("api/here") == (dir.path() / "api").string() + "\n");
}

TEST_CASE("a missing working directory fails the step with a message", "[exec][run]")
{
  test::ScratchDir dir;
  const auto run = test::run_config(dir, "test:\n  override:\n    - true:\n        pwd: nowhere\n");
  CHECK(run.status("test.override[0]") == StepStatus::failed);
  CHECK(run.output.find("failed: the directory " + (dir.path() / "nowhere").string() + " does not exist")
        != std::string::npos);
}

TEST_CASE("environment: CIRCLE_* variables, machine.environment, modifiers and overrides", "[exec][run][env]")
{
  test::ScratchDir dir;
  const auto run = test::run_config(dir, R"(machine:
  environment:
    FIRST: one
    SECOND: "${FIRST}-two-$HOST_VAR"
    OVERRIDDEN: from-config
test:
  override:
    - env | sort > env.txt
    - echo "$STEP_VAR" > step.txt:
        environment:
          STEP_VAR: "step-${FIRST}"
)",
                                    4, {{{"OVERRIDDEN", "from-cli"}}});
  const std::string env = dir.read("env.txt");
  for (const char* line :
       {"CI=true\n", "CIRCLECI=true\n", "CIRCLE_NODE_TOTAL=1\n", "CIRCLE_NODE_INDEX=0\n", "FIRST=one\n",
        "SECOND=one-two-from-host\n", "OVERRIDDEN=from-cli\n", "HOST_VAR=from-host\n"}) {
    INFO(line);
    CHECK(env.find(line) != std::string::npos);
  }
  CHECK(env.find("CIRCLE_ARTIFACTS=" + run.context.artifacts_dir + "\n") != std::string::npos);
  CHECK(env.find("CIRCLE_BUILD_NUM=" + std::to_string(run.context.build_num) + "\n") != std::string::npos);
  CHECK(dir.read("step.txt") == "step-one\n");
  CHECK(fs::is_directory(run.context.artifacts_dir));
  CHECK(fs::is_directory(run.context.test_reports_dir));
  CHECK(run.output.find("artifacts:    " + run.context.artifacts_dir) != std::string::npos);
  fs::remove_all(run.context.artifacts_dir);
  fs::remove_all(run.context.test_reports_dir);
}

TEST_CASE("a step with no output for its timeout is stopped; output keeps it alive", "[exec][run][timeout]")
{
  test::ScratchDir dir;
  const auto run = test::run_config(dir, R"(test:
  override:
    - sleep 30:
        timeout: 1
    - for i in 1 2 3 4 5; do echo tick; sleep 0.4; done:
        timeout: 1
)");
  CHECK(run.status("test.override[0]") == StepStatus::failed);
  CHECK(run.output.find("[test.override[0]] failed: no output for 1 s; stopped") != std::string::npos);
  CHECK(run.status("test.override[1]") == StepStatus::succeeded);
}

TEST_CASE("a background step's log keeps what its forks write after its command exits", "[exec][run][background]")
{
  test::ScratchDir dir;
  const auto run = test::run_config(dir, R"(test:
  pre:
    - (sleep 0.3; for i in 1 2 3; do echo tick$i; touch alive-$i; sleep 0.1; done) & echo started:
        background: true
  override:
    - ls -l /proc/self/fd/ > fds-of-later-step; sleep 1.2
)");
  CHECK(fs::exists(dir.path() / "alive-3")); // not killed by SIGPIPE after its parent exited
  CHECK(dir.read("fds-of-later-step").find("background-") == std::string::npos); // the log is not inherited
  CHECK(test::read_text(fs::path(run.context.artifacts_dir) / "background-test.pre_0_.log")
        == "started\ntick1\ntick2\ntick3\n");
  fs::remove_all(run.context.artifacts_dir);
}

TEST_CASE("background steps do not block, log to the artifacts and end with the build", "[exec][run][background]")
{
  test::ScratchDir dir;
  const std::string marker = "drydock-bg-marker-" + std::to_string(::getpid());
  const auto run = test::run_config(dir, R"(test:
  pre:
    - echo started; exec -a )" + marker + R"( sleep 60:
        background: true
  override:
    - sleep 0.3; echo after
)");
  CHECK(run.status("test.pre[0]") == StepStatus::succeeded);
  CHECK(run.status("test.override[0]") == StepStatus::succeeded);
  CHECK(test::read_text(fs::path(run.context.artifacts_dir) / "background-test.pre_0_.log") == "started\n");
  CHECK_FALSE(test::process_running(marker));
  fs::remove_all(run.context.artifacts_dir);
}

TEST_CASE("secrets are masked in background step logs as in the output", "[exec][run][background][secrets]")
{
  test::ScratchDir dir;
  // The secret arrives split over two writes, and the last line has no newline.
  const auto run = test::run_config(dir, R"(test:
  pre:
    - printf 'token hun'; sleep 0.1; printf 'ter2 end\nlast hunter2':
        background: true
  override:
    - sleep 0.5; echo "visible hunter2"
)",
                                    4, {}, {"hunter2"});
  CHECK(run.output.find("[test.override[0]] visible ***\n") != std::string::npos);
  CHECK(run.output.find("hunter2") == std::string::npos);
  CHECK(test::read_text(fs::path(run.context.artifacts_dir) / "background-test.pre_0_.log")
        == "token *** end\nlast ***");
  fs::remove_all(run.context.artifacts_dir);
}

TEST_CASE("processes a step leaves behind in its group are stopped at the end", "[exec][run]")
{
  test::ScratchDir dir;
  const std::string marker = "drydock-orphan-marker-" + std::to_string(::getpid());
  // The step ends only once the orphan is really running, and says so.
  const auto run = test::run_config(dir,
                                    "test:\n  override:\n    - (exec -a " + marker
                                        + " sleep 60) > /dev/null 2>&1 & for i in $(seq 100); do pgrep -f " + marker
                                        + " > /dev/null && touch orphan-seen && exit 0; sleep 0.05; done; exit 1\n");
  REQUIRE(run.status("test.override[0]") == StepStatus::succeeded);
  REQUIRE(fs::exists(dir.path() / "orphan-seen"));
  CHECK_FALSE(test::process_running(marker));
}

TEST_CASE("a command that exits while a fork holds its output is reported once, with a note", "[exec][run]")
{
  // The fork lets go of the pipe just as the drain after the exit gives up:
  // the exit used to be reported for a child already forgotten (map::at).
  test::ScratchDir dir;
  std::string yaml = "test:\n  override:\n";
  for (int i = 0; i < 12; ++i) {
    yaml += "    - (sleep 0.2) & exit 0\n";
  }
  const auto run = test::run_config(dir, yaml, 1);
  CHECK_FALSE(run.result.failed);
  for (const auto& step : run.graph.steps) {
    CHECK(run.status(step.name) == StepStatus::succeeded);
  }
  const auto late = test::run_config(dir, "test:\n  override:\n    - (sleep 0.6; echo late) & echo early\n");
  CHECK(late.output.find("[test.override[0]] early\n") != std::string::npos);
  CHECK(late.output.find("[test.override[0]] (drydock: the command exited, but processes it started still hold its "
                         "output; what they write from now on is not shown)\n")
        != std::string::npos);
  CHECK(late.output.find("late\n") == std::string::npos);
}

TEST_CASE("concurrent steps really run at the same time when -j allows", "[exec][run][parallel]")
{
  // A rendezvous instead of a stopwatch: each step waits for the other's
  // file, which only works if both run at once.
  test::ScratchDir dir;
  const std::string yaml = R"(test:
  override:
    - touch a; for i in $(seq 30); do [ -e b ] && exit 0; sleep 0.1; done; exit 1
    - touch b; for i in $(seq 30); do [ -e a ] && exit 0; sleep 0.1; done; exit 1:
        drydock: {concurrent: true}
)";
  const auto together = test::run_config(dir, yaml, 2);
  CHECK_FALSE(together.result.failed);

  fs::remove(dir.path() / "a");
  fs::remove(dir.path() / "b");
  const auto alone = test::run_config(dir, yaml, 1);
  CHECK(alone.result.failed); // with -j 1 the first waits in vain
}

TEST_CASE("the files modifier appends matching files as arguments", "[exec][run]")
{
  test::ScratchDir dir;
  dir.write("spec/a_spec.rb", "");
  dir.write("spec/unit/b_spec.rb", "");
  dir.write("spec/it's.rb", "");
  test::run_config(dir, "test:\n  override:\n    - printf '%s\\n' > files.txt:\n        files: [spec/**/*.rb]\n");
  CHECK(dir.read("files.txt") == "spec/a_spec.rb\nspec/it's.rb\nspec/unit/b_spec.rb\n");
}

TEST_CASE("the files modifier globs from the command's pwd", "[exec][run]")
{
  test::ScratchDir dir;
  dir.write("src/one.txt", "1");
  dir.write("src/two.txt", "2");
  dir.write("src/.cache/skip.txt", "");
  dir.write("top.txt", "");
  test::run_config(dir, R"(test:
  override:
    - cat > joined.out:
        pwd: src
        files: ["*.txt"]
    - printf '%s\n' > listed.out:
        pwd: src
        files: ["*.txt", "../top.txt"]
    - printf '%s\n' > from-root.out:
        files: ["**/*.txt"]
)");
  CHECK(dir.read("src/joined.out") == "12"); // the paths are valid where the command runs
  CHECK(dir.read("src/listed.out") == "one.txt\ntwo.txt\n../top.txt\n");
  CHECK(dir.read("from-root.out") == "src/one.txt\nsrc/two.txt\ntop.txt\n");
}

TEST_CASE("build numbers count up per repository", "[exec][run]")
{
  test::ScratchDir dir;
  const auto first = test::run_config(dir, "test:\n  override: [true]\n");
  const auto second = test::run_config(dir, "test:\n  override: [true]\n");
  CHECK(second.context.build_num == first.context.build_num + 1);
  CHECK(second.context.artifacts_dir != first.context.artifacts_dir);
}

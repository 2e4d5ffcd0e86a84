// The CircleCI 2.x front end's reading and checking of a config's text:
// the model it reads, and every problem as a diagnostic at its position.
#include <catch2/catch.hpp>

#include "frontends/circle2/load.hpp"
#include "frontends/circle2/load_filters.hpp"
#include "frontends/format.hpp"
#include "lower_support.hpp"
#include "test_support.hpp"

using namespace drydock;
using Lines = std::vector<std::string>;

namespace {

Lines problems(const std::string& yaml) { return test::problems_of(yaml); }

// A config that must read without a diagnostic.
circle2::Config read(const std::string& yaml) { return test::read_clean(yaml); }

Lines env_lines(const std::vector<config::EnvVar>& vars)
{
  Lines out;
  for (const auto& var : vars) {
    out.push_back(fmt::format("{}={} @{}:{}", var.name, var.value, var.pos.line, var.pos.column));
  }
  return out;
}

Lines texts(const std::vector<config::Text>& words)
{
  Lines out;
  for (const auto& word : words) {
    out.push_back(word.value);
  }
  return out;
}

const circle2::RunStep& run_of(const circle2::Step& step)
{
  REQUIRE(step.kind == "run");
  const auto* run = std::get_if<circle2::RunStep>(&step.action);
  REQUIRE(run != nullptr);
  return *run;
}

// A job with one image and these steps, without workflows (so it is `build`).
std::string job_with_steps(const std::string& steps)
{
  return "version: 2\njobs:\n  build:\n    docker: [{image: a}]\n    steps:\n" + steps;
}

constexpr const char* kTwoJobs = "version: 2\njobs:\n"
                                 "  build:\n    docker: [{image: a}]\n    steps: [checkout]\n"
                                 "  test:\n    docker: [{image: a}]\n    steps: [checkout]\n";

} // namespace

// ---- what a valid config reads to ----

TEST_CASE("a 2.1 config with a merge key reads its jobs, images and executor defaults", "[circle2][load]")
{
  const auto config = read(R"(version: 2.1
x-defaults: &defaults
  docker:
    - image: cimg/base:2024.01
      user: circleci
      environment:
        TZ: UTC
    - image: postgres:16
      name: db
      environment:
        POSTGRES_PASSWORD: pw
      entrypoint: [docker-entrypoint.sh, postgres]
      command: [-c, fsync=off]
    - image: redis:7
      environment:
        - A=1
        - B=x=y
        - C: '3'
  working_directory: ~/app
jobs:
  build:
    <<: *defaults
    environment:
      GREETING: hi
    steps:
      - checkout
  lint:
    <<: *defaults
    working_directory: /lint
    shell: /bin/bash -eo pipefail
    steps:
      - checkout
workflows:
  main:
    jobs: [build, lint]
)");
  CHECK(config.version.value == "2.1");
  CHECK(config.path == ".circleci/config.yml");
  REQUIRE(config.jobs.size() == 2);
  const auto& build = config.jobs[0];
  CHECK(build.name.value == "build");
  CHECK(build.name.pos == Pos{21, 3});
  CHECK(build.executor.kind == circle2::ExecutorKind::docker);
  REQUIRE(build.executor.images.size() == 3);
  const auto& primary = build.executor.images[0];
  CHECK(primary.image.value == "cimg/base:2024.01");
  REQUIRE(primary.user);
  CHECK(primary.user->value == "circleci");
  CHECK_FALSE(primary.name);
  CHECK(env_lines(primary.environment) == Lines{"TZ=UTC @7:9"});
  const auto& db = build.executor.images[1];
  CHECK(db.image.value == "postgres:16");
  REQUIRE(db.name);
  CHECK(db.name->value == "db");
  CHECK(env_lines(db.environment) == Lines{"POSTGRES_PASSWORD=pw @11:9"});
  CHECK(texts(db.entrypoint) == Lines{"docker-entrypoint.sh", "postgres"});
  CHECK(texts(db.command) == Lines{"-c", "fsync=off"});
  CHECK(db.pos == Pos{8, 7});
  // The list form: NAME=value (split at the first =) and one-key mappings.
  CHECK(env_lines(build.executor.images[2].environment) == Lines{"A=1 @16:11", "B=x=y @17:11", "C=3 @18:11"});
  REQUIRE(build.working_directory);
  CHECK(build.working_directory->value == "~/app");
  CHECK(env_lines(build.environment) == Lines{"GREETING=hi @24:7"});
  CHECK_FALSE(build.shell);

  const auto& lint = config.jobs[1];
  CHECK(lint.executor.images.size() == 3); // the same merged images
  REQUIRE(lint.working_directory);
  CHECK(lint.working_directory->value == "/lint"); // its own key wins over the merged one
  REQUIRE(lint.shell);
  CHECK(lint.shell->value == "/bin/bash -eo pipefail");

  REQUIRE(config.workflows.size() == 1);
  CHECK(config.workflows[0].name.value == "main");
  REQUIRE(config.workflows[0].jobs.size() == 2);
  CHECK(config.workflows[0].jobs[1].job.value == "lint");
  CHECK(config.workflows[0].jobs[1].shown().value == "lint");
}

TEST_CASE("run steps read in string and map form, checkout with a path, deploy as run", "[circle2][load]")
{
  const auto config = read(R"(version: 2
jobs:
  build:
    machine: true
    steps:
      - checkout:
          path: ~/src
      - run: make
      - run:
          name: Test
          command: |
            make test
            make lint
          shell: /bin/sh -e
          environment:
            MODE: ci
            LIST: "a b"
          working_directory: sub
          background: true
          no_output_timeout: 10m
          when: always
      - run:
          command: a
          no_output_timeout: 30s
          when: on_fail
      - run:
          command: b
          no_output_timeout: 1h30m
          when: on_success
      - run: {command: c, no_output_timeout: '90', environment: [X=1]}
      - deploy: ./deploy.sh
      - checkout
)");
  REQUIRE(config.jobs.size() == 1);
  const auto& job = config.jobs[0];
  CHECK(job.executor.kind == circle2::ExecutorKind::machine);
  CHECK(job.executor.pos == Pos{4, 5});
  CHECK(job.executor.images.empty());
  const auto& steps = job.steps;
  REQUIRE(steps.size() == 8);

  CHECK(steps[0].kind == "checkout");
  CHECK(steps[0].pos == Pos{6, 9});
  const auto& checkout = std::get<circle2::CheckoutStep>(steps[0].action);
  REQUIRE(checkout.path);
  CHECK(checkout.path->value == "~/src");

  const auto& make = run_of(steps[1]);
  CHECK(steps[1].pos == Pos{8, 9});
  CHECK(make.command.value == "make");
  CHECK(make.command.pos == Pos{8, 14});
  CHECK_FALSE(make.name);
  CHECK_FALSE(make.shell);
  CHECK_FALSE(make.working_directory);
  CHECK_FALSE(make.background);
  CHECK_FALSE(make.no_output_timeout);
  CHECK(make.when == circle2::StepWhen::on_success);
  CHECK(make.environment.empty());

  const auto& test = run_of(steps[2]);
  REQUIRE(test.name);
  CHECK(test.name->value == "Test");
  CHECK(test.command.value == "make test\nmake lint\n");
  REQUIRE(test.shell);
  CHECK(test.shell->value == "/bin/sh -e");
  CHECK(env_lines(test.environment) == Lines{"MODE=ci @16:13", "LIST=a b @17:13"});
  REQUIRE(test.working_directory);
  CHECK(test.working_directory->value == "sub");
  CHECK(test.background);
  CHECK(test.no_output_timeout == 600);
  CHECK(test.when == circle2::StepWhen::always);

  CHECK(run_of(steps[3]).no_output_timeout == 30);
  CHECK(run_of(steps[3]).when == circle2::StepWhen::on_fail);
  CHECK(run_of(steps[4]).no_output_timeout == 5400);
  CHECK(run_of(steps[4]).when == circle2::StepWhen::on_success);
  CHECK(run_of(steps[5]).no_output_timeout == 90); // a bare number is seconds
  CHECK(env_lines(run_of(steps[5]).environment) == Lines{"X=1 @30:66"});

  CHECK(steps[6].kind == "run"); // deploy runs as run
  CHECK(run_of(steps[6]).command.value == "./deploy.sh");
  CHECK(steps[6].pos == Pos{31, 9});

  CHECK(steps[7].kind == "checkout");
  CHECK_FALSE(std::get<circle2::CheckoutStep>(steps[7].action).path);
}

TEST_CASE("2.0's workflows version key is not a workflow; a renamed workflow job is required by its name", "[circle2]["
                                                                                                           "load]")
{
  const auto config = read(R"(version: 2.0
jobs:
  build:
    docker: [{image: a}]
    steps: [checkout]
workflows:
  version: 2
  ci:
    jobs:
      - build:
          name: first
      - build:
          name: second
          requires: first
)");
  CHECK(config.version.value == "2.0");
  REQUIRE(config.workflows.size() == 1);
  const auto& jobs = config.workflows[0].jobs;
  REQUIRE(jobs.size() == 2);
  CHECK(jobs[0].job.value == "build");
  CHECK(jobs[0].shown().value == "first");
  CHECK(jobs[0].pos == Pos{10, 9});
  CHECK(texts(jobs[1].requires_) == Lines{"first"});
}

TEST_CASE("ignored keys warn: resource_class, an image's auth", "[circle2][load]")
{
  CHECK(problems("version: 2\njobs:\n  build:\n    docker:\n      - image: a\n        auth: {username: u}\n"
                 "    resource_class: large\n    steps: [checkout]\n")
        == Lines{"6:15: warning: 'auth' is not used: drydock never pulls, the engine must have the image",
                 "7:5: warning: 'resource_class' is ignored: the job gets what this machine has"});
}

// ---- errors ----

TEST_CASE("version must be 2, 2.0 or 2.1", "[circle2][load]")
{
  const std::string rest = "\njobs:\n  build:\n    docker: [{image: a}]\n    steps: [checkout]\n";
  CHECK(problems("version: 2" + rest).empty());
  CHECK(problems("version: 2.0" + rest).empty());
  CHECK(problems("version: 2.1" + rest).empty());
  CHECK(problems("version: 3" + rest) == Lines{"1:10: error: 'version' must be 2, 2.0 or 2.1 (CircleCI 2.x), got '3'"});
  CHECK(problems("version: 2.10" + rest)
        == Lines{"1:10: error: 'version' must be 2, 2.0 or 2.1 (CircleCI 2.x), got '2.10'"});
  CHECK(problems("version: [2]" + rest)
        == Lines{"1:10: error: 'version' must be 2, 2.0 or 2.1 (CircleCI 2.x), got a list"});
  // Without a value the key is where it points.
  CHECK(problems("version:" + rest)
        == Lines{"1:1: error: 'version' must be 2, 2.0 or 2.1 (CircleCI 2.x), got nothing (null)"});
}

TEST_CASE("a job needs an executor and steps", "[circle2][load]")
{
  CHECK(problems("version: 2\njobs:\n  build:\n    steps: [checkout]\n")
        == Lines{"3:3: error: job 'build' has no executor: give it docker: (a list of images) or machine: true"});
  CHECK(problems("version: 2\njobs:\n  build:\n    docker: [{image: a}]\n")
        == Lines{"3:3: error: 'jobs.build' has no 'steps', which it needs"});
  CHECK(problems("version: 2\njobs:\n  build:\n    docker: []\n    steps: checkout\n")
        == Lines{"4:13: error: 'jobs.build.docker' must be a list of images, the first the primary container",
                 "5:12: error: 'jobs.build.steps' must be a list of steps, got a string ('checkout')"});
  CHECK(problems("version: 2\njobs:\n  build:\n    docker:\n      - user: root\n    steps: [checkout]\n")
        == Lines{"5:9: error: 'jobs.build.docker[0]' has no 'image', which it needs"});
  CHECK(problems("version: 2\n") == Lines{"1:1: error: 'the config' has no 'jobs', which it needs"});
}

TEST_CASE("an unknown step kind suggests the closest, else lists the kinds", "[circle2][load]")
{
  CHECK(problems(job_with_steps("      - chekout\n      - save_cahce: {key: k, paths: [x]}\n      - frobnicate\n"
                                "      - run: x\n        name: y\n"))
        == Lines{"6:9: error: unknown step 'chekout' in 'jobs.build.steps[0]'; did you mean 'checkout'?",
                 "7:9: error: unknown step 'save_cahce' in 'jobs.build.steps[1]'; did you mean 'save_cache'?",
                 "8:9: error: unknown step 'frobnicate' in 'jobs.build.steps[2]' (steps: run, checkout, deploy, "
                 "store_artifacts, store_test_results, save_cache, restore_cache, persist_to_workspace, "
                 "attach_workspace, setup_remote_docker, add_ssh_keys, and the config's `commands:`)",
                 "9:9: error: 'jobs.build.steps[3]' must be a step: a name such as checkout, or a mapping of one "
                 "step such as run: COMMAND"});
}

TEST_CASE("setup_remote_docker and add_ssh_keys read CircleCI's keys and refuse others", "[circle2][load]")
{
  CHECK(problems(job_with_steps("      - setup_remote_docker\n      - setup_remote_docker: {version: 20.10.24, "
                                "docker_layer_caching: true}\n      - add_ssh_keys: {fingerprints: [a]}\n"))
        == Lines{});
  CHECK(problems(job_with_steps("      - setup_remote_docker: {versoin: 1}\n      - add_ssh_keys: [a]\n"))
        == Lines{"6:31: error: 'jobs.build.steps[0].setup_remote_docker' has no 'versoin'",
                 "7:23: error: 'jobs.build.steps[1].add_ssh_keys' must be a mapping (fingerprints, name), or "
                 "nothing"});
}

TEST_CASE("keys of CircleCI 2.x that drydock does not run yet are errors that say so", "[circle2][load]")
{
  CHECK(problems(R"(version: 2.1
jobs:
  build:
    docker: [{image: a}]
    macos: {xcode: 15.0.0}
    steps: [checkout]
workflows:
  main:
    jobs:
      - build:
          matrix: {parameters: {v: [1, 2]}}
          flavour: big
)")
        == Lines{"5:5: error: 'jobs.build.macos' is CircleCI 2.x that drydock does not run yet",
                 "11:33: error: 'v' is not a parameter of job 'build': it has none",
                 "12:11: error: 'flavour' is not a parameter of job 'build': it has none"});
}

TEST_CASE("a schedule's cron: what is wrong with a field is said of that field", "[circle2][load]")
{
  const auto error = [](const char* cron) { return circle2::cron_error(cron); };
  for (const auto* good : {"0 3 * * 1-5", "*/15 * * * *", "0-30/10 0,12 1 1-12/2 0", "  0\t3 * *  *  "}) {
    INFO(good);
    CHECK(error(good).empty());
  }
  CHECK(error("1,,2 * * * *") == "the minute has an empty item in its list");
  CHECK(error("1, * * * *") == "the minute has an empty item in its list");
  CHECK(error("5/10 * * * *") == "the minute '5/10' has a step after a single number: a step follows * or a range A-B");
  CHECK(error("* 99999999999 * * *") == "the hour '99999999999' is not within 0-23");
  CHECK(error("* * 0 * *") == "the day of the month '0' is not within 1-31");
  CHECK(error("* * * * 7") == "the day of the week '7' is not within 0-6");
  CHECK(error("30-5 * * * *") == "the minute range '30-5' starts after it ends");
  CHECK(error("1--5 * * * *") == "the minute '1--5' is not *, a number or a range A-B");
  CHECK(error("* * * JAN *") == "the month 'JAN' is not *, a number or a range A-B");
  CHECK(error("")
        == "'' has 0 fields: a schedule is five, minute hour day-of-month month day-of-week (POSIX "
           "crontab, such as \"0 3 * * 1-5\")");
}

TEST_CASE("a workflow's triggers are schedules: a five-field cron and the branches they run on", "[circle2][load]")
{
  const auto config = R"(version: 2.1
jobs:
  build: {docker: [{image: a}], steps: [checkout]}
workflows:
  nightly:
    triggers:
      - schedule:
          cron: "0 3 * * 1-5"
          filters: {branches: {only: [main, /release-.*/]}}
    jobs: [build]
)";
  CHECK(problems(config) == Lines{});
  const auto loaded = read(config);
  REQUIRE(loaded.workflows.size() == 1);
  const auto& schedules = loaded.workflows[0].schedules;
  REQUIRE(schedules.size() == 1);
  CHECK(schedules[0].cron.value == "0 3 * * 1-5");
  CHECK(schedules[0].branches.only.size() == 2);
  CHECK(problems(R"(version: 2.1
jobs:
  build: {docker: [{image: a}], steps: [checkout]}
workflows:
  nightly:
    triggers:
      - schedule: {cron: "0 3 * *", filters: {branches: {only: main}}}
      - schedule: {cron: "61 * * * *", filters: {tags: {only: v1}}}
      - schedule: {crn: "0 0 * * *"}
      - scheduel: {}
      - schedule: {cron: "*/0 x * * 7", filters: {}}
    jobs: [build]
  other:
    triggers: {schedule: {}}
    jobs: [build]
  none:
    triggers: []
    jobs: [build]
)")
        == Lines{"7:26: error: 'workflows.nightly.triggers[0].schedule.cron': '0 3 * *' has 4 fields: a schedule is "
                 "five, minute hour day-of-month month day-of-week (POSIX crontab, such as \"0 3 * * 1-5\")",
                 "8:26: error: 'workflows.nightly.triggers[1].schedule.cron': the minute '61' is not within 0-59",
                 "8:40: error: 'workflows.nightly.triggers[1].schedule.filters' has no 'branches', which it needs",
                 "8:50: error: a schedule runs on branches' latest commits, never for a tag: only 'branches' "
                 "filters it",
                 "9:19: error: 'workflows.nightly.triggers[2].schedule' has no 'cron', which it needs",
                 "9:19: error: 'workflows.nightly.triggers[2].schedule' has no 'filters', which it needs",
                 "9:20: error: unknown key 'crn' in 'workflows.nightly.triggers[2].schedule'; did you mean 'cron'?",
                 "10:9: error: unknown key 'scheduel' in 'workflows.nightly.triggers[3]'; did you mean 'schedule'?",
                 "10:9: error: 'workflows.nightly.triggers[3]' has no 'schedule', which it needs",
                 "11:26: error: 'workflows.nightly.triggers[4].schedule.cron': the minute's step in '*/0' is not a "
                 "number from 1 to 59",
                 "11:41: error: 'workflows.nightly.triggers[4].schedule.filters' has no 'branches', which it needs",
                 "14:15: error: 'workflows.other.triggers' must be a list of one or more triggers (- schedule: ...)",
                 "17:15: error: 'workflows.none.triggers' must be a list of one or more triggers (- schedule: ...)"});
}

TEST_CASE("unknown keys are errors with a suggestion; x- keys at the top level hold anchors", "[circle2][load]")
{
  CHECK(problems("version: 2\nx-anything: &a {docker: [{image: a}]}\njobs:\n  build:\n    <<: *a\n"
                 "    step: [checkout]\n")
        == Lines{"4:3: error: 'jobs.build' has no 'steps', which it needs", "6:5: error: unknown key 'step' in "
                                                                            "'jobs.build'; did you mean 'steps'?"});
  CHECK(problems("version: 2\nworkflow:\n  w: {}\njobs:\n  build:\n    docker: [{image: a}]\n    steps: [checkout]\n")
        == Lines{"2:1: error: unknown key 'workflow' at the top level; did you mean 'workflows'?"});
}

TEST_CASE("a workflow that runs an unknown job suggests the closest", "[circle2][load]")
{
  CHECK(problems(std::string(kTwoJobs) + "workflows:\n  main:\n    jobs:\n      - biuld\n      - test\n")
        == Lines{"12:9: error: workflow 'main' runs an unknown job 'biuld'; did you mean 'build'?"});
}

TEST_CASE("requires names a job of the same workflow, by its name there", "[circle2][load]")
{
  CHECK(problems(std::string(kTwoJobs)
                 + "workflows:\n  main:\n    jobs:\n      - build\n      - test:\n          requires: [biuld, deploy]\n"
                   "  other:\n    jobs:\n      - test:\n          requires: [build]\n")
        == Lines{"14:22: error: 'test' requires a job that is not in workflow 'main': 'biuld'; did you mean 'build'?",
                 "14:29: error: 'test' requires a job that is not in workflow 'main': 'deploy'",
                 "18:22: error: 'test' requires a job that is not in workflow 'other': 'build'"});
  // Renamed, a job is known by its new name only.
  CHECK(problems(std::string(kTwoJobs)
                 + "workflows:\n  main:\n    jobs:\n      - build: {name: compile}\n      - test:\n"
                   "          requires: [build]\n")
        == Lines{"14:22: error: 'test' requires a job that is not in workflow 'main': 'build'"});
}

TEST_CASE("two jobs of one name in a workflow are an error at the second", "[circle2][load]")
{
  CHECK(problems(std::string(kTwoJobs) + "workflows:\n  main:\n    jobs:\n      - test\n      - build\n      - test\n")
        == Lines{"14:9: error: workflow 'main' has two jobs named 'test': give one a `name:` of its own"});
  CHECK(problems(std::string(kTwoJobs)
                 + "workflows:\n  main:\n    jobs:\n      - test\n      - build:\n          name: test\n")
        == Lines{"14:17: error: workflow 'main' has two jobs named 'test': give one a `name:` of its own"});
}

TEST_CASE("a requires cycle names every job in it with file:line:col", "[circle2][load]")
{
  CHECK(problems(R"(version: 2
jobs:
  a: {docker: [{image: a}], steps: [checkout]}
  b: {docker: [{image: a}], steps: [checkout]}
  c: {docker: [{image: a}], steps: [checkout]}
workflows:
  main:
    jobs:
      - a:
          requires: [c]
      - b:
          requires: [a]
      - c:
          requires: [b]
)")
        == Lines{"9:9: error: workflow 'main' has a cycle of requires: 'a' (.circleci/config.yml:9:9) requires "
                 "'c' (.circleci/config.yml:13:9) requires 'b' (.circleci/config.yml:11:9) requires the first again"});
  CHECK(problems("version: 2\njobs:\n  a: {docker: [{image: a}], steps: [checkout]}\nworkflows:\n  w:\n    jobs:\n"
                 "      - a: {requires: [a]}\n")
        == Lines{"7:9: error: workflow 'w' has a cycle of requires: 'a' (.circleci/config.yml:7:9) requires the first "
                 "again"});
}

TEST_CASE("without workflows the config needs a job named build", "[circle2][load]")
{
  CHECK(problems("version: 2\njobs:\n  test:\n    docker: [{image: a}]\n    steps: [checkout]\n")
        == Lines{"3:3: error: without workflows CircleCI runs the job named 'build', and there is none: add a "
                 "`workflows:` section or a job named build"});
  // 2.0's `workflows: version: 2` alone is no workflow either.
  CHECK(problems("version: 2\njobs:\n  test:\n    docker: [{image: a}]\n    steps: [checkout]\n"
                 "workflows:\n  version: 2\n")
        == Lines{"3:3: error: without workflows CircleCI runs the job named 'build', and there is none: add a "
                 "`workflows:` section or a job named build"});
}

TEST_CASE("a bad duration and a bad when are errors at their values", "[circle2][load]")
{
  CHECK(problems(job_with_steps("      - run: {command: x, no_output_timeout: 10x}\n"
                                "      - run: {command: x, no_output_timeout: m}\n"
                                "      - run: {command: x, no_output_timeout: ''}\n"
                                "      - run: {command: x, when: never}\n"
                                "      - run: {command: x, when: on_failure}\n"))
        == Lines{"6:46: error: 'jobs.build.steps[0].run.no_output_timeout' must be a duration such as 10m, 30s or "
                 "1h, got '10x'",
                 "7:46: error: 'jobs.build.steps[1].run.no_output_timeout' must be a duration such as 10m, 30s or "
                 "1h, got 'm'",
                 "8:46: error: 'jobs.build.steps[2].run.no_output_timeout' must be a duration such as 10m, 30s or "
                 "1h, got ''",
                 "9:33: error: 'jobs.build.steps[3].run.when' must be on_success, on_fail or always, got 'never'",
                 "10:33: error: 'jobs.build.steps[4].run.when' must be on_success, on_fail or always, got "
                 "'on_failure'"});
}

TEST_CASE("a bad environment list item is an error naming it", "[circle2][load]")
{
  CHECK(problems("version: 2\njobs:\n  build:\n    docker:\n      - image: i\n"
                 "        environment: [\"=x\", NOVAL, \"1A=x\", \"A B=x\"]\n    steps: [checkout]\n")
        == Lines{"6:23: error: 'jobs.build.docker[0].environment[0]' must be NAME=value with NAME letters, digits "
                 "and _ (not starting with a digit), got '=x'",
                 "6:29: error: 'jobs.build.docker[0].environment[1]' must be NAME=value with NAME letters, digits "
                 "and _ (not starting with a digit), got 'NOVAL'",
                 "6:36: error: 'jobs.build.docker[0].environment[2]' must be NAME=value with NAME letters, digits "
                 "and _ (not starting with a digit), got '1A=x'",
                 "6:44: error: 'jobs.build.docker[0].environment[3]' must be NAME=value with NAME letters, digits "
                 "and _ (not starting with a digit), got 'A B=x'"});
  // The mapping form checks its names too.
  CHECK(problems(job_with_steps("      - run: {command: x, environment: {1A: x}}\n"))
        == Lines{"6:41: error: '1A' is not a valid environment variable name (letters, digits and _; not starting "
                 "with a digit)"});
}

TEST_CASE("a bare run or deploy, without its command, is an error where it is written", "[circle2][load]")
{
  const auto result = circle2::validate_text(".circleci/config.yml", job_with_steps("      - run\n      - deploy\n"));
  REQUIRE(result.diagnostics.all().size() == 2);
  for (const auto& diagnostic : result.diagnostics.all()) {
    CHECK(diagnostic.severity == Severity::error);
    CHECK(diagnostic.pos.column == 9);
  }
  CHECK(result.diagnostics.all()[0].pos.line == 6);
  CHECK(result.diagnostics.all()[1].pos.line == 7);
  CHECK(test::messages(result.diagnostics)
        == Lines{"6:9: error: 'jobs.build.steps[0].run' must be a mapping, got nothing (null)",
                 "7:9: error: 'jobs.build.steps[1].deploy' must be a mapping, got nothing (null)"});
}

TEST_CASE("every error of a config is reported at once, in the order of the text", "[circle2][load]")
{
  const auto result = circle2::validate_text(".circleci/config.yml", R"(version: 3
setup: maybe
jobs:
  build:
    steps:
      - chekout
      - run: {command: x, when: sometimes, no_output_timeout: forever}
  test:
    docker: [{image: a}]
workflows:
  main:
    jobs:
      - tset
      - build:
          requires: [nope]
      - build
)");
  CHECK(result.diagnostics.error_count() == 10);
  CHECK(test::messages(result.diagnostics)
        == Lines{"1:10: error: 'version' must be 2, 2.0 or 2.1 (CircleCI 2.x), got '3'",
                 "2:8: error: 'setup' must be true or false, got 'maybe'",
                 "4:3: error: job 'build' has no executor: give it docker: (a list of images) or machine: true",
                 "6:9: error: unknown step 'chekout' in 'jobs.build.steps[0]'; did you mean 'checkout'?",
                 "7:33: error: 'jobs.build.steps[1].run.when' must be on_success, on_fail or always, got "
                 "'sometimes'",
                 "7:63: error: 'jobs.build.steps[1].run.no_output_timeout' must be a duration such as 10m, 30s or "
                 "1h, got 'forever'",
                 "8:3: error: 'jobs.test' has no 'steps', which it needs",
                 "13:9: error: workflow 'main' runs an unknown job 'tset'; did you mean 'test'?",
                 "15:22: error: 'build' requires a job that is not in workflow 'main': 'nope'",
                 "16:9: error: workflow 'main' has two jobs named 'build': give one a `name:` of its own"});
}

TEST_CASE("text that is not UTF-8 is one error", "[circle2][load]")
{
  CHECK(problems("version: 2\njobs: \xff\n")
        == Lines{"2:7: error: not a text file: byte 0xff is not valid UTF-8 text"});
}

// ---- which front end ----

TEST_CASE("a top-level version key makes a config CircleCI 2.x, whatever its file's name", "[circle2][load]")
{
  const auto is_circle2 = [](const std::string& yaml) {
    const SourceFile source("x.yml", yaml);
    Diagnostics diags;
    const auto root = config::parse_yaml(source, diags);
    REQUIRE(root != nullptr);
    return circle2::is_circle2(*root);
  };
  CHECK(is_circle2("version: 2.1\n"));
  CHECK(is_circle2("version: 1.0\n")); // then the 2.x front end reports the version
  CHECK_FALSE(is_circle2("test:\n  override: [make]\n"));
  CHECK_FALSE(is_circle2("- version\n"));

  using frontends::Format;
  CHECK(frontends::format_of("circle.yml", "version: 2.1\njobs: {}\n") == Format::circle2);
  CHECK(frontends::format_of(".circleci/config.yml", "version: 2\n") == Format::circle2);
  CHECK(frontends::format_of(".circleci/config.yml", "machine:\n  timezone: UTC\ntest:\n  override: [make]\n")
        == Format::circle1);
  // Without its version a 2.x config still goes to the 2.x front end, which says what is missing.
  CHECK(frontends::format_of(".circleci/config.yml", "jobs:\n  build: {machine: true, steps: [checkout]}\n")
        == Format::circle2);
  CHECK(problems("jobs:\n  build: {machine: true, steps: [checkout]}\n")
        == Lines{"1:1: error: 'the config' has no 'version', which it needs"});
  CHECK(frontends::format_of("circle.yml", "test: [unclosed\n") == Format::circle1); // not YAML
  CHECK(frontends::format_of("circle.yml", "") == Format::circle1);
}

// ---- what real configs write beyond the shape ----

TEST_CASE("a top-level key of the config's own holds anchors: a warning; a misspelt CircleCI key is an error",
          "[circle2][load]")
{
  CHECK(problems("version: 2\ndefaults: &defaults\n  docker: [{image: a}]\njobs:\n  build:\n    <<: *defaults\n"
                 "    steps: [checkout]\n")
        == Lines{"2:1: warning: 'defaults' is not a key of CircleCI's: it is read only for the anchors in it"});
  CHECK(problems("version: 2\nworkflow: {}\njobs:\n  build:\n    docker: [{image: a}]\n    steps: [checkout]\n")
        == Lines{"2:1: error: unknown key 'workflow' at the top level; did you mean 'workflows'?"});
}

TEST_CASE("a sidecar's string command is split at spaces; the primary's entrypoint is not used", "[circle2][load]")
{
  const auto result = circle2::validate_text(".circleci/config.yml",
                                             "version: 2\njobs:\n  build:\n    docker:\n"
                                             "      - {image: a, command: sleep 10}\n"
                                             "      - {image: pg, command: postgres -c fsync=off}\n"
                                             "    steps: [checkout]\n");
  CHECK(test::messages(result.diagnostics)
        == Lines{"5:9: warning: the primary image's entrypoint and command are not used: drydock keeps the job "
                 "container alive itself and runs each step in it, as CircleCI does"});
  REQUIRE(result.config.jobs.size() == 1);
  CHECK(texts(result.config.jobs[0].executor.images[1].command) == Lines{"postgres", "-c", "fsync=off"});
}

TEST_CASE("sidecar names are host names, one each", "[circle2][load]")
{
  CHECK(problems("version: 2\njobs:\n  build:\n    docker:\n      - image: a\n      - {image: pg, name: db}\n"
                 "      - {image: kv, name: db}\n      - {image: x, name: \"a b\"}\n    steps: [checkout]\n")
        == Lines{"7:27: error: job 'build' has two images named 'db'",
                 "8:26: error: an image's name is the host name the job reaches it by: letters, digits, '-', '.' "
                 "and '_', got 'a b'"});
}

TEST_CASE("a number after a unit in a duration is an error, not seconds", "[circle2][load]")
{
  CHECK(problems(job_with_steps("      - run: {command: make, no_output_timeout: 10m5}\n"))
        == Lines{"6:49: error: 'jobs.build.steps[0].run.no_output_timeout' must be a duration such as 10m, 30s or "
                 "1h, got '10m5'"});
}

TEST_CASE("a machine job's working_directory is not used, and says so", "[circle2][load]")
{
  CHECK(problems("version: 2\njobs:\n  build:\n    machine: true\n    working_directory: ~/app\n"
                 "    steps: [checkout]\n")
        == Lines{"5:24: warning: job 'build' runs on this machine, in the work tree: its working_directory is not "
                 "used"});
}

// A CircleCI 2.x config lowered to the neutral pipeline: each job a group,
// a docker job's steps in its job container between a start and a stop
// step, a machine job's on the host; and that pipeline's plan when a job
// fails.
#include <catch2/catch.hpp>

#include <set>

#include "frontends/circle2/load.hpp"
#include "frontends/circle2/lower.hpp"
#include "os/process.hpp"
#include "plan/plan.hpp"
#include "lower_support.hpp"
#include "test_support.hpp"

using namespace drydock;
using Lines = std::vector<std::string>;
using pipeline::OnFailure;
using pipeline::RunsWhen;
using plan::StepStatus;
using test::env_lines;
using test::ids;
using test::step_by_id;

namespace {

circle2::LowerContext context()
{
  circle2::LowerContext context;
  context.checkout_dir = "/src";
  context.log_dir = "/logs";
  context.build = pipeline::Build{3, "abc123def4567890", "main", "", "acme"};
  return context;
}

circle2::Config read(const std::string& yaml)
{
  auto result = circle2::validate_text(".circleci/config.yml", yaml);
  INFO(fmt::format("{}", fmt::join(test::messages(result.diagnostics), "\n")));
  REQUIRE_FALSE(result.diagnostics.has_errors());
  return std::move(result.config);
}

// The config lowered for the selection; fails the test on an error.
std::unique_ptr<test::Lowered> lower(const std::string& yaml, const circle2::Selection& selection = {})
{
  return test::lowered_cleanly(yaml, context(), selection);
}

// "id <- dep-id, dep-id"
Lines id_edges(const pipeline::Pipeline& pipeline)
{
  Lines out;
  for (const auto& step : pipeline.steps) {
    Lines deps;
    for (const auto dep : step.deps) {
      deps.push_back(pipeline.steps[dep].id);
    }
    out.push_back(step.id + " <- " + fmt::format("{}", fmt::join(deps, ", ")));
  }
  return out;
}

std::string policy_text(const pipeline::Pipeline& pipeline, const pipeline::Step& step)
{
  const auto& policy = pipeline::policy_of(pipeline, step);
  const auto when = policy.when == RunsWhen::on_success   ? "on_success"
                    : policy.when == RunsWhen::always     ? "always"
                    : policy.when == RunsWhen::on_failure ? "on_failure"
                                                          : "finally";
  const auto failure = policy.on_failure == OnFailure::stop_build       ? "stop_build"
                       : policy.on_failure == OnFailure::continue_build ? "continue_build"
                                                                        : "skip_dependants";
  return fmt::format("{} {}{}", when, failure,
                     policy.skipped_because.empty() ? "" : " (" + policy.skipped_because + ")");
}

// Every command runs under sh, which says where `circleci step halt` leaves its mark and reads it after.
const std::string kHaltFile = R"sh(export DRYDOCK_HALT_FILE="${TMPDIR:-/tmp}/.drydock-halt-$$"; )sh";
const std::string kHaltEnd = R"sh(; set -- $? "$DRYDOCK_HALT_FILE"; if [ -e "$2" ]; then rm -f "$2"; )sh"
                             R"sh([ "$1" -ne 0 ] || exit 187; fi; [ "$1" -ne 187 ] || exit 1; exit "$1")sh";
const std::string kDefaultShell =
    kHaltFile + R"sh(if command -v bash >/dev/null 2>&1; then bash -eo pipefail -c "$1"; else sh -e -c "$1"; fi)sh"
    + kHaltEnd;
const std::string kGivenShell = kHaltFile + R"sh("$@")sh" + kHaltEnd;

constexpr const char* kDockerJob = R"(version: 2.1
jobs:
  build:
    docker:
      - image: cimg/node:20.1
        user: circleci
        environment:
          TZ: UTC
          PRICE: $5
      - image: postgres:16
        name: db
        environment: [POSTGRES_PASSWORD=pw]
        entrypoint: [docker-entrypoint.sh, postgres]
        command: [-c, fsync=off]
        user: postgres
      - image: redis:7
    environment:
      GREETING: hi
    steps:
      - checkout
      - run: npm ci
      - run:
          name: Test
          command: npm test
          working_directory: web
          environment:
            MODE: ci
            GREETING: bye
      - run:
          command: ls
          working_directory: /tmp
      - run:
          command: cat notes
          working_directory: ~/notes
workflows:
  main:
    jobs: [build]
)";

} // namespace

// ---- a docker job ----

TEST_CASE("a docker job: its container starts first, its steps run in it, its stop comes last", "[circle2][lower]")
{
  const auto lowered = lower(kDockerJob);
  const auto& p = lowered->pipeline;
  CHECK(p.file == ".circleci/config.yml");
  CHECK(p.format == "CircleCI 2.1");
  CHECK(p.log_dir == "/logs");
  CHECK(p.build.number == 3);
  CHECK(p.engine_needed_by == "jobs.build.docker");
  REQUIRE(p.groups.size() == 1);
  CHECK(p.groups[0].name == "build");
  CHECK(p.groups[0].kind == "job");
  CHECK(id_edges(p)
        == Lines{"build/container <- ", "build/checkout <- build/container", "build/1 <- build/checkout",
                 "build/2 <- build/1", "build/3 <- build/2", "build/4 <- build/3", "build/container-stop <- build/4"});
  CHECK(test::edges(p).front() == "build: Spin up environment <- ");
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    CHECK(p.steps[i].index == i);
    CHECK(p.steps[i].group == 0);
    CHECK(p.steps[i].origin == "jobs.build");
    CHECK(p.steps[i].workdir.base == "/src");
  }

  const auto& start = p.steps[0];
  CHECK(start.name == "build: Spin up environment");
  CHECK(pipeline::action_kind(start.action) == "container");
  CHECK(start.pos == Pos{4, 5});
  CHECK(start.summary == "cimg/node:20.1 and 2 sidecar(s)");
  CHECK_FALSE(start.runs_in);
  const auto& container = std::get<pipeline::ContainerStart>(start.action).container;
  CHECK(container.name == "j0");
  CHECK(container.image == "cimg/node:20.1");
  CHECK(container.user == "circleci");
  CHECK(env_lines(container.environment) == Lines{"TZ=UTC", "PRICE=\\$5"}); // taken literally
  CHECK(container.hosts == std::vector<std::pair<std::string, std::string>>{{"db", "127.0.0.1"}});
  REQUIRE(container.sidecars.size() == 2);
  const auto& db = container.sidecars[0];
  CHECK(db.name == "s1");
  CHECK(db.image == "postgres:16");
  CHECK(db.user == "postgres");
  CHECK(env_lines(db.environment) == Lines{"POSTGRES_PASSWORD=pw"});
  CHECK(db.entrypoint == Lines{"docker-entrypoint.sh", "postgres"});
  CHECK(db.command == Lines{"-c", "fsync=off"});
  const auto& redis = container.sidecars[1];
  CHECK(redis.name == "s2");
  CHECK(redis.image == "redis:7");
  CHECK(redis.user.empty());
  CHECK(redis.entrypoint.empty());
  CHECK(redis.command.empty());

  const auto& checkout = p.steps[1];
  CHECK(checkout.name == "build: Checkout code");
  CHECK(checkout.pos == Pos{20, 9});
  const auto& action = std::get<pipeline::Checkout>(checkout.action);
  CHECK(action.container == "j0");
  CHECK(action.source_dir == "/src");
  CHECK(action.sha == "abc123def4567890");
  CHECK(action.path == "~/project");
  CHECK(checkout.summary == "the commit, cloned from /src into ~/project");

  const auto& ci = p.steps[2];
  CHECK(ci.name == "build: npm ci");
  CHECK(ci.summary == "npm ci");
  CHECK(ci.pos == Pos{21, 9});
  CHECK(ci.runs_in == std::optional<std::string>("j0"));
  CHECK(ci.workdir.path == std::optional<std::string>("~/project"));
  CHECK(ci.no_output_timeout == 600);
  CHECK_FALSE(ci.background);
  CHECK_FALSE(ci.container);
  const auto& shell = std::get<pipeline::ShellCommand>(ci.action);
  CHECK(shell.script == "npm ci");
  CHECK(shell.shell == Lines{"sh", "-c", kDefaultShell, "sh"});

  const auto& test = p.steps[3];
  CHECK(test.name == "build: Test");
  CHECK(test.workdir.path == std::optional<std::string>("~/project/web")); // relative: under the job's
  CHECK(env_lines(test.environment)
        == Lines{"CIRCLE_JOB=build", "CIRCLE_NODE_INDEX=0", "CIRCLE_NODE_TOTAL=1", "CIRCLE_WORKING_DIRECTORY=~/project",
                 "MODE=ci", "GREETING=bye"}); // the job's, then the step's: the step's replaces the job's GREETING
  CHECK(p.steps[4].workdir.path == std::optional<std::string>("/tmp")); // absolute: as written
  CHECK(p.steps[5].workdir.path == std::optional<std::string>("~/notes"));

  const auto& stop = p.steps.back();
  CHECK(stop.id == "build/container-stop");
  CHECK(stop.name == "build: Remove environment");
  CHECK(pipeline::action_kind(stop.action) == "container-stop");
  CHECK(std::get<pipeline::ContainerStop>(stop.action).container.name == "j0");
  CHECK(std::get<pipeline::ContainerStop>(stop.action).container.sidecars.size() == 2);
  CHECK(stop.summary == "the job container and its sidecars removed");
  CHECK_FALSE(stop.runs_in);
}

TEST_CASE("a job's working_directory is where its steps and its checkout go", "[circle2][lower]")
{
  const auto lowered = lower(R"(version: 2
jobs:
  build:
    docker: [{image: a}]
    working_directory: /app
    steps:
      - checkout:
          path: src
      - run: {command: make, working_directory: sub}
      - run: {command: make, working_directory: '~'}
      - run: make
)");
  const auto& p = lowered->pipeline;
  CHECK(ids(p) == Lines{"build/container", "build/checkout", "build/1", "build/2", "build/3", "build/container-stop"});
  CHECK(std::get<pipeline::Checkout>(p.steps[1].action).path == "/app/src");
  CHECK(p.steps[2].workdir.path == std::optional<std::string>("/app/sub"));
  CHECK(p.steps[3].workdir.path == std::optional<std::string>("~"));
  CHECK(p.steps[4].workdir.path == std::optional<std::string>("/app"));
  CHECK(env_lines(p.steps[4].environment)
        == Lines{"CIRCLE_JOB=build", "CIRCLE_NODE_INDEX=0", "CIRCLE_NODE_TOTAL=1", "CIRCLE_WORKING_DIRECTORY=/app"});
  // Without workflows the job is build, and it runs alone.
  CHECK(p.groups.size() == 1);
  CHECK(p.groups[0].name == "build");
}

TEST_CASE("each job's container has a name of its own", "[circle2][lower]")
{
  const auto lowered = lower("version: 2\njobs:\n  a: {docker: [{image: x}], steps: [{run: a}]}\n"
                             "  b: {docker: [{image: y}], steps: [{run: b}]}\nworkflows:\n  w:\n    jobs: [a, b]\n");
  const auto& p = lowered->pipeline;
  CHECK(step_by_id(p, "a/1").runs_in == std::optional<std::string>("j0"));
  CHECK(step_by_id(p, "b/1").runs_in == std::optional<std::string>("j1"));
  CHECK(std::get<pipeline::ContainerStart>(step_by_id(p, "b/container").action).container.image == "y");
  CHECK(step_by_id(p, "b/1").group == 1);
}

TEST_CASE("two checkouts in a job are two steps with ids of their own", "[circle2][lower]")
{
  // Step ids must be unique (pipeline.hpp: "unique and stable: other steps
  // and the record name it"); CircleCI allows several checkout steps.
  const auto lowered = lower(R"(version: 2
jobs:
  build:
    docker: [{image: a}]
    steps:
      - checkout
      - checkout: {path: ~/other}
)");
  const auto all = ids(lowered->pipeline);
  CHECK(all.size() == 4);
  CHECK(std::set<std::string>(all.begin(), all.end()).size() == all.size());
}

// ---- policies ----

TEST_CASE("policies: the container gates the job, steps go by their when, the stop runs finally", "[circle2][lower]")
{
  const auto lowered = lower(R"(version: 2
jobs:
  build:
    docker: [{image: a}]
    steps:
      - run: make
      - run: {command: report, when: always}
      - run: {command: notify, when: on_fail}
      - run: {command: ship, when: on_success}
      - checkout
)");
  const auto& p = lowered->pipeline;
  Lines policies;
  for (const auto& step : p.steps) {
    policies.push_back(step.id + ": " + policy_text(p, step));
  }
  CHECK(policies
        == Lines{"build/container: on_success skip_dependants", "build/1: on_success continue_build",
                 "build/2: always continue_build",
                 "build/3: on_failure continue_build (runs only when a step before it failed)",
                 "build/4: on_success continue_build", "build/checkout: on_success continue_build",
                 "build/container-stop: finally continue_build"});
  CHECK(p.groups[0].policy.on_failure == OnFailure::continue_build);
}

TEST_CASE("a job waits for the ends of the jobs it requires; inside a job each step for the one before", "[circle2]["
                                                                                                         "lower]")
{
  const auto lowered = lower(R"(version: 2
jobs:
  a: {docker: [{image: x}], steps: [{run: a1}, {run: a2}]}
  b: {docker: [{image: x}], steps: [{run: b1}]}
  c: {docker: [{image: x}], steps: [{run: c1}]}
workflows:
  w:
    jobs:
      - c:
          requires: [a, b]
      - a
      - b
)");
  CHECK(id_edges(lowered->pipeline)
        == Lines{"a/container <- ", "a/1 <- a/container", "a/2 <- a/1", "a/container-stop <- a/2", "b/container <- ",
                 "b/1 <- b/container", "b/container-stop <- b/1", "c/container <- a/2, b/1", "c/1 <- c/container",
                 "c/container-stop <- c/1"});
  // Groups follow the order the jobs run in, each after what it requires.
  Lines groups;
  for (const auto& group : lowered->pipeline.groups) {
    groups.push_back(group.name);
  }
  CHECK(groups == Lines{"a", "b", "c"});
}

TEST_CASE("a job of no step of its own passes on what it waited for, all of it", "[circle2][lower]")
{
  // m has no step here (its checkout is the work tree); d requires m, so it
  // must wait for both a and b.
  const auto lowered = lower(R"(version: 2.1
jobs:
  a: {docker: [{image: x}], steps: [{run: a}]}
  b: {docker: [{image: x}], steps: [{run: b}]}
  m: {machine: true, steps: [checkout]}
  d: {machine: true, steps: [{run: d}]}
workflows:
  w:
    jobs:
      - a
      - b
      - m: {requires: [a, b]}
      - d: {requires: [m]}
)");
  const auto& p = lowered->pipeline;
  const auto& d = p.steps.at(p.steps.size() - 1);
  REQUIRE(d.id == "d/1");
  // Whatever the steps in between, d's first step must (through them) wait for both ends.
  std::set<std::string> reached;
  std::vector<std::size_t> todo(d.deps.begin(), d.deps.end());
  while (!todo.empty()) {
    const auto at = todo.back();
    todo.pop_back();
    if (reached.insert(p.steps[at].id).second) {
      todo.insert(todo.end(), p.steps[at].deps.begin(), p.steps[at].deps.end());
    }
  }
  CHECK(reached.count("a/1") == 1);
  CHECK(reached.count("b/1") == 1);
}

// ---- environment ----

TEST_CASE("literal escapes $ so the model's expansion leaves values as written", "[circle2][lower]")
{
  CHECK(circle2::literal("a$b") == "a\\$b");
  CHECK(circle2::literal("${HOME}/x") == "\\${HOME}/x");
  CHECK(circle2::literal("$$") == "\\$\\$");
  CHECK(circle2::literal("plain") == "plain");
  CHECK(circle2::literal("") == "");
}

TEST_CASE("CIRCLE_JOB is the job's name in its workflow; values with $ stay literal", "[circle2][lower]")
{
  const auto lowered = lower(R"(version: 2
jobs:
  build:
    docker: [{image: a}]
    environment:
      PATHS: $HOME/bin:${PATH}
    steps:
      - run:
          command: echo
          environment: {COST: "5$"}
workflows:
  w:
    jobs:
      - build: {name: compile}
)");
  const auto& step = step_by_id(lowered->pipeline, "compile/1");
  CHECK(step.name == "compile: echo");
  CHECK(step.origin == "jobs.build");
  CHECK(env_lines(step.environment)
        == Lines{"CIRCLE_JOB=compile", "CIRCLE_NODE_INDEX=0", "CIRCLE_NODE_TOTAL=1",
                 "CIRCLE_WORKING_DIRECTORY=~/project", "PATHS=\\$HOME/bin:\\${PATH}", "COST=5\\$"});
}

// ---- a machine job ----

TEST_CASE("a machine job runs on the host, in the work tree; its checkout is a warning, not a step", "[circle2][lower]")
{
  const auto lowered = lower(R"(version: 2
jobs:
  build:
    machine: true
    environment: {A: "1"}
    steps:
      - checkout
      - run: make
      - run: {command: make, working_directory: sub}
      - run: {command: make, no_output_timeout: 1m, background: true}
)");
  const auto& p = lowered->pipeline;
  CHECK(test::messages(lowered->diags)
        == Lines{"7:9: warning: job 'build' runs on this machine, in the work tree: its checkout is the work tree "
                 "itself, with what is not committed"});
  CHECK(id_edges(p) == Lines{"build/1 <- ", "build/2 <- build/1", "build/3 <- build/2"});
  CHECK(p.engine_needed_by.empty());
  for (const auto& step : p.steps) {
    CHECK_FALSE(step.runs_in);
    CHECK(step.workdir.base == "/src");
    CHECK(env_lines(step.environment)
          == Lines{"CIRCLE_JOB=build", "CIRCLE_NODE_INDEX=0", "CIRCLE_NODE_TOTAL=1", "A=1"});
  }
  CHECK_FALSE(p.steps[0].workdir.path);
  CHECK(p.steps[1].workdir.path == std::optional<std::string>("sub"));
  CHECK(p.steps[2].no_output_timeout == 60);
  CHECK(p.steps[2].background);
}

TEST_CASE("a machine job that requires others waits for them behind a gate", "[circle2][lower]")
{
  const auto lowered = lower(R"(version: 2
jobs:
  a: {docker: [{image: x}], steps: [{run: a}]}
  m: {machine: true, steps: [{run: m}, {run: {command: always, when: always}}]}
workflows:
  w:
    jobs:
      - a
      - m: {requires: [a]}
)");
  const auto& p = lowered->pipeline;
  CHECK(id_edges(p)
        == Lines{"a/container <- ", "a/1 <- a/container", "a/container-stop <- a/1", "m/requires <- a/1",
                 "m/1 <- m/requires", "m/2 <- m/1"});
  CHECK(policy_text(p, step_by_id(p, "m/requires")) == "on_success skip_dependants");
}

// ---- selection ----

namespace {

constexpr const char* kWorkflows = R"(version: 2
jobs:
  lint: {docker: [{image: x}], steps: [{run: lint}]}
  unit: {docker: [{image: x}], steps: [{run: unit}]}
  deploy: {machine: true, steps: [{run: deploy}]}
workflows:
  ci:
    jobs:
      - lint
      - unit: {requires: [lint]}
      - deploy: {requires: [unit]}
  nightly:
    jobs: [unit]
)";

Lines group_names(const pipeline::Pipeline& pipeline)
{
  Lines out;
  for (const auto& group : pipeline.groups) {
    out.push_back(group.name);
  }
  return out;
}

Lines selection_errors(const std::string& yaml, const circle2::Selection& selection)
{
  const auto config = read(yaml);
  Diagnostics diags;
  const auto lowered = circle2::lower(config, context(), selection, diags);
  CHECK(lowered.steps.empty());
  const auto said = circle2::selection_error(config, selection);
  REQUIRE(said);
  auto lines = test::messages(diags);
  CHECK(lines == Lines{"1:1: error: " + *said}); // the same words, before the run and in lower
  return lines;
}

} // namespace

TEST_CASE("two workflows run together, their jobs' names prefixed with the workflow's", "[circle2][lower]")
{
  const auto lowered = lower(kWorkflows);
  const auto& p = lowered->pipeline;
  CHECK(group_names(p) == Lines{"ci/lint", "ci/unit", "ci/deploy", "nightly/unit"});
  CHECK(step_by_id(p, "ci/unit/1").name == "ci/unit: unit");
  CHECK(step_by_id(p, "nightly/unit/container").deps.empty());
  // CIRCLE_JOB stays the job's own name.
  CHECK(env_lines(step_by_id(p, "nightly/unit/1").environment).front() == "CIRCLE_JOB=unit");
}

TEST_CASE("a selected workflow (--workflow) runs alone, without prefixes", "[circle2][lower]")
{
  circle2::Selection selection;
  selection.workflow = "ci";
  CHECK(group_names(lower(kWorkflows, selection)->pipeline) == Lines{"lint", "unit", "deploy"});
  selection.workflow = "nightly";
  CHECK(group_names(lower(kWorkflows, selection)->pipeline) == Lines{"unit"});
}

TEST_CASE("a selected job (--job) runs with what it requires; with --only alone", "[circle2][lower]")
{
  circle2::Selection selection;
  selection.workflow = "ci";
  selection.job = "unit";
  const auto with = lower(kWorkflows, selection);
  CHECK(group_names(with->pipeline) == Lines{"lint", "unit"});
  CHECK(step_by_id(with->pipeline, "unit/container").deps
        == std::vector<std::size_t>{step_by_id(with->pipeline, "lint/1").index});

  selection.only = true;
  const auto alone = lower(kWorkflows, selection);
  CHECK(group_names(alone->pipeline) == Lines{"unit"});
  CHECK(alone->pipeline.steps.front().deps.empty()); // what it requires is not there to wait for

  circle2::Selection deploy;
  deploy.job = "deploy";
  CHECK(group_names(lower(kWorkflows, deploy)->pipeline) == Lines{"ci/lint", "ci/unit", "ci/deploy"});
  // A job in two workflows runs in both.
  circle2::Selection unit;
  unit.job = "unit";
  CHECK(group_names(lower(kWorkflows, unit)->pipeline) == Lines{"ci/lint", "ci/unit", "nightly/unit"});
}

TEST_CASE("a selection the config cannot make is an error, before the run and in lower", "[circle2][lower]")
{
  circle2::Selection selection;
  selection.workflow = "nope";
  CHECK(selection_errors(kWorkflows, selection)
        == Lines{"1:1: error: --workflow nope: the config has no workflow of that name"});
  selection = {};
  selection.job = "nope";
  CHECK(selection_errors(kWorkflows, selection) == Lines{"1:1: error: --job nope: no workflow has a job of that name"});
  selection.workflow = "nightly";
  selection.job = "lint";
  CHECK(selection_errors(kWorkflows, selection)
        == Lines{"1:1: error: --job lint: workflow 'nightly' has no job of that name"});
  selection = {};
  selection.only = true;
  CHECK(selection_errors(kWorkflows, selection) == Lines{"1:1: error: --only goes with --job NAME"});
  CHECK_FALSE(circle2::selection_error(read(kWorkflows), {}));
}

TEST_CASE("without workflows the job named build runs, alone", "[circle2][lower]")
{
  constexpr const char* yaml = "version: 2\njobs:\n  test: {docker: [{image: x}], steps: [{run: t}]}\n"
                               "  build: {machine: true, steps: [{run: b}]}\n";
  const auto lowered = lower(yaml);
  CHECK(ids(lowered->pipeline) == Lines{"build/1"});
  CHECK(lowered->pipeline.format == "CircleCI 2");
  CHECK(lowered->pipeline.engine_needed_by.empty()); // test, a docker job, does not run
  CHECK(circle2::engine_needed_by(lowered->config, {}).empty());

  circle2::Selection build;
  build.job = "build";
  CHECK(ids(lower(yaml, build)->pipeline) == Lines{"build/1"});
  circle2::Selection test;
  test.job = "test";
  CHECK(selection_errors(yaml, test) == Lines{"1:1: error: --job test: without workflows only the job 'build' runs"});
  circle2::Selection workflow;
  workflow.workflow = "w";
  CHECK(selection_errors(yaml, workflow) == Lines{"1:1: error: --workflow w: the config has no workflows"});
}

TEST_CASE("engine_needed_by names the first selected docker job", "[circle2][lower]")
{
  const auto config = read(kWorkflows);
  CHECK(circle2::engine_needed_by(config, {}) == "jobs.lint.docker");
  circle2::Selection deploy;
  deploy.job = "deploy";
  deploy.only = true;
  CHECK(circle2::engine_needed_by(config, deploy).empty());
}

// ---- shells ----

TEST_CASE("a command runs with bash -eo pipefail where there is bash, else sh -e; or the shell given", "[circle2]["
                                                                                                       "lower]")
{
  const auto lowered = lower(R"(version: 2
jobs:
  build:
    docker: [{image: a}]
    steps:
      - run: make
  shelled:
    machine: true
    shell: /bin/bash  -eo	pipefail
    steps:
      - run: make
      - run: {command: make, shell: /bin/zsh}
workflows:
  w:
    jobs: [build, shelled]
)");
  const auto& p = lowered->pipeline;
  CHECK(std::get<pipeline::ShellCommand>(step_by_id(p, "build/1").action).shell
        == Lines{"sh", "-c", kDefaultShell, "sh"});
  CHECK(std::get<pipeline::ShellCommand>(step_by_id(p, "shelled/1").action).shell
        == Lines{"sh", "-c", kGivenShell, "sh", "/bin/bash", "-eo", "pipefail", "-c"});
  CHECK(std::get<pipeline::ShellCommand>(step_by_id(p, "shelled/2").action).shell
        == Lines{"sh", "-c", kGivenShell, "sh", "/bin/zsh", "-c"});
}

TEST_CASE("the default shell runs the script with bash when there is one, else sh -e", "[circle2][lower]")
{
  // The wrapper itself, run by sh here: the script is $1.
  const auto run = [](const std::string& script) {
    return os::run_capture({"sh", "-c", kDefaultShell, "sh", script}, ".", os::Stderr::merge);
  };
  auto result = run("false; echo not reached");
  REQUIRE(result);
  CHECK(result->exit_code == 1); // -e
  CHECK(result->output.empty());
  result = run("false | true; echo not reached");
  REQUIRE(result);
  CHECK(result->exit_code == 1); // pipefail: bash is on this machine
  result = run("echo \"$BASH_VERSION\" | grep -q . && echo bash");
  REQUIRE(result);
  CHECK(result->output == "bash\n");
}

TEST_CASE("under either shell, a passed command that left the halt mark exits 187; one that exits 187 itself exits 1",
          "[circle2][lower]")
{
  const auto run = [](const std::string& wrapper, const Lines& shell, const std::string& script) {
    std::vector<std::string> argv{"sh", "-c", wrapper, "sh"};
    argv.insert(argv.end(), shell.begin(), shell.end());
    argv.push_back(script);
    const auto result = os::run_capture(argv, ".", os::Stderr::merge);
    REQUIRE(result);
    return result->exit_code;
  };
  for (const auto& [wrapper, shell] : {std::pair{kDefaultShell, Lines{}}, std::pair{kGivenShell, Lines{"sh", "-c"}}}) {
    INFO(wrapper);
    CHECK(run(wrapper, shell, ": > \"$DRYDOCK_HALT_FILE\"; echo rest of the step") == 187);
    CHECK(run(wrapper, shell, "test -e \"$DRYDOCK_HALT_FILE\" || exit 0; exit 9") == 0); // no mark before it
    CHECK(run(wrapper, shell, ": > \"$DRYDOCK_HALT_FILE\"; exit 3") == 3);               // a failure after it stays one
    CHECK(run(wrapper, shell, "exit 187") == 1);                                         // never mistaken for a halt
    CHECK(run(wrapper, shell, "exit 42") == 42);
    CHECK(run(wrapper, shell, "true") == 0);
  }
}

TEST_CASE("a step's name is its command's first line, cut to fit", "[circle2][lower]")
{
  const auto lowered = lower(R"(version: 2
jobs:
  build:
    machine: true
    steps:
      - run: |
          make
          make test
      - run: "echo 0123456789012345678901234567890123456789012345678901234567890"
      - run: "make\n"
)");
  const auto& p = lowered->pipeline;
  CHECK(p.steps[0].name == "build: make ...");
  CHECK(p.steps[0].summary == "make\nmake test\n");
  CHECK(p.steps[1].name == "build: echo 0123456789012345678901234567890123456789012 ...");
  CHECK(p.steps[2].name == "build: make");
}

// ---- the plan of a failing build ----

TEST_CASE("a failed step: its job's always step and stop run, the job requiring it is skipped whole, "
          "another job runs",
          "[circle2][lower][plan]")
{
  const auto lowered = lower(R"(version: 2
jobs:
  a:
    docker: [{image: x}]
    steps:
      - run: fails
      - run: skipped
      - run: {command: report, when: always}
      - run: {command: notify, when: on_fail}
  b:
    docker: [{image: x}]
    steps:
      - run: b1
      - run: {command: b-always, when: always}
  c:
    docker: [{image: x}]
    steps:
      - run: c1
  d:
    machine: true
    steps:
      - run: {command: d-always, when: always}
workflows:
  w:
    jobs:
      - a
      - b: {requires: [a]}
      - c
      - d: {requires: [b]}
)");
  const auto& p = lowered->pipeline;
  plan::Plan plan(p);
  const auto index = [&](const std::string& id) { return step_by_id(p, id).index; };
  // Run everything that becomes ready; a/1 fails, the rest succeed.
  Lines started;
  while (!plan.done()) {
    REQUIRE(plan.has_ready());
    const auto step = plan.start_next();
    started.push_back(p.steps[step].id);
    plan.finished(step, step != index("a/1"));
  }
  plan.close("not reached");
  std::sort(started.begin(), started.end());
  CHECK(started
        == Lines{"a/1", "a/3", "a/4", "a/container", "a/container-stop", "b/container-stop", "c/1", "c/container",
                 "c/container-stop"});
  CHECK(plan.status(index("a/1")) == StepStatus::failed);
  CHECK(plan.status(index("a/2")) == StepStatus::skipped);
  CHECK(plan.skip_reason(index("a/2")) == "'a: fails' failed");
  CHECK(plan.status(index("a/3")) == StepStatus::succeeded);
  CHECK(plan.status(index("a/4")) == StepStatus::succeeded);
  CHECK(plan.status(index("a/container-stop")) == StepStatus::succeeded);
  CHECK(plan.status(index("b/container")) == StepStatus::skipped);
  CHECK(plan.skip_reason(index("b/container")) == "'a: fails' failed");
  CHECK(plan.status(index("b/1")) == StepStatus::skipped);
  CHECK(plan.status(index("b/2")) == StepStatus::skipped); // its when: always does not reach past the gate
  CHECK(plan.skip_reason(index("b/2")) == "'a: fails' failed");
  CHECK(plan.status(index("c/1")) == StepStatus::succeeded);
  // And so on down the requires: d waits for b, which did not run.
  CHECK(plan.status(index("d/requires")) == StepStatus::skipped);
  CHECK(plan.status(index("d/1")) == StepStatus::skipped);
  CHECK(plan.any_failed());
}

TEST_CASE("a job container that does not start skips its job's steps, even the always ones; its stop still runs",
          "[circle2][lower][plan]")
{
  const auto lowered = lower(R"(version: 2
jobs:
  build:
    docker: [{image: missing}]
    steps:
      - run: make
      - run: {command: report, when: always}
      - run: {command: notify, when: on_fail}
)");
  const auto& p = lowered->pipeline;
  plan::Plan plan(p);
  REQUIRE(plan.start_next() == 0);
  plan.finished(0, false);
  REQUIRE(plan.has_ready());
  const auto stop = plan.start_next();
  CHECK(p.steps[stop].id == "build/container-stop");
  plan.finished(stop, true);
  CHECK(plan.done());
  plan.close("not reached");
  for (const auto* id : {"build/1", "build/2", "build/3"}) {
    CHECK(plan.status(step_by_id(p, id).index) == StepStatus::skipped);
    CHECK(plan.skip_reason(step_by_id(p, id).index) == "'build: Spin up environment' failed");
  }
}

// ---- filters ----

TEST_CASE("branch and tag filters decide which jobs run; a job requiring one that does not run does not either",
          "[circle2][lower]")
{
  constexpr const char* yaml = R"(version: 2
jobs:
  a: {machine: true, steps: [{run: a}]}
workflows:
  w:
    jobs:
      - a: {name: on-main, filters: {branches: {only: main}}}
      - a: {name: not-main, filters: {branches: {ignore: [main, /rel-.*/]}}}
      - a: {name: any}
      - a: {name: after, requires: [not-main]}
      - a: {name: tagged, filters: {tags: {only: /v.*/}}}
)";
  const auto config = read(yaml);
  const auto decisions = [&](const std::string& branch, const std::string& tag) {
    auto ctx = context();
    ctx.build.branch = branch;
    ctx.build.tag = tag;
    Lines out;
    for (const auto& decision : circle2::job_decisions(config, ctx, {})) {
      out.push_back(fmt::format("{} {}: {}", decision.name, decision.runs ? "runs" : "skipped", decision.reason));
    }
    return out;
  };
  CHECK(decisions("main", "")
        == Lines{"on-main runs: branch 'main' matches branches.only 'main'",
                 "not-main skipped: branch 'main' matches branches.ignore 'main'", "any runs: no branch filter",
                 "after skipped: it requires 'not-main', which does not run", "tagged runs: no branch filter"});
  CHECK(decisions("dev", "")
        == Lines{"on-main skipped: branch 'dev' matches no branches.only",
                 "not-main runs: branch 'dev' matches no branches.ignore", "any runs: no branch filter",
                 "after runs: no branch filter", "tagged runs: no branch filter"});
  const auto tagged = decisions("", "v1.0");
  REQUIRE(tagged.size() == 5);
  CHECK(tagged[0]
        == "on-main skipped: a build of tag 'v1.0': CircleCI runs a job for a tag only when its filters have tags");
  CHECK(tagged[4].starts_with("tagged runs: tag 'v1.0' matches tags.only /"));

  // The pipeline has the steps of the jobs that run, and nothing of the others.
  const auto lowered = lower(yaml);
  CHECK(group_names(lowered->pipeline) == Lines{"on-main", "any", "tagged"});
}

TEST_CASE("a scheduled workflow runs only when asked for by name, on a branch its schedule runs on", "[circle2][lower]")
{
  const auto config = read(R"(version: 2.1
jobs:
  a: {machine: true, steps: [{run: a}]}
workflows:
  push:
    jobs: [a]
  nightly:
    triggers:
      - schedule: {cron: "0 3 * * *", filters: {branches: {only: main}}}
      - schedule: {cron: "0 4 * * 0", filters: {branches: {only: /release-.*/}}}
    jobs:
      - a: {name: deep}
      - a: {name: deep-on-dev, filters: {branches: {only: dev}}}
)");
  const auto decisions = [&](const std::string& branch, const std::string& tag, circle2::Selection selection) {
    auto ctx = context();
    ctx.build.branch = branch;
    ctx.build.tag = tag;
    Lines out;
    for (const auto& decision : circle2::job_decisions(config, ctx, selection)) {
      out.push_back(fmt::format("{} {}: {}", decision.name, decision.runs ? "runs" : "skipped", decision.reason));
    }
    return out;
  };
  const auto pushed = decisions("main", "", {});
  REQUIRE(pushed.size() == 3);
  CHECK(pushed[0] == "push/a runs: no branch filter");
  CHECK(pushed[1]
        == "nightly/deep skipped: workflow 'nightly' runs on a schedule (cron \"0 3 * * *\"), not for a push: "
           "--workflow nightly runs it now");
  circle2::Selection nightly;
  nightly.workflow = "nightly";
  CHECK(decisions("release-2", "", nightly)
        == Lines{"deep runs: no branch filter", "deep-on-dev skipped: branch 'release-2' matches no branches.only"});
  CHECK(decisions("dev", "", nightly)
        == Lines{"deep skipped: workflow 'nightly' is not scheduled on this branch: branch 'dev' matches no "
                 "branches.only",
                 "deep-on-dev skipped: workflow 'nightly' is not scheduled on this branch: branch 'dev' "
                 "matches no "
                 "branches.only"});
  CHECK(decisions("", "", nightly).front()
        == "deep skipped: workflow 'nightly' runs on a schedule, on branches: this build has none (check one out, "
           "or --env CIRCLE_BRANCH=NAME)");
  CHECK(decisions("", "v1", nightly).front()
        == "deep skipped: workflow 'nightly' runs on a schedule, on branches: never for a build of tag 'v1'");
}

TEST_CASE("setup_remote_docker gives the job container the engine's socket, and says so; add_ssh_keys says what "
          "it does not do",
          "[circle2][lower]")
{
  const auto lowered = lower("version: 2.1\njobs:\n  a:\n    docker: [{image: x}]\n    steps:\n"
                             "      - setup_remote_docker\n      - add_ssh_keys\n      - run: docker ps\n"
                             "  b:\n    docker: [{image: y}]\n    steps: [{run: true}]\n"
                             "workflows:\n  w:\n    jobs: [a, b]\n");
  const auto& p = lowered->pipeline;
  CHECK(std::get<pipeline::ContainerStart>(step_by_id(p, "a/container").action).container.engine_socket);
  CHECK_FALSE(std::get<pipeline::ContainerStart>(step_by_id(p, "b/container").action).container.engine_socket);
  CHECK(ids(p) == Lines{"a/container", "a/1", "a/container-stop", "b/container", "b/1", "b/container-stop"});
  CHECK(test::messages(lowered->diags)
        == Lines{"6:9: warning: setup_remote_docker: job 'a' reaches this machine's Docker engine through its "
                 "socket, mounted at /var/run/docker.sock: what its docker commands start runs beside drydock's "
                 "containers, and stays after the job",
                 "7:9: warning: add_ssh_keys: drydock adds no keys and does not forward your SSH agent: the job's "
                 "ssh and git over ssh see none of yours"});
}

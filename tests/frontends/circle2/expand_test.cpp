// CircleCI 2.1's reuse in the 2.x front end, against CircleCI's documented
// behaviour: commands and their typed parameters, executors, job
// parameters from workflow entries, pre- and post-steps, pipeline values
// and parameters, when/unless with logic statements, and hostile input.
// Where CircleCI's documentation settles a behaviour, the case says so.
#include <catch2/catch.hpp>


#include "frontends/circle2/load.hpp"
#include "frontends/circle2/lower.hpp"
#include "lower_support.hpp"
#include "test_support.hpp"

using namespace drydock;
using Lines = std::vector<std::string>;
using circle2::PipelineValues;
using test::job_named;
using test::steps_of;

namespace {

circle2::Validation check(const std::string& yaml, const PipelineValues& values = {})
{
  return circle2::validate_text(".circleci/config.yml", yaml, values);
}

Lines problems(const std::string& yaml, const PipelineValues& values = {})
{
  return test::messages(check(yaml, values).diagnostics);
}

bool has_error(const Lines& lines, const std::string& part)
{
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& line) { return line.find(part) != std::string::npos; });
}

// A config that must read without an error.
circle2::Config read(const std::string& yaml, const PipelineValues& values = {})
{
  auto result = check(yaml, values);
  INFO(fmt::format("{}", fmt::join(test::messages(result.diagnostics), "\n")));
  REQUIRE_FALSE(result.diagnostics.has_errors());
  return std::move(result.config);
}


// "NAME runs|skipped: reason" for each job the config's workflows run.
Lines decisions(const circle2::Config& config, const std::string& branch = "main")
{
  circle2::LowerContext context;
  context.build = pipeline::Build{3, "abc123def4567890", branch, "", "acme"};
  Lines out;
  for (const auto& decision : circle2::job_decisions(config, context, {})) {
    out.push_back(fmt::format("{} {}: {}", decision.name, decision.runs ? "runs" : "skipped", decision.reason));
  }
  return out;
}

// A 2.1 config of `top` (sections ending in a newline) and a job `build` of these steps.
std::string with_build(const std::string& top, const std::string& steps)
{
  return "version: 2.1\n" + top + "jobs:\n  build:\n    docker: [{image: a}]\n    steps:\n" + steps;
}

// A command `greet` with a parameter of each type; `step` is line 18, column 9.
std::string greet_config(const std::string& step)
{
  return R"(version: 2.1
commands:
  greet:
    parameters:
      who: {type: string}
      loud: {type: boolean, default: false}
      times: {type: integer, default: 1}
      color: {type: enum, enum: [red, blue], default: red}
      var: {type: env_var_name, default: HOME}
      then: {type: steps, default: []}
    steps:
      - run: echo << parameters.who >>
      - << parameters.then >>
jobs:
  build:
    docker: [{image: a}]
    steps:
      - )"
         + step + "\n";
}

constexpr const char* kGreetJob = R"(version: 2.1
jobs:
  greet:
    parameters:
      who: {type: string}
      shout: {type: boolean, default: false}
    docker: [{image: a}]
    steps:
      - run: echo hello << parameters.who >> << parameters.shout >>
workflows:
  w:
    jobs:
)";

} // namespace

// ---- commands and their parameters ----

TEST_CASE("parameters of each type take their defaults or the arguments given, inside text", "[circle2][expand]")
{
  const auto config = read(with_build(R"(commands:
  greet:
    parameters:
      who: {type: string, default: world}
      loud: {type: boolean, default: false}
      times: {type: integer, default: 1}
      color: {type: enum, enum: [red, blue], default: red}
      var: {type: env_var_name, default: HOME}
    steps:
      - run: echo hi <<parameters.who>>, loud=<< parameters.loud >> n=<< parameters.times >> c=<< parameters.color >> $<< parameters.var >>
)",
                                      "      - greet\n"
                                      "      - greet: {who: you, loud: true, times: 3, color: blue, var: PATH}\n"));
  CHECK(steps_of(job_named(config, "build"))
        == Lines{"echo hi world, loud=false n=1 c=red $HOME", "echo hi you, loud=true n=3 c=blue $PATH"});
}

TEST_CASE("a parameter standing alone is its value, where the argument was written", "[circle2][expand]")
{
  const auto config = read(with_build(R"(commands:
  go:
    parameters: {script: {type: string}, dir: {type: string, default: /tmp}}
    steps: [{run: {command: << parameters.script >>, working_directory: << parameters.dir >>}}]
)",
                                      "      - go: {script: make all}\n"));
  const auto& job = job_named(config, "build");
  REQUIRE(job.steps.size() == 1);
  const auto& run = std::get<circle2::RunStep>(job.steps[0].action);
  CHECK(run.command.value == "make all");
  CHECK(run.command.pos == Pos{10, 22});
  REQUIRE(run.working_directory);
  CHECK(run.working_directory->value == "/tmp");
}

TEST_CASE("wrong arguments to a command: each an error at its text", "[circle2][expand]")
{
  const auto [step, column, message] = GENERATE(table<std::string, int, std::string>({
      {"greet", 9, "command 'greet' needs parameter 'who' (it has no default)"},
      {"greet: {who: a, lowd: true}", 25, "'lowd' is not a parameter of command 'greet'; did you mean 'loud'?"},
      {"greet: {who: a, zzz: 1}", 25,
       "'zzz' is not a parameter of command 'greet' (its parameters: who, loud, times, color, var, then)"},
      {"greet: {who: a, loud: maybe}", 31, "parameter 'loud' of command 'greet' must be true or false, got 'maybe'"},
      {"greet: {who: a, color: green}", 32,
       "parameter 'color' of command 'greet' must be one of its enum, got 'green'"},
      {"greet: {who: a, times: lots}", 32, "parameter 'times' of command 'greet' must be a whole number, got 'lots'"},
      {"greet: {who: a, times: 1.5}", 32, "parameter 'times' of command 'greet' must be a whole number, got '1.5'"},
      {"greet: {who: a, var: 1abc}", 30, "parameter 'var' of command 'greet' must be a variable's name, got '1abc'"},
      {"greet: {who: a, then: echo}", 31, "parameter 'then' of command 'greet' must be a list of steps, got 'echo'"},
      {"greet: {who: {a: 1}}", 22, "parameter 'who' of command 'greet' must be a string, got a mapping"},
      {"greet: [who]", 16, "the arguments of command 'greet' must be a mapping of its parameters' names to values"},
      {"gret: {who: a}", 9, "unknown step 'gret' in 'jobs.build.steps[0]'; did you mean 'greet'?"},
  }));
  const auto lines = problems(greet_config(step));
  INFO(step << "\n" << fmt::format("{}", fmt::join(lines, "\n")));
  CHECK(std::find(lines.begin(), lines.end(), fmt::format("18:{}: error: {}", column, message)) != lines.end());
}

TEST_CASE("a missing argument is one error where it is missing, not more where it is used", "[circle2][expand]")
{
  // One error for the missing argument, not one at each of its uses too.
  CHECK(problems(greet_config("greet"))
        == Lines{"18:9: error: command 'greet' needs parameter 'who' (it has no default)"});
  CHECK(problems(std::string(kGreetJob) + "      - greet\n")
        == Lines{"13:9: error: job 'greet' needs parameter 'who' (it has no default)"});
  CHECK(problems(with_build("", "      - checkout\nworkflows:\n  w:\n    jobs:\n      - build: {name: << parameters.x "
                                ">>}\n"))
        == Lines{"10:23: error: '<< parameters.x >>' is outside any job, command or executor: there are no parameters "
                 "here"});
}

TEST_CASE("a command calls a command, passing its parameters explicitly; each sees only its own", "[circle2][expand]")
{
  const std::string top = R"(commands:
  inner:
    parameters:
      y: {type: string}
    steps:
      - run: inner << parameters.y >>
  outer:
    parameters:
      x: {type: string, default: ex}
    steps:
      - run: outer << parameters.x >>
      - inner: {y: "<< parameters.x >>-passed"}
)";
  CHECK(steps_of(job_named(read(with_build(top, "      - outer\n      - outer: {x: two}\n")), "build"))
        == Lines{"outer ex", "inner ex-passed", "outer two", "inner two-passed"});

  // A command does not see its caller's parameters.
  const auto lines = problems(with_build("commands:\n  inner: {steps: [{run: echo << parameters.x >>}]}\n"
                                         "  outer: {parameters: {x: {type: string, default: ex}}, steps: [inner]}\n",
                                         "      - outer\n"));
  CHECK(lines
        == Lines{"3:25: error: '<< parameters.x >>': command 'inner' has no parameter 'x' (its parameters: none)"});
}

TEST_CASE("a command that runs itself is an error naming the loop", "[circle2][expand]")
{
  CHECK(problems(with_build("commands:\n  a: {steps: [a]}\n", "      - a\n"))
        == Lines{"3:15: error: command 'a' runs itself: a -> a"});
  CHECK(problems(with_build("commands:\n  a: {steps: [b]}\n  b: {steps: [a]}\n", "      - a\n"))
        == Lines{"4:15: error: command 'a' runs itself: a -> b -> a"});
  // The loop is b -> c -> b; x, which calls into it, does not run itself.
  CHECK(problems(with_build("commands:\n  x: {steps: [a]}\n  a: {steps: [b]}\n  b: {steps: [c]}\n  c: {steps: [b]}\n",
                            "      - x\n"))
        == Lines{"6:15: error: command 'b' runs itself: b -> c -> b"});
}

TEST_CASE("a steps parameter whose default calls its own command is a loop, not a crash", "[circle2][expand]")
{
  // Found by review: the default was expanded before the command counted as running.
  CHECK(problems(with_build("commands:\n  loop:\n    parameters: {s: {type: steps, default: [loop]}}\n"
                            "    steps: [<< parameters.s >>]\n",
                            "      - loop\n"))
        == Lines{"4:45: error: command 'loop' runs itself: loop -> loop"});
  CHECK(problems(with_build("commands:\n  a:\n    parameters: {s: {type: steps, default: [b]}}\n"
                            "    steps: [<< parameters.s >>]\n  b:\n    parameters: {s: {type: steps, default: [a]}}\n"
                            "    steps: [<< parameters.s >>]\n",
                            "      - a\n"))
        == Lines{"7:45: error: command 'a' runs itself: a -> b -> a"});
  // An argument is the caller's: the command may be passed a call of itself.
  const auto config = read(with_build("commands:\n  wrap:\n    parameters: {s: {type: steps, default: []}}\n"
                                      "    steps: [{run: before}, << parameters.s >>]\n",
                                      "      - wrap: {s: [{wrap: {s: [{run: inner}]}}]}\n"));
  CHECK(steps_of(job_named(config, "build")) == Lines{"before", "before", "inner"});
}

TEST_CASE("a parameter's default may hold pipeline values; pipeline parameters have four types", "[circle2][expand]")
{
  PipelineValues values;
  values.branch = "feature/x";
  const auto config = read(with_build("commands:\n  show:\n    parameters: {b: {type: string, default: "
                                      "\"<< pipeline.git.branch >>\"}}\n    steps: [{run: echo << parameters.b >>}]\n",
                                      "      - show\n"),
                           values);
  CHECK(steps_of(job_named(config, "build")) == Lines{"echo feature/x"});
  CHECK(problems("version: 2.1\nparameters:\n  s: {type: steps, default: []}\njobs:\n"
                 "  build: {docker: [{image: a}], steps: [{run: x}]}\n")
        == Lines{"3:13: error: pipeline parameter 's' cannot be of type steps: pipeline parameters are string, "
                 "boolean, integer or enum"});
}

TEST_CASE("a steps parameter's steps take the place of its reference, in the caller's scope", "[circle2][expand]")
{
  const std::string top = R"(commands:
  timed:
    parameters: {body: {type: steps}, after: {type: steps, default: []}}
    steps: [{run: start}, << parameters.body >>, {run: end}, << parameters.after >>]
)";
  const std::string steps = "      - timed: {body: [{run: one}, checkout, {timed: {body: [{run: nested}]}}], after: "
                            "[{run: last}]}\n";
  CHECK(steps_of(job_named(read(with_build(top, steps)), "build"))
        == Lines{"start", "one", "checkout", "start", "nested", "end", "end", "last"});

  // A job's parameter used in the steps it passes is the job's.
  const auto config = read(R"(version: 2.1
commands:
  wrap: {parameters: {body: {type: steps}}, steps: [{run: before}, << parameters.body >>, {run: after}]}
jobs:
  build:
    parameters: {who: {type: string, default: job-value}}
    docker: [{image: a}]
    steps: [{wrap: {body: [{run: echo << parameters.who >>}]}}]
)");
  CHECK(steps_of(job_named(config, "build")) == Lines{"before", "echo job-value", "after"});
}

TEST_CASE("a steps parameter given as the value of a steps: step, as CircleCI documents it", "[circle2][expand]")
{
  // `- steps: << parameters.x >>` is the documented form (reusing-config, "Steps").
  const auto result = check(with_build(R"(commands:
  run-tests:
    parameters: {after-deps: {type: steps, default: []}}
    steps: [{run: make deps}, {steps: << parameters.after-deps >>}, {run: make test}]
)",
                                       "      - run-tests: {after-deps: [{run: echo deps}]}\n"));
  INFO(fmt::format("{}", fmt::join(test::messages(result.diagnostics), "\n")));
  CHECK_FALSE(result.diagnostics.has_errors());
  CHECK(steps_of(job_named(result.config, "build")) == Lines{"make deps", "echo deps", "make test"});
}

TEST_CASE("heredocs and shell shifts are left as written; only << parameters.x >> is replaced", "[circle2][expand]")
{
  const auto config = read(with_build(R"(commands:
  write:
    parameters:
      who: {type: string, default: you}
    steps:
      - run: |
          cat <<EOF > out
          hi << parameters.who >>
          EOF
          cat <<-'END' >> out
          << not.ours >>
          END
          echo $((1 << 3)) >> out
)",
                                      "      - write\n"));
  CHECK(steps_of(job_named(config, "build"))
        == Lines{"cat <<EOF > out\nhi you\nEOF\ncat <<-'END' >> out\n<< not.ours >>\nEND\necho $((1 << 3)) >> out\n"});
}

TEST_CASE("a boolean parameter's <<# x >> and <<^ x >> sections, as CircleCI documents them", "[circle2][expand]")
{
  // reusing-config's boolean example: `ls <<# parameters.all >> -a <</ parameters.all >>`.
  const std::string top = R"(commands:
  list:
    parameters: {all: {type: boolean, default: false}}
    steps:
      - run: ls<<# parameters.all >> -a<</ parameters.all >><<^ parameters.all >> -1<</ parameters.all >>
)";
  CHECK(steps_of(job_named(read(with_build(top, "      - list\n      - list: {all: true}\n")), "build"))
        == Lines{"ls -1", "ls -a"});
}

// ---- executors ----

TEST_CASE("an executor by name or with parameters; the job's keys win, environments merge", "[circle2][expand]")
{
  const auto config = read(R"(version: 2.1
executors:
  py:
    parameters:
      tag: {type: string, default: "3.12"}
    docker:
      - image: python:<< parameters.tag >>
    working_directory: ~/exec
    shell: /bin/sh
    environment: {ENV: ci, TESTS: all}
jobs:
  plain: {executor: py, steps: [{run: a}]}
  tagged:
    executor: {name: py, tag: "2.7"}
    working_directory: ~/job
    environment: {TESTS: unit, MORE: x}
    steps: [{run: b}]
  own-docker: {executor: py, docker: [{image: node:20}], steps: [{run: c}]}
  chosen: {parameters: {e: {type: executor, default: py}}, executor: << parameters.e >>, steps: [{run: d}]}
workflows:
  w:
    jobs: [plain, tagged, own-docker, chosen, {chosen: {name: chosen-39, e: {name: py, tag: "3.9"}}}]
)");
  // "image | working_directory | shell | environment"
  const auto summary = [](const circle2::Job& job) {
    Lines images;
    for (const auto& image : job.executor.images) {
      images.push_back(image.image.value);
    }
    Lines env;
    for (const auto& var : job.environment) {
      env.push_back(var.name + "=" + var.value);
    }
    return fmt::format("{} | {} | {} | {}", fmt::join(images, ","),
                       job.working_directory ? job.working_directory->value : "", job.shell ? job.shell->value : "",
                       fmt::join(env, ","));
  };
  CHECK(summary(job_named(config, "plain")) == "python:3.12 | ~/exec | /bin/sh | ENV=ci,TESTS=all");
  CHECK(summary(job_named(config, "tagged")) == "python:2.7 | ~/job | /bin/sh | ENV=ci,TESTS=unit,MORE=x");
  CHECK(summary(job_named(config, "own-docker")) == "node:20 | ~/exec | /bin/sh | ENV=ci,TESTS=all");
  CHECK(summary(job_named(config, "chosen")) == "python:3.12 | ~/exec | /bin/sh | ENV=ci,TESTS=all");
  const auto& entry = config.workflows.at(0).jobs.at(4);
  REQUIRE(entry.instance);
  CHECK(summary(config.instances.at(*entry.instance)) == "python:3.9 | ~/exec | /bin/sh | ENV=ci,TESTS=all");
}

TEST_CASE("an unknown executor or executor argument suggests the closest", "[circle2][expand]")
{
  const std::string top = R"(version: 2.1
executors:
  python:
    parameters:
      tag: {type: string, default: "3"}
    docker: [{image: "python:<< parameters.tag >>"}]
jobs:
  build:
    executor: )";
  const auto [use, expected] = GENERATE(table<std::string, std::string>({
      {"pyhton", "9:15: error: job 'build' uses an unknown executor 'pyhton'; did you mean 'python'?"},
      {"{name: python, tga: x}", "9:30: error: 'tga' is not a parameter of executor 'python'; did you mean 'tag'?"},
      {"{tag: x}", "9:15: error: job 'build': 'executor' is an executor's name, or name: and its parameters"},
  }));
  INFO(use);
  const auto lines = problems(top + use + "\n    steps: [checkout]\n");
  REQUIRE_FALSE(lines.empty());
  CHECK(lines.front() == expected);
}

// ---- jobs with parameters, from workflow entries ----

TEST_CASE("a job runs once per workflow entry, with its arguments, pre-steps and post-steps", "[circle2][expand]")
{
  const auto config = read(std::string(kGreetJob) + R"(      - greet: {name: hi-ann, who: ann}
      - greet: {name: hi-bob, who: bob, shout: true, requires: [hi-ann], pre-steps: [{run: before}, checkout],
                post-steps: [{run: after}]}
)");
  CHECK(job_named(config, "greet").needs_arguments);
  const auto& entries = config.workflows.at(0).jobs;
  REQUIRE(entries.size() == 2);
  REQUIRE((entries[0].instance && entries[1].instance));
  CHECK(entries[1].shown().value == "hi-bob");
  CHECK(steps_of(*config.job_of(entries[0])) == Lines{"echo hello ann false"});
  CHECK(steps_of(*config.job_of(entries[1])) == Lines{"before", "checkout", "echo hello bob true", "after"});
  CHECK(config.instances.size() == 2);
  CHECK(decisions(config) == Lines{"hi-ann runs: no branch filter", "hi-bob runs: no branch filter"});
}

TEST_CASE("a job whose parameter has no default needs it from each entry that runs it", "[circle2][expand]")
{
  CHECK(has_error(problems(std::string(kGreetJob) + "      - greet\n"), "13:9: error: job 'greet' needs parameter "
                                                                        "'who' (it has no default)"));
  CHECK(problems(std::string(kGreetJob) + "      - greet: {who: a, shuot: true}\n")
        == Lines{"13:25: error: 'shuot' is not a parameter of job 'greet'; did you mean 'shout'?"});
  CHECK(problems(std::string(kGreetJob) + "      - greet: {who: a, shout: loud}\n")
        == Lines{"13:32: error: parameter 'shout' of job 'greet' must be true or false, got 'loud'"});
}

// ---- pipeline values and parameters ----

constexpr const char* kPipelineConfig = R"(version: 2.1
parameters:
  deploy: {type: boolean, default: false}
  region: {type: string, default: eu}
  replicas: {type: integer, default: 2}
jobs:
  build:
    docker: [{image: a}]
    steps:
      - run: echo << pipeline.parameters.region >> x<< pipeline.parameters.replicas >> on << pipeline.git.branch >> n<< pipeline.number >>
      - when: {condition: << pipeline.parameters.deploy >>, steps: [{run: deploy}]}
workflows:
  w:
    jobs: [build]
)";

TEST_CASE("pipeline parameters take their defaults, or --param values; pipeline values fill in", "[circle2][expand]")
{
  CHECK(steps_of(job_named(read(kPipelineConfig), "build")) == Lines{"echo eu x2 on  n0"});
  PipelineValues values;
  values.number = 42;
  values.branch = "main";
  values.parameters = {{"deploy", "true"}, {"region", "us"}, {"replicas", "5"}};
  CHECK(steps_of(job_named(read(kPipelineConfig, values), "build")) == Lines{"echo us x5 on main n42", "deploy"});
}

TEST_CASE("a --param the config does not declare, or of the wrong type, is an error", "[circle2][expand]")
{
  PipelineValues values;
  values.parameters = {{"deplyo", "true"}};
  CHECK(problems(kPipelineConfig, values)
        == Lines{"2:1: error: --param deplyo: the config declares no pipeline parameter 'deplyo'; did you mean "
                 "'deploy'?"});
  values.parameters = {{"replicas", "many"}};
  CHECK(problems(kPipelineConfig, values)
        == Lines{"5:3: error: parameter 'replicas' of the pipeline must be a whole number, got 'many'"});
  values.parameters = {{"zzz", "1"}};
  CHECK(problems("version: 2.1\njobs:\n  build:\n    docker: [{image: a}]\n    steps: [checkout]\n", values)
        == Lines{"1:1: error: --param zzz: the config declares no pipeline parameter 'zzz' (it declares: none)"});
}

TEST_CASE("a string --param is text as given, not a YAML number or boolean", "[circle2][expand]")
{
  // The API's string parameters stay strings: "007" is not the number 7 inside text.
  PipelineValues values;
  values.parameters = {{"region", "007"}};
  CHECK(steps_of(job_named(read(kPipelineConfig, values), "build")).front() == "echo 007 x2 on  n0");
}

TEST_CASE("a value is substituted once: a --param's text is not read again for << >>", "[circle2][expand]")
{
  // A value is substituted once, wherever it goes: not again in arguments and pre-steps.
  PipelineValues values;
  values.number = 42;
  values.parameters = {{"greeting", "<< pipeline.number >>"}};
  const auto config = read(R"(version: 2.1
parameters:
  greeting: {type: string, default: hi}
jobs:
  say:
    parameters:
      msg: {type: string}
    docker: [{image: a}]
    steps:
      - run: echo << parameters.msg >> / << pipeline.parameters.greeting >>
workflows:
  w:
    jobs:
      - say: {msg: << pipeline.parameters.greeting >>, pre-steps: [{run: "pre << pipeline.parameters.greeting >>"}]}
)",
                           values);
  CHECK(steps_of(config.instances.at(0))
        == Lines{"pre << pipeline.number >>", "echo << pipeline.number >> / << pipeline.number >>"});
}

// ---- matrix ----

// A workflow `w` of `entries` (lines ending in a newline) over a job `build` with parameters a and b.
std::string matrix_config(const std::string& entries)
{
  return "version: 2.1\njobs:\n  build:\n    parameters: {version: {type: string}, platform: {type: string}}\n"
         "    docker: [{image: a}]\n    steps: [{run: echo << parameters.version >> << parameters.platform >>}]\n"
         "workflows:\n  w:\n    jobs:\n"
         + entries;
}

Lines workflow_jobs(const circle2::Config& config)
{
  Lines out;
  for (const auto& entry : config.workflows.at(0).jobs) {
    out.push_back(entry.shown().value);
  }
  return out;
}

TEST_CASE("a matrix names its jobs by the parameters' values, sorted by the parameters' names", "[circle2][expand]")
{
  // CircleCI's documented example: version and platform give build-macos-0.1, not build-0.1-macos.
  const auto config = read(matrix_config("      - build:\n          matrix:\n            parameters:\n"
                                         "              version: [\"0.1\", \"0.2\"]\n"
                                         "              platform: [macos, linux]\n"));
  CHECK(workflow_jobs(config) == Lines{"build-macos-0.1", "build-linux-0.1", "build-macos-0.2", "build-linux-0.2"});
  CHECK(steps_of(config.instances.at(3)) == Lines{"echo 0.2 linux"});
}

TEST_CASE("exclude drops combinations; an alias requires them all; names may use << matrix.x >>", "[circle2][expand]")
{
  const auto config = read(
      matrix_config("      - build:\n          name: b-<< matrix.platform >>-<< matrix.version >>\n          matrix:\n"
                    "            alias: all-builds\n            parameters: {version: [\"1\"], platform: [x, y]}\n"
                    "            exclude: [{version: \"1\", platform: y}]\n"
                    "      - build: {name: after, version: \"2\", platform: z, requires: [all-builds]}\n"));
  CHECK(workflow_jobs(config) == Lines{"b-x-1", "after"});
  CHECK(config.workflows.at(0).required("all-builds") == Lines{"b-x-1"});
  CHECK(problems(matrix_config("      - build:\n          matrix:\n            parameters: {version: [\"1\"], "
                               "platform: [x]}\n            exclude: [{version: \"2\", platform: x}]\n"))
        == Lines{"13:23: error: this exclude of job 'build' matches none of its matrix"});
}

TEST_CASE("<< matrix.x >> outside a matrix entry is an error, in text or a section, never left as written", "[circle2]["
                                                                                                            "expand]")
{
  // Found by review: a section crashed, and a reference stayed, for the shell to read as a heredoc.
  CHECK(problems(with_build("", "      - run: cat << matrix.v >>\n"))
        == Lines{"6:14: error: '<< matrix.v >>' has a value only in a workflow's job entry with a matrix"});
  CHECK(problems(with_build("", "      - run: echo <<# matrix.v >>yes<</ matrix.v >>\n"))
        == Lines{"6:14: error: '<< matrix.v >>' has a value only in a workflow's job entry with a matrix"});
  CHECK(problems(matrix_config("      - build: {version: << matrix.v >>, platform: x}\n"))
        == Lines{"10:26: error: '<< matrix.v >>' has a value only in a workflow's job entry with a matrix"});
}

TEST_CASE("a matrix entry's values are substituted once: a --param's text is not read again", "[circle2][expand]")
{
  PipelineValues values;
  values.branch = "main";
  values.parameters = {{"p", "<< pipeline.git.branch >>"}};
  const auto config = read("version: 2.1\nparameters:\n  p: {type: string, default: x}\n"
                               + matrix_config("      - build:\n          platform: << pipeline.parameters.p >>\n"
                                               "          matrix: {parameters: {version: [\"1\"]}}\n")
                                     .substr(13),
                           values);
  CHECK(steps_of(config.instances.at(0)) == Lines{"echo 1 << pipeline.git.branch >>"});
}

TEST_CASE("an unknown pipeline value suggests the closest; job parameters are not in workflows", "[circle2][expand]")
{
  CHECK(problems(with_build("", "      - run: echo << pipeline.git.brnch >>\n"))
        == Lines{"6:14: error: '<< pipeline.git.brnch >>' is not a pipeline value; did you mean "
                 "'pipeline.git.branch'?"});
  CHECK(problems(with_build("", "      - run: echo << pipeline.parameters.nope >>\n"))
        == Lines{"6:14: error: '<< pipeline.parameters.nope >>': the config declares no pipeline parameter 'nope' "
                 "(it declares: none)"});
  CHECK(has_error(problems(with_build("", "      - checkout\nworkflows:\n  w:\n    jobs:\n      - build: {name: << "
                                          "parameters.x >>}\n")),
                  "10:23: error: '<< parameters.x >>' is outside any job, command or executor: there are no parameters "
                  "here"));
}

// ---- when / unless and logic statements ----

TEST_CASE("when and unless steps: literals' truthiness and the logic statements", "[circle2][expand]")
{
  const auto [condition, truthy] = GENERATE(table<std::string, bool>({
      {"true", true},
      {"false", false},
      {"0", false},
      {"1", true},
      {"''", false},
      {"null", false},
      {"~", false},
      {"a string", true},
      {"{and: [true, 1, x]}", true},
      {"{and: [true, false]}", false},
      {"{or: [false, 0, '']}", false},
      {"{or: [false, x]}", true},
      {"{not: false}", true},
      {"{not: {equal: [a, a]}}", false},
      {"{equal: [42, 42, 42]}", true},
      {"{equal: [main, dev]}", false},
      {"{equal: [42, << pipeline.number >>]}", false},
      {"{matches: {pattern: 'ma.*', value: main}}", true},
      {"{matches: {pattern: ma, value: main}}", false}, // a full match, not a prefix
      {"{matches: {pattern: '^feature-.+$', value: feature-x}}", true},
      {"{and: [{or: [false, {not: false}]}, {equal: [true, true]}]}", true},
      // A quoted 'false' is a non-empty string, truthy; NaN is falsy; two
      // different mappings are not equal.
      {"'false'", true},
      {".nan", false},
      {"{equal: [{a: 1}, {b: 2}]}", false},
  }));
  INFO(condition);
  const std::string steps = "      - when: {condition: " + condition + ", steps: [{run: when-ran}]}\n"
                            + "      - unless: {condition: " + condition + ", steps: [{run: unless-ran}]}\n";
  const auto config = read(with_build("", steps));
  CHECK(steps_of(job_named(config, "build")) == Lines{truthy ? "when-ran" : "unless-ran"});
}

TEST_CASE("logic statements written wrong are errors", "[circle2][expand]")
{
  const auto [condition, expected] = GENERATE(table<std::string, std::string>({
      {"{equals: [1, 1]}", "6:28: error: unknown logic statement 'equals'; did you mean 'equal'?"},
      {"{matches: {value: x}}", "6:28: error: 'matches' needs pattern: and value:"},
      {"{matches: {pattern: '(a', value: x}}", "6:47: error: 'matches' pattern: a '(' has no ')' to close it"},
      {"{and: true}", "6:33: error: 'and' takes a list of one statement or more"},
      {"{and: [], or: []}", "6:27: error: a logic statement is one of and:, or:, not:, equal: or matches:"},
  }));
  INFO(condition);
  const auto lines = problems(with_build("", "      - when: {condition: " + condition + ", steps: [{run: x}]}\n"));
  REQUIRE_FALSE(lines.empty());
  CHECK(lines.front() == expected);
}

TEST_CASE("a when step written wrong, and logic on an empty list, are errors", "[circle2][expand]")
{
  CHECK(problems(with_build("", "      - when: {steps: [{run: x}]}\n"))
        == Lines{"6:9: error: a 'when' step needs condition: and steps:"});
  CHECK(problems(with_build("", "      - unless: {condition: true, steps: [], then: 1}\n"))
        == Lines{"6:46: error: a 'unless' step has only condition: and steps:, not 'then'"});
  // "Using logic with an empty list will cause a validation error."
  for (const std::string statement : {"and", "or", "equal"}) {
    INFO(statement);
    CHECK(check(with_build("", "      - when: {condition: {" + statement + ": []}, steps: [{run: x}]}\n"))
              .diagnostics.has_errors());
  }
}

TEST_CASE("a workflow whose when fails, or whose unless holds, runs no job, and says why", "[circle2][expand]")
{
  const std::string yaml = R"(version: 2.1
parameters:
  nightly: {type: boolean, default: false}
jobs:
  build: {docker: [{image: a}], steps: [{run: x}]}
workflows:
  nightly: {when: << pipeline.parameters.nightly >>, jobs: [build]}
  daily: {unless: << pipeline.parameters.nightly >>, jobs: [build]}
  main-only:
    when:
      or:
        - equal: [main, << pipeline.git.branch >>]
        - matches: {pattern: "release/.*", value: << pipeline.git.branch >>}
    jobs: [build]
)";
  PipelineValues dev;
  dev.branch = "dev";
  const auto config = read(yaml, dev);
  CHECK(config.workflows.at(0).off == std::optional<std::string>("its when: does not hold"));
  CHECK_FALSE(config.workflows.at(1).off);
  CHECK(decisions(config, "dev")
        == Lines{"nightly/build skipped: workflow 'nightly' does not run: its when: does not hold",
                 "daily/build runs: no branch filter",
                 "main-only/build skipped: workflow 'main-only' does not run: its when: does not hold"});
  PipelineValues release;
  release.branch = "release/1.2";
  release.parameters = {{"nightly", "true"}};
  CHECK(decisions(read(yaml, release), "release/1.2")
        == Lines{"nightly/build runs: no branch filter",
                 "daily/build skipped: workflow 'daily' does not run: its unless: holds",
                 "main-only/build runs: no branch filter"});
}

// ---- versions ----

TEST_CASE("2.1's reuse in a config of version 2 or 2.0 is an error saying it is 2.1", "[circle2][expand]")
{
  const std::string rest = "commands:\n  c: {steps: [{run: x}]}\nexecutors:\n  e: {docker: [{image: a}]}\njobs:\n"
                           "  build: {docker: [{image: a}], steps: [c]}\n";
  // 2.0 has no commands: the step that names one is unknown there too
  CHECK(problems("version: 2.0\n" + rest)
        == Lines{"2:1: error: 'commands' is CircleCI 2.1: this config says version 2.0",
                 "4:1: error: 'executors' is CircleCI 2.1: this config says version 2.0",
                 "7:41: error: unknown step 'c' in 'jobs.build.steps[0]' (steps: run, checkout, deploy, "
                 "store_artifacts, store_test_results, save_cache, restore_cache, persist_to_workspace, "
                 "attach_workspace, setup_remote_docker, add_ssh_keys, and the config's `commands:`)"});
  CHECK(problems("version: 2\nparameters:\n  p: {type: string, default: x}\njobs:\n  build:\n    docker: [{image: a}]\n"
                 "    steps: [checkout]\n")
        == Lines{"2:1: error: 'parameters' is CircleCI 2.1: this config says version 2"});
  // Job parameters, << parameters.x >> and when steps are 2.1 too: in 2.0 they are text.
  CHECK(check("version: 2.0\njobs:\n  build:\n    parameters: {p: {type: string, default: x}}\n    docker: [{image: "
              "a}]\n"
              "    steps: [{run: echo << parameters.p >>}, {when: {condition: true, steps: [{run: hi}]}}]\n")
            .diagnostics.has_errors());
}

// ---- declarations ----

TEST_CASE("parameters declared wrong are errors at the declaration", "[circle2][expand]")
{
  const auto [parameters, expected] = GENERATE(table<std::string, std::string>({
      {"[who]", "4:17: error: the parameters of command 'c' must be a mapping of names to their type:"},
      {"{who: {default: x}}", "4:23: error: parameter 'who' must be a mapping with a type: (string, boolean, integer, "
                              "enum, executor, steps, env_var_name)"},
      {"{who: {type: strng, default: x}}", "4:30: error: parameter 'who' has an unknown type 'strng'; did you mean "
                                           "'string'?"},
      {"{who: {type: enum, default: x}}", "4:30: error: parameter 'who' is an enum: give it `enum:`, a list of its "
                                          "values"},
  }));
  INFO(parameters);
  const auto lines = problems(
      with_build("commands:\n  c:\n    parameters: " + parameters + "\n    steps: [{run: x}]\n", "      - c\n"));
  REQUIRE_FALSE(lines.empty());
  CHECK(lines.front() == expected);
}

TEST_CASE("YAML 1.1 booleans, a string given true, a default not in its enum, a command checkout", "[circle2][expand]")
{
  // Boolean parameters take YAML 1.1's y/yes/on, n/no/off (any case).
  CHECK(problems(with_build("commands:\n  c:\n    parameters: {a: {type: boolean, default: yes}, b: {type: boolean, "
                            "default: Off}}\n    steps: [{run: \"<< parameters.a >> << parameters.b >>\"}]\n",
                            "      - c\n"))
            .empty());
  // "An unquoted string value that YAML interprets as a boolean will result in a type error."
  CHECK_FALSE(problems(with_build("commands:\n  c:\n    parameters: {s: {type: string}}\n    steps: [{run: x}]\n",
                                  "      - c: {s: true}\n"))
                  .empty());
  // A default not in the enum is an invalid declaration, even when every caller gives a value.
  CHECK_FALSE(problems(with_build("commands:\n  c:\n    parameters: {o: {type: enum, enum: [a], default: z}}\n"
                                  "    steps: [{run: x}]\n",
                                  "      - c: {o: a}\n"))
                  .empty());
  // "It is possible to override the special keys with a custom command."
  const auto result = check(with_build("commands:\n  checkout:\n    steps: [{run: my checkout}]\n", "      - "
                                                                                                    "checkout\n"));
  CHECK_FALSE(result.diagnostics.has_errors());
  CHECK(steps_of(job_named(result.config, "build")) == Lines{"my checkout"});
}

// ---- hostile input ----

namespace {

// Commands l0..l9, each calling the next ten times: 10^10 steps if written out.
std::string billion_laughs()
{
  std::string top = "commands:\n";
  for (int level = 0; level < 10; ++level) {
    const std::string call = level < 9 ? fmt::format("l{}", level + 1) : "{run: lol}";
    top += fmt::format("  l{}:\n    steps: [{}]\n", level, fmt::join(std::vector<std::string>(10, call), ", "));
  }
  return with_build(top, "      - l0\n");
}

// Commands d0..d(n-1), each passing its text doubled to the next: 8 * 2^(n-1) characters.
std::string doubling_text(int levels)
{
  std::string top = "commands:\n";
  for (int level = 0; level < levels; ++level) {
    const std::string body = level + 1 < levels
                                 ? fmt::format("[{{d{}: {{s: \"<< parameters.s >><< parameters.s >>\"}}}}]", level + 1)
                                 : std::string("[{run: \"echo << parameters.s >>\"}]");
    top += fmt::format("  d{}:\n    parameters: {{s: {{type: string}}}}\n    steps: {}\n", level, body);
  }
  return with_build(top, "      - d0: {s: abcdefgh}\n");
}

} // namespace

TEST_CASE("commands calling each other ten times over ten levels end quickly, in one error", "[circle2][expand]")
{
  const auto lines = problems(billion_laughs()); // a hang would be ctest's timeout
  REQUIRE_FALSE(lines.empty());
  CHECK(has_error(lines, "error: the config expands past drydock's limits (200000 parts, 16 MB of text): commands or "
                         "parameters repeat each other too many times"));
  // One error, not one more for each part cut off.
  CHECK(lines.size() == 1);
}

TEST_CASE("a text that doubles at each command call is refused before it grows huge", "[circle2][expand]")
{
  // The budget counts characters too: 23 levels would make one 32 MiB command.
  CHECK(has_error(problems(doubling_text(23)), "expands past drydock's limits"));
}

TEST_CASE("nesting: commands forty deep, logic statements deep, YAML deeper than its limit", "[circle2][expand]")
{
  std::string top = "commands:\n";
  for (int level = 0; level < 40; ++level) {
    top += fmt::format("  c{}:\n    steps: [{}]\n", level, level < 39 ? fmt::format("c{}", level + 1) : "{run: end}");
  }
  // A chain of forty commands has no loop: it is too deep, not a loop.
  const auto chain = problems(with_build(top, "      - c0\n"));
  CHECK_FALSE(has_error(chain, "runs itself"));
  CHECK(has_error(chain, "error: commands call each other more than 32 deep: c0 -> c1 -> "));

  // CircleCI nests logic statements "to a maximum depth of 100 levels" (the YAML reader's 64 caps it here).
  std::string deep_not;
  for (int i = 0; i < 41; ++i) {
    deep_not += "{not: ";
  }
  deep_not += "false" + std::string(41, '}');
  const auto deep = check(with_build("", "      - when: {condition: " + deep_not + ", steps: [{run: x}]}\n"));
  INFO(fmt::format("{}", fmt::join(test::messages(deep.diagnostics), "\n")));
  CHECK_FALSE(deep.diagnostics.has_errors());
  CHECK(steps_of(job_named(deep.config, "build")) == Lines{"x"});
  const auto yaml = problems(
      with_build("", "      - run: " + std::string(100000, '[') + std::string(100000, ']') + "\n"));
  REQUIRE(yaml.size() == 1);
  CHECK(yaml.front().ends_with("error: nesting is deeper than 64 levels"));
}

TEST_CASE("a config with errors, asked what needs the engine, answers without throwing", "[circle2][expand]")
{
  // Found by review: a requires naming no job of the workflow threw out of the run's pre-claim check.
  const auto result = check("version: 2.1\njobs:\n  a: {docker: [{image: x}], steps: [{run: y}]}\n"
                            "workflows:\n  w:\n    jobs: [{a: {requires: [nothere]}}]\n");
  REQUIRE(result.diagnostics.has_errors());
  CHECK(circle2::engine_needed_by(result.config, {}) == "jobs.a.docker");
}

// CircleCI 2.1's orbs in the 2.x front end: inline orbs and registry orbs
// from a library (here a fake; the local orb cache in the product), their
// commands, executors and jobs reached as ALIAS/NAME, the names inside an
// orb pointing at its own parts and its own orbs, and every way an orb can
// be missing, broken or hostile, each one error where the config names it.
#include <catch2/catch.hpp>

#include <map>

#include "frontends/circle2/load.hpp"
#include "frontends/circle2/orbs.hpp"
#include "lower_support.hpp"
#include "test_support.hpp"

using namespace drydock;
using Lines = std::vector<std::string>;
using test::job_named;
using test::steps_of;

namespace {

// A library of orbs given as text, by NAMESPACE/NAME@VERSION.
class FakeOrbs final : public circle2::OrbLibrary {
public:
  FakeOrbs(std::initializer_list<std::pair<const std::string, std::string>> texts) : m_texts(texts) {}
  std::optional<circle2::OrbSource> find(const circle2::OrbRef& ref) const override
  {
    const auto found = m_texts.find(ref.text());
    if (found == m_texts.end()) {
      return std::nullopt;
    }
    return circle2::OrbSource{place_of(ref), found->second, ""};
  }
  std::string place_of(const circle2::OrbRef& ref) const override { return "/cache/orbs/" + ref.text() + ".yml"; }

private:
  std::map<std::string, std::string> m_texts;
};

const FakeOrbs& no_library()
{
  static const FakeOrbs none{};
  return none;
}

circle2::Validation check(const std::string& yaml, const circle2::OrbLibrary& library)
{
  return circle2::validate_text(".circleci/config.yml", yaml, {}, library);
}

Lines problems(const std::string& yaml, const circle2::OrbLibrary& library = no_library())
{
  return test::messages(check(yaml, library).diagnostics);
}

circle2::Config read(const std::string& yaml, const circle2::OrbLibrary& library = no_library())
{
  auto result = check(yaml, library);
  INFO(fmt::format("{}", fmt::join(test::messages(result.diagnostics), "\n")));
  REQUIRE(result.diagnostics.all().empty());
  return std::move(result.config);
}


// The job the first workflow's entry `index` runs.
const circle2::Job& job_of_entry(const circle2::Config& config, std::size_t index)
{
  REQUIRE(config.workflows.size() == 1);
  REQUIRE(config.workflows.front().jobs.size() > index);
  const auto* job = config.job_of(config.workflows.front().jobs[index]);
  REQUIRE(job != nullptr);
  return *job;
}

// An orb as CircleCI publishes one: commands calling each other, an
// executor with a parameter, a job with a steps parameter, an orb of its own.
const std::string kNodeOrb = R"(version: 2.1
description: Node.js, as a registry orb would have it
display: {home_url: "https://example.invalid"}
orbs:
  tools: acme/tools@1.0.0
commands:
  install-packages:
    parameters:
      pkg-manager: {type: enum, enum: [npm, yarn], default: npm}
    steps:
      - tools/announce: {what: install}
      - run: << parameters.pkg-manager >> install
  with-cache:
    parameters:
      steps: {type: steps}
    steps:
      - run: restore
      - steps: << parameters.steps >>
      - run: save
executors:
  default:
    parameters:
      tag: {type: string, default: "20.1"}
    docker:
      - image: cimg/node:<< parameters.tag >>
jobs:
  test:
    parameters:
      version: {type: string, default: "20.1"}
      setup: {type: steps, default: [install-packages]}
      run-command: {type: string, default: test}
    executor: {name: default, tag: << parameters.version >>}
    steps:
      - checkout
      - steps: << parameters.setup >>
      - with-cache:
          steps: [{install-packages: {pkg-manager: yarn}}]
      - run: npm run << parameters.run-command >>
examples:
  basic: {description: how, usage: {version: 2.1}}
)";

const std::string kToolsOrb = R"(version: 2.1
commands:
  announce:
    parameters:
      what: {type: string}
    steps:
      - run: echo doing << parameters.what >>
)";

const FakeOrbs& registry()
{
  static const FakeOrbs library{{"circleci/node@5.1.0", kNodeOrb}, {"acme/tools@1.0.0", kToolsOrb}};
  return library;
}

} // namespace

TEST_CASE("an orb's reference is NAMESPACE/NAME@VERSION and nothing that could leave the cache", "[circle2][orbs]")
{
  const auto ref = circle2::parse_orb_ref("circleci/node@5.1.0");
  REQUIRE(ref);
  CHECK(ref->ns == "circleci");
  CHECK(ref->name == "node");
  CHECK(ref->version == "5.1.0");
  CHECK(ref->text() == "circleci/node@5.1.0");
  for (const auto* good : {"circleci/node@5", "circleci/node@5.1", "a-b/c_d@volatile", "me/orb@dev:alpha.1"}) {
    INFO(good);
    CHECK(circle2::parse_orb_ref(good));
  }
  for (const auto* bad : {"circleci/node", "node@5.1.0", "../x/node@1", "circleci/../node@1", "circleci/node@../../x",
                          "circleci/node@1.2.3.4", "circleci/node@1..2", "circleci/node@dev:", "circleci/node@dev:..",
                          "circleci/node@dev:a/b", "circleci/node@latest", "circle ci/node@1", "a/b/c@1"}) {
    INFO(bad);
    CHECK_FALSE(circle2::parse_orb_ref(bad));
  }
  CHECK(circle2::parse_orb_ref("circleci/node").error()
        == "'circleci/node' is not NAMESPACE/NAME@VERSION (such as circleci/node@5.1.0)");
  CHECK(circle2::parse_orb_ref("circleci/node@latest").error()
        == "'circleci/node@latest': an orb's version is X.Y.Z, X.Y, X, volatile or dev:LABEL");
}

TEST_CASE("an orb's version X or X.Y means the full releases under it, compared by number", "[circle2][orbs]")
{
  CHECK(circle2::is_full_version("5.1.0"));
  for (const auto* partial : {"5", "5.1", "volatile", "dev:alpha", "dev:1.2.3", "5.1.", ""}) {
    INFO(partial);
    CHECK_FALSE(circle2::is_full_version(partial));
  }
  CHECK(circle2::version_means("5", "5.10.2"));
  CHECK(circle2::version_means("5.1", "5.1.7"));
  CHECK(circle2::version_means("05", "5.0.0"));
  CHECK(circle2::version_means("volatile", "9.0.0"));
  CHECK(circle2::version_means("5.1.0", "5.1.0"));
  CHECK(circle2::version_means("dev:alpha", "dev:alpha"));
  CHECK_FALSE(circle2::version_means("5", "50.0.0"));
  CHECK_FALSE(circle2::version_means("5.1", "5.10.0"));
  CHECK_FALSE(circle2::version_means("5.1.0", "5.1.1"));
  CHECK_FALSE(circle2::version_means("dev:alpha", "1.0.0"));
  CHECK_FALSE(circle2::version_means("volatile", "dev:alpha"));
  CHECK_FALSE(circle2::version_means("5", "5.1"));
  CHECK_FALSE(circle2::version_means("5", "5"));
  CHECK_FALSE(circle2::version_means("5.1", "5.1"));
  CHECK_FALSE(circle2::version_means("volatile", "volatile"));
  CHECK_FALSE(circle2::version_means("dev:alpha", "dev:beta"));
  CHECK(circle2::older_version("5.2.0", "5.10.0"));
  CHECK_FALSE(circle2::older_version("5.10.0", "5.2.0"));
  CHECK_FALSE(circle2::older_version("1.0.99999999999999999998", "1.0.99999999999999999999")); // both saturate
}

TEST_CASE("an inline orb's commands, executors and jobs are the config's as ALIAS/NAME", "[circle2][orbs]")
{
  const auto config = read(R"(version: 2.1
orbs:
  greeter:
    executors:
      small:
        docker: [{image: busybox}]
    commands:
      greet:
        parameters:
          to: {type: string, default: world}
        steps:
          - run: echo hello << parameters.to >>
      twice:
        steps: [greet, {greet: {to: again}}]
    jobs:
      hello:
        executor: small
        steps: [twice]
jobs:
  build:
    executor: greeter/small
    steps:
      - greeter/greet: {to: build}
      - greeter/twice
workflows:
  main:
    jobs: [build, greeter/hello]
)");
  CHECK(steps_of(job_named(config, "build")) == Lines{"echo hello build", "echo hello world", "echo hello again"});
  CHECK(job_named(config, "build").executor.images.front().image.value == "busybox");
  const auto& hello = job_of_entry(config, 1);
  CHECK(hello.name.value == "greeter/hello");
  CHECK(steps_of(hello) == Lines{"echo hello world", "echo hello again"});
  CHECK(hello.executor.images.front().image.value == "busybox");
}

TEST_CASE("registry orbs come from the library: their own orbs, steps parameters and executors resolve inside them",
          "[circle2][orbs]")
{
  const auto config = read(R"(version: 2.1
orbs:
  node: circleci/node@5.1.0
commands:
  install-packages:
    steps: [{run: "the config's own, not the orb's"}]
jobs:
  build:
    executor: {name: node/default, tag: "18.0"}
    steps:
      - node/with-cache:
          steps: [install-packages]
workflows:
  main:
    jobs:
      - node/test:
          version: "16.3"
          run-command: ci
          setup: [install-packages]
      - build:
          requires: [node/test]
)",
                           registry());
  const auto& build = job_named(config, "build");
  CHECK(build.executor.images.front().image.value == "cimg/node:18.0");
  // The steps the config passes are the config's: its own install-packages.
  CHECK(steps_of(build) == Lines{"restore", "the config's own, not the orb's", "save"});
  const auto& test = job_of_entry(config, 0);
  CHECK(test.executor.images.front().image.value == "cimg/node:16.3");
  // The steps the orb passes are the orb's, and so are its orb's commands.
  CHECK(steps_of(test)
        == Lines{"checkout", "the config's own, not the orb's", "restore", "echo doing install", "yarn install", "save",
                 "npm run ci"});
  CHECK(config.workflows.front().jobs[1].requires_.front().value == "node/test");
}

TEST_CASE("a job's steps default from an orb is the orb's command", "[circle2][orbs]")
{
  const auto config = read(R"(version: 2.1
orbs:
  node: circleci/node@5.1.0
workflows:
  main:
    jobs: [node/test]
jobs:
  unused:
    docker: [{image: a}]
    steps: [checkout]
)",
                           registry());
  CHECK(steps_of(job_of_entry(config, 0))
        == Lines{"checkout", "echo doing install", "npm install", "restore", "echo doing install", "yarn install",
                 "save", "npm run test"});
}

TEST_CASE("what goes wrong inside a registry orb is said where the config names the orb", "[circle2][orbs]")
{
  const FakeOrbs library{{"acme/bad@1.0.0", R"(version: 2.1
commands:
  go:
    parameters:
      level: {type: integer, default: high}
    steps: [{run: echo << parameters.lvl >>}]
)"}};
  CHECK(problems(R"(version: 2.1
orbs:
  bad: acme/bad@1.0.0
jobs:
  build:
    docker: [{image: a}]
    steps: [bad/go]
)",
                 library)
        == Lines{"3:8: error: parameter 'level' of command 'bad/go' must be a whole number, got 'high'",
                 "3:8: error: '<< parameters.lvl >>': command 'bad/go' has no parameter 'lvl' (its parameters: "
                 "level)"});
}

TEST_CASE("a missing registry orb is one error that says how to fill the cache", "[circle2][orbs]")
{
  CHECK(problems(R"(version: 2.1
orbs:
  node: circleci/node@5.1.0
jobs:
  build:
    executor: node/default
    steps:
      - node/install-packages
      - run: echo after
workflows:
  main:
    jobs: [build, node/test]
)")
        == Lines{"3:9: error: orb 'node' (circleci/node@5.1.0) is not in the local orb cache: fill it with `drydock "
                 "orb fetch circleci/node@5.1.0` on a machine that is online, or save the output of `circleci orb "
                 "source circleci/node@5.1.0` as /cache/orbs/circleci/node@5.1.0.yml"});
}

TEST_CASE("a missing orb inside a registry orb is said at the orb the config names", "[circle2][orbs]")
{
  const FakeOrbs library{{"circleci/node@5.1.0", kNodeOrb}};
  CHECK(problems(R"(version: 2.1
orbs:
  node: circleci/node@5.1.0
workflows:
  main:
    jobs: [node/test]
)",
                 library)
        == Lines{"3:9: error: orb 'node/tools' (acme/tools@1.0.0) is not in the local orb cache: fill it with "
                 "`drydock orb fetch acme/tools@1.0.0` on a machine that is online, or save the output of `circleci "
                 "orb source acme/tools@1.0.0` as /cache/orbs/acme/tools@1.0.0.yml"});
}

TEST_CASE("a broken orb file names its own line and column", "[circle2][orbs]")
{
  const FakeOrbs library{{"acme/broken@2", "version: 2.1\ncommands:\n  go: [\n"}};
  const auto lines = problems("version: 2.1\norbs:\n  b: acme/broken@2\njobs:\n  build:\n    docker: [{image: a}]\n"
                              "    steps: [b/go]\n",
                              library);
  REQUIRE(lines.size() == 1);
  CHECK(lines.front().starts_with("3:6: error: orb 'b' (acme/broken@2) cannot be read: "
                                  "/cache/orbs/acme/broken@2.yml:"));
}

TEST_CASE("orbs that import each other are a loop, said once", "[circle2][orbs]")
{
  const FakeOrbs library{{"a/one@1", "orbs: {two: a/two@1}\ncommands: {go: {steps: [{run: x}]}}\n"},
                         {"a/two@1", "orbs: {one: a/one@1}\ncommands: {go: {steps: [{run: y}]}}\n"}};
  CHECK(problems("version: 2.1\norbs:\n  one: a/one@1\njobs:\n  build:\n    docker: [{image: a}]\n"
                 "    steps: [one/go]\n",
                 library)
        == Lines{"3:8: error: orb 'one/two/one' (a/one@1) imports itself: a/one@1 -> a/two@1 -> a/one@1"});
}

TEST_CASE("an orb's shape: its keys, its version, its parts' mappings and names", "[circle2][orbs]")
{
  const auto lines = problems(R"(version: 2.1
orbs:
  o:
    version: 2.0
    comands: {}
    workflows: {}
    jobs: [a]
  p: [7]
  bad name: a/b@1
  q: circleci/node
jobs:
  build:
    docker: [{image: a}]
    steps: [checkout]
)");
  const std::string no_workflows = "6:5: error: orb 'o' has no 'workflows' (an orb has: version, description, "
                                   "display, orbs, commands, executors, jobs, examples)";
  CHECK(lines
        == Lines{"4:14: error: orb 'o' says version 2.0: orbs are CircleCI 2.1",
                 "5:5: error: orb 'o' has no 'comands'; did you mean 'commands'?", no_workflows,
                 "7:11: error: 'jobs' of orb 'o' must be a mapping of names to definitions",
                 "8:6: error: orb 'p' must be NAMESPACE/NAME@VERSION, or an orb written inline (a mapping)",
                 "9:3: error: an orb's name is letters, digits, '-' and '_', got 'bad name'",
                 "10:6: error: orb 'q': 'circleci/node' is not NAMESPACE/NAME@VERSION (such as circleci/node@5.1.0)"});
}

TEST_CASE("an unknown part of an orb gets a did-you-mean; the config's own names may not pose as an orb's", "[circle2]["
                                                                                                            "orbs]")
{
  CHECK(problems(R"(version: 2.1
orbs:
  node: circleci/node@5.1.0
commands:
  node/extra:
    steps: [checkout]
jobs:
  build:
    executor: node/defualt
    steps:
      - node/with-cahce: {steps: []}
workflows:
  main:
    jobs: [build, node/tset]
)",
                 registry())
        == Lines{"5:3: error: 'node/extra' of the config's commands has the name of a part of orb 'node': orbs' parts "
                 "are ALIAS/NAME, so give it a name without '/'",
                 "9:15: error: job 'build' uses an unknown executor 'node/defualt'; did you mean 'node/default'?",
                 "11:9: error: unknown step 'node/with-cahce' in 'jobs.build.steps[0]'; did you mean "
                 "'node/with-cache'?",
                 "14:19: error: workflow 'main' runs an unknown job 'node/tset'; did you mean 'node/test'?"});
}

TEST_CASE("orbs are CircleCI 2.1", "[circle2][orbs]")
{
  CHECK(problems(R"(version: 2.0
orbs:
  g: {commands: {go: {steps: [checkout]}}}
jobs:
  build:
    docker: [{image: a}]
    steps: [checkout]
)") == Lines{"2:1: error: 'orbs' is CircleCI 2.1: this config says version 2.0"});
}

TEST_CASE("the registry orbs a config names, also inside its inline orbs", "[circle2][orbs]")
{
  Diagnostics diags;
  const SourceFile source("c.yml", R"(version: 2.1
orbs:
  node: circleci/node@5.1.0
  mine:
    orbs:
      slack: circleci/slack@4.12
  bad: not a reference
)");
  const auto root = config::parse_yaml(source, diags);
  REQUIRE(root != nullptr);
  Lines refs;
  for (const auto& ref : circle2::registry_orbs(*root)) {
    refs.push_back(ref.text());
  }
  CHECK(refs == Lines{"circleci/node@5.1.0", "circleci/slack@4.12"});
}

TEST_CASE("an orb's job keeps a folder of its own beside a job named like its orb", "[circle2][orbs]")
{
  circle2::LowerContext context;
  context.checkout_dir = "/src";
  context.build = pipeline::Build{1, "abc123", "main", "", "acme"};
  context.workspace_dir = "/record/workspace";
  context.artifacts_dir = "/record/artifacts";
  const auto lowered = test::lowered_cleanly(R"(version: 2.1
orbs:
  node:
    jobs:
      test:
        machine: true
        steps:
          - persist_to_workspace: {root: out, paths: [f]}
          - store_artifacts: {path: out}
jobs:
  node:
    machine: true
    steps:
      - attach_workspace: {at: ws}
      - persist_to_workspace: {root: out, paths: [g]}
workflows:
  main:
    jobs: [node/test, {node: {requires: [node/test]}}]
)",
                                             context);
  Lines places;
  for (const auto& step : lowered->pipeline.steps) {
    if (const auto* persist = std::get_if<pipeline::WorkspacePersist>(&step.action)) {
      places.push_back(persist->layer_dir);
    } else if (const auto* collect = std::get_if<pipeline::CollectFiles>(&step.action)) {
      places.push_back(collect->into);
    } else if (const auto* attach = std::get_if<pipeline::WorkspaceAttach>(&step.action)) {
      for (const auto& layer : attach->layers) {
        places.push_back(layer.job + " at " + layer.dir);
      }
    }
  }
  CHECK(places
        == Lines{"/record/workspace/node_test", "/record/artifacts/node_test/out",
                 "node/test at /record/workspace/node_test", "/record/workspace/node"});
}

namespace {

std::string env_value(const pipeline::Step& step, const std::string& name)
{
  for (const auto& [var, value] : step.environment) {
    if (var == name) {
      return value;
    }
  }
  return "<unset>";
}

circle2::LowerContext setup_context()
{
  circle2::LowerContext context;
  context.checkout_dir = "/src";
  context.build = pipeline::Build{7, "abc123", "main", "", "acme"};
  context.continuation_dir = "/record/continuation";
  return context;
}

} // namespace

TEST_CASE("setup: true: drydock's circleci/continuation hands the configuration to the stand-in", "[circle2][orbs]")
{
  const auto lowered = test::lowered_cleanly(R"(version: 2.1
setup: true
orbs:
  continuation: circleci/continuation@1.0.0
jobs:
  generate:
    docker: [{image: app}]
    steps:
      - continuation/continue:
          configuration_path: .circleci/next.yml
          parameters: '{"deploy": true}'
workflows:
  setup:
    jobs:
      - generate
      - continuation/continue:
          configuration_path: .circleci/other.yml
          checkout: false
)",
                                             setup_context());
  const auto& pipeline = lowered->pipeline;
  Lines commands;
  for (const auto& step : pipeline.steps) {
    if (const auto* shell = std::get_if<pipeline::ShellCommand>(&step.action)) {
      commands.push_back(step.name + " | " + env_value(step, "CONFIG_PATH") + " | " + env_value(step, "PARAMETERS")
                         + " | " + env_value(step, "DRYDOCK_CONTINUATION_DIR") + " | "
                         + env_value(step, "CIRCLE_CONTINUATION_KEY"));
      CHECK(shell->script.find("circleci continue") != std::string::npos);
    }
  }
  CHECK(commands
        == Lines{"generate: Continue Pipeline | .circleci/next.yml | {\"deploy\": true} | /tmp/drydock-continuation | "
                 "drydock-build-7",
                 "continuation/continue: Continue Pipeline | .circleci/other.yml | {} | "
                 "/record/continuation/continuation_continue | drydock-build-7"});
  // The docker job's continuation comes out of its container into the record.
  const auto& handover = test::step_by_id(pipeline, "generate/continuation");
  const auto& collect = std::get<pipeline::CollectFiles>(handover.action);
  CHECK(collect.path == "/tmp/drydock-continuation");
  CHECK(collect.into == "/record/continuation/generate");
  CHECK(collect.container == "j0");
}

TEST_CASE("without setup: true no job carries a continuation key; setup is CircleCI 2.1", "[circle2][orbs]")
{
  const auto lowered = test::lowered_cleanly(R"(version: 2.1
jobs:
  build:
    machine: true
    steps: [{run: make}]
)",
                                             setup_context());
  REQUIRE(lowered->pipeline.steps.size() == 1);
  CHECK(env_value(lowered->pipeline.steps.front(), "CIRCLE_CONTINUATION_KEY") == "<unset>");
  CHECK(lowered->pipeline.steps.front().id == "build/1");
  CHECK(problems("version: 2.0\nsetup: true\njobs:\n  build:\n    machine: true\n    steps: [checkout]\n")
        == Lines{"2:1: error: 'setup' is CircleCI 2.1: this config says version 2.0"});
  CHECK(problems("version: 2.1\nsetup: [yes]\njobs:\n  build:\n    machine: true\n    steps: [checkout]\n")
        == Lines{"2:8: error: 'setup' must be true or false, got a list"});
  CHECK(problems("version: 2.1\nsetup: true\njobs:\n  build:\n    machine: true\n    steps: [checkout]\n"
                 "workflows:\n  one: {jobs: [build]}\n  two: {jobs: [build]}\n")
        == Lines{"9:3: error: a setup config (setup: true) has one workflow; 'two' is a second"});
}

TEST_CASE("inside an orb names are the orb's: never the config's commands, executors or orbs", "[circle2][orbs]")
{
  CHECK(problems(R"(version: 2.1
orbs:
  other: {commands: {thing: {steps: [{run: other}]}}}
  o:
    commands:
      greet:
        steps: [hello, other/thing]
    jobs:
      j:
        executor: host
        steps: [checkout]
commands:
  hello: {steps: [{run: config hello}]}
executors:
  host: {machine: true}
jobs:
  build:
    machine: true
    steps: [o/greet]
workflows:
  main:
    jobs: [build, o/j]
)")
        == Lines{"7:17: error: unknown step 'o/hello' in 'jobs.build.steps[0]'; did you mean 'hello'?",
                 "7:24: error: unknown step 'o/other/thing' in 'jobs.build.steps[1]'; did you mean 'other/thing'?",
                 "10:19: error: job 'o/j' uses an unknown executor 'o/host'; did you mean 'host'?"});
}

TEST_CASE("an orb's jobs are read only when a workflow runs them; a config of orbs needs no jobs", "[circle2][orbs]")
{
  const std::string orb = R"(version: 2.1
orbs:
  o:
    commands:
      pack: {steps: [{run: pack}]}
    jobs:
      publish:
        macos: {xcode: 15.0.0}
        steps: [pack]
      test:
        machine: true
        steps: [pack]
)";
  const auto config = read(orb + "workflows:\n  main:\n    jobs: [o/test]\n");
  CHECK(steps_of(job_named(config, "o/test")) == Lines{"pack"});
  CHECK(config.job("o/publish") == nullptr);
  CHECK(problems(orb + "workflows:\n  main:\n    jobs: [o/publish]\n")
        == Lines{"8:9: error: 'jobs.o/publish.macos' is CircleCI 2.x that drydock does not run yet",
                 "15:12: error: job 'o/publish' has no executor: give it docker: (a list of images) or machine: true"});
}

TEST_CASE("an orb cannot read pipeline parameters; an empty orb file is said, not read", "[circle2][orbs]")
{
  CHECK(problems(R"(version: 2.1
parameters:
  secret: {type: string, default: s3cr3t}
orbs:
  o:
    commands:
      leak: {steps: [{run: echo << pipeline.parameters.secret >>}]}
jobs:
  build:
    machine: true
    steps: [o/leak]
)")
        == Lines{"7:28: error: orb 'o' reads a pipeline parameter: CircleCI keeps pipeline parameters out of orbs; "
                 "pass "
                 "the value as a parameter of the orb's command or job"});
  const FakeOrbs library{{"a/empty@1.0.0", "# nothing but a comment\n"}};
  CHECK(problems("version: 2.1\norbs:\n  t: a/empty@1.0.0\njobs:\n  build:\n    machine: true\n    steps: [t/x]\n",
                 library)
        == Lines{"3:6: error: orb 't' (a/empty@1.0.0) cannot be read: /cache/orbs/a/empty@1.0.0.yml is empty, not an "
                 "orb "
                 "(commands:, executors:, jobs:)"});
}

TEST_CASE("aliases an orb repeats stay shared when its names are rewritten", "[circle2][orbs]")
{
  // Ten-wide aliases five deep: 10^5 steps for each of 200 imports if each were copied.
  std::string orb = "version: 2.1\ncommands:\n  c0: {steps: &s0 [{run: x}]}\n";
  for (int level = 1; level <= 5; ++level) {
    orb += fmt::format("  c{}: {{steps: &s{} [", level, level);
    for (int i = 0; i < 10; ++i) {
      orb += fmt::format("{}{{steps: *s{}}}", i == 0 ? "" : ", ", level - 1);
    }
    orb += "]}\n";
  }
  std::string config = "version: 2.1\norbs:\n";
  for (int alias = 0; alias < 200; ++alias) {
    config += fmt::format("  a{}: a/laughs@1.0.0\n", alias);
  }
  config += "jobs:\n  build:\n    machine: true\n    steps: [a0/c0]\n";
  const FakeOrbs library{{"a/laughs@1.0.0", orb}};
  const auto found = problems(config, library);
  INFO(fmt::format("{}", fmt::join(found, "\n")));
  CHECK(found.empty());
}

TEST_CASE("jobs whose names read alike as folders keep records of their own", "[circle2][orbs]")
{
  circle2::LowerContext context;
  context.checkout_dir = "/src";
  context.build = pipeline::Build{1, "abc123", "main", "", "acme"};
  context.artifacts_dir = "/record/artifacts";
  const auto lowered = test::lowered_cleanly(R"(version: 2.1
orbs:
  o:
    jobs:
      j:
        machine: true
        steps: [{store_artifacts: {path: out}}]
jobs:
  o_j:
    machine: true
    steps: [{store_artifacts: {path: out}}]
  test:
    machine: true
    parallelism: 2
    steps: [{store_artifacts: {path: out}}]
  test_0:
    machine: true
    steps: [{store_artifacts: {path: out}}]
workflows:
  main:
    jobs: [o/j, o_j, test, test_0]
)",
                                             context);
  Lines places;
  for (const auto& step : lowered->pipeline.steps) {
    if (const auto* collect = std::get_if<pipeline::CollectFiles>(&step.action)) {
      places.push_back(step.name.substr(0, step.name.find(':', 2)) + " -> " + collect->into);
    }
  }
  CHECK(places
        == Lines{"o/j -> /record/artifacts/o_j/out", "o_j -> /record/artifacts/o_j-2/out",
                 "test -> /record/artifacts/test_0/out", "test -> /record/artifacts/test_1/out",
                 "test_0 -> /record/artifacts/test_0-2/out"});
}

// CircleCI 2.x's save_cache, restore_cache, persist_to_workspace and
// attach_workspace: what the loader reads of them (cache key templates
// included), the errors it reports, and the pipeline steps they lower to.
#include <catch2/catch.hpp>

#include "frontends/circle2/load.hpp"
#include "frontends/circle2/lower.hpp"
#include "lower_support.hpp"
#include "test_support.hpp"

using namespace drydock;
using Lines = std::vector<std::string>;
using test::env_lines;
using test::ids;
using test::step_by_id;
using Kind = pipeline::KeyPart::Kind;

namespace {

Lines problems(const std::string& yaml) { return test::problems_of(yaml); }

circle2::Config read(const std::string& yaml) { return test::read_clean(yaml); }

// A job `build` with one image and these steps (from line 6), without workflows.
std::string job_with_steps(const std::string& steps)
{
  return "version: 2\njobs:\n  build:\n    docker: [{image: a}]\n    steps:\n" + steps;
}

const std::vector<circle2::Step>& steps_of(const circle2::Config& config)
{
  REQUIRE(config.jobs.size() == 1);
  return config.jobs.front().steps;
}

template <typename T>
const T& action_of(const circle2::Step& step, const std::string& kind)
{
  REQUIRE(step.kind == kind);
  const auto* action = std::get_if<T>(&step.action);
  REQUIRE(action != nullptr);
  return *action;
}

Lines texts(const std::vector<config::Text>& words)
{
  Lines out;
  for (const auto& word : words) {
    out.push_back(word.value);
  }
  return out;
}

// "text:v1-", "env:CIRCLE_BRANCH", "checksum:f", "epoch:", "arch:"
Lines parts_of(const std::vector<pipeline::KeyPart>& parts)
{
  Lines out;
  for (const auto& part : parts) {
    const char* kind = part.kind == Kind::text       ? "text"
                       : part.kind == Kind::env      ? "env"
                       : part.kind == Kind::checksum ? "checksum"
                       : part.kind == Kind::epoch    ? "epoch"
                                                     : "arch";
    out.push_back(std::string(kind) + ":" + part.value);
  }
  return out;
}

// ---- lowering ----

circle2::LowerContext context()
{
  circle2::LowerContext context;
  context.checkout_dir = "/src";
  context.log_dir = "/logs";
  context.caches_dir = "/caches/acme";
  context.workspace_dir = "/record/workspace";
  context.build = pipeline::Build{3, "abc123def4567890", "main", "", "acme"};
  return context;
}

std::unique_ptr<test::Lowered> lower(const std::string& yaml, const circle2::Selection& selection = {})
{
  return test::lowered_cleanly(yaml, context(), selection);
}

// "job @dir after a, b"
Lines layer_lines(const std::vector<pipeline::WorkspaceLayer>& layers)
{
  Lines out;
  for (const auto& layer : layers) {
    out.push_back(fmt::format("{} @{} after {}", layer.job, layer.dir, fmt::join(layer.after, ", ")));
  }
  return out;
}

std::string policy_text(const pipeline::Pipeline& pipeline, const pipeline::Step& step)
{
  const auto& policy = pipeline::policy_of(pipeline, step);
  const auto when = policy.when == pipeline::RunsWhen::on_success   ? "on_success"
                    : policy.when == pipeline::RunsWhen::always     ? "always"
                    : policy.when == pipeline::RunsWhen::on_failure ? "on_failure"
                                                                    : "finally";
  const auto failure = policy.on_failure == pipeline::OnFailure::stop_build       ? "stop_build"
                       : policy.on_failure == pipeline::OnFailure::continue_build ? "continue_build"
                                                                                  : "skip_dependants";
  return fmt::format("{} {}", when, failure);
}

constexpr const char* kKeptWorkflow = R"(version: 2
jobs:
  a:
    docker: [{image: x}]
    working_directory: /app
    steps:
      - restore_cache:
          keys:
            - v1-deps-{{ checksum "package-lock.json" }}
            - v1-deps-
      - run: npm ci
      - save_cache:
          key: v1-deps-{{ checksum "package-lock.json" }}
          paths: [node_modules, ~/.npm]
      - persist_to_workspace:
          root: .
          paths: [dist]
  b:
    machine: true
    steps:
      - attach_workspace: {at: /tmp/ws}
      - persist_to_workspace: {root: /tmp/ws, paths: report}
      - save_cache: {key: 'm-{{ epoch }}', paths: [out], when: always, name: Keep out}
  c:
    docker: [{image: y}]
    steps:
      - persist_to_workspace: {root: ~/project, paths: ["*.txt"], name: Share}
  d:
    docker: [{image: z}]
    steps:
      - attach_workspace:
          at: ws
          name: Get it
      - restore_cache: {key: 'v1-{{ .Branch }}'}
workflows:
  w:
    jobs:
      - a
      - b: {requires: [a]}
      - c
      - d: {requires: [b, c]}
)";

} // namespace

// ---- reading ----

TEST_CASE("save_cache reads its key's parts, its paths, name and when", "[circle2][kept]")
{
  const auto config = read(job_with_steps(R"(      - save_cache:
          key: 'v2-{{ .Branch }}-{{ .Revision }}-{{ .BuildNum }}-{{ .Environment.NODE_VERSION }}-{{ epoch }}-{{ arch }}-{{ checksum "a.lock" }}-{{checksum `b.lock`}}'
          paths:
            - node_modules
            - ~/.cache
          name: Keep deps
          when: on_fail
      - save_cache:
          key: plain
          paths: one
)"));
  const auto& steps = steps_of(config);
  REQUIRE(steps.size() == 2);
  CHECK(steps[0].pos == Pos{6, 9});
  const auto& save = action_of<circle2::SaveCacheStep>(steps[0], "save_cache");
  CHECK(save.key.written.value
        == "v2-{{ .Branch }}-{{ .Revision }}-{{ .BuildNum }}-{{ .Environment.NODE_VERSION }}-{{ epoch }}-{{ arch }}-"
           "{{ checksum \"a.lock\" }}-{{checksum `b.lock`}}");
  CHECK(parts_of(save.key.parts)
        == Lines{"text:v2-", "env:CIRCLE_BRANCH", "text:-", "env:CIRCLE_SHA1", "text:-", "env:CIRCLE_BUILD_NUM",
                 "text:-", "env:NODE_VERSION", "text:-", "epoch:", "text:-", "arch:", "text:-", "checksum:a.lock",
                 "text:-", "checksum:b.lock"});
  CHECK(texts(save.paths) == Lines{"node_modules", "~/.cache"});
  REQUIRE(save.name);
  CHECK(save.name->value == "Keep deps");
  CHECK(save.when == circle2::StepWhen::on_fail);

  const auto& plain = action_of<circle2::SaveCacheStep>(steps[1], "save_cache");
  CHECK(parts_of(plain.key.parts) == Lines{"text:plain"});
  CHECK(texts(plain.paths) == Lines{"one"});
  CHECK_FALSE(plain.name);
  CHECK(plain.when == circle2::StepWhen::on_success);
}

TEST_CASE("a key that is one template, or templates side by side, has no empty text parts", "[circle2][kept]")
{
  const auto config = read(job_with_steps(R"(      - save_cache: {key: '{{ arch }}{{ epoch }}', paths: [a]}
      - save_cache: {key: '{{ .Environment.A_B }}-x', paths: [a]}
)"));
  const auto& steps = steps_of(config);
  REQUIRE(steps.size() == 2);
  CHECK(parts_of(action_of<circle2::SaveCacheStep>(steps[0], "save_cache").key.parts) == Lines{"arch:", "epoch:"});
  CHECK(parts_of(action_of<circle2::SaveCacheStep>(steps[1], "save_cache").key.parts) == Lines{"env:A_B", "text:-x"});
}

TEST_CASE("restore_cache reads key, keys, or both with key tried first", "[circle2][kept]")
{
  const auto config = read(job_with_steps(R"(      - restore_cache:
          key: 'v1-{{ .Branch }}'
      - restore_cache:
          keys:
            - v1-a
            - v1-
          name: Warm up
      - restore_cache:
          keys: [v1-b, v1-]
          key: first
)"));
  const auto& steps = steps_of(config);
  REQUIRE(steps.size() == 3);
  const auto& one = action_of<circle2::RestoreCacheStep>(steps[0], "restore_cache");
  REQUIRE(one.keys.size() == 1);
  CHECK(one.keys[0].written.value == "v1-{{ .Branch }}");
  CHECK(parts_of(one.keys[0].parts) == Lines{"text:v1-", "env:CIRCLE_BRANCH"});
  CHECK_FALSE(one.name);

  const auto& listed = action_of<circle2::RestoreCacheStep>(steps[1], "restore_cache");
  REQUIRE(listed.keys.size() == 2);
  CHECK(listed.keys[0].written.value == "v1-a");
  CHECK(listed.keys[1].written.value == "v1-");
  REQUIRE(listed.name);
  CHECK(listed.name->value == "Warm up");

  const auto& both = action_of<circle2::RestoreCacheStep>(steps[2], "restore_cache");
  Lines written;
  for (const auto& key : both.keys) {
    written.push_back(key.written.value);
  }
  CHECK(written == Lines{"first", "v1-b", "v1-"});
}

TEST_CASE("persist_to_workspace reads root and paths; attach_workspace reads at", "[circle2][kept]")
{
  const auto config = read(job_with_steps(R"(      - persist_to_workspace:
          root: build
          paths:
            - bin/*
            - lib
          name: Share
      - persist_to_workspace: {root: /tmp, paths: out.txt}
      - attach_workspace:
          at: /tmp/ws
      - attach_workspace: {at: ws, name: Get}
)"));
  const auto& steps = steps_of(config);
  REQUIRE(steps.size() == 4);
  const auto& persist = action_of<circle2::PersistStep>(steps[0], "persist_to_workspace");
  CHECK(persist.root.value == "build");
  CHECK(texts(persist.paths) == Lines{"bin/*", "lib"});
  REQUIRE(persist.name);
  CHECK(persist.name->value == "Share");
  const auto& single = action_of<circle2::PersistStep>(steps[1], "persist_to_workspace");
  CHECK(single.root.value == "/tmp");
  CHECK(texts(single.paths) == Lines{"out.txt"});
  CHECK_FALSE(single.name);
  const auto& attach = action_of<circle2::AttachStep>(steps[2], "attach_workspace");
  CHECK(attach.at.value == "/tmp/ws");
  CHECK_FALSE(attach.name);
  CHECK(steps[2].pos == Pos{13, 9});
  const auto& named = action_of<circle2::AttachStep>(steps[3], "attach_workspace");
  CHECK(named.at.value == "ws");
  REQUIRE(named.name);
  CHECK(named.name->value == "Get");
}

// ---- errors ----

TEST_CASE("restore_cache needs key or keys", "[circle2][kept]")
{
  CHECK(problems(job_with_steps("      - restore_cache:\n          name: nothing\n"))
        == Lines{"6:9: error: 'jobs.build.steps[0].restore_cache' needs key or keys: the cache keys to try, in order"});
}

TEST_CASE("the keep steps' required fields, and unknown ones, are errors at the step", "[circle2][kept]")
{
  CHECK(problems(job_with_steps("      - save_cache:\n          key: k\n"))
        == Lines{"6:9: error: 'jobs.build.steps[0].save_cache' has no 'paths', which it needs"});
  CHECK(problems(job_with_steps("      - save_cache: {paths: [a]}\n"))
        == Lines{"6:9: error: 'jobs.build.steps[0].save_cache' has no 'key', which it needs"});
  CHECK(problems(job_with_steps("      - persist_to_workspace: {paths: [a]}\n"))
        == Lines{"6:9: error: 'jobs.build.steps[0].persist_to_workspace' has no 'root', which it needs"});
  CHECK(problems(job_with_steps("      - persist_to_workspace: {root: .}\n"))
        == Lines{"6:9: error: 'jobs.build.steps[0].persist_to_workspace' has no 'paths', which it needs"});
  CHECK(problems(job_with_steps("      - attach_workspace: {name: x}\n"))
        == Lines{"6:9: error: 'jobs.build.steps[0].attach_workspace' has no 'at', which it needs"});
  CHECK(problems(job_with_steps("      - save_cache: {key: k, path: [a]}\n"))
        == Lines{"6:9: error: 'jobs.build.steps[0].save_cache' has no 'paths', which it needs",
                 "6:30: error: unknown key 'path' in 'jobs.build.steps[0].save_cache'; did you mean 'paths'?"});
}

TEST_CASE("a keep step that is not a mapping says what it needs", "[circle2][kept]")
{
  CHECK(problems(job_with_steps("      - save_cache\n"))
        == Lines{"6:9: error: 'jobs.build.steps[0].save_cache' must be a mapping of key and paths"});
  CHECK(problems(job_with_steps("      - persist_to_workspace: dist\n"))
        == Lines{"6:31: error: 'jobs.build.steps[0].persist_to_workspace' must be a mapping of root and paths"});
  CHECK(problems(job_with_steps("      - attach_workspace\n"))
        == Lines{"6:9: error: 'jobs.build.steps[0].attach_workspace' must be a mapping of at"});
}

TEST_CASE("a restore_cache that is not a mapping says it needs key or keys", "[circle2][kept]")
{
  // Its required list is empty (key or keys is checked apart), so the
  // message must not end in "a mapping of " with nothing after it.
  const auto bare = problems(job_with_steps("      - restore_cache\n"));
  REQUIRE(bare.size() == 1);
  CHECK_THAT(bare[0], Catch::StartsWith("6:9: error: 'jobs.build.steps[0].restore_cache' must be a mapping"));
  CHECK_THAT(bare[0], !Catch::EndsWith("of "));
  CHECK_THAT(bare[0], Catch::Contains("key"));
}

TEST_CASE("a key with '{{' and no '}}' is an error at the key", "[circle2][kept]")
{
  CHECK(problems(job_with_steps("      - save_cache:\n          key: 'v1-{{ .Branch'\n          paths: [a]\n"))
        == Lines{"7:16: error: 'jobs.build.steps[0].save_cache.key': '{{' without '}}' in the key 'v1-{{ .Branch'"});
  CHECK(problems(job_with_steps("      - restore_cache:\n          keys: [ok, 'x-{{ epoch }}-{{']\n"))
        == Lines{"7:22: error: 'jobs.build.steps[0].restore_cache.keys[1]': '{{' without '}}' in the key "
                 "'x-{{ epoch }}-{{'"});
}

TEST_CASE("an unknown template is an error at the key, with a did-you-mean when one is close", "[circle2][kept]")
{
  CHECK(problems(job_with_steps("      - save_cache:\n          key: 'v1-{{ .Brnch }}'\n          paths: [a]\n"))
        == Lines{"7:16: error: 'jobs.build.steps[0].save_cache.key': unknown template '{{ .Brnch }}' in the key "
                 "'v1-{{ .Brnch }}'; did you mean '.Branch'?"});
  CHECK(problems(job_with_steps("      - restore_cache:\n          key: '{{   epoc }}-x'\n"))
        == Lines{"7:16: error: 'jobs.build.steps[0].restore_cache.key': unknown template '{{ epoc }}' in the key "
                 "'{{   epoc }}-x'; did you mean 'epoch'?"});
  CHECK(problems(job_with_steps("      - save_cache:\n          key: 'v1-{{ .Foo }}'\n          paths: [a]\n"))
        == Lines{"7:16: error: 'jobs.build.steps[0].save_cache.key': unknown template '{{ .Foo }}' in the key "
                 "'v1-{{ .Foo }}' (templates: checksum \"FILE\", .Branch, .Revision, .BuildNum, .Environment.NAME, "
                 "epoch, arch)"});
}

TEST_CASE("checksum needs a quoted file name; .Environment needs a name", "[circle2][kept]")
{
  // The name is right and its argument is not: the suggestion shows the form.
  const std::string form = "; did you mean 'checksum \"FILE\"'?";
  CHECK(problems(job_with_steps("      - save_cache:\n          key: 'v1-{{ checksum lock }}'\n          paths: [a]\n"))
        == Lines{"7:16: error: 'jobs.build.steps[0].save_cache.key': unknown template '{{ checksum lock }}' in the "
                 "key 'v1-{{ checksum lock }}'"
                 + form});
  CHECK(problems(job_with_steps("      - save_cache:\n          key: 'v1-{{ checksum \"\" }}'\n          paths: [a]\n"))
        == Lines{"7:16: error: 'jobs.build.steps[0].save_cache.key': unknown template '{{ checksum \"\" }}' in the "
                 "key 'v1-{{ checksum \"\" }}'"
                 + form});
  CHECK(problems(job_with_steps("      - save_cache:\n          key: 'v1-{{ .Enviroment.HOME }}'\n          paths: "
                                "[a]\n"))
        == Lines{"7:16: error: 'jobs.build.steps[0].save_cache.key': unknown template '{{ .Enviroment.HOME }}' in "
                 "the key 'v1-{{ .Enviroment.HOME }}'; did you mean '.Environment.NAME'?"});
  CHECK(problems(job_with_steps("      - save_cache:\n          key: 'v1-{{ .Environment. }}'\n          paths: [a]\n"))
            .size()
        == 1);
}

TEST_CASE("a misspelt checksum template suggests checksum", "[circle2][kept]")
{
  // kKeyTemplates lists 'checksum "FILE"', but the word compared is the
  // template's first word ("chekcsum"): it must still be suggested.
  CHECK(problems(job_with_steps("      - save_cache:\n          key: 'v1-{{ chekcsum \"go.sum\" }}'\n          paths: "
                                "[a]\n"))
        == Lines{"7:16: error: 'jobs.build.steps[0].save_cache.key': unknown template '{{ chekcsum \"go.sum\" }}' in "
                 "the key 'v1-{{ chekcsum \"go.sum\" }}'; did you mean 'checksum \"FILE\"'?"});
}

TEST_CASE("save_cache's when takes CircleCI's three values only", "[circle2][kept]")
{
  CHECK(problems(job_with_steps("      - save_cache: {key: k, paths: [a], when: sometimes}\n"))
        == Lines{"6:48: error: 'jobs.build.steps[0].save_cache.when' must be on_success, on_fail or always, got "
                 "'sometimes'"});
}

// ---- lowering ----

TEST_CASE("a docker job's keep steps run in its container, from its working directory", "[circle2][kept]")
{
  const auto lowered = lower(kKeptWorkflow);
  const auto& p = lowered->pipeline;
  CHECK(ids(p)
        == Lines{"a/container", "a/restore_cache-1", "a/1", "a/save_cache-3", "a/persist_to_workspace-4",
                 "a/container-stop", "b/requires", "b/attach_workspace-7", "b/persist_to_workspace-8", "b/save_cache-9",
                 "c/container", "c/persist_to_workspace-11", "c/container-stop", "d/container", "d/attach_workspace-14",
                 "d/restore_cache-15", "d/container-stop"});

  const auto& restore = step_by_id(p, "a/restore_cache-1");
  CHECK(restore.name == "a: Restoring cache");
  CHECK(pipeline::action_kind(restore.action) == "cache-restore");
  CHECK(restore.pos == Pos{7, 9});
  CHECK(restore.deps == std::vector<std::size_t>{0});
  CHECK(policy_text(p, restore) == "on_success continue_build");
  CHECK(restore.summary == "the first cache of v1-deps-{{ checksum \"package-lock.json\" }}, v1-deps-");
  CHECK(env_lines(restore.environment)
        == Lines{"CIRCLE_JOB=a", "CIRCLE_NODE_INDEX=0", "CIRCLE_NODE_TOTAL=1", "CIRCLE_WORKING_DIRECTORY=/app"});
  const auto& restoring = std::get<pipeline::CacheRestore>(restore.action);
  CHECK(restoring.container == "j0");
  CHECK(restoring.base == "/app");
  CHECK(restoring.dir == "/caches/acme");
  REQUIRE(restoring.keys.size() == 2);
  CHECK(restoring.keys[0].written == "v1-deps-{{ checksum \"package-lock.json\" }}");
  CHECK(parts_of(restoring.keys[0].parts) == Lines{"text:v1-deps-", "checksum:package-lock.json"});
  CHECK(restoring.keys[1].written == "v1-deps-");
  CHECK(parts_of(restoring.keys[1].parts) == Lines{"text:v1-deps-"});

  const auto& save = step_by_id(p, "a/save_cache-3");
  CHECK(save.name == "a: Saving cache");
  CHECK(pipeline::action_kind(save.action) == "cache-save");
  CHECK(policy_text(p, save) == "on_success continue_build");
  CHECK(save.summary == "node_modules, ~/.npm as v1-deps-{{ checksum \"package-lock.json\" }}");
  const auto& saving = std::get<pipeline::CacheSave>(save.action);
  CHECK(saving.container == "j0");
  CHECK(saving.base == "/app");
  CHECK(saving.dir == "/caches/acme");
  CHECK(saving.paths == Lines{"node_modules", "~/.npm"});
  CHECK(saving.key.written == "v1-deps-{{ checksum \"package-lock.json\" }}");
  CHECK(parts_of(saving.key.parts) == Lines{"text:v1-deps-", "checksum:package-lock.json"});

  const auto& persist = step_by_id(p, "a/persist_to_workspace-4");
  CHECK(persist.name == "a: Persisting to workspace");
  CHECK(pipeline::action_kind(persist.action) == "workspace-persist");
  CHECK(persist.summary == "dist under .");
  const auto& persisting = std::get<pipeline::WorkspacePersist>(persist.action);
  CHECK(persisting.container == "j0");
  CHECK(persisting.base == "/app");
  CHECK(persisting.root == ".");
  CHECK(persisting.paths == Lines{"dist"});
  CHECK(persisting.layer_dir == "/record/workspace/a");

  // c: the default working directory, its own container.
  const auto& share = step_by_id(p, "c/persist_to_workspace-11");
  CHECK(share.name == "c: Share");
  const auto& shared = std::get<pipeline::WorkspacePersist>(share.action);
  CHECK(shared.container == "j2");
  CHECK(shared.base == "~/project");
  CHECK(shared.root == "~/project");
  CHECK(shared.paths == Lines{"*.txt"});
  CHECK(shared.layer_dir == "/record/workspace/c");
}

TEST_CASE("a machine job's keep steps run here, from the checkout", "[circle2][kept]")
{
  const auto lowered = lower(kKeptWorkflow);
  const auto& p = lowered->pipeline;
  const auto& attach = step_by_id(p, "b/attach_workspace-7");
  CHECK(attach.name == "b: Attaching workspace");
  CHECK(pipeline::action_kind(attach.action) == "workspace-attach");
  CHECK(attach.summary == "what the jobs it requires persisted, at /tmp/ws");
  CHECK(attach.deps == std::vector<std::size_t>{step_by_id(p, "b/requires").index});
  CHECK(env_lines(attach.environment) == Lines{"CIRCLE_JOB=b", "CIRCLE_NODE_INDEX=0", "CIRCLE_NODE_TOTAL=1"});
  const auto& attaching = std::get<pipeline::WorkspaceAttach>(attach.action);
  CHECK(attaching.container.empty());
  CHECK(attaching.base == "/src");
  CHECK(attaching.at == "/tmp/ws");
  CHECK(layer_lines(attaching.layers) == Lines{"a @/record/workspace/a after "});

  const auto& persisting = std::get<pipeline::WorkspacePersist>(step_by_id(p, "b/persist_to_workspace-8").action);
  CHECK(persisting.container.empty());
  CHECK(persisting.base == "/src");
  CHECK(persisting.root == "/tmp/ws");
  CHECK(persisting.paths == Lines{"report"});
  CHECK(persisting.layer_dir == "/record/workspace/b");

  const auto& save = step_by_id(p, "b/save_cache-9");
  CHECK(save.name == "b: Keep out"); // its own name
  CHECK(policy_text(p, save) == "always continue_build");
  const auto& saving = std::get<pipeline::CacheSave>(save.action);
  CHECK(saving.container.empty());
  CHECK(saving.base == "/src");
  CHECK(saving.dir == "/caches/acme");
  CHECK(parts_of(saving.key.parts) == Lines{"text:m-", "epoch:"});
}

TEST_CASE("save_cache's when is the step's policy", "[circle2][kept]")
{
  const auto lowered = lower(job_with_steps(R"(      - run: make
      - save_cache: {key: a, paths: [x]}
      - save_cache: {key: b, paths: [x], when: always}
      - save_cache: {key: c, paths: [x], when: on_fail}
)"));
  const auto& p = lowered->pipeline;
  CHECK(policy_text(p, step_by_id(p, "build/save_cache-2")) == "on_success continue_build");
  CHECK(policy_text(p, step_by_id(p, "build/save_cache-3")) == "always continue_build");
  CHECK(policy_text(p, step_by_id(p, "build/save_cache-4")) == "on_failure continue_build");
}

TEST_CASE("an attach reads every job it requires, directly or not, each after the jobs that one requires", "[circle2]["
                                                                                                           "kept]")
{
  const auto lowered = lower(kKeptWorkflow);
  const auto& p = lowered->pipeline;
  const auto& attach = step_by_id(p, "d/attach_workspace-14");
  CHECK(attach.name == "d: Get it");
  const auto& attaching = std::get<pipeline::WorkspaceAttach>(attach.action);
  CHECK(attaching.container == "j3");
  CHECK(attaching.base == "~/project");
  CHECK(attaching.at == "ws");
  CHECK(layer_lines(attaching.layers)
        == Lines{"a @/record/workspace/a after ", "b @/record/workspace/b after a", "c @/record/workspace/c after "});

  const auto& restore = std::get<pipeline::CacheRestore>(step_by_id(p, "d/restore_cache-15").action);
  CHECK(restore.container == "j3");
  REQUIRE(restore.keys.size() == 1);
  CHECK(parts_of(restore.keys[0].parts) == Lines{"text:v1-", "env:CIRCLE_BRANCH"});
}

TEST_CASE("a chain's attach lists the layers in order, each after all before it", "[circle2][kept]")
{
  const auto lowered = lower(R"(version: 2
jobs:
  one: {machine: true, steps: [{persist_to_workspace: {root: ., paths: [a]}}]}
  two: {machine: true, steps: [{persist_to_workspace: {root: ., paths: [b]}}]}
  three: {machine: true, steps: [{attach_workspace: {at: .}}]}
  alone: {machine: true, steps: [{attach_workspace: {at: .}}]}
workflows:
  w:
    jobs:
      - alone
      - one
      - two: {requires: [one]}
      - three: {requires: [two]}
)");
  const auto& p = lowered->pipeline;
  const pipeline::WorkspaceAttach* three = nullptr;
  const pipeline::WorkspaceAttach* alone = nullptr;
  for (const auto& step : p.steps) {
    if (const auto* attach = std::get_if<pipeline::WorkspaceAttach>(&step.action)) {
      (step.id.starts_with("three/") ? three : alone) = attach;
    }
  }
  REQUIRE(three != nullptr);
  REQUIRE(alone != nullptr);
  CHECK(layer_lines(three->layers)
        == Lines{"one @/record/workspace/one after ", "two @/record/workspace/two after one"});
  CHECK(alone->layers.empty()); // it requires nothing: nothing to attach
}

TEST_CASE("layer folders are WORKFLOW/JOB with two workflows, and safe names", "[circle2][kept]")
{
  const auto lowered = lower(R"(version: 2
jobs:
  make: {machine: true, steps: [{persist_to_workspace: {root: ., paths: [a]}}]}
  use: {machine: true, steps: [{attach_workspace: {at: .}}]}
workflows:
  ci:
    jobs:
      - make: {name: "make it"}
      - use: {requires: ["make it"]}
  nightly:
    jobs: [make]
)");
  const auto& p = lowered->pipeline;
  const auto& persist = std::get<pipeline::WorkspacePersist>(step_by_id(p, "ci/make it/persist_to_workspace-0").action);
  CHECK(persist.layer_dir == "/record/workspace/ci/make_it");
  const auto& nightly = std::get<pipeline::WorkspacePersist>(
      step_by_id(p, "nightly/make/persist_to_workspace-3").action);
  CHECK(nightly.layer_dir == "/record/workspace/nightly/make");
  const pipeline::WorkspaceAttach* use = nullptr;
  for (const auto& step : p.steps) {
    if (step.id.starts_with("ci/use/")) {
      use = std::get_if<pipeline::WorkspaceAttach>(&step.action);
    }
  }
  REQUIRE(use != nullptr);
  CHECK(layer_lines(use->layers) == Lines{"ci/make it @/record/workspace/ci/make_it after "}); // not nightly's
}

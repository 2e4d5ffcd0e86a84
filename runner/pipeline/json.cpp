#include "pipeline/json.hpp"

#include <fmt/format.h>

#include <optional>
#include <stdexcept>

#include "util/cycle.hpp"

// nlohmann 3.11 (Debian 12) has no std::optional support: null is nothing.
namespace nlohmann {
template <typename T>
struct adl_serializer<std::optional<T>> {
  static void to_json(json& out, const std::optional<T>& value) { out = value ? json(*value) : json(nullptr); }
  static void from_json(const json& in, std::optional<T>& value)
  {
    value = in.is_null() ? std::nullopt : std::optional<T>(in.get<T>());
  }
};
} // namespace nlohmann

namespace drydock {

void to_json(nlohmann::json& out, const Pos& pos) { out = {{"line", pos.line}, {"column", pos.column}}; }
void from_json(const nlohmann::json& in, Pos& pos)
{
  pos.line = in.value("line", 0);
  pos.column = in.value("column", 0);
}

namespace pipeline {

// Enums as their names; a name that is none of them is an error, not the
// first value (what NLOHMANN_JSON_SERIALIZE_ENUM would make of it).
template <typename Enum, std::size_t N>
void enum_to_json(nlohmann::json& out, Enum value, const std::pair<Enum, const char*> (&names)[N])
{
  for (const auto& [known, name] : names) {
    if (known == value) {
      out = name;
    }
  }
}

template <typename Enum, std::size_t N>
void enum_from_json(const nlohmann::json& in, Enum& value, const std::pair<Enum, const char*> (&names)[N])
{
  const auto text = in.get<std::string>();
  for (const auto& [known, name] : names) {
    if (text == name) {
      value = known;
      return;
    }
  }
  throw std::invalid_argument(fmt::format("unknown value '{}'", text));
}

constexpr std::pair<RunsWhen, const char*> kWhen[] = {{RunsWhen::on_success, "on_success"},
                                                      {RunsWhen::always, "always"},
                                                      {RunsWhen::on_failure, "on_failure"},
                                                      {RunsWhen::finally, "finally"}};
constexpr std::pair<OnFailure, const char*> kOnFailure[] = {{OnFailure::stop_build, "stop_build"},
                                                            {OnFailure::continue_build, "continue_build"},
                                                            {OnFailure::skip_dependants, "skip_dependants"}};
constexpr std::pair<DatabaseProvider, const char*> kProviders[] = {{DatabaseProvider::cluster, "cluster"},
                                                                   {DatabaseProvider::url, "url"},
                                                                   {DatabaseProvider::container, "container"}};

void to_json(nlohmann::json& out, RunsWhen value) { enum_to_json(out, value, kWhen); }
void from_json(const nlohmann::json& in, RunsWhen& value) { enum_from_json(in, value, kWhen); }
void to_json(nlohmann::json& out, OnFailure value) { enum_to_json(out, value, kOnFailure); }
void from_json(const nlohmann::json& in, OnFailure& value) { enum_from_json(in, value, kOnFailure); }
constexpr std::pair<KeyPart::Kind, const char*> kKeyParts[] = {{KeyPart::Kind::text, "text"},
                                                               {KeyPart::Kind::checksum, "checksum"},
                                                               {KeyPart::Kind::env, "env"},
                                                               {KeyPart::Kind::epoch, "epoch"},
                                                               {KeyPart::Kind::arch, "arch"}};
void to_json(nlohmann::json& out, KeyPart::Kind value) { enum_to_json(out, value, kKeyParts); }
void from_json(const nlohmann::json& in, KeyPart::Kind& value) { enum_from_json(in, value, kKeyParts); }
void to_json(nlohmann::json& out, DatabaseProvider value) { enum_to_json(out, value, kProviders); }
void from_json(const nlohmann::json& in, DatabaseProvider& value) { enum_from_json(in, value, kProviders); }

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(KeyPart, kind, value)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Policy, when, on_failure, skipped_because)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Group, name, kind, policy)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ShellCommand, script, shell, append_files, files_node, files_nodes,
                                                halt_exit_code)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ImageBuild, name, repository, dockerfile, context, inputs,
                                                allow_outside_inputs, build_args, cache_dir, keep)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ImageArchive, image)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Readiness, log, times, port, command, timeout)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ServiceStart, name, image, alias, command, environment, ports, tmpfs,
                                                ready)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Database, provider, url, image, alias, user, databases, env)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DatabaseStart, database)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Publish, name, image, registry, tags, version, latest, semver,
                                                precision, zero, login_env)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Sidecar, name, image, environment, entrypoint, command, user)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(JobContainer, name, image, environment, user, sidecars, hosts,
                                                engine_socket)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Gate, waits_for)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ContainerStart, container)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ContainerStop, container)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Checkout, container, source_dir, sha, path)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CollectFiles, container, base, path, into, root)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CacheKey, written, parts)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CacheSave, container, base, key, paths, dir)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CacheRestore, container, base, keys, dir)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(WorkspacePersist, container, base, root, paths, layer_dir)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(WorkspaceLayer, job, dir, after)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(WorkspaceAttach, container, base, at, layers)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Container, image, database, services, hosts)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(WorkDir, base, path, home, base_is_home)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(BuildContainer, image, origin, mounts, hosts, engine_socket)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Build, number, sha, branch, tag, owner)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SharedDir, label, path)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Tool, name, script)

namespace {

// The action's fields, with its kind beside them.
template <typename T>
nlohmann::json tagged(const T& action, std::string_view kind)
{
  nlohmann::json out = action;
  out["kind"] = kind;
  return out;
}

template <std::size_t I = 0>
tl::expected<Action, std::string> action_of_kind(const nlohmann::json& json, const std::string& kind)
{
  if constexpr (I == std::variant_size_v<Action>) {
    return tl::unexpected(fmt::format("unknown action kind '{}'", kind));
  } else {
    if (action_kind(Action(std::in_place_index<I>)) == kind) {
      return Action(std::in_place_index<I>, json.get<std::variant_alternative_t<I, Action>>());
    }
    return action_of_kind<I + 1>(json, kind);
  }
}

// A stored pipeline must be a DAG, or every step would wait for ever.
std::string steps_cycle(const Pipeline& pipeline)
{
  const auto cycle = util::find_cycle(
      pipeline.steps.size(), [&](std::size_t step) -> const auto& { return pipeline.steps[step].deps; });
  return cycle.empty() ? ""
                       : fmt::format("step '{}' waits for itself through a cycle", pipeline.steps[cycle.front()].id);
}

Step step_from_json(const nlohmann::json& in)
{
  Step step;
  step.index = in.value("index", std::size_t{0});
  step.id = in.value("id", std::string());
  step.name = in.value("name", step.id);
  step.group = in.value("group", std::size_t{0});
  step.origin = in.value("origin", std::string());
  step.pos = in.value("pos", Pos{});
  step.summary = in.value("summary", std::string());
  step.container = in.value("container", std::optional<Container>());
  step.runs_in = in.value("runs_in", std::optional<std::string>());
  step.workdir = in.value("workdir", WorkDir{});
  step.environment = in.value("environment", std::vector<EnvVar>());
  step.no_output_timeout = in.value("no_output_timeout", 600);
  step.background = in.value("background", false);
  step.concurrent = in.value("concurrent", false);
  step.deps = in.value("deps", std::vector<std::size_t>());
  step.policy = in.value("policy", std::optional<Policy>());
  return step;
}

} // namespace

std::string_view when_name(RunsWhen when)
{
  switch (when) {
  case RunsWhen::on_success: return "on_success";
  case RunsWhen::always: return "always";
  case RunsWhen::on_failure: return "on_failure";
  case RunsWhen::finally: return "finally";
  }
  return "?";
}
std::string_view on_failure_name(OnFailure on_failure)
{
  switch (on_failure) {
  case OnFailure::stop_build: return "stop_build";
  case OnFailure::continue_build: return "continue_build";
  case OnFailure::skip_dependants: return "skip_dependants";
  }
  return "?";
}

nlohmann::json to_json(const Action& action)
{
  return std::visit([&](const auto& alternative) { return tagged(alternative, action_kind(action)); }, action);
}

tl::expected<Action, std::string> action_from_json(const nlohmann::json& json)
{
  try {
    if (!json.is_object() || !json.contains("kind") || !json["kind"].is_string()) {
      return tl::unexpected(std::string("an action is an object with a \"kind\""));
    }
    auto action = action_of_kind(json, json["kind"].get<std::string>());
    const auto* shell = action ? std::get_if<ShellCommand>(&*action) : nullptr;
    if (shell != nullptr && shell->shell.empty()) {
      return tl::unexpected(std::string("a shell action needs a shell to run its script"));
    }
    return action;
  } catch (const std::exception& error) { // nlohmann's, and an unknown enum value
    return tl::unexpected(fmt::format("bad action: {}", error.what()));
  }
}

nlohmann::json to_json(const Step& step)
{
  return {{"index", step.index},
          {"id", step.id},
          {"name", step.name},
          {"group", step.group},
          {"origin", step.origin},
          {"pos", step.pos},
          {"summary", step.summary},
          {"action", to_json(step.action)},
          {"container", step.container},
          {"runs_in", step.runs_in},
          {"workdir", step.workdir},
          {"environment", step.environment},
          {"no_output_timeout", step.no_output_timeout},
          {"background", step.background},
          {"concurrent", step.concurrent},
          {"deps", step.deps},
          {"policy", step.policy}};
}

nlohmann::json to_json(const Pipeline& pipeline)
{
  auto steps = nlohmann::json::array();
  for (const auto& step : pipeline.steps) {
    steps.push_back(to_json(step));
  }
  return {{"file", pipeline.file},
          {"format", pipeline.format},
          {"build", pipeline.build},
          {"groups", pipeline.groups},
          {"steps", steps},
          {"environment", pipeline.environment},
          {"shared_dirs", pipeline.shared_dirs},
          {"log_dir", pipeline.log_dir},
          {"engine_needed_by", pipeline.engine_needed_by},
          {"database", pipeline.database},
          {"build_container", pipeline.build_container},
          {"secret_env", pipeline.secret_env},
          {"tools", pipeline.tools}};
}

tl::expected<Pipeline, std::string> pipeline_from_json(const nlohmann::json& json)
{
  try {
    Pipeline pipeline;
    pipeline.file = json.value("file", std::string());
    pipeline.format = json.value("format", std::string());
    pipeline.build = json.value("build", Build{});
    pipeline.groups = json.value("groups", std::vector<Group>());
    for (const auto& entry : json.value("steps", nlohmann::json::array())) {
      Step step = step_from_json(entry);
      auto action = action_from_json(entry.value("action", nlohmann::json::object()));
      if (!action) {
        return tl::unexpected(fmt::format("step '{}': {}", step.id, action.error()));
      }
      step.action = std::move(*action);
      if (step.group >= pipeline.groups.size()) {
        return tl::unexpected(fmt::format("step '{}': no group {}", step.id, step.group));
      }
      step.index = pipeline.steps.size();
      pipeline.steps.push_back(std::move(step));
    }
    for (const auto& step : pipeline.steps) {
      for (const std::size_t dep : step.deps) {
        if (dep >= pipeline.steps.size() || dep == step.index) {
          return tl::unexpected(fmt::format("step '{}': waits for step {}, which is not another step", step.id, dep));
        }
      }
    }
    pipeline.environment = json.value("environment", std::vector<EnvVar>());
    pipeline.shared_dirs = json.value("shared_dirs", std::vector<SharedDir>());
    pipeline.log_dir = json.value("log_dir", std::string());
    pipeline.engine_needed_by = json.value("engine_needed_by", std::string());
    pipeline.database = json.value("database", std::optional<Database>());
    pipeline.build_container = json.value("build_container", std::optional<BuildContainer>());
    pipeline.secret_env = json.value("secret_env", std::vector<std::string>());
    pipeline.tools = json.value("tools", std::vector<Tool>());
    if (const auto cycle = steps_cycle(pipeline); !cycle.empty()) {
      return tl::unexpected(cycle);
    }
    return pipeline;
  } catch (const std::exception& error) {
    return tl::unexpected(fmt::format("bad pipeline: {}", error.what()));
  }
}

} // namespace pipeline
} // namespace drydock

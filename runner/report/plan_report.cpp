#include "report/plan_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "pipeline/json.hpp"
#include "plan/plan.hpp"
#include "report/text_report.hpp"

namespace drydock::report {
namespace {

std::vector<std::string> dep_names(const pipeline::Pipeline& pipeline, std::size_t step)
{
  std::vector<std::string> names;
  for (const auto dep : pipeline.steps[step].deps) {
    names.push_back(pipeline.steps[dep].name);
  }
  return names;
}

const std::string& group_name(const pipeline::Pipeline& pipeline, const pipeline::Step& step)
{
  return pipeline.groups[step.group].name;
}

std::string describe_target(const pipeline::Build& target)
{
  std::vector<std::string> parts;
  if (!target.branch.empty()) {
    parts.push_back(fmt::format("branch '{}'", target.branch));
  }
  if (!target.tag.empty()) {
    parts.push_back(fmt::format("tag '{}'", target.tag));
  }
  if (parts.empty()) {
    parts.emplace_back("no branch or tag");
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

// Whether every check lets the build run.
bool builds(const PlanFacts& facts)
{
  return std::all_of(facts.build.begin(), facts.build.end(),
                     [](const pipeline::Decision& check) { return check.runs; });
}

// Steps along the longest chain of waits, from the first.
std::vector<std::string> critical_path(const pipeline::Pipeline& pipeline)
{
  if (pipeline.steps.empty()) {
    return {};
  }
  const plan::Plan plan(pipeline);
  const graph::Graph& graph = plan.graph();
  std::size_t at = 0;
  for (std::size_t step = 0; step < pipeline.steps.size(); ++step) {
    if (graph.deps[step].empty() && plan.critical_path(step) > plan.critical_path(at)) {
      at = step;
    }
  }
  std::vector<std::string> path{pipeline.steps[at].name};
  while (!graph.dependents[at].empty()) {
    at = *std::max_element(graph.dependents[at].begin(), graph.dependents[at].end(),
                           [&](auto a, auto b) { return plan.critical_path(a) < plan.critical_path(b); });
    path.push_back(pipeline.steps[at].name);
  }
  return path;
}

constexpr std::string_view kBuildDir = "$build_dir";
constexpr std::string_view kImageWorkdir = "$WORKDIR";

std::vector<std::string> env_names(const pipeline::Step& step)
{
  std::vector<std::string> names;
  for (const auto& [name, value] : step.environment) {
    names.push_back(name); // never the value: it may be a secret
  }
  return names;
}

// A node of a parallel command: {index, total}; {0, 1} for the rest.
std::pair<int, int> node_of(const pipeline::Step& step)
{
  const auto* shell = std::get_if<pipeline::ShellCommand>(&step.action);
  return shell != nullptr ? std::pair{shell->files_node, shell->files_nodes} : std::pair{0, 1};
}

std::vector<std::string> appended_files(const pipeline::Step& step)
{
  const auto* shell = std::get_if<pipeline::ShellCommand>(&step.action);
  return shell != nullptr ? shell->append_files : std::vector<std::string>{};
}

// Where a shell step runs when nothing says otherwise.
std::string default_placement(const pipeline::Pipeline& pipeline)
{
  return pipeline.build_container ? "build container" : "host";
}

// The line under a command's row: what differs from a plain command (on
// the host or in the build container, in the build directory, no variables
// or files of its own, 600 s without output stops it). drydock's own steps
// have none: their command says what they do, and their timeouts are
// drydock's (--format json shows every field of every step).
std::string step_details(const pipeline::Pipeline& pipeline, const pipeline::Step& step, const PlanFacts& facts)
{
  if (!std::holds_alternative<pipeline::ShellCommand>(step.action)) {
    return {};
  }
  std::vector<std::string> details;
  if (const auto placement = pipeline::placement_of(pipeline, step); placement != default_placement(pipeline)) {
    if (placement == "host") {
      details.emplace_back("on the host");
    } else {
      details.push_back((placement == "build container" ? "in the " : "in ") + placement); // "in image app"
    }
  }
  if (const auto dir = shown_workdir(step, facts); dir != (step.container ? kImageWorkdir : kBuildDir)) {
    const bool container_home = pipeline::in_build_container(pipeline, step) && dir.starts_with("~");
    details.push_back(fmt::format("dir {}{}", dir, container_home ? " (the container's ~)" : ""));
  }
  if (const auto names = env_names(step); !names.empty()) {
    details.push_back(fmt::format("env {}", fmt::join(names, ", ")));
  }
  if (const auto files = appended_files(step); !files.empty()) {
    details.push_back(fmt::format("files {}", fmt::join(files, ", ")));
  }
  if (step.no_output_timeout != pipeline::Step{}.no_output_timeout) {
    details.push_back(fmt::format("no-output timeout {} s", step.no_output_timeout));
  }
  if (const auto [node, nodes] = node_of(step); nodes > 1) {
    details.push_back(fmt::format("node {} of {}", node, nodes));
  }
  return fmt::format("{}", fmt::join(details, "; "));
}

nlohmann::json inferred_json(const PlanFacts& facts)
{
  auto groups = nlohmann::json::object();
  for (const auto& group : facts.inferred) {
    groups[group.name] = group.reason;
  }
  return {{"run", facts.inferred_run}, {"groups", groups}};
}

// "/src/app/" (general.build_dir: .) as "/src/app".
std::string_view trimmed_dir(std::string_view dir)
{
  while (dir.size() > 1 && dir.back() == '/') {
    dir.remove_suffix(1);
  }
  return dir;
}

} // namespace

std::string shown_workdir(const pipeline::Step& step, const PlanFacts& facts)
{
  const bool in_image = step.container.has_value();
  std::string base;
  if (in_image) {
    base = kImageWorkdir; // the container starts there; the host base is only the client's cwd
  } else if (step.workdir.base_is_home) {
    base = "~";
  } else if (trimmed_dir(step.workdir.base) == trimmed_dir(facts.build_dir)) {
    base = kBuildDir;
  } else {
    base = step.workdir.base;
  }
  if (!step.workdir.path || step.workdir.path->empty()) {
    return base;
  }
  const std::string& path = *step.workdir.path;
  // In an image only an absolute path replaces WORKDIR: ~ is not expanded there.
  const bool from_home = !in_image && (path == "~" || path.starts_with("~/"));
  if (path.starts_with('/') || path.starts_with('$') || from_home) {
    return path;
  }
  const std::string relative = std::filesystem::path(path).lexically_normal().string();
  return relative == "." ? base : base + "/" + relative;
}

std::string plan_text(const pipeline::Pipeline& pipeline, const PlanFacts& facts)
{
  const auto& build = pipeline.build;
  std::string out = fmt::format("{}: build #{} for {}{}\n", facts.file, build.number, describe_target(build),
                                build.sha.empty() ? "" : fmt::format(" at {}", build.sha.substr(0, 12)));
  for (const auto& check : facts.build) {
    out += fmt::format("{}: {} ({})\n", check.name, check.runs ? "build runs" : "build skipped", check.reason);
  }
  if (!facts.choices.empty()) {
    out += facts.choices_name + ":\n";
    for (const auto& choice : facts.choices) {
      out += fmt::format("  {:<20} {}: {}\n", choice.name, choice.runs ? "runs" : "does not run", choice.reason);
    }
  }
  if (!facts.inferred.empty()) {
    out += facts.inferred_run ? "inferred (run, --infer):\n" : "inferred by CircleCI, not run (--infer runs them):\n";
    for (const auto& group : facts.inferred) {
      out += fmt::format("  {:<20} {}\n", group.name, group.reason);
    }
  }
  if (!facts.cache_directories.empty()) {
    out += fmt::format("cache directories: {}\n", fmt::join(facts.cache_directories, ", "));
  }
  if (!builds(facts)) {
    return out;
  }
  std::vector<std::string> details;
  for (const auto& step : pipeline.steps) {
    details.push_back(step_details(pipeline, step, facts));
  }
  if (const auto& container = pipeline.build_container) {
    out += fmt::format("build container: {} ({}): host steps run in it, and ~ is its home\n", container->image,
                       container->origin);
  }
  const bool shows_build_dir = std::any_of(details.begin(), details.end(), [](const std::string& line) {
    return line.find(kBuildDir) != std::string::npos;
  });
  if (shows_build_dir && !facts.build_dir.empty()) {
    out += fmt::format("build directory ({}): {}\n", kBuildDir, trimmed_dir(facts.build_dir));
  }
  std::size_t width = 4;
  for (const auto& step : pipeline.steps) {
    width = std::max(width, step.name.size());
  }
  out += fmt::format("\n{:>3}  {:<{}}  {:<12}  {:<24}  {}\n", "#", "STEP", width, pipeline::group_heading(pipeline),
                     "WAITS FOR", "COMMAND");
  for (const auto& step : pipeline.steps) {
    auto waits = fmt::format("{}", fmt::join(dep_names(pipeline, step.index), ", "));
    if (waits.empty()) {
      waits = "-";
    }
    std::string flags;
    if (step.background) {
      flags = " (background)";
    }
    out += fmt::format("{:>3}  {:<{}}  {:<12}  {:<24}  {}{}\n", step.index + 1, step.name, width,
                       group_name(pipeline, step), waits, summarize_command(step.summary, 60), flags);
    if (!details[step.index].empty()) {
      out += fmt::format("       {}\n", details[step.index]);
    }
  }
  const auto path = critical_path(pipeline);
  out += fmt::format("\ncritical path: {} step{}: {}\n", path.size(), path.size() == 1 ? "" : "s",
                     fmt::join(path, " -> "));
  return out;
}

namespace {

// The kinds plan --format json has always shown: drydock's own steps by
// what they make, every shell step a "command".
std::string_view shown_kind(const pipeline::Action& action)
{
  const auto kind = pipeline::action_kind(action);
  return kind == "shell" ? "command" : kind;
}

nlohmann::json step_json(const pipeline::Pipeline& pipeline, const pipeline::Step& step, const PlanFacts& facts)
{
  const auto& policy = pipeline::policy_of(pipeline, step);
  return {{"name", step.name},
          {"id", step.id},
          {"kind", shown_kind(step.action)},
          {"phase", group_name(pipeline, step)},
          {"group", group_name(pipeline, step)},
          {"list", step.origin},
          {"command", step.summary},
          {"line", step.pos.line},
          {"column", step.pos.column},
          {"waits_for", dep_names(pipeline, step.index)},
          {"concurrent", step.concurrent},
          {"background", step.background},
          {"timeout", step.no_output_timeout},
          {"runs_in", pipeline::placement_of(pipeline, step)},
          {"workdir", shown_workdir(step, facts)},
          {"env_names", env_names(step)},
          {"files", appended_files(step)},
          {"node", nlohmann::json{{"index", node_of(step).first}, {"total", node_of(step).second}}},
          {"when", pipeline::when_name(policy.when)},
          {"on_failure", pipeline::on_failure_name(policy.on_failure)},
          {"action", pipeline::to_json(step.action)},
          {"container", step.container ? nlohmann::json{{"image", step.container->image},
                                                        {"database", step.container->database},
                                                        {"services", step.container->services}}
                                       : nlohmann::json(nullptr)}};
}

} // namespace

nlohmann::json plan_json(const pipeline::Pipeline& pipeline, const PlanFacts& facts)
{
  auto steps = nlohmann::json::array();
  for (const auto& step : pipeline.steps) {
    steps.push_back(step_json(pipeline, step, facts));
  }
  auto choices = nlohmann::json::array();
  for (const auto& choice : facts.choices) {
    choices.push_back({{"name", choice.name}, {"runs", choice.runs}, {"reason", choice.reason}});
  }
  const auto& build = pipeline.build;
  nlohmann::json json = {{"file", facts.file},
                         {"format", pipeline.format},
                         {"build_num", build.number},
                         {"sha", build.sha},
                         {"branch", build.branch},
                         {"tag", build.tag},
                         {"owner", build.owner},
                         {facts.choices_name, choices},
                         {"cache_directories", facts.cache_directories},
                         {"inferred", inferred_json(facts)},
                         {"build_dir", trimmed_dir(facts.build_dir)},
                         {"build_container", pipeline.build_container
                                                 ? nlohmann::json{{"image", pipeline.build_container->image},
                                                                  {"origin", pipeline.build_container->origin}}
                                                 : nlohmann::json(nullptr)},
                         {"steps", builds(facts) ? steps : nlohmann::json::array()},
                         {"critical_path", builds(facts) ? critical_path(pipeline) : std::vector<std::string>{}}};
  for (const auto& check : facts.build) {
    json[check.name] = {{"runs", check.runs}, {"reason", check.reason}};
  }
  return json;
}

std::string plan_dot(const pipeline::Pipeline& pipeline)
{
  const auto quote = [](const std::string& text) {
    std::string out = "\"";
    for (const char c : text) {
      out += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    }
    return out + "\"";
  };
  std::string out = "digraph drydock {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n";
  std::string_view current;
  for (const auto& step : pipeline.steps) {
    const std::string_view group = group_name(pipeline, step);
    if (group != current) {
      if (!current.empty()) {
        out += "  }\n";
      }
      current = group;
      out += fmt::format("  subgraph \"cluster_{}\" {{\n    label={};\n", group, quote(std::string(group)));
    }
    out += fmt::format("    {} [label={}];\n", quote(step.name),
                       quote(step.name + "\n" + summarize_command(step.summary, 60)));
  }
  if (!current.empty()) {
    out += "  }\n";
  }
  for (const auto& step : pipeline.steps) {
    for (const auto dep : step.deps) {
      out += fmt::format("  {} -> {};\n", quote(pipeline.steps[dep].name), quote(step.name));
    }
  }
  return out + "}\n";
}

} // namespace drydock::report

#include "frontends/circle2/load.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <set>

#include "config/reader.hpp"
#include "config/scalar.hpp"
#include "env/environment.hpp"
#include "frontends/circle2/checks.hpp"
#include "frontends/circle2/expand.hpp"
#include "frontends/circle2/load_filters.hpp"
#include "frontends/circle2/load_steps.hpp"
#include "util/source.hpp"
#include "util/spelling.hpp"

namespace drydock::circle2 {
namespace {

using config::join_path;
using config::Node;
using config::Reader;

// Keys of CircleCI 2.x that drydock reads but does not run yet: an error
// that says so, never a silent skip.
constexpr std::array kNotYetJobKeys = {std::string_view("macos"), std::string_view("windows"),
                                       std::string_view("circleci_ip_ranges")};
// Each node of a parallel job is a container (or a host job) of its own.
constexpr int kMostNodes = 64;
// 2.1's reuse, resolved before the loader reads the jobs (orbs.hpp, expand.hpp).
constexpr std::array kReuseTopKeys = {std::string_view("commands"), std::string_view("executors"),
                                      std::string_view("parameters"), std::string_view("orbs")};

// What the readers of jobs share: the config's reuse, and its commands' names for did-you-mean.
struct JobsContext {
  Reuse& reuse;
  std::vector<std::string> commands;
};


void not_yet(Reader& reader, const Node& key, std::string_view path)
{
  reader.error(key, fmt::format("'{}' is CircleCI 2.x that drydock does not run yet", join_path(path, key.text)));
}


// ---- executors ----

// An image's entrypoint or command: a list of words, or a string split at
// spaces (as CircleCI splits it; no quoting).
std::vector<Text> read_words(Reader& reader, const Node& node, std::string_view path)
{
  if (node.is_sequence()) {
    return reader.read_string_list(node, path);
  }
  std::vector<Text> words;
  const auto text = reader.read_string(node, path);
  std::string word;
  for (const char c : text ? text->value + " " : std::string()) {
    if (c == ' ' || c == '\t' || c == '\n') {
      if (!word.empty()) {
        words.push_back({std::exchange(word, {}), text->pos});
      }
    } else {
      word += c;
    }
  }
  return words;
}

constexpr std::array<config::Field<Image>, 7> kImageFields = {{
    {"image", [](Reader& r, const Node& v, std::string_view p,
                 Image& o) { o.image = r.read_string(v, p).value_or(config::Text{}); }},
    {"name", [](Reader& r, const Node& v, std::string_view p, Image& o) { o.name = r.read_string(v, p); }},
    {"environment",
     [](Reader& r, const Node& v, std::string_view p, Image& o) { o.environment = read_environment(r, v, p); }},
    {"entrypoint", [](Reader& r, const Node& v, std::string_view p, Image& o) { o.entrypoint = read_words(r, v, p); }},
    {"command", [](Reader& r, const Node& v, std::string_view p, Image& o) { o.command = read_words(r, v, p); }},
    {"user", [](Reader& r, const Node& v, std::string_view p, Image& o) { o.user = r.read_string(v, p); }},
    {"auth", [](Reader& r, const Node& v, std::string_view,
                Image&) { r.warning(v, "'auth' is not used: drydock never pulls, the engine must have the image"); }},
}};

Executor read_docker(Reader& reader, const Node& key, const Node& value, std::string_view path)
{
  Executor executor{ExecutorKind::docker, {}, key.pos};
  if (!value.is_sequence() || value.items.empty()) {
    reader.error(value, fmt::format("'{}' must be a list of images, the first the primary container", path));
    return executor;
  }
  for (std::size_t i = 0; i < value.items.size(); ++i) {
    const Node& item = *value.items[i];
    const auto item_path = config::index_path(path, i);
    Image image;
    image.pos = item.pos;
    config::read_fields<Image>(reader, item, item_path, kImageFields, image);
    if (item.is_mapping()) {
      config::require_keys(reader, item, item, item_path, {"image"});
    }
    executor.images.push_back(std::move(image));
  }
  return executor;
}

// ---- jobs ----

void read_job_entry(Reader& reader, const Node& key, const Node& value, std::string_view path, Job& job,
                    const JobsContext& context)
{
  const auto key_path = join_path(path, key.text);
  if (key.text == "docker") {
    job.executor = read_docker(reader, key, value, key_path);
  } else if (key.text == "machine") {
    job.executor = Executor{ExecutorKind::machine, {}, key.pos};
  } else if (key.text == "steps") {
    job.steps = read_steps(reader, value, key_path, context.commands);
  } else if (key.text == "working_directory") {
    job.working_directory = reader.read_string(value, key_path);
  } else if (key.text == "environment") {
    job.environment = read_environment(reader, value, key_path);
  } else if (key.text == "shell") {
    job.shell = reader.read_string(value, key_path);
  } else if (key.text == "parallelism") {
    job.parallelism = reader.read_int(value, key_path, 1, kMostNodes).value_or(1);
  } else if (key.text == "resource_class") {
    reader.warning(key, "'resource_class' is ignored: the job gets what this machine has");
  } else if (is_one_of(key.text, kNotYetJobKeys)) {
    not_yet(reader, key, path);
  } else if (key.text == "executor" || key.text == "parameters") {
    return; // left by the expansion only after an error it reported
  } else {
    static constexpr std::array kKnown = {std::string_view("docker"),         std::string_view("machine"),
                                          std::string_view("steps"),          std::string_view("working_directory"),
                                          std::string_view("environment"),    std::string_view("shell"),
                                          std::string_view("resource_class"), std::string_view("parallelism")};
    config::report_unknown_key(reader, key, path, kKnown, {});
  }
}

Job read_job(Reader& reader, const Node& key, const Node& value, std::string_view path, const JobsContext& context)
{
  Job job;
  job.name = config::Text{key.text, key.pos};
  job.executor.pos = key.pos;
  if (!reader.expect_mapping(value, path)) {
    return job;
  }
  bool has_executor = false;
  for (const auto& entry : value.entries) {
    if (!entry.key->is_scalar()) {
      config::report_key_not_plain(reader, *entry.key, path);
      continue;
    }
    const bool executor = entry.key->text == "docker" || entry.key->text == "machine";
    if (executor && has_executor) {
      reader.error(*entry.key, fmt::format("job '{}' has a second executor ({}): a job runs on docker or on "
                                           "machine, not both",
                                           key.text, entry.key->text));
      continue;
    }
    has_executor = has_executor || executor;
    read_job_entry(reader, *entry.key, *entry.value, path, job, context);
  }
  if (!has_executor && value.find("executor") == nullptr) {
    reader.error(key, fmt::format("job '{}' has no executor: give it docker: (a list of images) or machine: true",
                                  key.text));
  }
  config::require_keys(reader, value, key, path, {"steps"});
  return job;
}

// A job as written (its parameters' defaults), or, with `args`, `pre`
// and `post`, as a workflow entry runs it.
Job read_expanded_job(Reader& reader, const Node& key, const Node& body, const JobsContext& context,
                      const Node* args = nullptr, const Node* pre = nullptr, const Node* post = nullptr)
{
  if (!body.is_mapping()) {
    return read_job(reader, key, body, join_path("jobs", key.text), context);
  }
  const auto expanded = context.reuse.job(key, body, args, pre, post);
  return read_job(reader, key, *expanded, join_path("jobs", key.text), context);
}

std::vector<Job> read_jobs(Reader& reader, const Node& node, const JobsContext& context)
{
  std::vector<Job> jobs;
  if (!reader.expect_mapping(node, "jobs")) {
    return jobs;
  }
  for (const auto& entry : node.entries) {
    if (!entry.key->is_scalar()) {
      config::report_key_not_plain(reader, *entry.key, "jobs");
    } else if (entry.value->is_mapping() && !Reuse::runs_without_arguments(*entry.value)) {
      Job job; // read for each workflow entry that gives its arguments
      job.name = config::Text{entry.key->text, entry.key->pos};
      job.needs_arguments = true;
      jobs.push_back(std::move(job));
    } else {
      jobs.push_back(read_expanded_job(reader, *entry.key, *entry.value, context));
    }
  }
  return jobs;
}

// ---- workflows ----

// What reading workflows needs beyond the reader: the jobs as written,
// for the entries that run them with arguments, and where those go.
struct WorkflowsContext {
  const JobsContext& jobs;
  const Node* jobs_node = nullptr;
  std::vector<Job>& instances;
  const Node* orb_jobs = nullptr; // the orbs' jobs, ALIAS/NAME

  // A job's definition by its name: the config's, else an orb's.
  const Node* body_of(const std::string& name) const
  {
    const Node* own = jobs_node != nullptr && jobs_node->is_mapping() ? jobs_node->find(name) : nullptr;
    return own != nullptr || orb_jobs == nullptr ? own : orb_jobs->find(name);
  }
};

// The entry's own job when it passes arguments or pre-/post-steps, or its
// job has parameters without defaults.
void add_instance(Reader& reader, const std::vector<config::Entry>& arguments, const Node* pre, const Node* post,
                  WorkflowJob& job, const WorkflowsContext& context)
{
  const Node* body = context.body_of(job.job.value);
  if (body == nullptr || !body->is_mapping()) {
    return; // the checks name an unknown job
  }
  if (arguments.empty() && pre == nullptr && post == nullptr && Reuse::runs_without_arguments(*body)) {
    return;
  }
  config::Node args;
  args.kind = config::NodeKind::mapping;
  args.pos = job.pos;
  args.entries = arguments;
  const Node key{
      config::NodeKind::scalar, job.job.pos, static_cast<int>(job.job.value.size()), job.job.value, "?", {}, {}};
  job.instance = context.instances.size();
  context.instances.push_back(read_expanded_job(reader, key, *body, context.jobs, &args, pre, post));
  context.instances.back().name.pos = job.job.pos;
}

// A context's name becomes a file's (CONTEXTS/NAME.env): no folders, nothing hidden.
bool is_file_name(std::string_view name)
{
  return !name.empty() && !name.starts_with('.')
         && std::none_of(name.begin(), name.end(), [](char c) { return c == '/' || c == '\\' || (c >= 0 && c < ' '); });
}

std::vector<Text> read_contexts(Reader& reader, const Node& value, std::string_view path)
{
  auto names = reader.read_string_or_list(value, path);
  std::erase_if(names, [&](const Text& name) {
    if (is_file_name(name.value)) {
      return false;
    }
    reader.diags().error(name.pos,
                         fmt::format("'{}': the context name '{}' cannot name a file of variables (no '/', '\\', "
                                     "control characters or leading '.')",
                                     path, name.value),
                         static_cast<int>(name.value.size()));
    return true;
  });
  return names;
}

void read_workflow_job_options(Reader& reader, const Node& value, std::string_view path, WorkflowJob& job,
                               const WorkflowsContext& context)
{
  if (value.is_null() || !reader.expect_mapping(value, path)) {
    add_instance(reader, {}, nullptr, nullptr, job, context);
    return;
  }
  std::vector<config::Entry> arguments;
  const Node* pre = nullptr;
  const Node* post = nullptr;
  for (const auto& entry : value.entries) {
    const Node& key = *entry.key;
    const auto key_path = join_path(path, key.is_scalar() ? key.text : "?");
    if (key.is_scalar() && key.text == "requires") {
      job.requires_ = reader.read_string_or_list(*entry.value, key_path);
    } else if (key.is_scalar() && key.text == "name") {
      job.name = reader.read_string(*entry.value, key_path);
    } else if (key.is_scalar() && key.text == "filters") {
      job.filters = read_filters(reader, *entry.value, key_path);
    } else if (key.is_scalar() && key.text == "type") {
      const auto type = reader.read_string(*entry.value, key_path);
      job.approval = type && type->value == "approval";
      if (type && !job.approval) {
        reader.error(*entry.value, fmt::format("'{}' must be approval, got '{}'", key_path, type->value));
      }
    } else if (key.is_scalar() && (key.text == "pre-steps" || key.text == "post-steps")) {
      (key.text == "pre-steps" ? pre : post) = entry.value.get();
    } else if (key.is_scalar() && key.text == "context") {
      job.contexts = read_contexts(reader, *entry.value, key_path);
    } else if (key.is_scalar() && key.text == "matrix") {
      continue;                   // written out before (expand.hpp), or said to be wrong there
    } else if (key.is_scalar()) { // anything else passes a 2.1 job parameter
      arguments.push_back(entry);
    } else {
      config::report_key_not_plain(reader, key, path);
    }
  }
  if (!job.approval) { // an approval job runs nothing: it needs no job of its name
    add_instance(reader, arguments, pre, post, job, context);
  }
}

std::optional<WorkflowJob> read_workflow_job(Reader& reader, const Node& item, std::string_view path,
                                             const WorkflowsContext& context)
{
  WorkflowJob job;
  job.pos = item.pos;
  if (item.is_scalar()) {
    job.job = config::Text{item.text, item.pos};
    add_instance(reader, {}, nullptr, nullptr, job, context);
    return job;
  }
  if (!item.is_mapping() || item.entries.size() != 1 || !item.entries.front().key->is_scalar()) {
    reader.error(item, fmt::format("'{}' must be a job's name, or a mapping of one job's name to its options", path));
    return std::nullopt;
  }
  const Node& key = *item.entries.front().key;
  job.job = config::Text{key.text, key.pos};
  job.pos = key.pos;
  read_workflow_job_options(reader, *item.entries.front().value, join_path(path, key.text), job, context);
  return job;
}

// A workflow's `when` or `unless`: why it does not run, or nothing.
std::optional<std::string> workflow_off(const Node& field, const Node& condition, const WorkflowsContext& context)
{
  const bool negate = field.text == "unless";
  if (context.jobs.reuse.condition_holds(condition, negate)) {
    return std::nullopt;
  }
  return negate ? "its unless: holds" : "its when: does not hold";
}

std::optional<Workflow> read_workflow(Reader& reader, const Node& key, const Node& value,
                                      const WorkflowsContext& context)
{
  const auto path = join_path("workflows", key.text);
  Workflow workflow{config::Text{key.text, key.pos}, {}, std::nullopt, {}, {}};
  if (!reader.expect_mapping(value, path)) {
    return std::nullopt;
  }
  for (const auto& entry : value.entries) {
    const Node& field = *entry.key;
    if (field.is_scalar() && field.text == "jobs") {
      const Node& jobs = *entry.value;
      if (!jobs.is_sequence()) {
        reader.error(jobs, fmt::format("'{}.jobs' must be a list of jobs", path));
        continue;
      }
      for (std::size_t i = 0; i < jobs.items.size(); ++i) {
        const auto written = context.jobs.reuse.workflow_entries(*jobs.items[i]);
        for (const auto& item : written.items) {
          if (auto job = read_workflow_job(reader, *item, config::index_path(join_path(path, "jobs"), i), context)) {
            workflow.jobs.push_back(std::move(*job));
          }
        }
        if (!written.alias.empty()) {
          auto& names = workflow.aliases[written.alias];
          names.insert(names.end(), written.names.begin(), written.names.end());
        }
      }
    } else if (field.is_scalar() && (field.text == "when" || field.text == "unless")) {
      if (auto off = workflow_off(field, *entry.value, context)) {
        workflow.off = off; // when and unless both given: either can keep it off
      }
    } else if (field.is_scalar() && field.text == "triggers") {
      workflow.schedules = read_triggers(reader, *entry.value, join_path(path, "triggers"));
    } else if (field.is_scalar()) {
      static constexpr std::array kKnown = {std::string_view("jobs"), std::string_view("triggers"),
                                            std::string_view("when"), std::string_view("unless")};
      config::report_unknown_key(reader, field, path, kKnown, {});
    } else {
      config::report_key_not_plain(reader, field, path);
    }
  }
  config::require_keys(reader, value, key, path, {"jobs"});
  return workflow;
}

std::vector<Workflow> read_workflows(Reader& reader, const Node& node, const WorkflowsContext& context)
{
  std::vector<Workflow> workflows;
  if (!reader.expect_mapping(node, "workflows")) {
    return workflows;
  }
  for (const auto& entry : node.entries) {
    const Node& key = *entry.key;
    if (!key.is_scalar()) {
      config::report_key_not_plain(reader, key, "workflows");
    } else if (key.text == "version") { // 2.0's `workflows: version: 2`
      continue;
    } else if (auto workflow = read_workflow(reader, key, *entry.value, context)) {
      workflows.push_back(std::move(*workflow));
    }
  }
  return workflows;
}

// A key of its own at the top level is where real configs keep their
// anchors (`defaults: &defaults`, `references:`): a warning, unless it
// looks like a misspelt key of CircleCI's.
void report_other_top_key(Reader& reader, const Node& key)
{
  static constexpr std::array kKnown = {std::string_view("version"),    std::string_view("jobs"),
                                        std::string_view("workflows"),  std::string_view("orbs"),
                                        std::string_view("commands"),   std::string_view("executors"),
                                        std::string_view("parameters"), std::string_view("setup")};
  if (closest_match(key.text, kKnown)) {
    config::report_unknown_key(reader, key, "", kKnown, {});
    return;
  }
  reader.warning(key, fmt::format("'{}' is not a key of CircleCI's: it is read only for the anchors in it", key.text));
}

void read_version(Reader& reader, const Node& key, const Node& value, Config& config)
{
  const auto text = value.is_scalar() ? std::optional<config::Text>(config::Text{value.text, value.pos}) : std::nullopt;
  if (!text || (text->value != "2" && text->value != "2.0" && text->value != "2.1")) {
    reader.error(value.is_null() ? key : value,
                 fmt::format("'version' must be 2, 2.0 or 2.1 (CircleCI 2.x), got {}",
                             text ? "'" + text->value + "'" : config::describe_kind(value)));
    return;
  }
  config.version = *text;
}

// `setup: true`: the config's workflows set the pipeline up, and one of
// its jobs hands over the configuration that runs next (continuation.hpp).
void read_setup(Reader& reader, const Node& key, const Node& value, Config& config)
{
  const auto flag = config::scalar_as_bool(value);
  if (!flag) {
    reader.error(value.is_null() ? key : value,
                 fmt::format("'setup' must be true or false, got {}",
                             value.is_scalar() ? "'" + value.text + "'" : config::describe_kind(value)));
    return;
  }
  config.setup = *flag;
  config.setup_pos = key.pos;
}

// The orbs' jobs that workflow entries run as written (the others are read
// with their entries' arguments, as instances): the jobs of orbs no entry
// runs are not read, so what they use that drydock does not run is no error.
void read_orb_jobs_run(Reader& reader, const WorkflowsContext& context, Config& config)
{
  if (context.orb_jobs == nullptr) {
    return;
  }
  for (const auto& workflow : config.workflows) {
    for (const auto& entry : workflow.jobs) {
      const Node* body = context.orb_jobs->find(entry.job.value);
      if (body == nullptr || entry.instance || config.job(entry.job.value) != nullptr) {
        continue;
      }
      const Node key{config::NodeKind::scalar,
                     entry.job.pos,
                     static_cast<int>(entry.job.value.size()),
                     entry.job.value,
                     "?",
                     {},
                     {}};
      config.jobs.push_back(read_expanded_job(reader, key, *body, context.jobs));
    }
  }
}

// commands, executors and parameters are 2.1's: CircleCI refuses them in a 2.0 config.
void require_version_21(Reader& reader, const Node& root, const Config& config)
{
  if (config.version.value.empty() || config.version.value == "2.1") {
    return;
  }
  for (const auto& entry : root.entries) {
    if (entry.key->is_scalar() && is_one_of(entry.key->text, kReuseTopKeys)) {
      reader.error(*entry.key, fmt::format("'{}' is CircleCI 2.1: this config says version {}", entry.key->text,
                                           config.version.value));
    }
  }
}

} // namespace

bool is_circle2(const config::Node& root)
{
  // circle.yml 1.0 has none of these keys: a 2.x config without its
  // version still gets 2.x's errors, which say what is missing.
  return root.is_mapping()
         && (root.find("version") != nullptr || root.find("jobs") != nullptr || root.find("workflows") != nullptr);
}

Config load_config(const config::Node& written, const std::string& path, Diagnostics& diags,
                   const PipelineValues& values, const OrbLibrary& orbs)
{
  Reader reader(diags);
  Config config;
  config.path = path;
  if (!reader.expect_mapping(written, "the config")) {
    return config;
  }
  const auto with_parts = with_orbs(written, orbs, diags);
  const Node& root = *with_parts.root;
  config.unresolved_orbs = with_parts.unresolved;
  for (const auto& entry : with_parts.jobs != nullptr ? with_parts.jobs->entries : std::vector<config::Entry>{}) {
    config.orb_jobs.push_back(entry.key->text);
  }
  Reuse reuse(root, values, diags, config.unresolved_orbs);
  const JobsContext jobs_context{reuse, reuse.command_names()};
  const WorkflowsContext workflows_context{jobs_context, root.find("jobs"), config.instances, with_parts.jobs.get()};
  for (const auto& entry : root.entries) {
    const Node& key = *entry.key;
    const Node& value = *entry.value;
    if (reuse.gave_up()) {
      break; // one error for it, not one for every part it left empty
    }
    if (!key.is_scalar()) {
      config::report_key_not_plain(reader, key, "");
    } else if (key.text == "version") {
      read_version(reader, key, value, config);
    } else if (key.text == "jobs") {
      config.jobs = read_jobs(reader, value, jobs_context);
    } else if (key.text == "workflows") {
      config.workflows = read_workflows(reader, *reuse.outside_jobs(value), workflows_context);
    } else if (is_one_of(key.text, kReuseTopKeys)) {
      continue; // read by the reuse; version 2.1's alone (below)
    } else if (key.text == "setup") {
      read_setup(reader, key, value, config);
    } else if (!key.text.starts_with("x-")) {
      report_other_top_key(reader, key);
    }
  }
  read_orb_jobs_run(reader, workflows_context, config);
  // A config of orbs may run their jobs alone.
  if (with_parts.jobs != nullptr) {
    config::require_keys(reader, root, root, "the config", {"version"});
  } else {
    config::require_keys(reader, root, root, "the config", {"version", "jobs"});
  }
  require_version_21(reader, written, config);
  if (config.setup && config.workflows.size() > 1) { // CircleCI's rule: one setup workflow
    const auto& second = config.workflows[1].name;
    reader.diags().error(second.pos,
                         fmt::format("a setup config (setup: true) has one workflow; '{}' is a second", second.value),
                         static_cast<int>(second.value.size()));
  }
  if (config.setup && !config.version.value.empty() && config.version.value != "2.1") {
    reader.diags().error(config.setup_pos,
                         fmt::format("'setup' is CircleCI 2.1: this config says version {}", config.version.value));
  }
  return config;
}

Validation validate_text(const std::string& path, std::string text, const PipelineValues& values,
                         const OrbLibrary& orbs)
{
  Validation result{SourceFile(path, std::move(text)), {}, {}};
  Diagnostics& diags = result.diagnostics;
  if (const auto bad = find_non_text_byte(result.source.text())) {
    diags.error(result.source.pos_of_offset(*bad), fmt::format("not a text file: byte 0x{:02x} is not valid UTF-8 text",
                                                               static_cast<unsigned char>(result.source.text()[*bad])));
    return result;
  }
  const auto root = config::parse_yaml(result.source, diags);
  if (root == nullptr) {
    return result;
  }
  result.config = load_config(*root, path, diags, values, orbs);
  check_config(result.config, diags); // on what could be read: every error at once
  diags.remove_duplicates();
  diags.sort_by_position();
  return result;
}

} // namespace drydock::circle2

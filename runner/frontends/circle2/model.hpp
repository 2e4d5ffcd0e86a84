#pragma once
// The typed model of a CircleCI 2.x `.circleci/config.yml` (version 2 and
// 2.1): jobs with their executor and steps, and workflows of those jobs.
// Every part keeps where it was written, for diagnostics and the plan.
#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/model.hpp"
#include "pipeline/pipeline.hpp"
#include "util/source.hpp"

namespace drydock::circle2 {

using config::EnvVar;
using config::Text;

// An image of a `docker` executor: the first is the job's primary
// container, the others run beside it, reached on localhost.
struct Image {
  Text image;
  std::optional<Text> name;
  std::vector<EnvVar> environment;
  std::vector<Text> entrypoint;
  std::vector<Text> command;
  std::optional<Text> user;
  Pos pos;
};

enum class ExecutorKind { docker, machine };

struct Executor {
  ExecutorKind kind = ExecutorKind::docker;
  std::vector<Image> images; // docker
  Pos pos;                   // the executor's key
};

enum class StepWhen { on_success, on_fail, always };

struct RunStep {
  std::optional<Text> name;
  Text command;
  std::optional<Text> shell;
  std::vector<EnvVar> environment;
  std::optional<Text> working_directory;
  bool background = false;
  std::optional<int> no_output_timeout; // seconds
  StepWhen when = StepWhen::on_success;
};

struct CheckoutStep {
  std::optional<Text> path;
};

// store_artifacts and store_test_results.
struct StoreStep {
  Text path;
  std::optional<Text> destination; // store_artifacts: where under the job's artifacts
};

// The steps CircleCI 2.x has (a config's commands aside).
inline constexpr std::array kStepKinds = {std::string_view("run"),
                                          std::string_view("checkout"),
                                          std::string_view("deploy"),
                                          std::string_view("store_artifacts"),
                                          std::string_view("store_test_results"),
                                          std::string_view("save_cache"),
                                          std::string_view("restore_cache"),
                                          std::string_view("persist_to_workspace"),
                                          std::string_view("attach_workspace"),
                                          std::string_view("setup_remote_docker"),
                                          std::string_view("add_ssh_keys")};

inline bool is_builtin_step(std::string_view name)
{
  return std::find(kStepKinds.begin(), kStepKinds.end(), name) != kStepKinds.end();
}

// A cache key as written and its parts ({{ checksum "f" }}, {{ .Branch }}, ...).
struct KeyTemplate {
  Text written;
  std::vector<pipeline::KeyPart> parts;
};

struct SaveCacheStep {
  KeyTemplate key;
  std::vector<Text> paths;
  std::optional<Text> name;
  StepWhen when = StepWhen::on_success;
};

struct RestoreCacheStep {
  std::vector<KeyTemplate> keys; // `key`, or `keys` in order
  std::optional<Text> name;
};

struct PersistStep {
  Text root;
  std::vector<Text> paths;
  std::optional<Text> name;
};

struct AttachStep {
  Text at;
  std::optional<Text> name;
};

// setup_remote_docker and add_ssh_keys: what they change in drydock is
// said, not run (their keys are read: version, docker_layer_caching, fingerprints).
struct NoteStep {};

struct Step {
  // "run" (also for `deploy`), "checkout", "store_artifacts", "store_test_results",
  // "save_cache", "restore_cache", "persist_to_workspace", "attach_workspace",
  // "setup_remote_docker", "add_ssh_keys"
  std::string kind;
  Pos pos;
  std::variant<RunStep, CheckoutStep, StoreStep, SaveCacheStep, RestoreCacheStep, PersistStep, AttachStep, NoteStep>
      action;
};

struct Job {
  Text name;
  Executor executor;
  std::optional<Text> working_directory;
  std::vector<EnvVar> environment;
  std::optional<Text> shell;
  std::vector<Step> steps;
  int parallelism = 1;          // nodes: copies of the job, each with its CIRCLE_NODE_INDEX
  bool needs_arguments = false; // 2.1: a parameter without default; only a workflow's entry can run it
};

// Branch or tag names a job runs for: `only` (any matches; none given:
// all) and not `ignore`. Strings match whole; /regex/ must match the whole
// name, as CircleCI matches them.
struct RefFilter {
  bool given = false;
  std::vector<config::Pattern> only;
  std::vector<config::Pattern> ignore;
};

struct Filters {
  RefFilter branches;
  RefFilter tags; // a job runs for a tag only when these are given and allow it
};

// A job as a workflow lists it.
struct WorkflowJob {
  Text job;                 // the job it runs
  std::optional<Text> name; // its name in the workflow, when not the job's
  std::vector<Text> requires_;
  Filters filters;
  Pos pos;
  // The job as this entry runs it (its arguments, pre- and post-steps):
  // an index in Config::instances; none: the job as written.
  std::optional<std::size_t> instance;
  bool approval = false;      // `type: approval`: no job, a hold its dependants wait behind
  std::vector<Text> contexts; // `context`: the contexts whose variables its steps get, in order

  const Text& shown() const { return name ? *name : job; }
};

// A scheduled workflow's trigger: CircleCI runs the workflow at these
// times, on the branches the filter allows, and never for a push.
struct Schedule {
  Text cron;
  RefFilter branches;
};

struct Workflow {
  Text name;
  std::vector<WorkflowJob> jobs;
  std::optional<std::string> off;                          // why it does not run (its when: or unless:)
  std::map<std::string, std::vector<std::string>> aliases; // a matrix's alias: the names of its jobs
  std::vector<Schedule> schedules;                         // `triggers`: it runs only when asked for by name

  // The jobs a `requires` entry names: a job's name, else every job of a matrix by its alias.
  std::vector<std::string> required(const std::string& written) const;
};

struct Config {
  std::string path;
  Text version; // "2", "2.0" or "2.1"
  std::vector<Job> jobs;
  std::vector<Workflow> workflows;
  std::vector<Job> instances; // jobs as workflow entries run them, with their arguments
  // Orbs that could not be read (said where they are named): uses of their parts say nothing more.
  std::vector<std::string> unresolved_orbs;
  std::vector<std::string> orb_jobs; // the names of the orbs' jobs (ALIAS/NAME), read only when run
  // `setup: true`: its workflows set the pipeline up, and a job of theirs
  // hands over the configuration that runs next (continuation/continue).
  bool setup = false;
  Pos setup_pos;

  const Job* job(std::string_view name) const;
  // The job an entry runs: its instance, else the job of its name.
  const Job* job_of(const WorkflowJob& entry) const;
};

} // namespace drydock::circle2

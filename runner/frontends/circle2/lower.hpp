#pragma once
// A CircleCI 2.x config lowered to the neutral pipeline model: each job a
// workflow runs is a group of steps. A docker job's steps run in its job
// container (the first image; the others are sidecars on its localhost),
// started by the job's first step and removed by its last; a machine
// job's run on this machine, in the work tree. Inside a job each step
// waits for the one before it and a failure skips what follows, but steps
// with `when: always` or `on_fail`; a job waits for the last steps of the
// jobs it `requires` (not for their containers' removal), and runs only
// when they passed; other jobs go on.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "frontends/circle2/model.hpp"
#include "pipeline/pipeline.hpp"
#include "util/diagnostic.hpp"

namespace drydock::circle2 {

// What to run: every workflow (or the job named `build` without
// workflows), one workflow, or one job with the jobs it requires (`only`:
// the job alone).
struct Selection {
  std::optional<std::string> workflow;
  std::optional<std::string> job;
  bool only = false;
  std::vector<std::string> approved; // --approve NAME: these approval jobs are approved
};

struct LowerContext {
  std::string checkout_dir; // the work tree: checkout's source, machine jobs' directory
  std::string log_dir;      // background steps' logs
  pipeline::Build build;
  std::string artifacts_dir;    // the record's: store_artifacts copies into JOB/ there
  std::string test_results_dir; // the record's: store_test_results copies into JOB/ there
  std::string caches_dir;       // the project's caches (save_cache, restore_cache)
  std::string workspace_dir;    // the run's workspace: a folder of layers per job
  // The contexts' variables the command line read (CONTEXTS_DIR/NAME.env),
  // by name. A job that runs and names a context not here is an error (a
  // warning when `contexts_optional`: a plan shows what would run).
  std::map<std::string, std::vector<pipeline::EnvVar>> contexts;
  std::string contexts_dir; // where they are read from, for the messages
  bool contexts_optional = false;
  // The record's folder where a setup config's jobs hand over the
  // configuration that runs next: JOB/configuration.yml and parameters.json.
  std::string continuation_dir;
};

// What lower() says of the contexts that the jobs running for context.build
// name and context.contexts lacks; asked before a run takes its number.
void check_contexts(const Config& config, const LowerContext& context, const Selection& selection, Diagnostics& diags);

// Every context a workflow entry of the config names, each name once.
std::vector<std::string> contexts_named(const Config& config);

// The file a context's variables are read from.
std::string context_file(const std::string& contexts_dir, const std::string& name);

// The pipeline; a selection naming no workflow or job of the config is an
// error in diags. Jobs whose filters leave them out of this build (and
// the jobs that require them) have no steps.
pipeline::Pipeline lower(const Config& config, const LowerContext& context, const Selection& selection,
                         Diagnostics& diags);

// Whether each job the selection picks runs for this build, and why: its
// filters (a tag build runs only jobs whose filters allow tags, as
// CircleCI does) and the jobs it requires, which must run too.
std::vector<pipeline::Decision> job_decisions(const Config& config, const LowerContext& context,
                                              const Selection& selection);

// Why the selection cannot be made (a --workflow or --job the config does
// not have, --only without --job), in words for the command line; asked
// before a run takes its number.
std::optional<std::string> selection_error(const Config& config, const Selection& selection);

// What in the selected jobs that run for this build (their filters) needs
// a Docker engine ("jobs.NAME.docker"), or empty; asked before a run takes
// its number, when there is no pipeline yet.
std::string engine_needed_by(const Config& config, const Selection& selection, const pipeline::Build& build = {});

// A value as written, for the model's environment, which expands ${VAR}:
// CircleCI 2.x takes `environment` values literally.
std::string literal(const std::string& value);

} // namespace drydock::circle2

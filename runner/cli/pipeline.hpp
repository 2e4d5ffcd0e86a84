#pragma once
// Shared by `plan` and `run`: read and check the config, work out the build
// context, the branch decision, the deployment section and the step graph.
// Problems are printed here; the caller gets the exit code to return.
#include <CLI/CLI.hpp>
#include <tl/expected.hpp>

#include <functional>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "config/validate.hpp"
#include "frontends/circle1/context.hpp"
#include "frontends/circle1/infer.hpp"
#include "frontends/circle1/selection.hpp"
#include "pipeline/pipeline.hpp"

namespace drydock::cli {

struct PipelineOptions {
  std::string file;                         // empty: frontends::default_config_file()
  std::vector<std::string> env;             // --env NAME=value
  std::vector<std::string> env_files;       // --env-file FILE
  std::vector<std::string> secrets;         // --secret NAME=value
  std::vector<std::string> secret_files;    // --secret-file FILE
  bool no_mask_env_files = false;           // --no-mask-env-file
  std::optional<std::string> container;     // --container IMAGE
  int parallelism = 1;                      // --parallelism N
  bool infer = false;                       // --infer
  std::optional<os::RepoFacts> repo;        // git facts to build with, when already read
  bool fresh_checkout = false;              // set by --fresh: `repo` is a new checkout's work tree
  std::optional<circle1::GivenBuild> given; // run's --build-number and --record-dir (the agent's)
  std::optional<std::string> workflow;      // --workflow NAME (2.x)
  std::optional<std::string> job;           // --job NAME (2.x)
  bool only = false;                        // --only: the job without what it requires
  std::vector<std::string> params;          // --param NAME=VALUE (2.1 pipeline parameters)
  std::vector<std::string> approved;        // --approve NAME (2.x approval jobs)
  std::optional<std::string> contexts_dir;  // --contexts DIR (2.x contexts' variables)
  std::optional<std::string> orbs_dir;      // --orbs DIR (2.1 registry orbs' cache)
  bool continued = false;                   // the configuration a setup workflow handed over
};

// The config file a command reads: the one given, else the default.
std::string config_file_of(const PipelineOptions& options);

// A config read, checked and lowered for this build. The 1.0 parts
// (validation, the branch, commit and deployment decisions, inferred
// commands) are empty for a CircleCI 2.x config.
struct LoadedPipeline {
  std::unique_ptr<config::Validation> validation; // 1.0 only
  std::optional<int> keep_runs;                   // the config's drydock.keep_runs
  circle1::BuildContext context;
  circle1::BranchDecision branches;
  circle1::BranchDecision commit; // [ci skip]
  circle1::DeploymentChoice deployment;
  pipeline::Pipeline pipeline;
  std::vector<circle1::InferredPhase> inferred; // what CircleCI would have run by default
  bool inferred_run = false;                    // --infer: they are steps of the pipeline
  std::vector<std::string> masked;              // values shown as *** wherever they would appear
  std::vector<pipeline::Decision> jobs;         // 2.x: whether each job runs, and why (its filters)
  bool setup = false;                           // 2.x `setup: true`: a job may hand over what runs next
};

// This process's environment, as "NAME=value" strings.
std::vector<std::string> host_environment();

// The config read and checked, or nothing after its errors were printed to
// stderr. Warnings are printed too when `show_warnings` (drydock's own
// steps load the config again and leave them to the run that started them).
std::unique_ptr<config::Validation> load_checked_config(const std::string& file, bool show_warnings);

// What must hold before a run takes a build number (the engine answers,
// when the config needs one); its error exits 1, like a failed step.
struct EngineWanted {
  std::string needed_by; // what in the config needs the engine, or empty
  bool host_cluster = false;
};
using RunCheck =
    std::function<tl::expected<void, std::string>(const EngineWanted& wanted, const env::Environment& env)>;

// The pipeline, or the exit code after its problems were printed to stderr.
tl::expected<LoadedPipeline, int> load_pipeline(const PipelineOptions& options, circle1::ContextMode mode,
                                                const RunCheck& before_claim = {});

// Adds the config file positional, --env and --env-file to a sub-command.
void add_pipeline_options(CLI::App& sub, PipelineOptions& options);

} // namespace drydock::cli

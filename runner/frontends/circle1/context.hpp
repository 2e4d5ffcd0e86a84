#pragma once
// Where and for what a circle.yml 1.0 build runs: the build directory, git
// facts, the CIRCLE_* variables, the layered environment and the
// branch/tag/owner that select branches and deployment.
#include <tl/expected.hpp>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/model.hpp"
#include "env/environment.hpp"
#include "frontends/circle1/selection.hpp"
#include "os/git.hpp"

namespace drydock::circle1 {

// The absolute folder of a config file: relative paths in it start here.
std::string config_dir_of(const std::string& config_path);

// The number and record of a build whose runner numbers it (the agent,
// from its database): no counter is taken and no older record pruned.
struct GivenBuild {
  int number = 0;
  std::string record_dir;
};

struct Overrides {
  std::vector<std::pair<std::string, std::string>> vars; // --env-file, then --env, in order
  std::optional<std::string> container;                  // --container IMAGE
  bool fresh_checkout = false;                           // --fresh: the checkout is new
  int parallelism = 1;                                   // --parallelism N: the nodes parallel commands run on
  std::optional<GivenBuild> given;                       // --build-number N --record-dir DIR
};

struct BuildContext {
  std::string config_path;
  std::string config_dir;               // relative paths in the config are from here
  std::string build_dir;                // config_dir, or its general.build_dir
  std::string checkout_dir;             // the work tree holding config_dir (its top), or config_dir outside one
  std::optional<std::string> container; // --container IMAGE: the build container, over drydock.container
  // Where dependencies.cache_directories are kept between runs: one folder
  // per project (its origin, or its work tree) and config file.
  std::string directories_cache;
  bool fresh_checkout = false; // --fresh: nothing of an earlier build is in the checkout
  int parallelism = 1;         // CIRCLE_NODE_TOTAL
  std::string home;
  env::Environment env; // what every step gets
  BuildTarget target;
  os::RepoFacts repo;           // what git says about the commit built, whatever --env sets
  std::string record_dir;       // the run record (record/run_record.hpp); empty in plan mode
  std::string artifacts_dir;    // its artifacts/
  std::string test_reports_dir; // its test-results/
  int build_num = 0;
  // Names the pipeline sets (CI, CIRCLE_*, machine.environment, --env):
  // what a container gets, where the host's own environment would not fit.
  std::vector<std::string> pipeline_vars;
};

enum class ContextMode {
  run,  // takes a build number and creates the run record
  plan, // no side effects: shows the next number and placeholder directories
};

// Layers, later winning: the host's environment; CI, CIRCLECI and CIRCLE_*;
// the overrides (so CIRCLE_BRANCH=... is seen by what follows); the
// machine.environment values, expanded in order, except the names the
// overrides set (an override wins, and values derived from it see it).
// The build is for a branch or a tag, not both (CIRCLE_TAG is empty on a
// checked-out branch, CIRCLE_BRANCH on a tag build); an error when the
// overrides set both.
// In run mode, `before_claim` (when given) sees the environment the build
// will have, with the next number shown as in plan mode, before a number
// is taken or a directory made: its error is the context's error, and
// nothing is left behind.
// `repo_facts`, when given, are the git facts to build with (a fresh
// checkout builds the work tree's branch, tag and counter); otherwise git
// is asked about the config's folder.
using BeforeClaim = std::function<tl::expected<void, std::string>(const env::Environment& env)>;
tl::expected<BuildContext, std::string> make_build_context(const config::Config& config, const Overrides& overrides,
                                                           const std::vector<std::string>& host_env, ContextMode mode,
                                                           const BeforeClaim& before_claim = {},
                                                           const std::optional<os::RepoFacts>& repo_facts = {});

// The host's variables a build of CircleCI's formats never sees: the
// CIRCLE_* of a CircleCI job drydock itself runs in (its continuation key
// among them), and the continuation folder the stand-in writes to.
inline const std::vector<std::string> kHostCiVariables = {"CIRCLE_*", "DRYDOCK_CONTINUATION_DIR"};

// The build's own variables (CI, CIRCLE_*, machine.environment, overrides)
// with their final values, each once: what the pipeline sets for every step.
std::vector<std::pair<std::string, std::string>> pipeline_environment(const BuildContext& context);

} // namespace drydock::circle1

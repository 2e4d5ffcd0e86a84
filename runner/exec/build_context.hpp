#pragma once
// Everything a run needs to know about where and for what it runs: the
// build directory, git facts, CIRCLE_* variables, the layered environment
// and the branch/tag/owner that select branches and deployment.
#include <tl/expected.hpp>

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "config/model.hpp"
#include "env/environment.hpp"
#include "graph/selection.hpp"

namespace drydock::exec {

struct RepoFacts {
  std::string top_dir;   // empty outside a git work tree
  std::string git_dir;
  std::string sha;
  std::string branch;    // empty on a detached HEAD
  std::string tag;       // a tag pointing at HEAD, if any
  std::string origin_url;
  std::string owner;     // from origin: github.com/OWNER/REPO
  std::string repo;
};

// Asks git about the work tree holding `dir` (nothing fails outside one).
RepoFacts read_repo_facts(const std::string& dir);

// OWNER and REPO from a remote URL (scp-like, https, ssh or a path).
std::pair<std::string, std::string> owner_and_repo(std::string_view url);

// The absolute folder of a config file: relative paths in it start here.
std::string config_dir_of(const std::string& config_path);

// Increments and returns the counter in the file (created at 0), under an
// exclusive lock so concurrent runs get distinct numbers.
tl::expected<int, std::string> next_build_number(const std::string& counter_file);

struct Overrides {
  std::vector<std::pair<std::string, std::string>> vars; // --env-file, then --env, in order
};

// What containerized steps and drydock's own steps need from the engine
// and the database; set up by prepare_run (exec/run_setup.hpp).
struct ContainerSetup {
  std::string run_id;        // the value of every container's io.drydock.run label
  std::string owner;         // drydock's "PID:START", the io.drydock.pid label (docker::owner_of)
  std::string network;       // the run's network, when it has services
  bool network_created = false;
  bool database_on_network = false; // the database is a container on the network, not on the host
  std::string host_address;  // --add-host ALIAS:<this>: host-gateway or the bridge gateway
  std::map<std::string, std::string> image_refs; // drydock.images name -> repository:CIRCLE_SHA1
  std::string database_alias; // postgresdb
  std::string database_env;   // DATABASE_URL
  std::string database_url;   // as containers reach it; empty without a database
};

struct BuildContext {
  std::string config_path;
  std::string self_exe;   // drydock's own steps run as `drydock internal ...`
  std::string config_dir; // relative paths in the config are from here
  std::string build_dir;  // config_dir, or its general.build_dir
  std::string home;
  env::Environment env;   // what every step gets
  graph::BuildTarget target;
  std::string artifacts_dir;
  std::string test_reports_dir;
  int build_num = 0;
  // Names the pipeline sets (CI, CIRCLE_*, machine.environment, --env):
  // what a container gets, where the host's own environment would not fit.
  std::vector<std::string> pipeline_vars;
  ContainerSetup containers;
  // The database step: `drydock internal <database_command> <database_arguments...>`
  // (postgres-start for the cluster, database-container for a container).
  std::string database_command;
  std::vector<std::string> database_arguments;
  std::string cluster_dir;
};

enum class ContextMode {
  run,  // takes a build number and creates the artifacts directories
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
using BeforeClaim = std::function<tl::expected<void, std::string>(const env::Environment& env)>;
tl::expected<BuildContext, std::string> make_build_context(const config::Config& config, const Overrides& overrides,
                                                           const std::vector<std::string>& host_env,
                                                           ContextMode mode, const BeforeClaim& before_claim = {});

} // namespace drydock::exec

#pragma once
// The neutral pipeline model: what a front end (circle.yml 1.0 today,
// .circleci/config.yml next) lowers its format to, and all that graph/,
// plan/, exec/ and report/ see. Steps with ids, actions, where they run,
// their environment, edges and failure policies; no format's names or
// rules. Plain data, serialisable to JSON (pipeline/json.hpp).
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "util/source.hpp"

namespace drydock::pipeline {

// NAME, value. In a step's environment the value may hold ${VAR}, expanded
// when the step starts over the build's variables.
using EnvVar = std::pair<std::string, std::string>;

// When a step runs, judged by the steps it waits for, directly or not.
enum class RunsWhen {
  on_success, // only when none of them failed
  always,     // whatever they did (unless the build was stopped)
  on_failure, // only when one of them failed
  finally,    // once they are all done or will never start, even after a failure stopped the build
              // (not after an interrupt): collecting artifacts
};

// What a step's failure does to the rest of the build.
enum class OnFailure {
  stop_build,      // nothing new starts; running steps finish
  continue_build,  // the build goes on (and fails at the end); later steps go by their RunsWhen
  skip_dependants, // the steps that wait for it, directly or not, are skipped whatever their RunsWhen
                   // (when it failed, and when it did not run: a container they would run in); others go on
};

struct Policy {
  RunsWhen when = RunsWhen::on_success;
  OnFailure on_failure = OnFailure::stop_build;
  // Why a step is skipped when its RunsWhen says no; empty: "'<failed step>' failed".
  std::string skipped_because;
};

// A named set of steps with one policy: a phase, a job.
struct Group {
  std::string name;
  std::string kind; // what the front end calls it: "phase", "job"
  Policy policy;
};

// ---- actions ----

// A script run by a shell: argv = shell + {script and the appended files}.
struct ShellCommand {
  std::string script;
  std::vector<std::string> shell{"bash", "-eo", "pipefail", "-c"};
  // Globs matched in the working directory when the step starts; each
  // match is appended to the script, shell-quoted.
  std::vector<std::string> append_files;
  // One node of a parallel command: of the sorted matches, the ones at
  // positions p with p % files_nodes == files_node (all of them: 0 of 1).
  int files_node = 0;
  int files_nodes = 1;
  // Not 0: an exit with this code means the command passed and its group
  // ends here: the group's later steps are skipped as passed, but its
  // finally steps (CircleCI's `circleci step halt`).
  int halt_exit_code = 0;
};

// Make a content-keyed image present (engine, archive or build).
struct ImageBuild {
  std::string name; // what containers and publish steps refer to
  std::string repository;
  std::string dockerfile; // relative to the base directory, or absolute; ~ allowed
  std::string context;
  std::vector<std::string> inputs; // globs hashed into the key
  bool allow_outside_inputs = false;
  std::vector<EnvVar> build_args; // values expanded when the step runs
  std::string cache_dir;
  int keep = 2;
};

// Write the archive of an ImageBuild's image when its step asked for one
// (it built the image, or found it without its archive): beside the steps
// that use the image, so they need not wait for the save. Nothing waits
// for it, but the build ends after it.
struct ImageArchive {
  ImageBuild image;
};

struct Readiness {
  std::optional<std::string> log; // regex that must match `times` lines
  int times = 1;
  std::optional<int> port;
  std::optional<std::string> command;
  int timeout = 60; // seconds
};

// A service container on the run's network, started and waited for.
struct ServiceStart {
  std::string name;
  std::string image;
  std::string alias;
  std::vector<std::string> command;
  std::vector<EnvVar> environment; // values expanded when the step runs
  std::vector<int> ports;
  std::vector<std::string> tmpfs;
  std::optional<Readiness> ready;
};

enum class DatabaseProvider { cluster, url, container };

// The PostgreSQL database containerized steps reach (Pipeline::database).
struct Database {
  DatabaseProvider provider = DatabaseProvider::cluster;
  std::string url;   // provider url; may hold ${VAR}
  std::string image; // provider container
  std::string alias = "postgresdb";
  std::string user = "ubuntu";
  std::vector<std::string> databases;
  std::string env = "DATABASE_URL";
};

// Start the pipeline's database (a throwaway cluster or a container).
struct DatabaseStart {
  Database database;
};

// docker-ci-deploy-compatible tagging and pushing of an ImageBuild's image.
struct Publish {
  std::string name;
  ImageBuild image;
  std::string registry;
  std::vector<std::string> tags;
  std::optional<std::string> version; // may hold ${VAR}; a leading v is dropped
  bool latest = false;
  bool semver = false;
  int precision = 1;
  bool zero = false;
  std::optional<std::pair<std::string, std::string>> login_env; // username and password variable names
};

// A container beside a job container, in its network namespace: the job's
// steps reach it on localhost, as CircleCI's secondary images.
struct Sidecar {
  std::string name; // unique in its job container; part of its container's name
  std::string image;
  std::vector<EnvVar> environment; // values expanded when it starts
  std::vector<std::string> entrypoint;
  std::vector<std::string> command;
  std::string user;
};

// A long-lived container that a group's shell steps run in, one `docker
// exec` each (Step::runs_in), with its sidecars. Started by a
// ContainerStart step, removed by a ContainerStop step (and, whatever
// happens, with the run's other containers at the end).
struct JobContainer {
  std::string name; // unique in the pipeline: steps name it
  std::string image;
  std::vector<EnvVar> environment; // the container's own, values expanded when it starts
  std::string user;
  std::vector<Sidecar> sidecars;
  std::vector<std::pair<std::string, std::string>> hosts; // NAME, ADDRESS: --add-host entries (sidecars' names)
  bool engine_socket = false; // the engine's socket mounted at /var/run/docker.sock (setup_remote_docker)
};

struct ContainerStart {
  JobContainer container;
};

struct ContainerStop {
  JobContainer container;
};

// The commit put into a job container at `path` (~ is the container's
// home): a clone of the local repository at `source_dir` (no network),
// with its .git, owned by the container's user.
struct Checkout {
  std::string container; // a JobContainer's name
  std::string source_dir;
  std::string sha;
  std::string path;
};

// Files a step left, copied into the run's record (artifacts, test
// results): `path` in a job container (relative: from `base`, as written,
// ~ the container's home) or on this machine (relative: from the step's
// directory; ~ this machine's home), to the directory `into`, below `root`.
// Nothing at `path` is a warning, never a failure. Symbolic links do not
// come along, and `into` may not lead out of `root` through one.
struct CollectFiles {
  std::string container; // a JobContainer's name; empty: this machine
  std::string base;      // the job's directory, for a relative path in the container
  std::string path;
  std::string into;
  std::string root;
};

// A part of a cache key, rendered when its step starts: text as written,
// the checksum of a file (from the job's directory; base64 of its
// SHA-256), a variable of the step's environment, the time in seconds,
// or the machine's OS and architecture ("linux-amd64").
struct KeyPart {
  enum class Kind { text, checksum, env, epoch, arch };
  Kind kind = Kind::text;
  std::string value; // the text, the file, the variable's name
};

struct CacheKey {
  std::string written; // as the config wrote it, for messages
  std::vector<KeyPart> parts;
};

// Files a job keeps between runs under a key, in `dir` (drydock's cache
// for the project): never replaced once written. `paths` as in
// CollectFiles (the job's container, or this machine when empty).
struct CacheSave {
  std::string container;
  std::string base;
  CacheKey key;
  std::vector<std::string> paths;
  std::string dir;
};

// The first key that finds a cache: the exact key, else the newest cache
// whose key starts with it; its files go back where they were. Finding
// none is no failure.
struct CacheRestore {
  std::string container;
  std::string base;
  std::vector<CacheKey> keys;
  std::string dir;
};

// Files under `root` (from `base` when relative) that later jobs of the
// run may attach: `paths` are relative to root (globs allowed); written
// as a layer in `layer_dir` (the job's, in the run's workspace).
struct WorkspacePersist {
  std::string container;
  std::string base;
  std::string root;
  std::vector<std::string> paths;
  std::string layer_dir;
};

// The layers of a job that a WorkspaceAttach reads, and the jobs among
// the others it comes after (a file both wrote: its copy wins).
struct WorkspaceLayer {
  std::string job;
  std::string dir;
  std::vector<std::string> after;
};

// What the jobs before it persisted, extracted at `at` in the order of
// `layers`; the same file from two jobs neither of which comes after the
// other is a failure, as on CircleCI.
struct WorkspaceAttach {
  std::string container;
  std::string base;
  std::string at;
  std::vector<WorkspaceLayer> layers;
};

// A step with nothing to run: it passes as soon as it may start. A
// group's entry, so that with skip_dependants a failure before it skips
// the whole group, steps that would run after a failure included.
struct Gate {
  std::string waits_for; // for people: what it stands for
};

using Action = std::variant<ShellCommand, ImageBuild, DatabaseStart, ServiceStart, Publish, ImageArchive,
                            ContainerStart, ContainerStop, Checkout, CollectFiles, Gate, CacheSave, CacheRestore,
                            WorkspacePersist, WorkspaceAttach>;

// "shell", "image", "database", "service", "publish", "archive",
// "container", "container-stop", "checkout", "collect", "gate",
// "cache-save", "cache-restore", "workspace-persist", "workspace-attach".
std::string_view action_kind(const Action& action);

// Where a ShellCommand runs when not on the host.
struct Container {
  std::string image;                 // an ImageBuild's name (its run reference), or an image reference
  bool database = false;             // gets the database's URL variable and host alias
  std::vector<std::string> services; // reached on the run's network by alias
  std::vector<std::pair<std::string, std::string>> hosts; // NAME, ADDRESS: --add-host entries
};

// The directory a step starts in: `path` (expanded when the step starts:
// ${VAR}, ~) resolved from `base`; a container step with a relative path
// starts from the image's WORKDIR, with an absolute one there.
struct WorkDir {
  std::string base;
  std::optional<std::string> path;
  std::string home;          // what ~ means in path; empty: the step's HOME
  bool base_is_home = false; // base is the home directory: in the build container, the container's
};

// The build container: shell steps without a Container of their own run in
// it, one `docker exec` each, so what a step installs or writes under ~
// stays in the container, and the next step sees it. The mounts (the
// checkout and the shared directories) appear at their host paths.
struct BuildContainer {
  std::string image;  // an image reference the engine has
  std::string origin; // what asked for it, for messages: "--container", "drydock.container"
  std::vector<std::string> mounts;
  std::vector<std::pair<std::string, std::string>> hosts; // NAME, ADDRESS: --add-host entries
  bool engine_socket = false;                             // the config uses docker: the engine's socket is mounted too
};

struct Step {
  std::size_t index = 0;
  std::string id;   // unique and stable: other steps and the record name it
  std::string name; // shown to people
  std::size_t group = 0;
  std::string origin;  // where the front end found it, e.g. "test.override"
  Pos pos;             // in Pipeline::file
  std::string summary; // the script, or what a step of drydock's own does
  Action action;
  std::optional<Container> container;
  // A JobContainer's name: this shell step runs in it (`docker exec`),
  // from workdir.path (~ is the container's home; made when missing).
  std::optional<std::string> runs_in;
  WorkDir workdir;
  std::vector<EnvVar> environment; // over the build's
  int no_output_timeout = 600;     // seconds
  bool background = false;         // its output goes to a log; the build does not wait for it
  bool concurrent = false;         // started with the step before it (shown by plan)
  std::vector<std::size_t> deps;   // the steps it waits for
  std::optional<Policy> policy;    // its group's when not set
};

// What the build is for.
struct Build {
  int number = 0;
  std::string sha;
  std::string branch;
  std::string tag;
  std::string owner;
};

// Whether a part of the config applies to this build, and why.
struct Decision {
  std::string name;
  bool runs = true;
  std::string reason;
};

// A directory of the build's outputs (artifacts, test reports), named for people.
struct SharedDir {
  std::string label;
  std::string path;
};

// A command a front end gives its pipeline's steps (CircleCI's `circleci`):
// a script, found on the PATH of host steps and in /usr/local/bin of job
// containers.
struct Tool {
  std::string name;
  std::string script;
};

struct Pipeline {
  std::string file;   // the config it came from
  std::string format; // "circle.yml 1.0"
  Build build;
  std::vector<Group> groups;
  std::vector<Step> steps; // in the order the front end wrote them; steps[i].index == i
  // Variables the pipeline sets for every step, with their final values;
  // they go over the host's, and containers get them by name.
  std::vector<EnvVar> environment;
  // The host's variables the steps never get (NAME or PREFIX*): another
  // CI's, where drydock itself runs inside one.
  std::vector<std::string> host_env_dropped;
  std::vector<SharedDir> shared_dirs; // mounted in every container at the same path
  std::string log_dir;                // background steps' logs
  // Non-empty: the run needs a Docker engine, and this says what asks for one.
  std::string engine_needed_by;
  std::optional<Database> database;
  std::optional<BuildContainer> build_container;
  // Variables whose values are masked wherever drydock writes output (a
  // registry password), whether or not a step of this build reads them.
  std::vector<std::string> secret_env;
  std::vector<Tool> tools;
};

const Policy& policy_of(const Pipeline& pipeline, const Step& step);

// Where a step runs: "host", "build container" or "image NAME".
std::string placement_of(const Pipeline& pipeline, const Step& step);

// Whether a step runs in the build container.
bool in_build_container(const Pipeline& pipeline, const Step& step);

// The heading of the group column in tables: the groups' kind ("PHASE"),
// or "GROUP" when they are of several kinds or there are none.
std::string group_heading(const Pipeline& pipeline);

// The tag this build's images get: the commit, or "local" outside git.
std::string run_tag(const Build& build);

} // namespace drydock::pipeline

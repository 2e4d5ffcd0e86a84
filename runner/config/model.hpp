#pragma once
// The typed model of a circle.yml 1.0 file plus drydock's extension keys.
// Every node keeps its source position so later layers (graph, plan) can
// still point at the line a problem came from.
#include <optional>
#include <string>
#include <vector>

#include "util/regex.hpp"
#include "util/source.hpp"

namespace drydock::config {

// A string with the place it was written.
struct Text {
  std::string value;
  Pos pos;
};

// A name that refers to something declared elsewhere (an image, a step id).
using Ref = Text;

struct EnvVar {
  std::string name;
  std::string value; // may hold ${VAR} references, expanded at run time
  Pos pos;
};

// A branch, tag or owner filter: an exact string or a /regex/.
struct Pattern {
  std::string text; // without the slashes for a regex
  bool is_regex = false;
  Pos pos;
  std::optional<util::CompiledRegex> regex; // compiled once, by the loader
};

// drydock's per-command extension, under the command's `drydock:` modifier.
struct StepExtension {
  std::optional<Text> id;     // a name other steps can `requires`
  std::vector<Ref> requires_; // steps that must finish first
  bool concurrent = false;    // need not wait for the previous command
  std::optional<Ref> image;   // run inside this drydock.images entry
  std::vector<Ref> services;  // drydock.services entries to start first
  bool database = false;      // pass DATABASE_URL and the host alias in
};

struct Command {
  // CircleCI stops a command after this many seconds without output.
  static constexpr int kDefaultTimeout = 600;

  std::string text;
  Pos pos;
  std::optional<int> timeout; // seconds without output
  std::optional<Text> pwd;
  std::vector<EnvVar> environment;
  std::optional<bool> parallel;
  std::vector<Text> files;
  bool background = false;
  StepExtension drydock;
};

struct CommandList {
  Pos pos; // of the key, e.g. `override:`
  std::vector<Command> commands;
};

// A phase with pre / override / post, as dependencies, database, compile, test.
struct Phase {
  Pos pos;
  bool present = false;
  std::optional<CommandList> pre;
  std::optional<CommandList> override_;
  std::optional<CommandList> post;
};

struct LanguageVersion {
  std::string language; // ruby, node, java, php, python, ghc (or xcode)
  std::string version;
  Pos pos;
};

struct HostEntry {
  std::string name;
  std::string address;
  Pos pos;
};

struct Machine {
  Pos pos;
  bool present = false;
  std::vector<EnvVar> environment;
  std::vector<Text> services;
  std::vector<HostEntry> hosts;
  std::optional<Text> timezone;
  std::vector<LanguageVersion> languages;
  std::optional<LanguageVersion> xcode; // iOS builds; drydock runs without it
  std::optional<CommandList> pre;
  std::optional<CommandList> post;
};

struct Checkout {
  Pos pos;
  bool present = false;
  std::optional<CommandList> post;
};

struct Dependencies : Phase {
  std::vector<Text> cache_directories;
  std::vector<Text> bundler_without;
};

struct Test : Phase {
  std::vector<Text> minitest_globs;
};

struct Deployment {
  std::string name;
  Pos pos;
  std::vector<Pattern> branch;
  std::vector<Pattern> tag;
  std::optional<Text> owner;
  std::optional<CommandList> commands;
  std::optional<Text> heroku_appname;
  std::vector<Ref> publish; // drydock.publish entries to run (extension)
};

struct BranchFilter {
  std::vector<Pattern> only;
  std::vector<Pattern> ignore;
};

struct General {
  Pos pos;
  BranchFilter branches;
  std::optional<Text> build_dir;
  std::vector<Text> artifacts;
};

struct Notify {
  std::vector<Text> webhooks; // urls
};

struct Experimental {
  BranchFilter notify_branches;
};

// ---- drydock extension (top-level `drydock:`) ----

// A content-keyed image: the key hashes the Dockerfile, the input globs, the
// build args and the base image id.
struct ImageSpec {
  std::string name;
  Pos pos;
  Text repository;
  Text dockerfile{"Dockerfile", {}};
  Text context{".", {}};
  std::vector<Text> inputs;          // globs relative to the config's folder
  bool allow_outside_inputs = false; // inputs may be absolute or leave it with ..
  std::vector<EnvVar> build_args;
  Text cache_dir{"~/.cache/drydock/images", {}};
  int keep = 2;
};

enum class DatabaseProvider { cluster, url, container };

// The PostgreSQL database that containerized steps reach.
struct DatabaseSpec {
  Pos pos;
  DatabaseProvider provider = DatabaseProvider::cluster;
  std::optional<Text> url;
  std::optional<Text> image; // for the container provider
  std::string alias = "postgresdb";
  Pos alias_pos; // where `alias` was written, if it was
  std::string user = "ubuntu";
  std::vector<Text> databases;
  std::string env = "DATABASE_URL";
};

struct Readiness {
  Pos pos;
  std::optional<Text> log; // regex that must match `times` lines
  int times = 1;
  std::optional<int> port;     // TCP port accepting connections
  std::optional<Text> command; // succeeds inside the container
  int timeout = 60;            // seconds
};

struct ServiceSpec {
  std::string name;
  Pos pos;
  Text image;
  std::optional<Text> alias;
  std::vector<Text> command;
  std::vector<EnvVar> environment;
  std::vector<int> ports;
  std::vector<Text> tmpfs;
  std::vector<Ref> depends_on;
  std::optional<Readiness> ready;
};

struct RegistryLogin {
  Text username_env;
  Text password_env;
};

// docker-ci-deploy compatible tagging and pushing of one image.
struct PublishSpec {
  std::string name;
  Pos pos;
  Ref image;
  std::optional<Text> registry;
  std::vector<Text> tags;
  std::optional<Text> version; // may hold ${CIRCLE_TAG}; a leading v is dropped
  bool latest = false;
  bool semver = false;
  int precision = 1;
  bool zero = false;
  std::optional<RegistryLogin> login;
};

struct Extension {
  Pos pos;
  bool present = false;
  // The build container: every host step runs in it (`docker exec`).
  std::optional<Text> container;
  std::optional<int> keep_runs; // run records kept (`drydock run --keep-runs` wins)
  std::vector<ImageSpec> images;
  std::optional<DatabaseSpec> database;
  std::vector<ServiceSpec> services;
  std::vector<PublishSpec> publish;
};

struct Config {
  std::string path;
  Machine machine;
  Checkout checkout;
  Dependencies dependencies;
  Phase database;
  Phase compile;
  Test test;
  std::vector<Deployment> deployment;
  General general;
  Notify notify;
  Experimental experimental;
  Extension drydock;
};

} // namespace drydock::config

#pragma once
// Every docker CLI call drydock makes, as argv arrays. Values from the
// config travel as separate arguments, never through a shell; secrets are
// never arguments (`-e NAME` and `--build-arg NAME` take the value from the
// docker client's environment). Pure: nothing here runs anything.
#include <string>
#include <utility>
#include <vector>

namespace drydock::docker {

using Argv = std::vector<std::string>;

// Every container drydock starts carries this label with the run's id, so
// that the end of the run (or `drydock clean`) finds what is left.
inline constexpr const char* kRunLabel = "io.drydock.run";

// Prints "API_VERSION SERVER_VERSION"; fails when no engine answers.
Argv server_version();
// Prints the default bridge's subnet, gateway and interface name.
Argv bridge_network();
// Prints "ID [TAG...]" for each image; fails if any is missing.
Argv inspect_images(const std::vector<std::string>& refs);

struct BuildSpec {
  std::string tag;        // repository:key
  std::string dockerfile; // absolute
  std::string context;    // absolute
  std::vector<std::string> build_arg_names; // values come from the environment
  std::vector<std::pair<std::string, std::string>> labels;
};
Argv build(const BuildSpec& spec);
Argv save(const std::string& ref);  // the image as a tar on stdout
Argv load();                        // an image tar from stdin
Argv tag(const std::string& source, const std::string& target, const std::string& executable = "docker");
Argv push(const std::string& ref, const std::string& executable = "docker");
// The password goes to the client's stdin, never on its command line.
Argv login(const std::string& registry, const std::string& username, const std::string& executable = "docker");

struct ContainerSpec {
  std::string image;
  std::string name;
  std::string run_id;
  std::string step;                      // the step's name, as a label
  std::vector<std::string> env_names;    // passed as -e NAME: value from the client's environment
  std::vector<std::string> mounts;       // host directories, mounted at the same path
  std::vector<std::pair<std::string, std::string>> hosts; // --add-host alias:address
  std::string workdir;                   // empty: the image's WORKDIR
  std::vector<std::string> command;
};
Argv run_container(const ContainerSpec& spec);

Argv containers_of_run(const std::string& run_id); // ids, one a line
Argv remove_containers(const std::vector<std::string>& ids);

} // namespace drydock::docker

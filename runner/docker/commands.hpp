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
  std::string tag;                          // repository:key
  std::string dockerfile;                   // absolute
  std::string context;                      // absolute
  std::vector<std::string> build_arg_names; // values come from the environment
  std::vector<std::pair<std::string, std::string>> labels;
};
Argv build(const BuildSpec& spec);
Argv save(const std::string& ref); // the image as a tar on stdout
Argv load();                       // an image tar from stdin
Argv tag(const std::string& source, const std::string& target, const std::string& executable = "docker");
Argv push(const std::string& ref, const std::string& executable = "docker");
// The password goes to the client's stdin, never on its command line.
Argv login(const std::string& registry, const std::string& username, const std::string& executable = "docker");

struct ContainerSpec {
  std::string image;
  std::string name;
  std::string run_id;
  std::string owner = "0";                                // the drydock running the build, "PID:START", as a label
  std::string step;                                       // the step's name, as a label
  std::vector<std::string> env_names;                     // passed as -e NAME: value from the client's environment
  std::vector<std::string> mounts;                        // host directories, mounted at the same path
  std::vector<std::pair<std::string, std::string>> hosts; // --add-host alias:address
  std::string workdir;                                    // empty: the image's WORKDIR
  std::string network;                                    // empty: the default bridge
  std::vector<std::string> command;
};
Argv run_container(const ContainerSpec& spec);

// A service container, detached, on the run's network under its alias.
struct ServiceContainerSpec {
  std::string image;
  std::string name;
  std::string run_id;
  std::string owner = "0";
  std::string service; // as a label
  std::string network;
  std::string alias;
  std::vector<std::string> env_names; // -e NAME: values from the client's environment
  std::vector<std::string> tmpfs;
  std::vector<std::string> publish; // -p values: 127.0.0.1:HOST:CONTAINER
  std::vector<std::string> command; // empty: the image's own
};
Argv run_service(const ServiceContainerSpec& spec);
Argv logs(const std::string& container, int tail); // tail < 0: all
Argv running_state(const std::string& container);  // "true"/"false" and the exit code
Argv container_ip(const std::string& container, const std::string& network);
Argv exec_in(const std::string& container, const std::vector<std::string>& command);

// The build container: detached, kept alive by a shell loop (the image's
// entrypoint is bypassed), the mounts at their host paths.
struct BuildContainerSpec {
  std::string image;
  std::string name;
  std::string run_id;
  std::string owner = "0";
  std::vector<std::string> mounts;
  std::vector<std::pair<std::string, std::string>> hosts; // --add-host alias:address
  std::string network;       // joined after the start (connect_network); it starts on the default bridge
  std::string engine_socket; // mounted at /var/run/docker.sock when not empty
};
Argv run_build_container(const BuildContainerSpec& spec);
Argv connect_network(const std::string& network, const std::string& container);

// One step in the build container. `docker exec` does not pass signals on,
// and killing the client leaves the command running, so the command starts
// in a session of its own and writes its process group's id to pid_file;
// signal_exec_step signals that group from outside.
struct ExecStepSpec {
  std::string container;
  std::string workdir;
  std::vector<std::string> env_names; // -e NAME: values from the client's environment
  std::string pid_file;               // inside the container
  std::vector<std::string> command;
};
Argv exec_step(const ExecStepSpec& spec);
Argv signal_exec_step(const std::string& container, const std::string& pid_file, const std::string& signal);

// A job container: detached, kept alive by a shell loop (its entrypoint
// bypassed, as CircleCI's primary container's), never pulled: the engine
// must have the image.
struct JobContainerSpec {
  std::string image;
  std::string name;
  std::string run_id;
  std::string owner = "0";
  std::string user;                                       // empty: the image's
  std::vector<std::string> env_names;                     // -e NAME: values from the client's environment
  std::vector<std::pair<std::string, std::string>> hosts; // --add-host NAME:ADDRESS
  std::string engine_socket;                              // mounted at /var/run/docker.sock when not empty
};
Argv run_job_container(const JobContainerSpec& spec);

// The engine's socket on this machine: DOCKER_HOST's unix socket, or the
// default one; empty when DOCKER_HOST is not a unix socket.
std::string engine_socket_of(const std::string& docker_host);

// A sidecar in a job container's network namespace (`--network
// container:NAME`), detached, never pulled.
struct SidecarSpec {
  std::string image;
  std::string name;
  std::string run_id;
  std::string owner = "0";
  std::string beside; // the job container's name
  std::string user;
  std::vector<std::string> env_names;
  std::vector<std::string> entrypoint; // empty: the image's
  std::vector<std::string> command;    // empty: the image's
};
Argv run_sidecar(const SidecarSpec& spec);

// One step in a job container, as exec_step, from `dir` there: "~" and
// "~/..." are the container's $HOME, and the directory is made when
// missing (CircleCI's working_directory).
struct JobStepSpec {
  std::string container;
  std::string dir;
  std::vector<std::string> env_names;
  std::string pid_file;
  std::vector<std::string> command;
};
Argv exec_job_step(const JobStepSpec& spec);
// Prints the absolute path `dir` means in the container (as exec_job_step
// reads it), made when missing, and its user's "UID:GID".
Argv make_dir_in(const std::string& container, const std::string& dir);
// Prints "TYPE PATH": the absolute path `path` means in the container
// (from `base` when relative; ~ and ~/... from $HOME in both) and what is
// there: d a directory, f anything else, - nothing. Nothing is made.
Argv resolve_path_in(const std::string& container, const std::string& base, const std::string& path);
// A file or directory of the container copied to `destination` here.
Argv copy_out(const std::string& container, const std::string& path, const std::string& destination);
// The contents of a host directory copied into the container's `dir`.
Argv copy_into(const std::string& source_dir, const std::string& container, const std::string& dir);
// A host file copied to `path` in the container (its folder must be there).
Argv copy_file_into(const std::string& file, const std::string& container, const std::string& path);
// The files under `dir` given to `owner` ("UID:GID"), as root.
Argv give_to(const std::string& container, const std::string& owner, const std::string& dir);

// Files kept beyond a job (caches, the workspace), in its job container or,
// with no container, on this machine. Paths resolve as resolve_path_in.
// A tar on stdout of what exists at `paths`, each under / (so it goes back
// where it was); what is missing is a warning on stderr; nothing: exit 3.
Argv tar_cache_paths(const std::string& container, const std::string& base, const std::vector<std::string>& paths);
// A tar on stdin unpacked under /.
Argv untar_cache(const std::string& container);
// Under `root` (from base), what the globs `paths` match: a tar on stdout
// (`list`: their files instead, each ending in a NUL); nothing: exit 3.
Argv tar_workspace_paths(const std::string& container, const std::string& base, const std::string& root,
                         const std::vector<std::string>& paths, bool list);
// A tar on stdin unpacked at `at` (from base; made when missing).
Argv untar_workspace(const std::string& container, const std::string& base, const std::string& at);
// The file's bytes on stdout.
Argv read_file_in(const std::string& container, const std::string& base, const std::string& file);

Argv create_network(const std::string& name, const std::string& run_id, const std::string& owner);
Argv remove_networks(const std::vector<std::string>& names);
Argv networks_of_run(const std::string& run_id); // "" for every run: names, one a line
Argv volumes_of_run(const std::string& run_id);
Argv remove_volumes(const std::vector<std::string>& names);
// Every drydock container, network or volume with its run label and the
// pid of the drydock that made it: "ID RUN PID" lines.
Argv labelled_containers();
Argv labelled_networks();
Argv labelled_volumes();

// Every resource carries the run's id and the pid of the drydock that
// created it, so `drydock clean` can tell a dead run's leftovers from a
// live run's resources.
inline constexpr const char* kPidLabel = "io.drydock.pid";

Argv containers_of_run(const std::string& run_id); // ids, one a line
Argv remove_containers(const std::vector<std::string>& ids);

} // namespace drydock::docker

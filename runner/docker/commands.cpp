#include "docker/commands.hpp"

namespace drydock::docker {
namespace {

std::string run_label(const std::string& run_id) { return std::string(kRunLabel) + "=" + run_id; }

std::string pid_label(const std::string& owner) { return std::string(kPidLabel) + "=" + owner; }

} // namespace


Argv server_version() { return {"docker", "version", "--format", "{{.Server.APIVersion}} {{.Server.Version}}"}; }

Argv bridge_network()
{
  return {
      "docker",
      "network",
      "inspect",
      "bridge",
      "--format",
      R"({{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{index .Options "com.docker.network.bridge.name"}})"};
}

Argv inspect_images(const std::vector<std::string>& refs)
{
  Argv argv{"docker", "image", "inspect", "--format", "{{.Id}}{{range .RepoTags}} {{.}}{{end}}", "--"};
  argv.insert(argv.end(), refs.begin(), refs.end());
  return argv;
}

Argv build(const BuildSpec& spec)
{
  Argv argv{"docker", "build", "--tag", spec.tag, "--file", spec.dockerfile};
  for (const auto& name : spec.build_arg_names) {
    argv.insert(argv.end(), {"--build-arg", name});
  }
  for (const auto& [name, value] : spec.labels) {
    argv.insert(argv.end(), {"--label", name + "=" + value});
  }
  argv.insert(argv.end(), {"--", spec.context});
  return argv;
}

Argv save(const std::string& ref) { return {"docker", "save", "--", ref}; }

Argv load() { return {"docker", "load", "--quiet"}; }

Argv tag(const std::string& source, const std::string& target, const std::string& executable)
{
  return {executable, "tag", "--", source, target};
}

Argv push(const std::string& ref, const std::string& executable) { return {executable, "push", "--", ref}; }

Argv login(const std::string& registry, const std::string& username, const std::string& executable)
{
  Argv argv{executable, "login", "--username", username, "--password-stdin"};
  if (!registry.empty()) {
    argv.insert(argv.end(), {"--", registry}); // else Docker Hub
  }
  return argv;
}

namespace {

// Where a container sits: host directories at their own paths, extra host
// names, its network (empty: the default bridge).
void add_placement(Argv& argv, const std::vector<std::string>& mounts,
                   const std::vector<std::pair<std::string, std::string>>& hosts, const std::string& network)
{
  for (const auto& dir : mounts) {
    argv.insert(argv.end(), {"--volume", dir + ":" + dir});
  }
  for (const auto& [alias, address] : hosts) {
    argv.insert(argv.end(), {"--add-host", alias + ":" + address});
  }
  if (!network.empty()) {
    argv.insert(argv.end(), {"--network", network});
  }
}

} // namespace

Argv run_container(const ContainerSpec& spec)
{
  // --init: the command is not PID 1, so SIGTERM from an interrupt stops
  // it instead of being ignored; --rm: gone once it exits.
  Argv argv{"docker",  "run",
            "--rm",    "--init",
            "--name",  spec.name,
            "--label", run_label(spec.run_id),
            "--label", pid_label(spec.owner),
            "--label", "io.drydock.step=" + spec.step};
  for (const auto& name : spec.env_names) {
    argv.insert(argv.end(), {"--env", name});
  }
  add_placement(argv, spec.mounts, spec.hosts, spec.network);
  if (!spec.workdir.empty()) {
    argv.insert(argv.end(), {"--workdir", spec.workdir});
  }
  argv.push_back("--");
  argv.push_back(spec.image);
  argv.insert(argv.end(), spec.command.begin(), spec.command.end());
  return argv;
}

Argv run_service(const ServiceContainerSpec& spec)
{
  Argv argv{"docker",          "run",
            "--detach",        "--init",
            "--name",          spec.name,
            "--label",         run_label(spec.run_id),
            "--label",         pid_label(spec.owner),
            "--label",         "io.drydock.service=" + spec.service,
            "--network",       spec.network,
            "--network-alias", spec.alias};
  for (const auto& name : spec.env_names) {
    argv.insert(argv.end(), {"--env", name});
  }
  for (const auto& path : spec.tmpfs) {
    argv.insert(argv.end(), {"--tmpfs", path});
  }
  for (const auto& mapping : spec.publish) {
    argv.insert(argv.end(), {"--publish", mapping});
  }
  argv.push_back("--");
  argv.push_back(spec.image);
  argv.insert(argv.end(), spec.command.begin(), spec.command.end());
  return argv;
}

Argv logs(const std::string& container, int tail)
{
  Argv argv{"docker", "logs"};
  if (tail >= 0) {
    argv.insert(argv.end(), {"--tail", std::to_string(tail)});
  }
  argv.insert(argv.end(), {"--", container});
  return argv;
}

Argv running_state(const std::string& container)
{
  return {"docker", "inspect", "--format", "{{.State.Running}} {{.State.ExitCode}}", "--", container};
}

Argv container_ip(const std::string& container, const std::string& network)
{
  return {"docker", "inspect", "--format", "{{(index .NetworkSettings.Networks \"" + network + "\").IPAddress}}",
          "--",     container};
}

Argv exec_in(const std::string& container, const std::vector<std::string>& command)
{
  Argv argv{"docker", "exec", "--", container};
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

namespace {

// The start of a long-lived container's `docker run`: detached, labelled
// (`kind` names what it is), its entrypoint bypassed by sh.
Argv kept_alive(const std::string& name, const std::string& run_id, const std::string& owner, const char* kind)
{
  return {"docker",          "run",     "--detach",       "--init",  "--name", name,           "--label",
          run_label(run_id), "--label", pid_label(owner), "--label", kind,     "--entrypoint", "sh"};
}

// Its end: the image, and the loop that keeps it alive until it is removed.
void add_keep_alive_command(Argv& argv, const std::string& image)
{
  argv.insert(argv.end(), {"--", image, "-c", "while sleep 3600; do :; done"});
}

} // namespace

Argv run_build_container(const BuildContainerSpec& spec)
{
  Argv argv = kept_alive(spec.name, spec.run_id, spec.owner, "io.drydock.build-container=true");
  add_placement(argv, spec.mounts, spec.hosts, "");
  if (!spec.engine_socket.empty()) {
    argv.insert(argv.end(), {"--volume", spec.engine_socket + ":/var/run/docker.sock"});
  }
  add_keep_alive_command(argv, spec.image);
  return argv;
}

Argv connect_network(const std::string& network, const std::string& container)
{
  return {"docker", "network", "connect", "--", network, container};
}

Argv exec_step(const ExecStepSpec& spec)
{
  Argv argv{"docker", "exec", "--workdir", spec.workdir};
  for (const auto& name : spec.env_names) {
    argv.insert(argv.end(), {"--env", name});
  }
  // setsid forks when it would lead a group already; the inner sh is the
  // new session's leader either way, and its pid names the group. setsid's
  // own complaint about a killed child goes nowhere; the step's stderr is
  // handed past it on fd 3.
  argv.insert(argv.end(),
              {"--", spec.container, "sh", "-c",
               R"(exec 3>&2 2>/dev/null; exec setsid -w sh -c 'exec 2>&3 3>&-; echo $$ >"$0" && exec "$@"' "$0" "$@")",
               spec.pid_file});
  argv.insert(argv.end(), spec.command.begin(), spec.command.end());
  return argv;
}

Argv signal_exec_step(const std::string& container, const std::string& pid_file, const std::string& signal)
{
  return {"docker", "exec", "--", container, "sh", "-c", R"sh(kill -s "$1" -- -"$(cat "$0")")sh", pid_file, signal};
}

namespace {

void add_env_names(Argv& argv, const std::vector<std::string>& names)
{
  for (const auto& name : names) {
    argv.insert(argv.end(), {"--env", name});
  }
}

// Sets d to what $1 means in the container: ~ and ~/... from $HOME.
constexpr const char* kResolveDir = R"sh(d=$1; case $d in "~") d=$HOME ;; "~/"*) d=$HOME/${d#"~/"} ;; esac; )sh";

} // namespace

Argv run_job_container(const JobContainerSpec& spec)
{
  Argv argv = kept_alive(spec.name, spec.run_id, spec.owner, "io.drydock.job-container=true");
  argv.insert(argv.end(), {"--pull", "never"});
  if (!spec.user.empty()) {
    argv.insert(argv.end(), {"--user", spec.user});
  }
  add_env_names(argv, spec.env_names);
  add_placement(argv, {}, spec.hosts, "");
  if (!spec.engine_socket.empty()) {
    argv.insert(argv.end(), {"--volume", spec.engine_socket + ":/var/run/docker.sock"});
  }
  add_keep_alive_command(argv, spec.image);
  return argv;
}

std::string engine_socket_of(const std::string& docker_host)
{
  if (docker_host.empty()) {
    return "/var/run/docker.sock";
  }
  return docker_host.starts_with("unix://") ? docker_host.substr(7) : "";
}

Argv run_sidecar(const SidecarSpec& spec)
{
  Argv argv{"docker",
            "run",
            "--detach",
            "--pull",
            "never",
            "--name",
            spec.name,
            "--label",
            run_label(spec.run_id),
            "--label",
            pid_label(spec.owner),
            "--network",
            "container:" + spec.beside};
  if (!spec.user.empty()) {
    argv.insert(argv.end(), {"--user", spec.user});
  }
  add_env_names(argv, spec.env_names);
  if (!spec.entrypoint.empty()) {
    argv.insert(argv.end(), {"--entrypoint", spec.entrypoint.front()});
  }
  argv.insert(argv.end(), {"--", spec.image});
  if (!spec.entrypoint.empty()) { // --entrypoint takes one word: the rest come first in the command
    argv.insert(argv.end(), spec.entrypoint.begin() + 1, spec.entrypoint.end());
  }
  argv.insert(argv.end(), spec.command.begin(), spec.command.end());
  return argv;
}

Argv exec_job_step(const JobStepSpec& spec)
{
  Argv argv{"docker", "exec"};
  add_env_names(argv, spec.env_names);
  // As exec_step, with the step's directory resolved and made in the
  // container first ($1; the command follows it).
  // Positional parameters only: a variable of the wrapper's would shadow
  // one of the step's. The directory cannot be made or entered: 126.
  const std::string inner =
      R"sh(exec 2>&3 3>&-; echo $$ >"$0" || exit 126; case $1 in "~" | "~/"*) set -- "$HOME${1#"~"}" "$@" ;; )sh"
      R"sh(*) set -- "$1" "$@" ;; esac; mkdir -p -- "$1" && cd -- "$1" || exit 126; shift 2; exec "$@")sh";
  argv.insert(argv.end(),
              {"--", spec.container, "sh", "-c",
               "exec 3>&2 2>/dev/null; exec setsid -w sh -c '" + inner + R"(' "$0" "$@")", spec.pid_file, spec.dir});
  argv.insert(argv.end(), spec.command.begin(), spec.command.end());
  return argv;
}

Argv make_dir_in(const std::string& container, const std::string& dir)
{
  return exec_in(container,
                 {"sh", "-c",
                  std::string(kResolveDir) + R"sh(mkdir -p -- "$d" && cd -- "$d" && pwd && echo "$(id -u):$(id -g)")sh",
                  "drydock", dir});
}

Argv resolve_path_in(const std::string& container, const std::string& base, const std::string& path)
{
  // $1 the base, $2 the path: d is the base resolved, then the path from it.
  return exec_in(
      container,
      {"sh", "-c",
       std::string(kResolveDir)
           + R"sh(p=$2; case $p in "~") p=$HOME ;; "~/"*) p=$HOME/${p#"~/"} ;; /*) ;; *) p=$d/$p ;; esac; )sh"
           + R"sh(if [ -d "$p" ]; then t=d; elif [ -e "$p" ] || [ -L "$p" ]; then t=f; else t=-; fi; )sh"
           + R"sh(printf '%s %s\n' "$t" "$p")sh",
       "drydock", base, path});
}

namespace {

// $1 the base (d), then `at P` sets p to P resolved from it.
constexpr const char* kResolveAt =
    R"sh(d=$1; case $d in "~") d=$HOME ;; "~/"*) d=$HOME/${d#"~/"} ;; esac; )sh"
    R"sh(at() { case $1 in "~") p=$HOME ;; "~/"*) p=$HOME/${1#"~/"} ;; /*) p=$1 ;; *) p=$d/$1 ;; esac; }; )sh";

// The command in the container, or here when there is none; -i: it reads stdin.
Argv in_place(const std::string& container, std::vector<std::string> command, bool input = false)
{
  if (container.empty()) {
    return command;
  }
  Argv argv{"docker", "exec"};
  if (input) {
    argv.emplace_back("-i");
  }
  argv.insert(argv.end(), {"--", container});
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

} // namespace

Argv tar_cache_paths(const std::string& container, const std::string& base, const std::vector<std::string>& paths)
{
  std::vector<std::string> command{
      "sh", "-c",
      std::string(kResolveAt)
          + R"sh(shift; n=$#; i=0; while [ "$i" -lt "$n" ]; do at "$1"; shift; i=$((i + 1)); )sh"
            R"sh(if [ -e "$p" ] || [ -L "$p" ]; then while case $p in /*) true ;; *) false ;; esac; do p=${p#/}; done; )sh"
            R"sh(set -- "$@" "${p:-.}"; else printf 'warning: nothing at %s: not in the cache
' "$p" >&2; fi; done; )sh"
            R"sh([ "$#" -gt 0 ] || exit 3; cd / && exec tar -cf - -- "$@")sh",
      "drydock", base};
  command.insert(command.end(), paths.begin(), paths.end());
  return in_place(container, std::move(command));
}

Argv untar_cache(const std::string& container)
{
  return in_place(container, {"sh", "-c", "cd / && exec tar -xf -"}, true);
}

Argv tar_workspace_paths(const std::string& container, const std::string& base, const std::string& root,
                         const std::vector<std::string>& paths, bool list)
{
  std::vector<std::string> command{
      "sh",
      "-c",
      std::string(kResolveAt)
          + R"sh(m=$3; at "$2"; cd -- "$p" || exit 4; shift 3; n=$#; i=0; while [ "$i" -lt "$n" ]; do )sh"
            R"sh(g=$1; shift; i=$((i + 1)); f=0; IFS=; for x in $g; do case $x in /*) ;; *) x=./$x ;; esac; )sh"
            R"sh(if [ -e "$x" ] || [ -L "$x" ]; then set -- "$@" "$x"; f=1; fi; done; unset IFS; )sh"
            R"sh([ "$f" = 1 ] || [ "$m" != list ] || printf 'warning: nothing at %s in %s
' "$g" "$PWD" >&2; done; [ "$#" -gt 0 ] || exit 3; )sh"
            R"sh(if [ "$m" = list ]; then exec find "$@" ! -type d -print0; fi; exec tar -cf - -- "$@")sh",
      "drydock",
      base,
      root,
      list ? "list" : "tar"};
  command.insert(command.end(), paths.begin(), paths.end());
  return in_place(container, std::move(command));
}

Argv untar_workspace(const std::string& container, const std::string& base, const std::string& at)
{
  return in_place(container,
                  {"sh", "-c",
                   std::string(kResolveAt) + R"sh(at "$2"; mkdir -p -- "$p" && cd -- "$p" && exec tar -xf -)sh",
                   "drydock", base, at},
                  true);
}

Argv read_file_in(const std::string& container, const std::string& base, const std::string& file)
{
  return in_place(container,
                  {"sh", "-c", std::string(kResolveAt) + R"sh(at "$2"; exec cat -- "$p")sh", "drydock", base, file});
}

Argv copy_out(const std::string& container, const std::string& path, const std::string& destination)
{
  return {"docker", "cp", "--", container + ":" + path, destination};
}

Argv copy_into(const std::string& source_dir, const std::string& container, const std::string& dir)
{
  return {"docker", "cp", "--", source_dir + "/.", container + ":" + dir};
}

Argv copy_file_into(const std::string& file, const std::string& container, const std::string& path)
{
  return {"docker", "cp", "--", file, container + ":" + path};
}

Argv give_to(const std::string& container, const std::string& owner, const std::string& dir)
{
  return {"docker", "exec", "--user", "0", "--", container, "chown", "-R", owner, "--", dir};
}

Argv create_network(const std::string& name, const std::string& run_id, const std::string& owner)
{
  return {"docker", "network", "create", "--label", run_label(run_id), "--label", pid_label(owner), "--", name};
}

Argv remove_networks(const std::vector<std::string>& names)
{
  Argv argv{"docker", "network", "rm", "--"};
  argv.insert(argv.end(), names.begin(), names.end());
  return argv;
}

Argv networks_of_run(const std::string& run_id)
{
  return {"docker", "network", "ls", "--quiet", "--no-trunc", "--filter", "label=" + run_label(run_id)};
}

Argv volumes_of_run(const std::string& run_id)
{
  return {"docker", "volume", "ls", "--quiet", "--filter", "label=" + run_label(run_id)};
}

Argv remove_volumes(const std::vector<std::string>& names)
{
  Argv argv{"docker", "volume", "rm", "--force", "--"};
  argv.insert(argv.end(), names.begin(), names.end());
  return argv;
}

Argv labelled_containers()
{
  return {"docker",   "ps",
          "--all",    "--no-trunc",
          "--filter", std::string("label=") + kRunLabel,
          "--format", std::string("{{.ID}} {{.Label \"") + kRunLabel + "\"}} {{.Label \"" + kPidLabel + "\"}}"};
}

Argv labelled_networks()
{
  return {"docker",   "network",
          "ls",       "--no-trunc",
          "--filter", std::string("label=") + kRunLabel,
          "--format", std::string("{{.ID}} {{.Label \"") + kRunLabel + "\"}} {{.Label \"" + kPidLabel + "\"}}"};
}

Argv labelled_volumes()
{
  return {"docker",
          "volume",
          "ls",
          "--filter",
          std::string("label=") + kRunLabel,
          "--format",
          std::string("{{.Name}} {{.Label \"") + kRunLabel + "\"}} {{.Label \"" + kPidLabel + "\"}}"};
}

Argv containers_of_run(const std::string& run_id)
{
  return {"docker", "ps", "--all", "--quiet", "--no-trunc", "--filter", "label=" + run_label(run_id)};
}

Argv remove_containers(const std::vector<std::string>& ids)
{
  Argv argv{"docker", "rm", "--force", "--volumes", "--"};
  argv.insert(argv.end(), ids.begin(), ids.end());
  return argv;
}

} // namespace drydock::docker

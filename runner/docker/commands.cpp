#include "docker/commands.hpp"

namespace drydock::docker {

Argv server_version()
{
  return {"docker", "version", "--format", "{{.Server.APIVersion}} {{.Server.Version}}"};
}

Argv bridge_network()
{
  return {"docker", "network", "inspect", "bridge", "--format",
          "{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} "
          "{{index .Options \"com.docker.network.bridge.name\"}}"};
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

Argv run_container(const ContainerSpec& spec)
{
  // --init: the command is not PID 1, so SIGTERM from an interrupt stops
  // it instead of being ignored; --rm: gone once it exits.
  Argv argv{"docker", "run", "--rm", "--init", "--name", spec.name, "--label", std::string(kRunLabel) + "=" + spec.run_id,
            "--label", "io.drydock.step=" + spec.step};
  for (const auto& name : spec.env_names) {
    argv.insert(argv.end(), {"--env", name});
  }
  for (const auto& dir : spec.mounts) {
    argv.insert(argv.end(), {"--volume", dir + ":" + dir});
  }
  for (const auto& [alias, address] : spec.hosts) {
    argv.insert(argv.end(), {"--add-host", alias + ":" + address});
  }
  if (!spec.workdir.empty()) {
    argv.insert(argv.end(), {"--workdir", spec.workdir});
  }
  argv.push_back("--");
  argv.push_back(spec.image);
  argv.insert(argv.end(), spec.command.begin(), spec.command.end());
  return argv;
}

Argv containers_of_run(const std::string& run_id)
{
  return {"docker", "ps", "--all", "--quiet", "--no-trunc", "--filter", "label=" + std::string(kRunLabel) + "=" + run_id};
}

Argv remove_containers(const std::vector<std::string>& ids)
{
  Argv argv{"docker", "rm", "--force", "--volumes", "--"};
  argv.insert(argv.end(), ids.begin(), ids.end());
  return argv;
}

} // namespace drydock::docker

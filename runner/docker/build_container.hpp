#pragma once
// The build container's life on the engine: started detached before the
// first step, asked what it is (its $HOME, whether it can run drydock's
// step wrapper), given a `sudo` stand-in when it runs as root without one,
// and removed with the run's other containers (by label) at the end.
#include <tl/expected.hpp>

#include <string>

#include "docker/client.hpp"
#include "docker/commands.hpp"

namespace drydock::docker {

struct BuildContainerFacts {
  std::string home;           // $HOME in it: what ~ means for its steps
  std::string path;           // $PATH in it
  bool sudo_stand_in = false; // drydock put /usr/local/bin/sudo there
};

// Starts the container and probes it. An image the engine lacks, a missing
// sh or setsid (util-linux) is an error naming the image; the caller
// removes whatever was started, with the run's containers.
tl::expected<BuildContainerFacts, std::string> start_build_container(const Client& client,
                                                                     const BuildContainerSpec& spec);

// The file a step's process group id goes to, inside the container.
std::string step_pid_file(std::size_t step);

} // namespace drydock::docker

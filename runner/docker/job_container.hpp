#pragma once
// A job's containers on the engine: the job container its steps run in
// (`docker exec`) and its sidecars in its network namespace, started
// together and removed together; and a checkout copied into it.
#include <tl/expected.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "docker/client.hpp"
#include "docker/commands.hpp"

namespace drydock::docker {

// The engine's name for a job container of a run, and for its sidecars.
std::string job_container_name(const std::string& run_id, const std::string& container);
std::string sidecar_name(const std::string& run_id, const std::string& container, const std::string& sidecar);

struct JobContainerStart {
  JobContainerSpec container;
  std::vector<SidecarSpec> sidecars;
};

// Starts the job container, then each sidecar beside it. An image the
// engine lacks, or a container that cannot start, is an error naming it;
// what was started stays for the caller to remove (remove_job_containers,
// or the run's end).
using Say = std::function<void(const std::string& line)>;
tl::expected<void, std::string> start_job_containers(const Client& client, const JobContainerStart& start,
                                                     const Say& say);

// Removes the containers; those already gone are not an error. Returns how
// many were removed (none: the job's containers never started).
tl::expected<int, std::string> remove_job_containers(const Client& client, const std::vector<std::string>& names);

// The contents of `source_dir` copied to `dir` in the container (~ is its
// home; made when missing), owned by the container's user. Returns the
// absolute path they went to.
tl::expected<std::string, std::string> copy_tree_into(const Client& client, const std::string& source_dir,
                                                      const std::string& container, const std::string& dir);

// What `path` (from `base` when relative; ~ the container's home) holds in
// the container, copied to `into` here (made when missing): a file goes
// into it, a directory's contents do. Returns the absolute path copied, or
// nothing when there is nothing at it.
tl::expected<std::optional<std::string>, std::string> copy_tree_out(const Client& client, const std::string& container,
                                                                    const std::string& base, const std::string& path,
                                                                    const std::string& into);

} // namespace drydock::docker

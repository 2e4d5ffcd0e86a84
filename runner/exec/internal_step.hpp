#pragma once
// The protocol between `drydock run` and the `drydock internal step` child
// it starts for each step of drydock's own (image, database, service,
// publish): one JSON document on the child's stdin (values stay out of
// argv, where `ps` would show them). Both sides use this file only.
#include <tl/expected.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/pipeline.hpp"
#include "services/postgres_cluster.hpp"

namespace drydock::exec {

struct InternalStep {
  pipeline::Action action;
  std::string base_dir; // the action's relative paths start here: the child's working directory
  std::string run_tag;  // images of this run: repository:run_tag
  std::string run_id;   // labels of the containers it starts
  std::string owner;
  std::string network;                          // the run's network, or empty
  int database_port = 0;                        // a database container's port on loopback
  std::string tools_dir;                        // the pipeline's tools, for the job containers it starts
  std::optional<services::ClusterSpec> cluster; // the throwaway cluster's directory, port, addresses
};

// {self_exe, "internal", "step"}
std::vector<std::string> internal_argv(const std::string& self_exe);

// The document, or why it cannot be made (a value that is not UTF-8).
// Paths of the run (the cluster's directory) travel %-escaped, so any bytes do.
tl::expected<std::string, std::string> encode(const InternalStep& step);
tl::expected<InternalStep, std::string> decode_internal_step(std::string_view text);

} // namespace drydock::exec

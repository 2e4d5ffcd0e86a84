#pragma once
// What one run of a pipeline knows beyond the pipeline itself: drydock's
// own path, the complete environment, and what setup found out about the
// engine, the run's network and the database.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "env/environment.hpp"
#include "pipeline/pipeline.hpp"
#include "services/postgres_cluster.hpp"
#include "services/postgres_spare.hpp"

namespace drydock::exec {

// What containerized steps and drydock's own steps need from the engine
// and the database; set up by prepare_run (exec/run_setup.hpp).
struct ContainerSetup {
  std::string run_id;  // the value of every container's io.drydock.run label
  std::string owner;   // drydock's "PID:START", the io.drydock.pid label (docker::owner_of)
  std::string network; // the run's network, when it has services
  bool network_created = false;
  bool database_on_network = false;              // the database is a container on the network, not on the host
  std::string host_address;                      // --add-host ALIAS:<this>: host-gateway or the bridge gateway
  std::map<std::string, std::string> image_refs; // ImageBuild name -> repository:run tag
  std::string database_alias;                    // postgresdb
  std::string database_env;                      // DATABASE_URL
  std::string database_url;                      // as containers reach it; empty without a database
  int database_port = 0;                         // a database container's port on loopback
  // What steps in the build container get instead of the host's PG* and URL.
  std::vector<std::pair<std::string, std::string>> database_env_in_containers;
  std::string build_container; // its name, when the pipeline has one and it was started
  std::string build_home;      // $HOME in it: what ~ means there
  std::string build_path;      // $PATH in it
  bool job_containers = false; // the pipeline starts job containers: the run's end removes what is left of them
};

struct RunContext {
  std::string self_exe;  // drydock's own steps run as `drydock internal step`
  std::string host_home; // this machine's HOME and PATH, before the pipeline's
  std::string host_path;
  env::Environment env;                   // the host's, the pipeline's over it, then the database's
  std::vector<std::string> pipeline_vars; // the names containers get
  std::string run_tag;                    // images of this run are tagged repository:run_tag
  ContainerSetup containers;
  std::optional<services::ClusterSpec> cluster;       // the throwaway cluster to start
  std::string cluster_dir;                            // made for this run's cluster: removed at the end
  int cluster_port_fd = -1;                           // holds the cluster's port for the run (services::reserve_port)
  std::unique_ptr<services::SpareCopy> cluster_spare; // the next run's copy of the template, made meanwhile
  std::vector<std::string> setup_notes;               // what setup tells the user (the build container's facts)
  // Where drydock's own steps append their events (plan::kStepEventsEnv);
  // empty: they report none (a dry run).
  std::string step_events_dir;
  // Where the pipeline's tools are written for its steps (the record's
  // tools/); empty: they are not (a dry run).
  std::string tools_dir;
};

// The host's environment with the pipeline's variables over it.
RunContext make_run_context(const pipeline::Pipeline& pipeline, const std::vector<std::string>& host_env,
                            std::string self_exe);

} // namespace drydock::exec

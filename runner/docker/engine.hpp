#pragma once
// The Docker engine a run uses: whether one answers (DOCKER_HOST is
// respected, as the docker client does), what it supports, and where its
// default bridge is, so containers can reach services on this host.
#include <tl/expected.hpp>

#include <string>

#include "docker/client.hpp"

namespace drydock::docker {

struct EngineFacts {
  std::string api_version; // "1.41"
  std::string server_version;
  std::string subnet;        // "172.17.0.0/16"
  std::string gateway;       // "172.17.0.1": this host, seen from containers
  bool host_gateway = false; // `--add-host NAME:host-gateway` works (API 1.41+, engine 20.10)
};

// Asks the engine; the error is one line a user can act on. The bridge's
// addresses are asked for only when `need_bridge` or when the engine lacks
// host-gateway (one docker call less on the common path).
tl::expected<EngineFacts, std::string> probe_engine(const Client& client, const std::string& docker_host,
                                                    bool need_bridge);

// What `--add-host ALIAS:...` gets: host-gateway where the engine has it,
// else the bridge gateway's address.
std::string host_address_for_containers(const EngineFacts& facts);

// Compares dotted versions numerically: "1.41" >= "1.40".
bool version_at_least(const std::string& version, int major, int minor);

// Parses `docker network inspect bridge` as commands.hpp formats it.
struct BridgeFacts {
  std::string subnet;
  std::string gateway;
  std::string interface;
};
BridgeFacts parse_bridge(const std::string& output);

// Removes every container carrying this run's label; returns how many.
tl::expected<int, std::string> remove_run_containers(const Client& client, const std::string& run_id);

} // namespace drydock::docker

#pragma once
// What runs left behind: containers, networks and volumes carrying
// drydock's run label, and throwaway cluster directories, each with the pid
// of the drydock that made it. A resource whose drydock is gone (killed
// with -9, say) is a leftover; `drydock clean` removes those.
#include <tl/expected.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "docker/client.hpp"

namespace drydock::docker {

struct Labelled {
  std::string kind; // container, network, volume, cluster, credentials
  std::string id;   // docker id or name; the directory of a cluster
  std::string run;
  int pid = 0;
  std::uint64_t start = 0; // the owner's start time; 0 when not recorded
};

// A process's start time in clock ticks since boot (/proc/PID/stat), or 0.
std::uint64_t process_start_time(int pid);

// "PID:START": who owns a resource. A pid alone could be reused by any
// process after the owner dies; with its start time it cannot.
std::string owner_of(int pid);

// "ID RUN OWNER" lines as commands.hpp's labelled_* print them.
std::vector<Labelled> parse_labelled(const std::string& kind, const std::string& output);

// Whether the owner still runs: the pid is alive (not a zombie) and
// started at the recorded time, whatever the program's name; for a bare
// pid (recorded by an older drydock), a live process named drydock.
bool owner_alive(int pid, std::uint64_t start);

// Every labelled docker resource; an error when no engine answers.
tl::expected<std::vector<Labelled>, std::string> labelled_resources(const Client& client);

// Directories under tmp_dir that a drydock owns (a drydock.owner file
// holds its pid): throwaway clusters (drydock-postgres-*) and the
// DOCKER_CONFIG of a publish step (drydock-docker-config-*, credentials).
std::vector<Labelled> owned_directories(const std::string& tmp_dir);

// The candidates to remove: those whose owner is gone (every one with
// `all`), and how many were kept because their run is still going.
struct LeftoverSelection {
  std::vector<Labelled> leftovers;
  int kept = 0;
};
LeftoverSelection select_leftovers(const std::vector<Labelled>& candidates, bool all);

using Log = std::function<void(const std::string& line)>;

// Removes them (containers first, then networks, volumes and clusters);
// the number that could not be removed.
int remove_resources(const Client& client, const std::vector<Labelled>& resources, const Log& log);

} // namespace drydock::docker

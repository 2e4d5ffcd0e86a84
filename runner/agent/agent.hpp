#pragma once
// `drydock agent`: the loop that turns queued builds into runs. It claims a
// build from the store when a slot is free, checks its commit out of the
// repository's mirror into a fresh checkout, and runs it as a child
// `drydock run` (the same path as `drydock run --fresh`) with the build's
// number and record folder given; the child's output is the build's log.
// Cancel is SIGTERM to the child (which cleans up as on Ctrl-C); the child
// stops by itself if the agent dies (--parent-pid). Leases are renewed by
// heartbeats; at start, builds of an earlier instance are recovered.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/sources.hpp"
#include "agent/status_poster.hpp"
#include "agent/store.hpp"
#include "agent/web.hpp"

namespace drydock::agent {

struct AgentOptions {
  std::vector<RepoSpec> repos;
  std::string state_dir;
  std::string name;     // this machine's agent name (several agents share a database)
  std::string instance; // NAME/PID:START: who claims builds
  int jobs = 1;
  bool poll = true;
  std::chrono::milliseconds poll_interval{60000};
  bool coalesce = true;      // a ref pushed again while queued builds its newest commit only
  bool requeue_lost = false; // builds of a dead agent: queued again rather than interrupted
  std::chrono::milliseconds lease{30000};
  std::chrono::milliseconds stop_grace{60000}; // on SIGTERM: builds get this long to clean up
  std::string drydock;                         // the drydock binary each build runs
  std::vector<std::string> env;                // the builds' environment
  std::optional<WebOptions> web;               // none: no web UI or API
  std::optional<StatusTarget> statuses;
  std::string base_url; // target_url's base in statuses (--public-url); empty: http://HOST:PORT listened on
  std::function<void(const std::string&)> say; // a line for the agent's own log
};

// Where a build's files go: STATE/builds/ID.
std::string build_dir_of(const std::string& state_dir, std::int64_t id);

// The build's status from drydock run's exit status (0 success, 1 failed,
// 130 interrupted, or canceled when asked; anything else is an error).
BuildStatus status_of_exit(int exit_code, bool cancel_requested);

// The config a checkout builds: its circle.yml, or why none can be built.
Result<std::string> config_of_checkout(const std::string& checkout_dir);

// Runs until SIGINT, SIGTERM or SIGHUP; its exit status (130 after a
// signal, 1 when it could not start).
int run_agent(const AgentOptions& options, Store& store);

} // namespace drydock::agent

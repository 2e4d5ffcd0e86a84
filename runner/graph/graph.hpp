#pragma once
// Config -> steps and edges. The graph is immutable once built; one run's
// state lives in plan::Plan.
#include <optional>
#include <string>
#include <vector>

#include "config/model.hpp"
#include "util/diagnostic.hpp"

namespace drydock::graph {

enum class Phase { machine, checkout, dependencies, database, compile, test, deployment };

std::string_view phase_name(Phase phase);

// In test, every command runs even after one failed; elsewhere a failure
// stops the build (CircleCI 1.0).
inline bool keeps_going_after_failure(Phase phase) { return phase == Phase::test; }

// What a step does: a command from the config, or one of the steps drydock
// adds for its extension keys.
enum class StepKind {
  command,  // a config command, in bash on the host or in a container
  image,    // make drydock.images[subject] present (cache, load or build)
  database, // start the throwaway PostgreSQL cluster
  publish,  // tag and push drydock.publish[subject] (a deployment section's `publish`)
  service,  // start drydock.services[subject] and wait until it is ready
};

struct Step {
  std::size_t index = 0;
  std::string name;  // the drydock id, or where it is written: "test.override[1]"
  std::string list;  // the command list: "test.override"
  Phase phase = Phase::machine;
  config::Command command; // for drydock's own steps: a description and the key's position
  StepKind kind = StepKind::command;
  std::string subject; // the image name of an image step, the entry of a publish step
};

struct Graph {
  std::vector<Step> steps; // in phase order
  std::vector<std::vector<std::size_t>> deps;       // deps[i]: the steps i waits for
  std::vector<std::vector<std::size_t>> dependents; // the reverse edges
};

// Builds the graph of every command, with the deployment section given (if
// any). Edges: phases in order, and within a phase pre -> override -> post;
// inside a list each command waits for the one before it, unless it is
// `concurrent`, when it starts with it; `requires` adds edges (an unknown
// id is left to the config checks; an id in a deployment section this graph
// lacks is an error). A cycle is an error naming every step on it with its
// position.
// drydock's own steps run beside the phases: `image:NAME` for each
// drydock.images entry starts after checkout and the phases after
// dependencies wait for it; `postgresql` (the throwaway cluster) starts
// after machine and the database phase waits for it. A step that uses an
// image or the database waits for that step too. `service:NAME` steps start
// after machine, after the services they depend on; only the steps that
// list a service wait for it. The selected deployment
// section's `publish` entries become `publish:NAME` steps before its
// commands, which wait for them.
Graph build_graph(const config::Config& config, std::optional<std::size_t> deployment, Diagnostics& diags);

// The steps in an order that respects every edge (the graph has no cycle).
std::vector<std::size_t> topological_order(const Graph& graph);

} // namespace drydock::graph

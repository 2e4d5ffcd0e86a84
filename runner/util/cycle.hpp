#pragma once
// One cycle finder for every graph drydock checks (steps, services'
// depends_on): depth-first from each node in order, successors in order.
#include <cstddef>
#include <functional>
#include <vector>

namespace drydock::util {

using Successors = std::function<const std::vector<std::size_t>&(std::size_t node)>;

// The nodes of the first cycle found, in edge order, the first of them not
// repeated at the end; empty when there is none.
std::vector<std::size_t> find_cycle(std::size_t nodes, const Successors& successors);

} // namespace drydock::util

#include "util/cycle.hpp"

#include <algorithm>

namespace drydock::util {
namespace {

enum class Mark { unvisited, on_path, done };

// Iterative, so a long chain of steps cannot overflow the stack.
bool walk(std::size_t start, const Successors& successors, std::vector<Mark>& marks, std::vector<std::size_t>& path)
{
  std::vector<std::size_t> next_edge{0};
  path = {start};
  marks[start] = Mark::on_path;
  while (!path.empty()) {
    const std::size_t node = path.back();
    const auto& out = successors(node);
    if (next_edge.back() == out.size()) {
      marks[node] = Mark::done;
      path.pop_back();
      next_edge.pop_back();
      continue;
    }
    const std::size_t next = out[next_edge.back()++];
    if (marks[next] == Mark::on_path) {
      path.push_back(next);
      return true;
    }
    if (marks[next] == Mark::unvisited) {
      marks[next] = Mark::on_path;
      path.push_back(next);
      next_edge.push_back(0);
    }
  }
  return false;
}

} // namespace

std::vector<std::size_t> find_cycle(std::size_t nodes, const Successors& successors)
{
  std::vector<Mark> marks(nodes, Mark::unvisited);
  std::vector<std::size_t> path;
  for (std::size_t start = 0; start < nodes; ++start) {
    if (marks[start] == Mark::unvisited && walk(start, successors, marks, path)) {
      const auto first = std::find(path.begin(), path.end(), path.back());
      return {first, path.end() - 1};
    }
  }
  return {};
}

} // namespace drydock::util

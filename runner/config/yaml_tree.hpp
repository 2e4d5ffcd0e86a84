#pragma once
// YAML text -> a small immutable tree that keeps a position on every node.
//
// Built from yaml-cpp's event parser rather than YAML::Load because drydock
// needs what YAML::Node drops: the position of an alias *use* (not only of its
// anchor), duplicate keys (yaml-cpp keeps both silently), and `<<` merge keys
// (yaml-cpp 0.7 does not resolve them).
#include <memory>
#include <string>
#include <vector>

#include "util/diagnostic.hpp"
#include "util/source.hpp"

namespace drydock::config {

enum class NodeKind { null, scalar, sequence, mapping };

struct Node;
using NodePtr = std::shared_ptr<const Node>;

struct Entry {
  NodePtr key;
  NodePtr value;
  bool merged = false; // came in through a `<<` merge key
};

struct Node {
  NodeKind kind = NodeKind::null;
  Pos pos;
  int length = 1;             // characters to underline in diagnostics
  std::string text;           // scalar value
  std::string tag;            // "?" plain, "!" quoted or block, or an explicit tag
  std::vector<NodePtr> items; // sequence items
  std::vector<Entry> entries; // mapping entries, merge keys resolved

  bool is_null() const { return kind == NodeKind::null; }
  bool is_scalar() const { return kind == NodeKind::scalar; }
  bool is_sequence() const { return kind == NodeKind::sequence; }
  bool is_mapping() const { return kind == NodeKind::mapping; }
  bool is_plain() const { return tag == "?"; }
  // The value under a scalar key, or nullptr.
  const Node* find(std::string_view key) const;
};

// Limits that keep hostile input from exhausting the stack or memory.
struct TreeLimits {
  int max_depth = 64;
  // Nodes reachable when every alias is expanded ("billion laughs").
  long long max_expanded_nodes = 4'000'000;
};

// Parses one YAML document. Problems go to diags; the returned tree is null
// when the text could not be parsed at all.
NodePtr parse_yaml(const SourceFile& source, Diagnostics& diags, const TreeLimits& limits = {});

// "a mapping", "a list", "a string", "null" ... for messages.
std::string describe_kind(const Node& node);

} // namespace drydock::config

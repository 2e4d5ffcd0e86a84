#pragma once
// The JSON Schema in schema/drydock.schema.json, compiled in, and the bridge
// from the YAML tree to valijson.
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/yaml_tree.hpp"

namespace drydock::config {

// The schema's text as built into the binary (generated from schema/).
std::string_view schema_text();

enum class ExtensionKeys { keep, drop };

// A mapping key as a JSON name: its text, or "<a list>" for a key that is
// not a scalar (schema paths name such keys so).
std::string json_key(const Node& key);

// The tree as JSON, scalars typed by the YAML 1.2 core schema; "x-" keys
// left out on request.
nlohmann::json to_json(const Node& node, ExtensionKeys extension_keys = ExtensionKeys::keep);

struct SchemaIssue {
  std::vector<std::string> path; // keys and indexes from the root
  std::string message;
};

// The issue in drydock's words where valijson's are known ("a string ('x')
// is not allowed here" for "Value type not permitted by 'type'
// constraint."); `node` is where it is, or nullptr.
std::string describe_issue(const SchemaIssue& issue, const Node* node);

class SchemaValidator {
public:
  // Parses a schema; throws std::exception on a malformed schema (a bug in
  // drydock, not in the user's input).
  explicit SchemaValidator(std::string_view schema_json);
  ~SchemaValidator();
  SchemaValidator(const SchemaValidator&) = delete;
  SchemaValidator& operator=(const SchemaValidator&) = delete;

  // The most specific issues only: one per failing place. Keys starting
  // with "x-" are left out (see schema.cpp).
  std::vector<SchemaIssue> validate(const Node& root) const;

  // The validator for the built-in schema, parsed once.
  static const SchemaValidator& builtin();

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// The nodes that schema paths lead to. Each mapping's keys are indexed the
// first time a path goes through it, so many issues in one big mapping cost
// one pass over it, not one each.
class PathIndex {
public:
  explicit PathIndex(const Node& root);

  // The node at `path`, or nullptr; `key_pos` gets the position of the last
  // mapping key on the way (where "missing key" issues belong).
  const Node* node_at(const std::vector<std::string>& path, Pos* key_pos = nullptr);
  // The path as the loader writes paths: "test.override[0].pwd".
  std::string format(const std::vector<std::string>& path);

private:
  const Node* child(const Node& node, const std::string& part, Pos* key_pos);
  const Entry* entry(const Node& mapping, const std::string& key);

  const Node& m_root;
  std::unordered_map<const Node*, std::unordered_map<std::string, const Entry*>> m_keys;
};

} // namespace drydock::config

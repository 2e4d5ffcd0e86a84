#pragma once
// The JSON Schema in schema/drydock.schema.json, compiled in, and the bridge
// from the YAML tree to valijson.
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/yaml_tree.hpp"

namespace drydock::config {

// The schema's text as built into the binary (generated from schema/).
std::string_view schema_text();

enum class ExtensionKeys { keep, drop };

// The tree as JSON, scalars typed by the YAML 1.2 core schema; "x-" keys
// left out on request.
nlohmann::json to_json(const Node& node, ExtensionKeys extension_keys = ExtensionKeys::keep);

struct SchemaIssue {
  std::vector<std::string> path; // keys and indexes from the root
  std::string message;
};

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

// The node a schema path leads to, or nullptr; `key_pos` gets the position
// of the last mapping key on the way (where "missing key" issues belong).
// A schema path as the loader writes paths: "test.override[0].pwd".
std::string format_path(const Node& root, const std::vector<std::string>& path);

const Node* node_at_path(const Node& root, const std::vector<std::string>& path, Pos* key_pos = nullptr);

} // namespace drydock::config

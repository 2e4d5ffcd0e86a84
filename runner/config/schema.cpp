#include "config/schema.hpp"

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <charconv>
#include <cstdlib>

#include "config/scalar.hpp"

namespace drydock::config {

nlohmann::json to_json(const Node& node)
{
  switch (node.kind) {
  case NodeKind::null: return nullptr;
  case NodeKind::sequence: {
    auto array = nlohmann::json::array();
    for (const auto& item : node.items) {
      array.push_back(to_json(*item));
    }
    return array;
  }
  case NodeKind::mapping: {
    auto object = nlohmann::json::object();
    for (const auto& entry : node.entries) {
      const std::string key = entry.key->is_scalar() ? entry.key->text : "<" + describe_kind(*entry.key) + ">";
      object[key] = to_json(*entry.value);
    }
    return object;
  }
  case NodeKind::scalar: break;
  }
  switch (resolve_scalar(node)) {
  case ScalarType::null: return nullptr;
  case ScalarType::boolean: return *scalar_as_bool(node);
  case ScalarType::integer:
    if (const auto value = scalar_as_integer(node)) {
      return *value;
    }
    return std::strtod(node.text.c_str(), nullptr); // too large for 64 bits
  case ScalarType::floating: return std::strtod(node.text.c_str(), nullptr);
  case ScalarType::string: break;
  }
  return node.text;
}

struct SchemaValidator::Impl {
  valijson::Schema schema;
};

SchemaValidator::SchemaValidator(std::string_view schema_json) : m_impl(std::make_unique<Impl>())
{
  const auto document = nlohmann::json::parse(schema_json);
  valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
  valijson::adapters::NlohmannJsonAdapter adapter(document);
  parser.populateSchema(adapter, m_impl->schema);
}

SchemaValidator::~SchemaValidator() = default;

const SchemaValidator& SchemaValidator::builtin()
{
  static const SchemaValidator validator(schema_text());
  return validator;
}

namespace {

// valijson names places as "<root>", "[key]", "[0]"; keep the bare parts.
std::vector<std::string> strip_context(const std::vector<std::string>& context)
{
  std::vector<std::string> path;
  for (std::size_t i = 1; i < context.size(); ++i) {
    const auto& part = context[i];
    path.push_back(part.size() >= 2 && part.front() == '[' && part.back() == ']' ? part.substr(1, part.size() - 2)
                                                                                   : part);
  }
  return path;
}

bool is_prefix(const std::vector<std::string>& prefix, const std::vector<std::string>& path)
{
  return prefix.size() <= path.size() && std::equal(prefix.begin(), prefix.end(), path.begin());
}

bool is_generic(const std::string& message) { return message.starts_with("Failed to validate against"); }

} // namespace

std::vector<SchemaIssue> SchemaValidator::validate(const nlohmann::json& document) const
{
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter adapter(document);
  validator.validate(m_impl->schema, adapter, &results);

  std::vector<SchemaIssue> all;
  valijson::ValidationResults::Error error;
  while (results.popError(error)) {
    all.push_back({strip_context(error.context), error.description});
  }
  // valijson reports a failure at every level up to the root, and several
  // for one place under oneOf; keep the deepest places, one issue each,
  // preferring a specific message over "Failed to validate against ...".
  std::vector<SchemaIssue> deepest;
  for (const auto& issue : all) {
    const bool has_deeper = std::any_of(all.begin(), all.end(), [&](const SchemaIssue& other) {
      return other.path.size() > issue.path.size() && is_prefix(issue.path, other.path);
    });
    if (has_deeper) {
      continue;
    }
    const auto same_place = std::find_if(deepest.begin(), deepest.end(),
                                         [&](const SchemaIssue& kept) { return kept.path == issue.path; });
    if (same_place == deepest.end()) {
      deepest.push_back(issue);
    } else if (is_generic(same_place->message) && !is_generic(issue.message)) {
      same_place->message = issue.message;
    }
  }
  return deepest;
}

std::string format_path(const Node& root, const std::vector<std::string>& path)
{
  std::string out;
  const Node* node = &root;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const bool index = node != nullptr && node->is_sequence();
    out += index ? "[" + path[i] + "]" : (out.empty() ? "" : ".") + path[i];
    node = node != nullptr ? node_at_path(*node, {path[i]}) : nullptr;
  }
  return out;
}

const Node* node_at_path(const Node& root, const std::vector<std::string>& path, Pos* key_pos)
{
  const Node* node = &root;
  for (const auto& part : path) {
    if (node->is_sequence()) {
      std::size_t index = 0;
      const auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), index);
      if (error != std::errc() || end != part.data() + part.size() || index >= node->items.size()) {
        return nullptr;
      }
      node = node->items[index].get();
    } else if (node->is_mapping()) {
      const Entry* found = nullptr;
      for (const auto& entry : node->entries) {
        if (entry.key->is_scalar() && entry.key->text == part) {
          found = &entry;
          break;
        }
      }
      if (found == nullptr) {
        return nullptr;
      }
      if (key_pos != nullptr) {
        *key_pos = found->key->pos;
      }
      node = found->value.get();
    } else {
      return nullptr;
    }
  }
  return node;
}

} // namespace drydock::config

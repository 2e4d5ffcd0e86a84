#include "config/schema.hpp"

#include <fmt/format.h>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <charconv>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>

#include "config/scalar.hpp"

namespace drydock::config {

namespace {

bool is_extension_key(const Node& key) { return key.is_scalar() && key.text.starts_with("x-"); }

// The schema allows "x-" keys in every mapping through patternProperties
// "^x-". valijson compiles a std::regex for each object it checks against
// patternProperties, which dominated validation time (over 200 ms for a
// 10,000-step file). The validator therefore checks a copy of the schema
// without the "^x-" patterns against a document without the x- keys: the
// same verdict, minus a regex compile per mapping. The shipped schema keeps
// the patterns for editors.
void drop_extension_patterns(nlohmann::json& schema)
{
  if (schema.is_object()) {
    if (auto found = schema.find("patternProperties"); found != schema.end()) {
      found->erase("^x-");
      if (found->empty()) {
        schema.erase(found);
      }
    }
  }
  if (schema.is_structured()) {
    for (auto& child : schema) {
      drop_extension_patterns(child);
    }
  }
}

// valijson runs a `pattern` through std::regex, which recurses once per
// character: a 100 KB key written as `? AAAA...` under machine.environment
// overflowed the stack. The loader checks every name the schema gives a
// pattern for (environment variable, host, image, service, step id) with
// RE2 or plain code, and says so at the name's position; the validator's
// copy therefore drops them. The shipped schema keeps them for editors.
void drop_string_patterns(nlohmann::json& schema)
{
  if (schema.is_object()) {
    if (auto found = schema.find("pattern"); found != schema.end() && found->is_string()) {
      schema.erase(found);
    }
  }
  if (schema.is_structured()) {
    for (auto& child : schema) {
      drop_string_patterns(child);
    }
  }
}

} // namespace

std::string json_key(const Node& key) { return key.is_scalar() ? key.text : "<" + describe_kind(key) + ">"; }

nlohmann::json to_json(const Node& node, ExtensionKeys extension_keys)
{
  switch (node.kind) {
  case NodeKind::null: return nullptr;
  case NodeKind::sequence: {
    auto array = nlohmann::json::array();
    for (const auto& item : node.items) {
      array.push_back(to_json(*item, extension_keys));
    }
    return array;
  }
  case NodeKind::mapping: {
    auto object = nlohmann::json::object();
    for (const auto& entry : node.entries) {
      if (extension_keys == ExtensionKeys::drop && is_extension_key(*entry.key)) {
        continue;
      }
      object[json_key(*entry.key)] = to_json(*entry.value, extension_keys);
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
  auto document = nlohmann::json::parse(schema_json);
  drop_extension_patterns(document);
  drop_string_patterns(document);
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

// valijson's messages that only say a failure happened further down.
bool is_generic(const std::string& message) { return message.starts_with("Failed to validate"); }

// A type mismatch at a place that also has failures below it comes from a
// oneOf/anyOf branch that was not taken (a real mismatch stops descent).
bool is_branch_mismatch(const std::string& message)
{
  return message == "Value type not permitted by 'type' constraint.";
}

} // namespace

namespace {

// The quoted name in "<prefix>NAME'.", or nothing if the message is not one.
std::optional<std::string> quoted_after(const std::string& message, std::string_view prefix)
{
  if (!message.starts_with(prefix) || !message.ends_with("'.") || message.size() < prefix.size() + 2) {
    return std::nullopt;
  }
  return message.substr(prefix.size(), message.size() - prefix.size() - 2);
}

} // namespace

std::string describe_issue(const SchemaIssue& issue, const Node* node)
{
  const std::string& message = issue.message;
  if (is_branch_mismatch(message) && node != nullptr) {
    return fmt::format("{} is not allowed here", describe_kind(*node));
  }
  if (const auto key = quoted_after(message, "Object contains a property that could not be validated using "
                                             "'properties' or 'additionalProperties' constraints: '")) {
    return fmt::format("unknown key '{}'", *key);
  }
  if (const auto key = quoted_after(message, "Missing required property '")) {
    return fmt::format("'{}' is missing, which is needed here", *key);
  }
  constexpr std::string_view kMaxProperties = "Object should have no more than ";
  if (message.starts_with(kMaxProperties) && message.ends_with(" properties.")) {
    const auto count = message.substr(kMaxProperties.size(), message.size() - kMaxProperties.size() - 12);
    return fmt::format("at most {} {} allowed here", count, count == "1" ? "key is" : "keys are");
  }
  return message;
}

std::vector<SchemaIssue> SchemaValidator::validate(const Node& root) const
{
  const nlohmann::json document = to_json(root, ExtensionKeys::drop);
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter adapter(document);
  validator.validate(m_impl->schema, adapter, &results);

  std::vector<SchemaIssue> all;
  valijson::ValidationResults::Error error;
  while (results.popError(error)) {
    all.push_back({strip_context(error.context), error.description});
  }
  // valijson repeats a failure at every level up to the root ("Failed to
  // validate against schema associated with property name ...") and gives
  // several for one place under oneOf. Drop a generic issue that a deeper one
  // explains, and keep one issue per place, the specific message first.
  // Sets and maps keep this n log n: a file can have one issue per line.
  std::set<std::vector<std::string>> has_deeper;
  for (const auto& issue : all) {
    for (std::size_t length = 0; length < issue.path.size(); ++length) {
      has_deeper.emplace(issue.path.begin(), issue.path.begin() + static_cast<std::ptrdiff_t>(length));
    }
  }
  std::vector<SchemaIssue> deepest;
  std::map<std::vector<std::string>, std::size_t> kept_at;
  for (auto& issue : all) {
    if (has_deeper.contains(issue.path) && (is_generic(issue.message) || is_branch_mismatch(issue.message))) {
      continue;
    }
    const auto [kept, first] = kept_at.emplace(issue.path, deepest.size());
    if (first) {
      deepest.push_back(std::move(issue));
    } else if (is_generic(deepest[kept->second].message) && !is_generic(issue.message)) {
      deepest[kept->second].message = std::move(issue.message);
    }
  }
  return deepest;
}

PathIndex::PathIndex(const Node& root) : m_root(root) {}

const Entry* PathIndex::entry(const Node& mapping, const std::string& key)
{
  auto [keys, first] = m_keys.try_emplace(&mapping);
  if (first) {
    for (const auto& entry : mapping.entries) {
      keys->second.emplace(json_key(*entry.key), &entry); // the first of duplicate keys, as the loader reads
    }
  }
  const auto found = keys->second.find(key);
  return found == keys->second.end() ? nullptr : found->second;
}

const Node* PathIndex::child(const Node& node, const std::string& part, Pos* key_pos)
{
  if (node.is_sequence()) {
    std::size_t index = 0;
    const auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), index);
    const bool valid = error == std::errc() && end == part.data() + part.size() && index < node.items.size();
    return valid ? node.items[index].get() : nullptr;
  }
  const Entry* found = node.is_mapping() ? entry(node, part) : nullptr;
  if (found == nullptr) {
    return nullptr;
  }
  if (key_pos != nullptr) {
    *key_pos = found->key->pos;
  }
  return found->value.get();
}

const Node* PathIndex::node_at(const std::vector<std::string>& path, Pos* key_pos)
{
  const Node* node = &m_root;
  for (std::size_t i = 0; i < path.size() && node != nullptr; ++i) {
    node = child(*node, path[i], key_pos);
  }
  return node;
}

std::string PathIndex::format(const std::vector<std::string>& path)
{
  std::string out;
  const Node* node = &m_root;
  for (const auto& part : path) {
    const bool index = node != nullptr && node->is_sequence();
    out += index ? "[" + part + "]" : (out.empty() ? "" : ".") + part;
    node = node != nullptr ? child(*node, part, nullptr) : nullptr;
  }
  return out;
}

} // namespace drydock::config

#include "config/reader.hpp"

#include <fmt/format.h>

#include <limits>

#include "config/scalar.hpp"
#include "env/environment.hpp"
#include "util/regex.hpp"
#include "util/spelling.hpp"

namespace drydock::config {

std::string join_path(std::string_view parent, std::string_view key)
{
  return parent.empty() ? std::string(key) : fmt::format("{}.{}", parent, key);
}

std::string index_path(std::string_view parent, std::size_t index) { return fmt::format("{}[{}]", parent, index); }

void report_key_not_plain(Reader& reader, const Node& key, std::string_view path)
{
  reader.error(key, fmt::format("keys must be plain names, but a key of '{}' is {}", path, describe_kind(key)));
}

void report_unknown_key(Reader& reader, const Node& key, std::string_view path,
                        std::span<const std::string_view> allowed, std::span<const KeyHint> hints)
{
  if (!key.is_scalar()) {
    report_key_not_plain(reader, key, path);
    return;
  }
  for (const auto& hint : hints) {
    if (hint.key == key.text) {
      reader.error(key, std::string(hint.message));
      return;
    }
  }
  const std::string where = path.empty() ? std::string("at the top level") : fmt::format("in '{}'", path);
  std::string message = fmt::format("unknown key '{}' {}", key.text, where);
  if (const auto suggestion = closest_match(key.text, allowed)) {
    message += fmt::format("; did you mean '{}'?", *suggestion);
  }
  reader.error(key, std::move(message));
}

void require_keys(Reader& reader, const Node& map, const Node& where, std::string_view path,
                  std::initializer_list<std::string_view> keys)
{
  if (!map.is_mapping()) {
    return;
  }
  for (const auto key : keys) {
    if (map.find(key) == nullptr) {
      reader.error(where, fmt::format("'{}' has no '{}', which it needs", path, key));
    }
  }
}

bool Reader::expect_mapping(const Node& node, std::string_view path)
{
  if (node.is_mapping()) {
    return true;
  }
  error(node, fmt::format("'{}' must be a mapping, got {}", path, describe_kind(node)));
  return false;
}

std::optional<Text> Reader::read_string(const Node& node, std::string_view path)
{
  if (node.is_scalar() && resolve_scalar(node) != ScalarType::null) {
    return Text{node.text, node.pos};
  }
  error(node, fmt::format("'{}' must be a string, got {}", path, describe_kind(node)));
  return std::nullopt;
}

std::optional<int> Reader::read_int(const Node& node, std::string_view path, int min, int max)
{
  const auto value = scalar_as_integer(node);
  if (value && *value >= min && *value <= max) {
    return static_cast<int>(*value);
  }
  if (value) {
    error(node, max == std::numeric_limits<int>::max()
                    ? fmt::format("'{}' must be at least {}, got {}", path, min, *value)
                    : fmt::format("'{}' must be between {} and {}, got {}", path, min, max, *value));
  } else {
    error(node, fmt::format("'{}' must be a whole number, got {}", path, describe_kind(node)));
  }
  return std::nullopt;
}

std::optional<bool> Reader::read_bool(const Node& node, std::string_view path)
{
  if (const auto value = scalar_as_bool(node)) {
    return value;
  }
  error(node, fmt::format("'{}' must be true or false, got {}", path, describe_kind(node)));
  return std::nullopt;
}

std::vector<Text> Reader::read_string_list(const Node& node, std::string_view path)
{
  std::vector<Text> values;
  if (!node.is_sequence()) {
    error(node, fmt::format("'{}' must be a list of strings, got {}", path, describe_kind(node)));
    return values;
  }
  for (std::size_t i = 0; i < node.items.size(); ++i) {
    if (auto text = read_string(*node.items[i], index_path(path, i))) {
      values.push_back(std::move(*text));
    }
  }
  return values;
}

std::vector<Text> Reader::read_string_or_list(const Node& node, std::string_view path)
{
  if (node.is_sequence()) {
    return read_string_list(node, path);
  }
  if (auto text = read_string(node, path)) {
    return {std::move(*text)};
  }
  return {};
}

std::vector<EnvVar> Reader::read_env(const Node& node, std::string_view path)
{
  std::vector<EnvVar> vars;
  if (!expect_mapping(node, path)) {
    return vars;
  }
  for (const auto& entry : node.entries) {
    const Node& key = *entry.key;
    const Node& value = *entry.value;
    if (!key.is_scalar() || !env::is_valid_name(key.text)) {
      error(key, fmt::format("'{}' is not a valid environment variable name (letters, digits and _; "
                             "not starting with a digit)",
                             key.is_scalar() ? key.text : describe_kind(key)));
      continue;
    }
    if (value.is_null()) {
      error(value, fmt::format("'{}' has no value; write {}: \"\" for an empty one", key.text, key.text));
      continue;
    }
    if (!value.is_scalar()) {
      error(value, fmt::format("'{}' must be a string, got {}", join_path(path, key.text), describe_kind(value)));
      continue;
    }
    vars.push_back({key.text, value.text, key.pos});
  }
  return vars;
}

std::vector<Pattern> Reader::read_patterns(const Node& node, std::string_view path)
{
  std::vector<Pattern> patterns;
  const auto read_one = [&](const Node& item, std::string_view item_path) {
    const auto text = read_string(item, item_path);
    if (!text) {
      return;
    }
    const std::string& value = text->value;
    if (value.size() >= 2 && value.front() == '/' && value.back() == '/') {
      std::string body = value.substr(1, value.size() - 2);
      auto regex = util::compile_regex(body);
      if (!regex) {
        error(item, fmt::format("invalid regular expression /{}/: {}", util::shown_pattern(body), regex.error()));
        return;
      }
      patterns.push_back({std::move(body), true, text->pos, std::move(*regex)});
    } else {
      patterns.push_back({value, false, text->pos, std::nullopt});
    }
  };
  if (node.is_sequence()) {
    for (std::size_t i = 0; i < node.items.size(); ++i) {
      read_one(*node.items[i], index_path(path, i));
    }
  } else {
    read_one(node, path);
  }
  return patterns;
}

} // namespace drydock::config

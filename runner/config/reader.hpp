#pragma once
// Typed reads from the YAML tree with precise diagnostics, and the
// table-driven mapping reader every section of the loader is built on.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/model.hpp"
#include "config/yaml_tree.hpp"
#include "util/diagnostic.hpp"

namespace drydock::config {

class Reader {
public:
  explicit Reader(Diagnostics& diags) : m_diags(diags) {}

  Diagnostics& diags() { return m_diags; }
  void error(const Node& node, std::string message) { m_diags.error(node.pos, std::move(message), node.length); }
  void warning(const Node& node, std::string message) { m_diags.warning(node.pos, std::move(message), node.length); }

  // Each read reports a problem at the node and returns nothing on failure.
  // `path` names the value in messages, e.g. "test.override[0].timeout".
  bool expect_mapping(const Node& node, std::string_view path);
  std::optional<Text> read_string(const Node& node, std::string_view path);
  std::optional<int> read_int(const Node& node, std::string_view path, int min, int max);
  std::optional<bool> read_bool(const Node& node, std::string_view path);
  std::vector<Text> read_string_list(const Node& node, std::string_view path);
  std::vector<EnvVar> read_env(const Node& node, std::string_view path);
  // A string, /regex/, or a list of them (branch, tag, only, ignore).
  std::vector<Pattern> read_patterns(const Node& node, std::string_view path);
  // A value that is one string or a list of strings (service command).
  std::vector<Text> read_string_or_list(const Node& node, std::string_view path);

private:
  Diagnostics& m_diags;
};

// One allowed key of a mapping kind and how to read its value.
template <class T>
struct Field {
  std::string_view key;
  void (*read)(Reader& reader, const Node& value, std::string_view path, T& out);
};

// A key that is not allowed, with a better message than "unknown key".
struct KeyHint {
  std::string_view key;
  std::string_view message;
};

// Reads every entry of a mapping through the field table. Keys starting with
// "x-" are skipped (a home for YAML anchors); other unknown keys are errors
// with a "did you mean" suggestion drawn from the table.
void report_unknown_key(Reader& reader, const Node& key, std::string_view path,
                        std::span<const std::string_view> allowed, std::span<const KeyHint> hints);
// A key that is a list, a mapping or null where names are expected.
void report_key_not_plain(Reader& reader, const Node& key, std::string_view path);

// Reports each of `keys` that the mapping lacks, at `where` (usually the key
// naming the mapping). Presence, not validity: a present but malformed value
// has its own message already.
void require_keys(Reader& reader, const Node& map, const Node& where, std::string_view path,
                  std::initializer_list<std::string_view> keys);

std::string join_path(std::string_view parent, std::string_view key);
std::string index_path(std::string_view parent, std::size_t index);

template <class T>
void read_fields(Reader& reader, const Node& map, std::string_view path, std::span<const Field<T>> fields, T& out,
                 std::span<const KeyHint> hints = {})
{
  if (!reader.expect_mapping(map, path)) {
    return;
  }
  std::vector<std::string_view> allowed;
  for (const auto& field : fields) {
    allowed.push_back(field.key);
  }
  for (const auto& entry : map.entries) {
    const Node& key = *entry.key;
    const Field<T>* field = nullptr;
    for (const auto& candidate : fields) {
      if (key.is_scalar() && key.text == candidate.key) {
        field = &candidate;
        break;
      }
    }
    if (field != nullptr) {
      field->read(reader, *entry.value, join_path(path, field->key), out);
    } else if (!(key.is_scalar() && key.text.starts_with("x-"))) {
      report_unknown_key(reader, key, path, allowed, hints);
    }
  }
}

// The key names of a field table, for the schema agreement test.
template <class T, std::size_t N>
std::vector<std::string> keys_of(const Field<T> (&fields)[N])
{
  std::vector<std::string> keys;
  for (const auto& field : fields) {
    keys.emplace_back(field.key);
  }
  return keys;
}

} // namespace drydock::config

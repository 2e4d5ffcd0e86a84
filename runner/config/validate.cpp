#include "config/validate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "config/checks.hpp"
#include "config/loader.hpp"
#include "config/schema.hpp"
#include "config/yaml_tree.hpp"

namespace drydock::config {

namespace {

void collect_positions(const Node& node, std::set<std::pair<int, int>>& out)
{
  out.emplace(node.pos.line, node.pos.column);
  for (const auto& item : node.items) {
    collect_positions(*item, out);
  }
  for (const auto& entry : node.entries) {
    collect_positions(*entry.key, out);
    collect_positions(*entry.value, out);
  }
}

// The schema and the loader are kept in agreement by a test, so a schema
// issue is normally already reported, with a better message, by the loader.
// Report only the ones no diagnostic touches (on the node, its key or inside).
void add_uncovered_schema_issues(const Node& root, const SchemaValidator& schema, Diagnostics& diags)
{
  const auto issues = schema.validate(root);
  std::set<std::pair<int, int>> flagged;
  for (const auto& d : diags.all()) {
    flagged.emplace(d.pos.line, d.pos.column);
  }
  for (const auto& issue : issues) {
    Pos key_pos = root.pos;
    const Node* node = node_at_path(root, issue.path, &key_pos);
    std::set<std::pair<int, int>> places{{key_pos.line, key_pos.column}};
    if (node != nullptr) {
      collect_positions(*node, places);
    }
    const bool covered = std::any_of(places.begin(), places.end(), [&](const auto& p) { return flagged.contains(p); });
    if (!covered) {
      const std::string where = issue.path.empty() ? "the top level" : fmt::format("'{}'", format_path(root, issue.path));
      diags.error(node != nullptr ? node->pos : key_pos, fmt::format("{} (schema, at {})", issue.message, where));
    }
  }
}

} // namespace

Validation validate_text(std::string path, std::string text)
{
  return validate_text(std::move(path), std::move(text), SchemaValidator::builtin());
}

Validation validate_text(std::string path, std::string text, const SchemaValidator& schema)
{
  Validation result{SourceFile(path, std::move(text)), {}, {}};
  Diagnostics& diags = result.diagnostics;
  const SourceFile& source = result.source;
  if (const auto bad = find_non_text_byte(source.text())) {
    diags.error(source.pos_of_offset(*bad),
                fmt::format("not a text file: byte 0x{:02x} is not valid UTF-8 text",
                            static_cast<unsigned char>(source.text()[*bad])));
    return result;
  }
  const NodePtr root = parse_yaml(source, diags);
  if (root == nullptr && diags.has_errors()) {
    return result; // the text is not YAML; nothing more can be checked
  }
  if (root == nullptr || root->is_null()) {
    diags.warning(Pos{1, 1}, "the config is empty; nothing will run");
    return result;
  }
  result.config = load_config(root.get(), path, diags);
  check_config(result.config, diags);
  add_uncovered_schema_issues(*root, schema, diags);
  diags.remove_duplicates();
  diags.sort_by_position();
  return result;
}

} // namespace drydock::config

#include "config/validate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <unordered_map>

#include "config/checks.hpp"
#include "config/loader.hpp"
#include "config/schema.hpp"
#include "config/yaml_tree.hpp"

namespace drydock::config {

namespace {

// Whether a diagnostic is on a node or anywhere inside it. Each node's
// answer is worked out once, so a big node with an issue on it and issues
// inside it is walked once in all, not once per issue.
class Coverage {
public:
  explicit Coverage(const Diagnostics& diags)
  {
    for (const auto& d : diags.all()) {
      m_flagged.emplace(d.pos.line, d.pos.column);
    }
  }

  bool flagged(Pos pos) const { return m_flagged.contains({pos.line, pos.column}); }

  bool touches(const Node& node)
  {
    if (const auto known = m_touches.find(&node); known != m_touches.end()) {
      return known->second;
    }
    const bool touched = flagged(node.pos)
                         || std::any_of(node.items.begin(), node.items.end(),
                                        [&](const NodePtr& item) { return touches(*item); })
                         || std::any_of(node.entries.begin(), node.entries.end(), [&](const Entry& entry) {
                              return touches(*entry.key) || touches(*entry.value);
                            });
    m_touches.emplace(&node, touched);
    return touched;
  }

private:
  std::set<std::pair<int, int>> m_flagged;
  std::unordered_map<const Node*, bool> m_touches;
};

// The schema and the loader are kept in agreement by a test, so a schema
// issue is normally already reported, with a better message, by the loader.
// Report only the ones no diagnostic touches: on the node, its key, inside
// it, or on the mapping or list holding it (the loader reports a malformed
// command once, at it, where the schema reports each of its keys).
void add_uncovered_schema_issues(const Node& root, const SchemaValidator& schema, Diagnostics& diags)
{
  const auto issues = schema.validate(root);
  if (issues.empty()) {
    return;
  }
  Coverage coverage(diags);
  PathIndex places(root);
  for (const auto& issue : issues) {
    Pos key_pos = root.pos;
    const Node* node = places.node_at(issue.path, &key_pos);
    const Node* holder = issue.path.empty() ? nullptr : places.node_at({issue.path.begin(), issue.path.end() - 1});
    if (coverage.flagged(key_pos) || (node != nullptr && coverage.touches(*node))
        || (holder != nullptr && coverage.flagged(holder->pos))) {
      continue;
    }
    const std::string where = issue.path.empty() ? "the top level" : fmt::format("'{}'", places.format(issue.path));
    diags.error(node != nullptr ? node->pos : key_pos,
                fmt::format("{} (schema, at {})", describe_issue(issue, node), where));
  }
}

} // namespace

Validation validate_text(const std::string& path, std::string text)
{
  return validate_text(path, std::move(text), SchemaValidator::builtin());
}

Validation validate_text(const std::string& path, std::string text, const SchemaValidator& schema)
{
  Validation result{SourceFile(path, std::move(text)), {}, {}};
  Diagnostics& diags = result.diagnostics;
  const SourceFile& source = result.source;
  if (const auto bad = find_non_text_byte(source.text())) {
    diags.error(source.pos_of_offset(*bad), fmt::format("not a text file: byte 0x{:02x} is not valid UTF-8 text",
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
  if (report_circleci_2(*root, diags)) {
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

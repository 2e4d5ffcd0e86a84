#include "config/yaml_tree.hpp"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <optional>
#include <sstream>
#include <unordered_map>

#include "config/scalar.hpp"

namespace drydock::config {

const Node* Node::find(std::string_view key) const
{
  for (const auto& entry : entries) {
    if (entry.key->is_scalar() && entry.key->text == key) {
      return entry.value.get();
    }
  }
  return nullptr;
}

std::string describe_kind(const Node& node)
{
  switch (node.kind) {
  case NodeKind::null: return "nothing (null)";
  case NodeKind::sequence: return "a list";
  case NodeKind::mapping: return "a mapping";
  case NodeKind::scalar: break;
  }
  switch (resolve_scalar(node)) {
  case ScalarType::boolean: return fmt::format("a boolean ({})", node.text);
  case ScalarType::integer:
  case ScalarType::floating: return fmt::format("a number ({})", node.text);
  default: return fmt::format("a string ('{}')", node.text);
  }
}

namespace {

struct TooDeep {};

int quoted_length(const std::string& text, const std::string& tag) { return count_chars(text) + (tag == "!" ? 2 : 0); }

// yaml-cpp 0.7 decodes the escapes \N (U+0085) and \_ (U+00A0) to one
// byte each, 0x85 and 0xA0, where UTF-8 takes two. The file is UTF-8 and
// every other escape comes out as UTF-8, so such a byte stands where a
// character starts, which no UTF-8 byte 0x80-0xBF does; it is recoded there.
std::string recode_escapes(const std::string& value)
{
  std::string out;
  for (std::size_t i = 0; i < value.size();) {
    const auto byte = static_cast<unsigned char>(value[i]);
    std::size_t length = 1;
    if (byte == 0x85 || byte == 0xA0) {
      out += '\xC2';
    } else if (byte >= 0xF0) {
      length = 4;
    } else if (byte >= 0xE0) {
      length = 3;
    } else if (byte >= 0xC0) {
      length = 2;
    }
    out.append(value, i, length);
    i += length;
  }
  return out;
}

std::string escaped_nuls(const std::string& text)
{
  std::string out;
  for (const char c : text) {
    if (c == '\0') {
      out += "\\0";
    } else {
      out += c;
    }
  }
  return out;
}

// Receives yaml-cpp's parse events and assembles the tree.
class TreeBuilder : public YAML::EventHandler {
public:
  TreeBuilder(const SourceFile& source, Diagnostics& diags, const TreeLimits& limits)
    : m_source(source), m_diags(diags), m_limits(limits)
  {
  }

  NodePtr root() const { return m_root; }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override
  {
    auto node = make(NodeKind::null, mark);
    node->tag = "?";
    finish(std::move(node), anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override
  {
    const auto found = m_anchors.find(anchor);
    if (found == m_anchors.end()) {
      // yaml-cpp rejects unknown anchors itself; an anchor still open here
      // means the alias sits inside the node it names.
      m_diags.error(to_pos(mark), "alias refers to a node that contains it (recursive alias)");
      finish(make(NodeKind::null, mark), 0);
      return;
    }
    // A shallow copy: children stay shared, but the alias site keeps its own
    // position so messages point at the use as well as the anchor.
    auto node = std::make_shared<Node>(*found->second);
    node->pos = to_pos(mark);
    node->length = 1;
    finish(std::move(node), 0);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override
  {
    auto node = make(NodeKind::scalar, mark);
    node->text = find_non_text_byte(value) ? recode_escapes(value) : value;
    node->tag = tag;
    node->length = quoted_length(node->text, tag);
    if (node->text.find('\0') != std::string::npos) {
      // A "\0" escape: a program's argv, a path and a variable end at a NUL,
      // so the command would run cut short. Later messages quote the value
      // with the escape as written, so they stay text.
      m_diags.error(node->pos, "this value holds a NUL byte (\\0), which no command, path or variable can carry",
                    node->length);
      node->text = escaped_nuls(node->text);
    }
    finish(std::move(node), anchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override
  {
    open(make(NodeKind::sequence, mark), tag, anchor);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override
  {
    open(make(NodeKind::mapping, mark), tag, anchor);
  }
  void OnMapEnd() override { close(); }

private:
  struct Open {
    std::shared_ptr<Node> node;
    YAML::anchor_t anchor = 0;
    NodePtr pending_key;
  };

  Pos to_pos(const YAML::Mark& mark) const { return m_source.pos_of_line_byte(mark.line, mark.column); }

  std::shared_ptr<Node> make(NodeKind kind, const YAML::Mark& mark) const
  {
    auto node = std::make_shared<Node>();
    node->kind = kind;
    node->pos = to_pos(mark);
    return node;
  }

  void open(std::shared_ptr<Node> node, const std::string& tag, YAML::anchor_t anchor)
  {
    node->tag = tag;
    if (static_cast<int>(m_stack.size()) == m_limits.max_depth) {
      m_diags.error(node->pos, fmt::format("nesting is deeper than {} levels", m_limits.max_depth));
      throw TooDeep{}; // the only way to stop yaml-cpp's parser from a handler
    }
    m_stack.push_back(Open{std::move(node), anchor, nullptr});
  }

  void close()
  {
    Open top = std::move(m_stack.back());
    m_stack.pop_back();
    if (top.node->is_mapping()) {
      if (top.pending_key) { // cannot happen with a well-formed event stream
        top.node->entries.push_back({top.pending_key, std::make_shared<Node>(), false});
      }
      resolve_mapping(*top.node);
    }
    finish(std::move(top.node), top.anchor);
  }

  void finish(std::shared_ptr<Node> node, YAML::anchor_t anchor)
  {
    if (anchor != 0) {
      m_anchors[anchor] = node;
    }
    if (m_stack.empty()) {
      m_root = std::move(node);
      return;
    }
    Open& parent = m_stack.back();
    if (parent.node->is_sequence()) {
      if (node->is_null() && !explicit_null_at(node->pos)) {
        node->pos = dash_before(node->pos); // `-` with nothing after it
      }
      parent.node->items.push_back(std::move(node));
    } else if (!parent.pending_key) {
      parent.pending_key = std::move(node);
    } else {
      if (node->is_null() && !explicit_null_at(node->pos)) {
        node->pos = parent.pending_key->pos; // `key:` with nothing after it
      }
      parent.node->entries.push_back({std::move(parent.pending_key), std::move(node), false});
      parent.pending_key = nullptr;
    }
  }

  bool explicit_null_at(Pos pos) const
  {
    const auto line = m_source.line_text(pos.line);
    const auto rest = line.substr(std::min(line.size(), static_cast<std::size_t>(pos.column - 1)));
    return rest.starts_with("~") || rest.starts_with("null") || rest.starts_with("Null") || rest.starts_with("NULL");
  }

  // yaml-cpp places an empty item at the next token; the item's own `-` is
  // the last non-blank character before it.
  Pos dash_before(Pos pos) const
  {
    const auto& text = m_source.text();
    std::size_t at = 0;
    for (int line = 1; line < pos.line; ++line) {
      at += m_source.line_text(line).size() + 1;
    }
    const auto line = m_source.line_text(pos.line);
    at += std::min(line.size(), static_cast<std::size_t>(pos.column - 1)); // ASCII prefix: indentation
    while (at > 0 && (text[at - 1] == ' ' || text[at - 1] == '\t' || text[at - 1] == '\n' || text[at - 1] == '\r')) {
      --at;
    }
    return at > 0 && text[at - 1] == '-' ? m_source.pos_of_offset(at - 1) : pos;
  }

  static bool is_merge_key(const Node& key) { return key.is_scalar() && key.is_plain() && key.text == "<<"; }

  void resolve_mapping(Node& map);
  void collect_merge_sources(const Node& value, std::vector<const Node*>& sources);

  const SourceFile& m_source;
  Diagnostics& m_diags;
  const TreeLimits& m_limits;
  std::vector<Open> m_stack;
  std::unordered_map<YAML::anchor_t, NodePtr> m_anchors;
  NodePtr m_root;
};

void TreeBuilder::collect_merge_sources(const Node& value, std::vector<const Node*>& sources)
{
  if (value.is_mapping()) {
    sources.push_back(&value);
    return;
  }
  if (value.is_sequence()) {
    for (const auto& item : value.items) {
      if (item->is_mapping()) {
        sources.push_back(item.get());
      } else {
        m_diags.error(item->pos, fmt::format("'<<' merges mappings only, but this item is {}", describe_kind(*item)),
                      item->length);
      }
    }
    return;
  }
  m_diags.error(value.pos, fmt::format("'<<' needs a mapping or a list of mappings, got {}", describe_kind(value)),
                value.length);
}

// Flags duplicate keys and applies `<<` merges: explicit keys win over merged
// ones, and among several merged mappings the first one wins (YAML merge spec).
void TreeBuilder::resolve_mapping(Node& map)
{
  std::vector<Entry> explicit_entries;
  std::vector<const Node*> sources;
  std::unordered_map<std::string, Pos> seen;
  for (auto& entry : map.entries) {
    if (is_merge_key(*entry.key)) {
      collect_merge_sources(*entry.value, sources);
      continue;
    }
    if (entry.key->is_scalar()) {
      const auto [it, inserted] = seen.emplace(entry.key->text, entry.key->pos);
      if (!inserted) {
        m_diags.error(entry.key->pos,
                      fmt::format("duplicate key '{}' (first defined at line {}, column {})", entry.key->text,
                                  it->second.line, it->second.column),
                      entry.key->length);
        continue;
      }
    }
    explicit_entries.push_back(std::move(entry));
  }
  for (const Node* source : sources) {
    for (const auto& entry : source->entries) {
      if (entry.key->is_scalar() && seen.emplace(entry.key->text, entry.key->pos).second) {
        explicit_entries.push_back({entry.key, entry.value, true});
      }
    }
  }
  map.entries = std::move(explicit_entries);
}

// Counts nodes as if every alias were expanded, stopping at the limit.
bool within_expansion_limit(const Node& node, long long& budget)
{
  if (--budget < 0) {
    return false;
  }
  for (const auto& item : node.items) {
    if (!within_expansion_limit(*item, budget)) {
      return false;
    }
  }
  for (const auto& entry : node.entries) {
    if (!within_expansion_limit(*entry.key, budget) || !within_expansion_limit(*entry.value, budget)) {
      return false;
    }
  }
  return true;
}

// A tab in the indentation of the line (or the one before, where yaml-cpp
// often notices it) explains most "illegal map value" errors better.
std::optional<Pos> leading_tab(const SourceFile& source, int line)
{
  for (int candidate = line; candidate >= std::max(1, line - 1); --candidate) {
    const auto text = source.line_text(candidate);
    const auto indent_end = text.find_first_not_of(" \t");
    const auto tab = text.substr(0, indent_end).find('\t');
    if (tab != std::string_view::npos) {
      return Pos{candidate, static_cast<int>(tab) + 1};
    }
  }
  return std::nullopt;
}

struct Located {
  Pos pos;
  std::string message;
};

// yaml-cpp names an unknown escape by its first byte, the one before the
// mark: a character of several bytes came out cut, in bytes that are not
// text. The whole character instead, at its backslash.
std::optional<Located> unknown_escape(const SourceFile& source, const YAML::Exception& e)
{
  const std::string_view line = source.line_text(e.mark.line + 1);
  // yaml-cpp's columns on the first line leave out a byte order mark.
  const std::size_t bom = e.mark.line == 0 && line.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  const auto at = static_cast<std::size_t>(std::max(e.mark.column, 0)) + bom; // just past the escape's first byte
  if (!e.msg.starts_with(YAML::ErrorMsg::INVALID_ESCAPE) || at < 2 || at > line.size() || line[at - 2] != '\\') {
    return std::nullopt;
  }
  std::size_t end = at;
  while (end < line.size() && (static_cast<unsigned char>(line[end]) & 0xC0) == 0x80) {
    ++end;
  }
  return Located{Pos{e.mark.line + 1, count_chars(line.substr(0, at - 2)) + 1},
                 fmt::format("YAML syntax: {}\\{}", YAML::ErrorMsg::INVALID_ESCAPE, line.substr(at - 1, end - at + 1))};
}

} // namespace

NodePtr parse_yaml(const SourceFile& source, Diagnostics& diags, const TreeLimits& limits)
{
  std::istringstream input(source.text());
  TreeBuilder builder(source, diags, limits);
  try {
    YAML::Parser parser(input);
    if (!parser.HandleNextDocument(builder)) {
      return nullptr; // no document at all: an empty file
    }
    // Look for a second document without keeping it.
    struct Ignore : YAML::EventHandler {
      std::optional<YAML::Mark> start;
      void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
      void OnDocumentEnd() override {}
      void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
      void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
      void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
      void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
      void OnSequenceEnd() override {}
      void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
      void OnMapEnd() override {}
    } rest;
    if (parser.HandleNextDocument(rest) && rest.start) {
      diags.error(source.pos_of_line_byte(rest.start->line, rest.start->column),
                  "a config file holds one YAML document, but a second one starts here");
    }
  } catch (const TooDeep&) {
    return nullptr; // already reported
  } catch (const YAML::Exception& e) {
    const Pos pos = source.pos_of_line_byte(e.mark.line, e.mark.column);
    if (const auto tab = leading_tab(source, pos.line)) {
      diags.error(*tab, "YAML syntax: a tab indents this line; YAML indents with spaces only");
      return nullptr;
    }
    if (auto escape = unknown_escape(source, e)) {
      diags.error(escape->pos, std::move(escape->message), 2);
      return nullptr;
    }
    std::string message = fmt::format("YAML syntax: {}", e.msg);
    if (const auto cut = find_non_text_byte(message)) {
      message.resize(*cut); // whatever else yaml-cpp quotes by the byte: the report stays text
    }
    if (e.msg == YAML::ErrorMsg::MAP_VALUE) {
      message += " (a 'key:' cannot start here; if this is a command's modifier, end the command with ':' "
                 "and indent its modifiers four spaces under it)";
    }
    diags.error(pos, std::move(message));
    return nullptr;
  }
  NodePtr root = builder.root();
  long long budget = limits.max_expanded_nodes;
  if (root && !within_expansion_limit(*root, budget)) {
    diags.error(root->pos,
                fmt::format("the document expands to more than {} nodes through aliases", limits.max_expanded_nodes));
    return nullptr;
  }
  return root;
}

} // namespace drydock::config

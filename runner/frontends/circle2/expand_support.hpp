#pragma once
// What the two halves of the 2.1 expansion share (expand.cpp: values and
// parameters; expand_steps.cpp: steps, executors, logic, matrix): the
// text helpers and the expansion's state. Private to frontends/circle2.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <string>
#include <vector>

#include "config/scalar.hpp"
#include "frontends/circle2/expand.hpp"
#include "frontends/circle2/model.hpp"
#include "frontends/circle2/orbs.hpp"
#include "util/spelling.hpp"

namespace drydock::circle2 {
namespace expand_support {


using config::Node;
using config::NodeKind;
using config::NodePtr;

// Commands calling commands this deep are a loop or a mistake.
inline constexpr int kMaxCommandDepth = 32;
// Nodes one config may expand to: commands that call each other many
// times over would otherwise grow without end ("billion laughs").
inline constexpr long long kMaxExpandedNodes = 200'000;
// Characters of substituted text: a value doubled at each of many levels
// grows as fast as nodes do.
inline constexpr long long kMaxExpandedText = 16'000'000;


inline constexpr std::array kParameterTypes = {std::string_view("string"),      std::string_view("boolean"),
                                               std::string_view("integer"),     std::string_view("enum"),
                                               std::string_view("executor"),    std::string_view("steps"),
                                               std::string_view("env_var_name")};

inline NodePtr scalar(std::string text, Pos pos, std::string tag = "?")
{
  auto node = std::make_shared<Node>();
  node->kind = NodeKind::scalar;
  node->pos = pos;
  node->length = std::max(1, static_cast<int>(text.size()));
  node->text = std::move(text);
  node->tag = std::move(tag);
  return node;
}

inline NodePtr sequence(std::vector<NodePtr> items, Pos pos)
{
  auto node = std::make_shared<Node>();
  node->kind = NodeKind::sequence;
  node->pos = pos;
  node->items = std::move(items);
  return node;
}

// A `<< parameters.x >>` or `<< pipeline.x >>` in a scalar's text.
struct Reference {
  std::size_t begin = 0;
  std::size_t end = 0; // after the closing >>
  std::string name;    // "parameters.x", "pipeline.git.branch"
};

inline std::optional<Reference> next_reference(const std::string& text, std::size_t from)
{
  for (auto open = text.find("<<", from); open != std::string::npos; open = text.find("<<", open + 2)) {
    std::size_t at = open + 2;
    while (at < text.size() && text[at] == ' ') {
      ++at;
    }
    const std::size_t name_begin = at;
    while (at < text.size()
           && (std::isalnum(static_cast<unsigned char>(text[at])) != 0 || text[at] == '_' || text[at] == '.'
               || text[at] == '-')) {
      ++at;
    }
    std::string name = text.substr(name_begin, at - name_begin);
    while (at < text.size() && text[at] == ' ') {
      ++at;
    }
    const bool ours = name.starts_with("parameters.") || name.starts_with("pipeline.") || name.starts_with("matrix.");
    if (ours && text.compare(at, 2, ">>") == 0) {
      return Reference{open, at + 2, std::move(name)};
    }
  }
  return std::nullopt; // a heredoc's <<EOF is left as it is
}

// A `<<# name >>`, `<<^ name >>` or `<</ name >>` tag of a boolean section.
struct Section {
  char kind = '#';
  std::string name;
  std::size_t begin = 0;
  std::size_t end = 0;
};

inline std::optional<Section> section_at(const std::string& text, std::size_t at)
{
  if (text.compare(at, 2, "<<") != 0 || at + 2 >= text.size()) {
    return std::nullopt;
  }
  const char kind = text[at + 2];
  if (kind != '#' && kind != '^' && kind != '/') {
    return std::nullopt;
  }
  auto inner = next_reference("<<" + text.substr(at + 3), 0);
  if (!inner || inner->begin != 0) {
    return std::nullopt;
  }
  return Section{kind, inner->name, at, at + 1 + inner->end};
}

inline std::optional<Section> next_section(const std::string& text, std::size_t from)
{
  for (auto at = text.find("<<", from); at != std::string::npos; at = text.find("<<", at + 2)) {
    auto section = section_at(text, at);
    if (section && section->kind != '/') {
      return section;
    }
  }
  return std::nullopt;
}

// A scalar's text in a logic statement or in text: booleans and numbers as YAML means them.
inline std::string canonical_text(const Node& node)
{
  if (const auto flag = config::scalar_as_bool(node)) {
    return *flag ? "true" : "false";
  }
  if (const auto number = config::scalar_as_integer(node)) {
    return std::to_string(*number);
  }
  return node.is_null() ? "" : node.text;
}

// A boolean parameter's value: YAML's true and false, and YAML 1.1's y,
// yes, on, n, no and off in any case, as CircleCI takes them.
inline std::optional<bool> yaml11_bool(const Node& node)
{
  if (const auto flag = config::scalar_as_bool(node)) {
    return flag;
  }
  std::string lower = node.is_scalar() && node.is_plain() ? node.text : "";
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "y" || lower == "yes" || lower == "on") {
    return true;
  }
  if (lower == "n" || lower == "no" || lower == "off") {
    return false;
  }
  return std::nullopt;
}

// A literal as a condition: false, null, 0, NaN and '' are false; a quoted
// 'false' is a string, so true.
inline bool is_true(const Node& node)
{
  if (node.is_null()) {
    return false;
  }
  if (!node.is_scalar()) {
    return true;
  }
  if (node.is_plain()) {
    std::string lower = node.text;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (config::scalar_as_bool(node) == false || config::scalar_as_integer(node) == 0LL || lower == ".nan"
        || lower == "nan") {
      return false;
    }
  }
  return !node.text.empty();
}

// A value as `equal` compares it: scalars by what YAML means, lists and mappings by their parts.
inline std::string canonical_form(const Node& node)
{
  if (node.is_sequence() || node.is_mapping()) {
    std::string out = node.is_sequence() ? "[" : "{";
    for (const auto& item : node.items) {
      out += canonical_form(*item) + ",";
    }
    for (const auto& entry : node.entries) {
      out += canonical_form(*entry.key) + ":" + canonical_form(*entry.value) + ",";
    }
    return out + (node.is_sequence() ? "]" : "}");
  }
  return node.is_null() ? "null" : "'" + canonical_text(node) + "'";
}

inline std::string names_of(const std::map<std::string, NodePtr>& values)
{
  std::vector<std::string> names;
  for (const auto& [name, value] : values) {
    names.push_back(name);
  }
  return names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "));
}

inline std::optional<std::string> suggestion(const std::string& word, const std::vector<std::string>& names)
{
  const std::vector<std::string_view> views(names.begin(), names.end());
  return closest_match(word, views);
}

// Where `<< parameters.x >>` is looked up: a job's, a command's or an executor's.
struct Scope {
  std::string owner;                                      // "command 'greet'", for messages; empty: none
  const std::map<std::string, NodePtr>* values = nullptr; // nullptr: no parameters here
  const std::map<std::string, std::string>* types = nullptr;
};


} // namespace expand_support

using namespace expand_support; // NOLINT(google-build-using-namespace): private to the expansion

struct Reuse::Impl {
  Diagnostics& diags;
  const PipelineValues& values;
  std::map<std::string, const Node*> commands;  // name -> definition
  std::map<std::string, const Node*> executors; // name -> definition
  std::map<std::string, std::string> pipeline_text;
  std::map<std::string, NodePtr> pipeline_parameters;
  std::map<std::string, std::string> pipeline_parameter_types;
  std::vector<std::string> stack; // the commands being expanded, outermost first
  long long created = 0;
  long long text_written = 0; // characters of substituted text
  bool too_big = false;       // the budget ran out: nothing more is expanded

  std::vector<std::string> unresolved_orbs; // their parts are said nothing more of

  Impl(Diagnostics& d, const PipelineValues& v) : diags(d), values(v) {}

  bool budget(Pos pos, long long text = 0);
  NodePtr as_written(const Node& key, const Node& body, const Node* args, const Node* pre, const Node* post);
  void not_21(const Node& mapping, std::string_view key);
  std::string version;
  bool version_21 = true; // 2.0 configs are read as written
  NodePtr pipeline_value(const Reference& ref, Pos pos);
  NodePtr parameter_value(const Reference& ref, Pos pos, const Scope& scope);
  NodePtr value_of(const Reference& ref, Pos pos, const Scope& scope);
  NodePtr matrix_value(const Reference& ref, Pos pos) const;
  // A reference left as written for a later pass: `<< matrix.x >>` while
  // the workflows are read (their matrices are written out after), and
  // all but matrix ones while a matrix entry is (the rest had their turn).
  bool deferred(const Reference& ref) const
  {
    const bool of_matrix = ref.name.starts_with("matrix.");
    return (of_matrix && matrix == nullptr && matrix_later) || (only_matrix && !of_matrix);
  }
  bool matrix_later = false; // reading workflows: matrices come after
  bool only_matrix = false;  // writing out a matrix entry
  std::string binding;       // the command whose parameters are being bound: its defaults run inside it
  void expand_matrix(const Node& key, const Node& options, const Node& spec, MatrixEntries& out);
  std::vector<std::map<std::string, NodePtr>> combinations(const Node& spec, const std::string& job);
  const std::map<std::string, NodePtr>* matrix = nullptr; // the combination being written out
  NodePtr substitute_scalar(const NodePtr& node, const Scope& scope);
  NodePtr substitute_references(const NodePtr& node, const Scope& scope);
  std::string with_sections(const std::string& text, Pos pos, const Scope& scope);
  NodePtr substitute(const NodePtr& node, const Scope& scope);

  std::map<std::string, NodePtr> bind(const Node* declared, const Node* args, const std::string& owner, Pos at,
                                      std::map<std::string, std::string>& types);
  NodePtr checked_value(const std::string& name, const Node& declaration, NodePtr value, const std::string& owner);
  NodePtr checked_default(const std::string& name, const Node& declaration, NodePtr value, const std::string& owner,
                          bool from_default);
  std::vector<NodePtr> resolve_steps(const Node& steps);
  void resolve_step(const NodePtr& item, std::vector<NodePtr>& out);
  void resolve_command(const Node& key, const Node* args, std::vector<NodePtr>& out);
  void resolve_condition_step(const Node& key, const Node& value, std::vector<NodePtr>& out);
  NodePtr with_executor(const NodePtr& job, const std::string& job_name);
  bool holds(const Node& condition, int depth);
  void read_definitions(const Node& root);
  void read_pipeline_parameters(const Node& root);
};

} // namespace drydock::circle2

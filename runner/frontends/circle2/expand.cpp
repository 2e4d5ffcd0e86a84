#include "frontends/circle2/expand.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

#include "config/scalar.hpp"
#include "util/regex.hpp"
#include "util/spelling.hpp"

namespace drydock::circle2 {
namespace {

using config::Node;
using config::NodeKind;
using config::NodePtr;

// Commands calling commands this deep are a loop or a mistake.
constexpr int kMaxCommandDepth = 32;
// Nodes one config may expand to: commands that call each other many
// times over would otherwise grow without end ("billion laughs").
constexpr long long kMaxExpandedNodes = 200'000;
// Characters of substituted text: a value doubled at each of many levels
// grows as fast as nodes do.
constexpr long long kMaxExpandedText = 16'000'000;

constexpr std::array kBuiltinSteps = {std::string_view("run"),
                                      std::string_view("checkout"),
                                      std::string_view("deploy"),
                                      std::string_view("store_artifacts"),
                                      std::string_view("store_test_results"),
                                      std::string_view("save_cache"),
                                      std::string_view("restore_cache"),
                                      std::string_view("persist_to_workspace"),
                                      std::string_view("attach_workspace"),
                                      std::string_view("setup_remote_docker"),
                                      std::string_view("add_ssh_keys")};

constexpr std::array kParameterTypes = {std::string_view("string"),      std::string_view("boolean"),
                                        std::string_view("integer"),     std::string_view("enum"),
                                        std::string_view("executor"),    std::string_view("steps"),
                                        std::string_view("env_var_name")};

bool is_builtin_step(std::string_view name)
{
  return std::find(kBuiltinSteps.begin(), kBuiltinSteps.end(), name) != kBuiltinSteps.end();
}

NodePtr scalar(std::string text, Pos pos, std::string tag = "?")
{
  auto node = std::make_shared<Node>();
  node->kind = NodeKind::scalar;
  node->pos = pos;
  node->length = std::max(1, static_cast<int>(text.size()));
  node->text = std::move(text);
  node->tag = std::move(tag);
  return node;
}

NodePtr sequence(std::vector<NodePtr> items, Pos pos)
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

std::optional<Reference> next_reference(const std::string& text, std::size_t from)
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

std::optional<Section> section_at(const std::string& text, std::size_t at)
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

std::optional<Section> next_section(const std::string& text, std::size_t from)
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
std::string canonical_text(const Node& node)
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
std::optional<bool> yaml11_bool(const Node& node)
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
bool is_true(const Node& node)
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
std::string canonical_form(const Node& node)
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

std::string names_of(const std::map<std::string, NodePtr>& values)
{
  std::vector<std::string> names;
  for (const auto& [name, value] : values) {
    names.push_back(name);
  }
  return names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "));
}

std::optional<std::string> suggestion(const std::string& word, const std::vector<std::string>& names)
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

} // namespace

bool is_workflow_job_option(std::string_view key)
{
  static constexpr std::array kOptions = {std::string_view("requires"),  std::string_view("name"),
                                          std::string_view("filters"),   std::string_view("context"),
                                          std::string_view("type"),      std::string_view("matrix"),
                                          std::string_view("pre-steps"), std::string_view("post-steps")};
  return std::find(kOptions.begin(), kOptions.end(), key) != kOptions.end();
}

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
  bool deferred(const Reference& ref) const { return ref.name.starts_with("matrix.") && matrix == nullptr; }
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
  std::vector<NodePtr> resolve_steps(const Node& steps);
  void resolve_step(const NodePtr& item, std::vector<NodePtr>& out);
  void resolve_command(const Node& key, const Node* args, std::vector<NodePtr>& out);
  void resolve_condition_step(const Node& key, const Node& value, std::vector<NodePtr>& out);
  NodePtr with_executor(const NodePtr& job, const std::string& job_name);
  bool holds(const Node& condition, int depth);
  void read_definitions(const Node& root);
  void read_pipeline_parameters(const Node& root);
};

bool Reuse::Impl::budget(Pos pos, long long text)
{
  text_written += text;
  if (++created <= kMaxExpandedNodes && text_written <= kMaxExpandedText) {
    return !too_big;
  }
  if (!too_big) {
    too_big = true;
    diags.error(pos, fmt::format("the config expands past drydock's limits ({} parts, {} MB of text): commands or "
                                 "parameters repeat each other too many times",
                                 kMaxExpandedNodes, kMaxExpandedText / 1'000'000));
  }
  return false;
}

NodePtr Reuse::Impl::pipeline_value(const Reference& ref, Pos pos)
{
  const std::string key = ref.name.substr(std::string_view("pipeline.").size());
  if (key.starts_with("parameters.")) {
    const std::string name = key.substr(std::string_view("parameters.").size());
    const auto found = pipeline_parameters.find(name);
    if (found != pipeline_parameters.end()) {
      return found->second;
    }
    std::string message = fmt::format("'<< {} >>': the config declares no pipeline parameter '{}' (it declares: {})",
                                      ref.name, name, names_of(pipeline_parameters));
    diags.error(pos, std::move(message));
    return nullptr;
  }
  const auto found = pipeline_text.find(key);
  if (found != pipeline_text.end()) {
    return scalar(found->second, pos, "!");
  }
  std::vector<std::string> known;
  for (const auto& [name, value] : pipeline_text) {
    known.push_back("pipeline." + name);
  }
  std::string message = fmt::format("'<< {} >>' is not a pipeline value", ref.name);
  if (const auto close = suggestion(ref.name, known)) {
    message += fmt::format("; did you mean '{}'?", *close);
  }
  diags.error(pos, std::move(message));
  return nullptr;
}

NodePtr Reuse::Impl::parameter_value(const Reference& ref, Pos pos, const Scope& scope)
{
  const std::string name = ref.name.substr(std::string_view("parameters.").size());
  if (scope.values == nullptr) {
    diags.error(pos, fmt::format("'<< {} >>' is outside any job, command or executor: there are no parameters here",
                                 ref.name));
    return nullptr;
  }
  const auto found = scope.values->find(name);
  if (found != scope.values->end()) {
    return found->second;
  }
  std::vector<std::string> known;
  for (const auto& [known_name, value] : *scope.values) {
    known.push_back(known_name);
  }
  std::string message = fmt::format("'<< {} >>': {} has no parameter '{}'", ref.name, scope.owner, name);
  if (const auto close = suggestion(name, known)) {
    message += fmt::format("; did you mean '{}'?", *close);
  } else {
    message += fmt::format(" (its parameters: {})", names_of(*scope.values));
  }
  diags.error(pos, std::move(message));
  return nullptr;
}

NodePtr Reuse::Impl::matrix_value(const Reference& ref, Pos pos) const
{
  const auto found = matrix->find(ref.name.substr(std::string_view("matrix.").size()));
  if (found != matrix->end()) {
    return found->second;
  }
  diags.error(pos, fmt::format("'<< {} >>': the matrix has no parameter of that name (its parameters: {})", ref.name,
                               names_of(*matrix)));
  return nullptr;
}

NodePtr Reuse::Impl::value_of(const Reference& ref, Pos pos, const Scope& scope)
{
  if (ref.name.starts_with("matrix.")) {
    return matrix_value(ref, pos);
  }
  return ref.name.starts_with("pipeline.") ? pipeline_value(ref, pos) : parameter_value(ref, pos, scope);
}

// A scalar's references replaced: alone, by the value itself (a boolean
// stays a boolean, a list of steps a list); inside text, by its text.
NodePtr Reuse::Impl::substitute_scalar(const NodePtr& node, const Scope& scope)
{
  if (node->text.find("<<#") != std::string::npos || node->text.find("<<^") != std::string::npos) {
    auto sectioned = std::make_shared<Node>(*node);
    sectioned->text = with_sections(node->text, node->pos, scope);
    return substitute_references(sectioned, scope);
  }
  return substitute_references(node, scope);
}

// `<<# parameters.x >>TEXT<</ parameters.x >>` keeps TEXT when x is true,
// `<<^ ... >>` when it is false: the sections of CircleCI's boolean parameters.
std::string Reuse::Impl::with_sections(const std::string& text, Pos pos, const Scope& scope)
{
  std::string out;
  std::size_t done = 0;
  for (auto open = next_section(text, done); open; open = next_section(text, done)) {
    const std::string close_tag = "<</";
    std::optional<Section> close;
    for (auto at = text.find(close_tag, open->end); at != std::string::npos && !close;
         at = text.find(close_tag, at + 3)) {
      auto candidate = section_at(text, at);
      close = candidate && candidate->name == open->name ? candidate : std::nullopt;
    }
    if (!close) {
      diags.error(pos, fmt::format("'<<{} {} >>' has no '<</ {} >>' after it", open->kind, open->name, open->name));
      return text;
    }
    const NodePtr value = value_of(Reference{0, 0, open->name}, pos, scope);
    const bool shown = value != nullptr && is_true(*value) == (open->kind == '#');
    out += text.substr(done, open->begin - done);
    out += shown ? text.substr(open->end, close->begin - open->end) : "";
    done = close->end;
  }
  return out + text.substr(done);
}

NodePtr Reuse::Impl::substitute_references(const NodePtr& node, const Scope& scope)
{
  auto ref = next_reference(node->text, 0);
  if (!ref) {
    return node;
  }
  const bool alone = node->text.find_first_not_of(' ') == ref->begin
                     && node->text.find_first_not_of(' ', ref->end) == std::string::npos;
  if (alone && deferred(*ref)) {
    return node; // written out with its matrix entry
  }
  if (alone) {
    const NodePtr value = value_of(*ref, node->pos, scope);
    return value ? value : node; // said where it is; left as written, so nothing else fails for it
  }
  std::string text;
  std::size_t done = 0;
  for (; ref; ref = next_reference(node->text, done)) {
    text += node->text.substr(done, ref->begin - done);
    done = ref->end;
    if (deferred(*ref)) {
      text += node->text.substr(ref->begin, ref->end - ref->begin);
      continue;
    }
    const NodePtr value = value_of(*ref, node->pos, scope);
    if (value && !value->is_scalar() && !value->is_null()) {
      diags.error(node->pos, fmt::format("'<< {} >>' is {}: it can only stand alone, not inside text", ref->name,
                                         config::describe_kind(*value)));
    } else if (value) {
      text += canonical_text(*value);
    }
  }
  text += node->text.substr(done);
  if (!budget(node->pos, static_cast<long long>(text.size()))) {
    return scalar("", node->pos);
  }
  return scalar(std::move(text), node->pos, "!");
}

namespace {

bool is_steps_reference(const Node& item, const Scope& scope)
{
  if (!item.is_scalar() || scope.types == nullptr) {
    return false;
  }
  const auto ref = next_reference(item.text, 0);
  if (!ref || !ref->name.starts_with("parameters.")) {
    return false;
  }
  const auto type = scope.types->find(ref->name.substr(std::string_view("parameters.").size()));
  return type != scope.types->end() && type->second == "steps";
}

} // namespace

NodePtr Reuse::Impl::substitute(const NodePtr& node, const Scope& scope)
{
  if (!budget(node->pos)) {
    return scalar("", node->pos);
  }
  if (node->is_scalar()) {
    return substitute_scalar(node, scope);
  }
  auto out = std::make_shared<Node>(*node);
  if (node->is_sequence()) {
    out->items.clear();
    for (const auto& item : node->items) {
      NodePtr value = substitute(item, scope);
      if (is_steps_reference(*item, scope) && value->is_sequence()) { // a steps parameter's steps take its place
        created += static_cast<long long>(value->items.size());
        if (!budget(item->pos)) {
          break;
        }
        out->items.insert(out->items.end(), value->items.begin(), value->items.end());
      } else {
        out->items.push_back(std::move(value));
      }
    }
  }
  for (auto& entry : out->entries) {
    entry.key = entry.key->is_scalar() ? substitute_scalar(entry.key, scope) : entry.key;
    entry.value = substitute(entry.value, scope);
  }
  return out;
}

// ---- parameters ----

NodePtr Reuse::Impl::checked_value(const std::string& name, const Node& declaration, NodePtr value,
                                   const std::string& owner)
{
  const Node* type_node = declaration.find("type");
  const std::string type = type_node != nullptr ? type_node->text : "string";
  const auto wrong = [&](std::string_view wanted) {
    diags.error(value->pos, fmt::format("parameter '{}' of {} must be {}, got {}", name, owner, wanted,
                                        value->is_scalar() ? "'" + value->text + "'" : config::describe_kind(*value)));
    return nullptr;
  };
  if (type == "boolean") {
    const auto flag = yaml11_bool(*value);
    return flag ? scalar(*flag ? "true" : "false", value->pos) : wrong("true or false");
  }
  if (type == "integer") {
    return config::scalar_as_integer(*value) ? value : wrong("a whole number");
  }
  if (type == "enum") {
    const Node* allowed = declaration.find("enum");
    const bool listed = allowed != nullptr && value->is_scalar()
                        && std::any_of(allowed->items.begin(), allowed->items.end(),
                                       [&](const NodePtr& item) { return canonical_text(*item) == value->text; });
    return listed ? value : wrong("one of its enum");
  }
  if (type == "env_var_name") {
    static const auto pattern = util::compile_regex("[a-zA-Z_][a-zA-Z0-9_]*");
    return value->is_scalar() && pattern->full_match(value->text) ? value : wrong("a variable's name");
  }
  if (type == "steps") {
    if (!value->is_sequence()) {
      return wrong("a list of steps");
    }
    return sequence(resolve_steps(*value), value->pos);
  }
  if (type == "executor") {
    return value->is_scalar() || value->is_mapping() ? value : wrong("an executor's name, or name: and its parameters");
  }
  if (value->is_scalar() && value->is_plain() && config::scalar_as_bool(*value)) {
    return wrong("a string (quote a true or false meant as text)"); // CircleCI's rule: YAML read it as a boolean
  }
  return value->is_scalar() || value->is_null() ? value : wrong("a string");
}

void check_declaration(const std::string& name, const Node& declaration, Diagnostics& diags)
{
  const Node* type = declaration.find("type");
  if (!declaration.is_mapping() || type == nullptr) {
    diags.error(declaration.pos, fmt::format("parameter '{}' must be a mapping with a type: ({})", name,
                                             fmt::join(kParameterTypes, ", ")));
    return;
  }
  if (std::find(kParameterTypes.begin(), kParameterTypes.end(), type->text) == kParameterTypes.end()) {
    std::string message = fmt::format("parameter '{}' has an unknown type '{}'", name, type->text);
    if (const auto close = closest_match(type->text, kParameterTypes)) {
      message += fmt::format("; did you mean '{}'?", *close);
    } else {
      message += fmt::format(" (types: {})", fmt::join(kParameterTypes, ", "));
    }
    diags.error(type->pos, std::move(message));
  }
  const Node* allowed = declaration.find("enum");
  if (type->text == "enum" && (allowed == nullptr || !allowed->is_sequence() || allowed->items.empty())) {
    diags.error(type->pos, fmt::format("parameter '{}' is an enum: give it `enum:`, a list of its values", name));
    return;
  }
  const Node* fallback = declaration.find("default");
  if (type->text == "enum" && fallback != nullptr
      && std::none_of(allowed->items.begin(), allowed->items.end(),
                      [&](const NodePtr& item) { return canonical_text(*item) == canonical_text(*fallback); })) {
    diags.error(fallback->pos, fmt::format("the default of enum parameter '{}' is not one of its enum", name));
  }
}

// The values of the parameters `declared` (a mapping, or null) from
// `args` (the caller's, already in its scope) or their defaults.
std::map<std::string, NodePtr> Reuse::Impl::bind(const Node* declared, const Node* args, const std::string& owner,
                                                 Pos at, std::map<std::string, std::string>& types)
{
  std::map<std::string, NodePtr> bound;
  std::vector<std::string> names;
  if (declared != nullptr && declared->is_mapping()) {
    for (const auto& entry : declared->entries) {
      const std::string& name = entry.key->text;
      names.push_back(name);
      check_declaration(name, *entry.value, diags);
      const Node* type = entry.value->find("type");
      types[name] = type != nullptr ? type->text : "string";
      NodePtr value;
      for (const auto& arg : args != nullptr ? args->entries : std::vector<config::Entry>{}) {
        value = arg.key->text == name ? arg.value : value;
      }
      if (value == nullptr) {
        for (const auto& field : entry.value->entries) {
          value = field.key->text == "default" ? field.value : value;
        }
      }
      if (value == nullptr) {
        diags.error(at, fmt::format("{} needs parameter '{}' (it has no default)", owner, name));
        bound.emplace(name, scalar("", at)); // said once, not at every use
        continue;
      }
      auto checked = checked_value(name, *entry.value, value, owner);
      bound.emplace(name, checked ? std::move(checked) : scalar("", value->pos)); // said once, not at every use
    }
  } else if (declared != nullptr && !declared->is_null()) {
    diags.error(declared->pos, fmt::format("the parameters of {} must be a mapping of names to their type:", owner));
  }
  if (args != nullptr && args->is_mapping()) {
    for (const auto& arg : args->entries) {
      if (std::find(names.begin(), names.end(), arg.key->text) != names.end()) {
        continue;
      }
      std::string message = fmt::format("'{}' is not a parameter of {}", arg.key->text, owner);
      if (const auto close = suggestion(arg.key->text, names)) {
        message += fmt::format("; did you mean '{}'?", *close);
      } else {
        message += names.empty() ? std::string(": it has none")
                                 : fmt::format(" (its parameters: {})", fmt::join(names, ", "));
      }
      diags.error(arg.key->pos, std::move(message), static_cast<int>(arg.key->text.size()));
    }
  } else if (args != nullptr && !args->is_null()) {
    diags.error(args->pos,
                fmt::format("the arguments of {} must be a mapping of its parameters' names to values", owner));
  }
  return bound;
}

// ---- steps ----

std::vector<NodePtr> Reuse::Impl::resolve_steps(const Node& steps)
{
  std::vector<NodePtr> out;
  if (!steps.is_sequence()) {
    return {std::make_shared<Node>(steps)}; // the loader says what is wrong with it
  }
  for (const auto& item : steps.items) {
    resolve_step(item, out);
  }
  return out;
}

void Reuse::Impl::resolve_step(const NodePtr& item, std::vector<NodePtr>& out)
{
  const bool one_key = item->is_mapping() && item->entries.size() == 1 && item->entries.front().key->is_scalar();
  const Node* key = item->is_scalar() ? item.get() : one_key ? item->entries.front().key.get() : nullptr;
  if (key == nullptr || (is_builtin_step(key->text) && !commands.contains(key->text))) {
    out.push_back(item); // a command of the config's may take a built-in step's name
    return;
  }
  const Node* value = one_key ? item->entries.front().value.get() : nullptr;
  if (too_big) {
    return; // said once; nothing more is written out
  }
  if (key->text == "steps" && value != nullptr && value->is_sequence()) { // `- steps: << parameters.x >>`
    auto inner = resolve_steps(*value);
    out.insert(out.end(), inner.begin(), inner.end());
  } else if ((key->text == "when" || key->text == "unless") && value != nullptr) {
    resolve_condition_step(*key, *value, out);
  } else if (commands.contains(key->text)) {
    resolve_command(*key, value, out);
  } else {
    out.push_back(item); // unknown: the loader names it, with did-you-mean
  }
}

void Reuse::Impl::resolve_condition_step(const Node& key, const Node& value, std::vector<NodePtr>& out)
{
  const Node* condition = value.find("condition");
  const Node* steps = value.find("steps");
  if (!value.is_mapping() || condition == nullptr || steps == nullptr) {
    diags.error(key.pos, fmt::format("a '{}' step needs condition: and steps:", key.text));
    return;
  }
  for (const auto& entry : value.entries) {
    if (entry.key->text != "condition" && entry.key->text != "steps") {
      diags.error(entry.key->pos,
                  fmt::format("a '{}' step has only condition: and steps:, not '{}'", key.text, entry.key->text));
    }
  }
  if (holds(*condition, 0) != (key.text == "unless")) {
    auto inner = resolve_steps(*steps);
    out.insert(out.end(), inner.begin(), inner.end());
  }
}

void Reuse::Impl::resolve_command(const Node& key, const Node* args, std::vector<NodePtr>& out)
{
  const std::string& name = key.text;
  const auto again = std::find(stack.begin(), stack.end(), name);
  if (again != stack.end()) {
    std::vector<std::string> loop(again, stack.end());
    loop.push_back(name);
    diags.error(key.pos, fmt::format("command '{}' runs itself: {}", name, fmt::join(loop, " -> ")),
                static_cast<int>(name.size()));
    return;
  }
  if (static_cast<int>(stack.size()) >= kMaxCommandDepth) {
    diags.error(key.pos,
                fmt::format("commands call each other more than {} deep: {} -> {}", kMaxCommandDepth,
                            fmt::join(stack, " -> "), name),
                static_cast<int>(name.size()));
    return;
  }
  const Node& definition = *commands.at(name);
  const Node* steps = definition.find("steps");
  if (steps == nullptr) {
    return; // read_definitions said so
  }
  const std::string owner = fmt::format("command '{}'", name);
  std::map<std::string, std::string> types;
  const auto bound = bind(definition.find("parameters"), args, owner, key.pos, types);
  const Scope scope{owner, &bound, &types};
  stack.push_back(name);
  const NodePtr substituted = substitute(std::make_shared<Node>(*steps), scope);
  auto inner = resolve_steps(*substituted);
  stack.pop_back();
  out.insert(out.end(), inner.begin(), inner.end());
}

// ---- logic statements ----

bool Reuse::Impl::holds(const Node& condition, int depth)
{
  constexpr int kDeepest = 100; // CircleCI's limit
  if (depth > kDeepest) {
    diags.error(condition.pos, "a logic statement nested this deep is not read");
    return false;
  }
  if (!condition.is_mapping()) {
    return is_true(condition);
  }
  if (condition.entries.size() != 1) {
    diags.error(condition.pos, "a logic statement is one of and:, or:, not:, equal: or matches:");
    return false;
  }
  const Node& key = *condition.entries.front().key;
  const Node& value = *condition.entries.front().value;
  const auto items = [&]() -> const std::vector<NodePtr>& {
    static const std::vector<NodePtr> none;
    if (!value.is_sequence() || value.items.empty()) {
      diags.error(value.pos, fmt::format("'{}' takes a list of one statement or more", key.text));
      return none;
    }
    return value.items;
  };
  if (key.text == "and") {
    const auto& all = items();
    return std::all_of(all.begin(), all.end(), [&](const NodePtr& item) { return holds(*item, depth + 1); });
  }
  if (key.text == "or") {
    const auto& any = items();
    return std::any_of(any.begin(), any.end(), [&](const NodePtr& item) { return holds(*item, depth + 1); });
  }
  if (key.text == "not") {
    return !holds(value, depth + 1);
  }
  if (key.text == "equal") {
    const auto& all = items();
    return std::all_of(all.begin(), all.end(),
                       [&](const NodePtr& item) { return canonical_form(*item) == canonical_form(*all.front()); });
  }
  if (key.text == "matches") {
    const Node* pattern = value.find("pattern");
    const Node* against = value.find("value");
    if (pattern == nullptr || against == nullptr) {
      diags.error(key.pos, "'matches' needs pattern: and value:");
      return false;
    }
    const auto compiled = util::compile_regex(pattern->text);
    if (!compiled) {
      diags.error(pattern->pos, fmt::format("'matches' pattern: {}", compiled.error()));
      return false;
    }
    return compiled->full_match(canonical_text(*against));
  }
  static constexpr std::array kStatements = {std::string_view("and"), std::string_view("or"), std::string_view("not"),
                                             std::string_view("equal"), std::string_view("matches")};
  std::string message = fmt::format("unknown logic statement '{}'", key.text);
  if (const auto close = closest_match(key.text, kStatements)) {
    message += fmt::format("; did you mean '{}'?", *close);
  } else {
    message += " (and, or, not, equal, matches)";
  }
  diags.error(key.pos, std::move(message));
  return false;
}

// ---- executors ----

// A mapping's entries with `over`'s in place of same-named ones, and the
// rest of `over` after.
std::shared_ptr<Node> merged(const Node& under, const Node& over)
{
  auto out = std::make_shared<Node>(under);
  for (const auto& entry : over.entries) {
    const auto same = std::find_if(out->entries.begin(), out->entries.end(),
                                   [&](const config::Entry& mine) { return mine.key->text == entry.key->text; });
    if (same != out->entries.end()) {
      same->value = entry.value;
    } else {
      out->entries.push_back(entry);
    }
  }
  return out;
}

NodePtr Reuse::Impl::with_executor(const NodePtr& job, const std::string& job_name)
{
  const Node* use = job->find("executor");
  if (use == nullptr) {
    return job;
  }
  const Node* name = use->is_mapping() ? use->find("name") : use;
  if (name == nullptr || !name->is_scalar()) {
    diags.error(use->pos,
                fmt::format("job '{}': 'executor' is an executor's name, or name: and its parameters", job_name));
    return job;
  }
  const auto found = executors.find(name->text);
  if (found == executors.end()) {
    std::vector<std::string> known;
    for (const auto& [known_name, definition] : executors) {
      known.push_back(known_name);
    }
    std::string message = fmt::format("job '{}' uses an unknown executor '{}'", job_name, name->text);
    if (const auto close = suggestion(name->text, known)) {
      message += fmt::format("; did you mean '{}'?", *close);
    } else if (name->text.find('/') != std::string::npos) {
      message += ": executors of orbs need `orbs:`, which drydock does not run yet";
    }
    diags.error(name->pos, std::move(message), static_cast<int>(name->text.size()));
    return job;
  }
  auto args = std::make_shared<Node>(*use);
  std::erase_if(args->entries, [](const config::Entry& entry) { return entry.key->text == "name"; });
  const std::string owner = fmt::format("executor '{}'", name->text);
  std::map<std::string, std::string> types;
  const auto bound = bind(found->second->find("parameters"), use->is_mapping() ? args.get() : nullptr, owner, name->pos,
                          types);
  auto body = std::make_shared<Node>(*found->second);
  std::erase_if(body->entries, [](const config::Entry& entry) { return entry.key->text == "parameters"; });
  const NodePtr executor = substitute(body, Scope{owner, &bound, &types});
  auto own = std::make_shared<Node>(*job);
  std::erase_if(own->entries, [](const config::Entry& entry) { return entry.key->text == "executor"; });
  auto out = merged(*executor, *own);
  const Node* under_env = executor->find("environment");
  const Node* over_env = own->find("environment");
  if (under_env != nullptr && over_env != nullptr && under_env->is_mapping() && over_env->is_mapping()) {
    for (auto& entry : out->entries) {
      entry.value = entry.key->text == "environment" ? merged(*under_env, *over_env) : entry.value;
    }
  }
  return out;
}

// ---- the config's top level ----

void Reuse::Impl::read_definitions(const Node& root)
{
  for (const auto* section : {"commands", "executors"}) {
    const Node* node = root.find(section);
    if (node == nullptr || !node->is_mapping()) {
      if (node != nullptr && !node->is_null()) {
        diags.error(node->pos, fmt::format("'{}' must be a mapping of names to definitions", section));
      }
      continue;
    }
    for (const auto& entry : node->entries) {
      const std::string& name = entry.key->text;
      if (std::string_view(section) == "commands") {
        if (name == "when" || name == "unless" || name == "steps") {
          diags.error(entry.key->pos, fmt::format("command '{}' has the name of a step that holds steps", name));
          continue;
        }
        if (!entry.value->is_mapping() || entry.value->find("steps") == nullptr) {
          diags.error(entry.key->pos, fmt::format("command '{}' needs steps:", name), static_cast<int>(name.size()));
        }
        commands.emplace(name, entry.value.get());
      } else {
        if (!entry.value->is_mapping()) {
          diags.error(entry.key->pos,
                      fmt::format("executor '{}' must be a mapping: docker: or machine:, and more", name));
          continue;
        }
        executors.emplace(name, entry.value.get());
      }
    }
  }
}

// --param values, each where its parameter is declared; one the config
// does not declare is an error at its `parameters:` (or the top).
void Reuse::Impl::read_pipeline_parameters(const Node& root)
{
  const Node* declared = root.find("parameters");
  Pos at{1, 1};
  for (const auto& entry : root.entries) {
    at = entry.key->text == "parameters" ? entry.key->pos : at;
  }
  auto given = std::make_shared<Node>();
  given->kind = NodeKind::mapping;
  std::vector<std::string> names;
  for (const auto& entry : declared != nullptr ? declared->entries : std::vector<config::Entry>{}) {
    names.push_back(entry.key->text);
  }
  for (const auto& [name, value] : values.parameters) {
    const auto known = std::find(names.begin(), names.end(), name);
    if (known == names.end()) {
      std::string message = fmt::format("--param {}: the config declares no pipeline parameter '{}'", name, name);
      if (const auto close = suggestion(name, names)) {
        message += fmt::format("; did you mean '{}'?", *close);
      } else {
        message += fmt::format(" (it declares: {})",
                               names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", ")));
      }
      diags.error(at, std::move(message));
      continue;
    }
    const auto& declaration = declared->entries[static_cast<std::size_t>(known - names.begin())];
    const Node* type = declaration.value->find("type");
    const bool typed = type != nullptr && (type->text == "boolean" || type->text == "integer");
    const Pos pos = declaration.key->pos; // a string stays the text given: 007 is not 7
    given->entries.push_back({scalar(name, pos), scalar(value, pos, typed ? "?" : "!"), false});
  }
  pipeline_parameters = bind(declared, given.get(), "the pipeline", at, pipeline_parameter_types);
}

// A 2.0 job as written: what only 2.1 has is an error, not a silent part of it.
NodePtr Reuse::Impl::as_written(const Node& key, const Node& body, const Node* args, const Node* pre, const Node* post)
{
  for (const auto* field : {"parameters", "executor"}) {
    not_21(body, field);
  }
  for (const auto& arg : args != nullptr ? args->entries : std::vector<config::Entry>{}) {
    diags.error(arg.key->pos, fmt::format("'{}' passes an argument to job '{}': job parameters are CircleCI 2.1, "
                                          "and this config says version {}",
                                          arg.key->text, key.text, version));
  }
  for (const Node* steps : {pre, post}) {
    if (steps != nullptr) {
      diags.error(steps->pos,
                  fmt::format("pre-steps and post-steps are CircleCI 2.1: this config says version {}", version));
    }
  }
  return std::make_shared<Node>(body);
}

void Reuse::Impl::not_21(const Node& mapping, std::string_view key)
{
  for (const auto& entry : mapping.entries) {
    if (entry.key->text == key) {
      diags.error(entry.key->pos, fmt::format("'{}' is CircleCI 2.1: this config says version {}", key, version),
                  static_cast<int>(key.size()));
    }
  }
}

Reuse::Reuse(const Node& root, const PipelineValues& values, Diagnostics& diags)
  : m_impl(std::make_shared<Impl>(diags, values))
{
  const Node* version = root.find("version");
  m_impl->version = version != nullptr && version->is_scalar() ? version->text : "";
  m_impl->version_21 = m_impl->version == "2.1" || m_impl->version.empty(); // no version: said elsewhere
  auto& text = m_impl->pipeline_text;
  text["id"] = values.id;
  text["number"] = std::to_string(values.number);
  text["git.branch"] = values.branch;
  text["git.tag"] = values.tag;
  text["git.revision"] = values.revision;
  text["git.base_revision"] = values.base_revision;
  text["project.git_url"] = values.project_url;
  const bool github = values.project_url.find("github") != std::string::npos;
  text["project.type"] = github                                                      ? "github"
                         : values.project_url.find("bitbucket") != std::string::npos ? "bitbucket"
                                                                                     : "";
  text["in_setup"] = "false";
  text["trigger_source"] = "api";
  text["schedule.name"] = "";
  text["schedule.id"] = "";
  m_impl->read_definitions(root);
  m_impl->read_pipeline_parameters(root);
}

NodePtr Reuse::job(const Node& key, const Node& body, const Node* args, const Node* pre, const Node* post)
{
  Impl& impl = *m_impl;
  if (!impl.version_21) {
    return impl.as_written(key, body, args, pre, post);
  }
  const std::string owner = fmt::format("job '{}'", key.text);
  std::map<std::string, std::string> types;
  const auto bound = impl.bind(body.find("parameters"), args, owner, args != nullptr ? args->pos : key.pos, types);
  auto own = std::make_shared<Node>(body);
  std::erase_if(own->entries, [](const config::Entry& entry) { return entry.key->text == "parameters"; });
  const Scope scope{owner, &bound, &types};
  const NodePtr substituted = impl.with_executor(impl.substitute(own, scope), key.text);
  auto out = std::make_shared<Node>(*substituted);
  for (auto& entry : out->entries) {
    if (entry.key->text != "steps") {
      continue;
    }
    std::vector<NodePtr> steps;
    if (pre != nullptr) {
      const auto before = impl.resolve_steps(*pre);
      steps.insert(steps.end(), before.begin(), before.end());
    }
    const auto own_steps = impl.resolve_steps(*entry.value);
    steps.insert(steps.end(), own_steps.begin(), own_steps.end());
    if (post != nullptr) {
      const auto after = impl.resolve_steps(*post);
      steps.insert(steps.end(), after.begin(), after.end());
    }
    entry.value = entry.value->is_sequence() ? sequence(std::move(steps), entry.value->pos) : entry.value;
  }
  return out;
}

bool Reuse::runs_without_arguments(const Node& body)
{
  const Node* declared = body.find("parameters");
  if (declared == nullptr || !declared->is_mapping()) {
    return true;
  }
  return std::all_of(declared->entries.begin(), declared->entries.end(),
                     [](const config::Entry& entry) { return entry.value->find("default") != nullptr; });
}

NodePtr Reuse::outside_jobs(const Node& node)
{
  if (!m_impl->version_21) {
    return std::make_shared<Node>(node); // 2.0 has no << >> values: its text is as written
  }
  return m_impl->substitute(std::make_shared<Node>(node), Scope{});
}

// ---- matrix ----

namespace {

constexpr std::size_t kMostCombinations = 256;

bool combination_matches(const std::map<std::string, NodePtr>& combination, const Node& exclude)
{
  return std::all_of(exclude.entries.begin(), exclude.entries.end(), [&](const config::Entry& entry) {
    const auto value = combination.find(entry.key->text);
    return value != combination.end() && canonical_text(*value->second) == canonical_text(*entry.value);
  });
}

} // namespace

std::vector<std::map<std::string, NodePtr>> Reuse::Impl::combinations(const Node& spec, const std::string& job)
{
  const Node* parameters = spec.find("parameters");
  if (parameters == nullptr || !parameters->is_mapping() || parameters->entries.empty()) {
    diags.error(spec.pos, fmt::format("the matrix of job '{}' needs parameters:, each a list of values", job));
    return {};
  }
  std::vector<std::map<std::string, NodePtr>> all = {{}};
  for (const auto& entry : parameters->entries) {
    if (!entry.value->is_sequence() || entry.value->items.empty()) {
      diags.error(entry.value->pos, fmt::format("matrix parameter '{}' must be a list of values", entry.key->text));
      return {};
    }
    if (all.size() * entry.value->items.size() > kMostCombinations) {
      diags.error(spec.pos,
                  fmt::format("the matrix of job '{}' has more than {} combinations", job, kMostCombinations));
      return {};
    }
    std::vector<std::map<std::string, NodePtr>> more;
    for (const auto& combination : all) {
      for (const auto& value : entry.value->items) {
        more.push_back(combination);
        more.back()[entry.key->text] = value;
      }
    }
    all = std::move(more);
  }
  return all;
}

void Reuse::Impl::expand_matrix(const Node& key, const Node& options, const Node& spec, MatrixEntries& out)
{
  auto all = combinations(spec, key.text);
  const Node* excluded = spec.find("exclude");
  for (const auto& exclude :
       excluded != nullptr && excluded->is_sequence() ? excluded->items : std::vector<NodePtr>{}) {
    const auto before = all.size();
    std::erase_if(all, [&](const auto& combination) { return combination_matches(combination, *exclude); });
    if (before == all.size() && before > 0) {
      diags.error(exclude->pos, fmt::format("this exclude of job '{}' matches none of its matrix", key.text));
    }
  }
  for (const auto& field : spec.entries) {
    if (field.key->text != "parameters" && field.key->text != "exclude" && field.key->text != "alias") {
      diags.error(field.key->pos,
                  fmt::format("a matrix has parameters:, exclude: and alias:, not '{}'", field.key->text));
    }
  }
  const Node* alias = spec.find("alias");
  out.alias = alias != nullptr && alias->is_scalar() ? alias->text : key.text;
  auto without = std::make_shared<Node>(options);
  std::erase_if(without->entries, [](const config::Entry& entry) { return entry.key->text == "matrix"; });
  for (const auto& combination : all) {
    matrix = &combination;
    auto written = std::const_pointer_cast<Node>(substitute(without, Scope{}));
    matrix = nullptr;
    std::vector<std::string> shown;
    for (const auto& entry : spec.find("parameters")->entries) { // as listed, not as sorted
      const auto& value = combination.at(entry.key->text);
      written->entries.push_back({scalar(entry.key->text, entry.key->pos), value, false}); // said once, not per job
      shown.push_back(canonical_text(*value));
    }
    const Node* name = written->find("name");
    out.names.push_back(name != nullptr ? name->text : fmt::format("{}-{}", key.text, fmt::join(shown, "-")));
    if (name == nullptr) {
      written->entries.push_back({scalar("name", key.pos), scalar(out.names.back(), key.pos), false});
    }
    auto item = std::make_shared<Node>();
    item->kind = NodeKind::mapping;
    item->pos = key.pos;
    item->entries.push_back({std::make_shared<Node>(key), written, false});
    out.items.push_back(std::move(item));
  }
}

MatrixEntries Reuse::workflow_entries(const Node& item)
{
  MatrixEntries out;
  const Node* spec = item.is_mapping() && item.entries.size() == 1 && item.entries.front().value->is_mapping()
                         ? item.entries.front().value->find("matrix")
                         : nullptr;
  if (spec == nullptr || !m_impl->version_21) {
    if (spec != nullptr) {
      m_impl->not_21(*item.entries.front().value, "matrix");
    }
    out.items.push_back(std::make_shared<Node>(item));
    return out;
  }
  if (!spec->is_mapping()) {
    m_impl->diags.error(spec->pos, "'matrix' must be a mapping: parameters:, and exclude: or alias:");
    return out;
  }
  m_impl->expand_matrix(*item.entries.front().key, *item.entries.front().value, *spec, out);
  return out;
}

bool Reuse::condition_holds(const Node& condition, bool negate)
{
  const NodePtr substituted = outside_jobs(condition);
  return m_impl->holds(*substituted, 0) != negate;
}

std::vector<std::string> Reuse::command_names() const
{
  std::vector<std::string> names;
  if (!m_impl->version_21) {
    return names; // 2.0 has no commands
  }
  for (const auto& [name, definition] : m_impl->commands) {
    names.push_back(name);
  }
  return names;
}

} // namespace drydock::circle2

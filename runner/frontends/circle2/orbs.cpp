#include "frontends/circle2/orbs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "config/scalar.hpp"
#include "frontends/circle2/continuation.hpp"
#include "frontends/circle2/model.hpp"
#include "util/lines.hpp"
#include "util/source.hpp"
#include "util/spelling.hpp"

namespace drydock::circle2 {
namespace {

using config::Node;
using config::NodeKind;
using config::NodePtr;

// Orbs importing orbs this deep, or this many in all, are a loop or a mistake.
constexpr int kDeepestOrb = 16;
constexpr int kMostOrbs = 256;

constexpr std::array kSections = {std::string_view("commands"), std::string_view("executors"),
                                  std::string_view("jobs")};
constexpr std::array kOrbKeys = {std::string_view("version"),  std::string_view("description"),
                                 std::string_view("display"),  std::string_view("orbs"),
                                 std::string_view("commands"), std::string_view("executors"),
                                 std::string_view("jobs"),     std::string_view("examples")};

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_'; }

bool is_plain_name(std::string_view text)
{
  return !text.empty() && std::all_of(text.begin(), text.end(), is_name_char);
}

bool is_version(std::string_view text)
{
  if (text == "volatile") {
    return true;
  }
  if (text.starts_with("dev:")) {
    const auto label = text.substr(4);
    return !label.empty() && label.front() != '.'
           && std::all_of(label.begin(), label.end(), [](char c) { return is_name_char(c) || c == '.'; });
  }
  if (std::count(text.begin(), text.end(), '.') > 2) {
    return false; // X.Y.Z at most, checked before a part is made of a long string of dots
  }
  const auto parts = util::split(text, '.');
  return parts.size() <= 3 && std::all_of(parts.begin(), parts.end(), [](std::string_view part) {
           return !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
         });
}

// A version's numbers, each saturated at the largest (no digit string overflows).
std::vector<unsigned long long> numbers_of(std::string_view version)
{
  std::vector<unsigned long long> numbers;
  for (const auto part : util::split(version, '.')) {
    unsigned long long number = 0;
    const auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), number);
    numbers.push_back(error == std::errc::result_out_of_range ? ~0ULL : number);
  }
  return numbers;
}

// A part of the config: ALIAS/NAME, where it is written, and its definition.
struct Part {
  std::string name;
  Pos pos;
  NodePtr definition;
};

// The parts of every orb read, by section, in the order they were read.
struct Parts {
  std::map<std::string, std::vector<Part>> sections;

  const Node* find(std::string_view section, const std::string& name) const
  {
    const auto found = sections.find(std::string(section));
    if (found == sections.end()) {
      return nullptr;
    }
    for (const auto& part : found->second) {
      if (part.name == name) {
        return part.definition.get();
      }
    }
    return nullptr;
  }
};

// Where the names inside one orb point: its own parts, and its orbs' parts.
struct OrbScope {
  std::string prefix; // the orb's name as the config reaches it: node, or outer/inner
  const Node* body = nullptr;
  std::set<std::string> imports; // the aliases of the orbs it imports

  // A name written inside the orb as the config reaches it: its own part or its orbs' part, else
  // still the orb's (and unknown there), never the config's part of that name.
  std::string scoped_name(std::string_view section, const std::string& written) const
  {
    return full_name(section, written).value_or(prefix + "/" + written);
  }

  std::optional<std::string> full_name(std::string_view section, const std::string& written) const
  {
    const auto slash = written.find('/');
    if (slash != std::string::npos) {
      return imports.contains(written.substr(0, slash)) ? std::optional(prefix + "/" + written) : std::nullopt;
    }
    const Node* own = body->find(section);
    return own != nullptr && own->is_mapping() && own->find(written) != nullptr ? std::optional(prefix + "/" + written)
                                                                                : std::nullopt;
  }
};

NodePtr with_text(const Node& node, std::string text)
{
  auto copy = std::make_shared<Node>(node);
  copy->text = std::move(text);
  return copy;
}

// A mapping with the value of `key` replaced by what `change` makes of it.
template <typename Change>
NodePtr with_value(const NodePtr& mapping, std::string_view key, Change change)
{
  const Node* value = mapping->is_mapping() ? mapping->find(key) : nullptr;
  if (value == nullptr) {
    return mapping;
  }
  auto copy = std::make_shared<Node>(*mapping);
  for (auto& entry : copy->entries) {
    entry.value = entry.key->text == key ? change(entry.value) : entry.value;
  }
  return copy;
}

std::string parameter_type(const Node& declaration)
{
  const Node* type = declaration.is_mapping() ? declaration.find("type") : nullptr;
  return type != nullptr && type->is_scalar() ? type->text : "string";
}

class Resolver {
public:
  Resolver(const OrbLibrary& library, Diagnostics& diags) : m_library(library), m_diags(diags) {}

  void read_orbs(const Node& orbs, const std::string& prefix, int depth);
  Parts& parts() { return m_parts; }
  std::vector<std::string>& unresolved() { return m_unresolved; }

private:
  void read_registry_orb(const Node& value, const std::string& full, int depth);
  void read_orb(const Node& body, const std::string& full, int depth);
  void check_orb_keys(const Node& body, const std::string& full);
  void check_no_pipeline_parameters(const Node& body, const std::string& full);
  void unresolvable(const std::string& full, Pos pos, std::string message, int length = 1);

  NodePtr renamed_steps(const NodePtr& steps, const OrbScope& scope) const;
  NodePtr renamed_step(const NodePtr& item, const OrbScope& scope) const;
  NodePtr renamed_step_once(const NodePtr& item, const OrbScope& scope) const;
  NodePtr renamed_arguments(const Node& definition, const NodePtr& args, const OrbScope& scope) const;
  NodePtr renamed_parameters(const NodePtr& parameters, const OrbScope& scope) const;
  NodePtr renamed_executor_use(const NodePtr& use, const OrbScope& scope) const;
  NodePtr renamed(std::string_view section, const NodePtr& definition, const OrbScope& scope) const;

  const OrbLibrary& m_library;
  Diagnostics& m_diags;
  Parts m_parts;
  std::vector<std::string> m_unresolved;
  std::vector<std::string> m_reading; // the registry orbs being read, outermost first
  // Steps renamed in the orb being read, by node: YAML aliases share them, and so do their copies.
  mutable std::unordered_map<const Node*, NodePtr> m_renamed;
  std::map<std::string, NodePtr> m_parsed; // registry orbs' trees by reference: each file read once
  int m_read = 0;
};

void Resolver::unresolvable(const std::string& full, Pos pos, std::string message, int length)
{
  m_diags.error(pos, std::move(message), length);
  m_unresolved.push_back(full);
}

void Resolver::read_orbs(const Node& orbs, const std::string& prefix, int depth)
{
  if (!orbs.is_mapping()) {
    if (!orbs.is_null()) {
      m_diags.error(orbs.pos, "'orbs' must be a mapping of names to orbs: NAMESPACE/NAME@VERSION, or an "
                              "orb written inline");
    }
    return;
  }
  for (const auto& entry : orbs.entries) {
    const std::string& alias = entry.key->text;
    const std::string full = prefix.empty() ? alias : prefix + "/" + alias;
    if (!entry.key->is_scalar() || !is_plain_name(alias)) {
      unresolvable(full, entry.key->pos, fmt::format("an orb's name is letters, digits, '-' and '_', got '{}'", alias));
    } else if (++m_read > kMostOrbs) {
      unresolvable(full, entry.key->pos, fmt::format("the config reads more than {} orbs", kMostOrbs));
    } else if (entry.value->is_scalar()) {
      read_registry_orb(*entry.value, full, depth);
    } else if (entry.value->is_mapping()) {
      read_orb(*entry.value, full, depth);
    } else {
      unresolvable(full, entry.value->pos,
                   fmt::format("orb '{}' must be NAMESPACE/NAME@VERSION, or an orb written inline (a mapping)", full));
    }
  }
}

// A copy of a tree from another file with every position at `at` (the orb's reference), where
// the config names it: diagnostics point into the config, never at
// lines of a file it does not show. Shared nodes (aliases) stay shared.
NodePtr placed_at(const NodePtr& node, const Node& at, std::unordered_map<const Node*, NodePtr>& done)
{
  if (const auto found = done.find(node.get()); found != done.end()) {
    return found->second;
  }
  auto copy = std::make_shared<Node>(*node);
  copy->pos = at.pos;
  copy->length = at.length;
  for (auto& item : copy->items) {
    item = placed_at(item, at, done);
  }
  for (auto& entry : copy->entries) {
    entry.key = placed_at(entry.key, at, done);
    entry.value = placed_at(entry.value, at, done);
  }
  done.emplace(node.get(), copy);
  return copy;
}

void Resolver::read_registry_orb(const Node& value, const std::string& full, int depth)
{
  const Pos pos = value.pos;
  const auto ref = parse_orb_ref(value.text);
  if (!ref) {
    unresolvable(full, pos, fmt::format("orb '{}': {}", full, ref.error()));
    return;
  }
  if (depth >= kDeepestOrb) {
    unresolvable(full, pos, fmt::format("orb '{}': orbs import orbs more than {} deep", full, kDeepestOrb));
    return;
  }
  if (std::find(m_reading.begin(), m_reading.end(), ref->text()) != m_reading.end()) {
    unresolvable(full, pos,
                 fmt::format("orb '{}' ({}) imports itself: {} -> {}", full, ref->text(), fmt::join(m_reading, " -> "),
                             ref->text()));
    return;
  }
  // circleci/continuation is drydock's own: its `continue` hands the configuration to drydock.
  const auto source = is_continuation_orb(*ref) ? std::optional(continuation_orb()) : m_library.find(*ref);
  if (!source) {
    unresolvable(full, pos,
                 fmt::format("orb '{}' ({}) is not in the local orb cache: fill it with `drydock orb fetch {}` "
                             "on a machine that is online, or save the output of `circleci orb source {}` as {}",
                             full, ref->text(), ref->text(), ref->text(), m_library.place_of(*ref)),
                 value.length);
    return;
  }
  if (!source->error.empty()) {
    unresolvable(full, pos,
                 fmt::format("orb '{}' ({}) cannot be read: {}: {}", full, ref->text(), source->path, source->error));
    return;
  }
  Diagnostics own;
  NodePtr tree;
  if (const auto parsed = m_parsed.find(ref->text()); parsed != m_parsed.end()) {
    tree = parsed->second;
  } else if (const SourceFile file(source->path, source->text); const auto bad = find_non_text_byte(file.text())) {
    own.error(file.pos_of_offset(*bad), "not a text file");
  } else {
    tree = config::parse_yaml(file, own);
    if (!own.has_errors()) {
      m_parsed.emplace(ref->text(), tree);
    }
  }
  if (own.has_errors()) {
    const auto& first = own.all().front();
    unresolvable(full, pos,
                 fmt::format("orb '{}' ({}) cannot be read: {}:{}:{}: {}", full, ref->text(), source->path,
                             first.pos.line, first.pos.column, first.message));
    return;
  }
  if (tree == nullptr || !tree->is_mapping()) { // an empty file: `circleci orb source` failed into it
    unresolvable(full, pos,
                 fmt::format("orb '{}' ({}) cannot be read: {} is {}, not an orb (commands:, executors:, jobs:)", full,
                             ref->text(), source->path, tree == nullptr ? "empty" : config::describe_kind(*tree)));
    return;
  }
  std::unordered_map<const Node*, NodePtr> done;
  m_reading.push_back(ref->text());
  read_orb(*placed_at(tree, value, done), full, depth + 1);
  m_reading.pop_back();
}

void Resolver::check_orb_keys(const Node& body, const std::string& full)
{
  for (const auto& entry : body.entries) {
    const std::string& key = entry.key->text;
    if (std::find(kOrbKeys.begin(), kOrbKeys.end(), key) != kOrbKeys.end()) {
      continue;
    }
    std::string message = fmt::format("orb '{}' has no '{}'", full, key);
    if (const auto close = closest_match(key, kOrbKeys)) {
      message += fmt::format("; did you mean '{}'?", *close);
    } else {
      message += fmt::format(" (an orb has: {})", fmt::join(kOrbKeys, ", "));
    }
    m_diags.error(entry.key->pos, std::move(message), static_cast<int>(key.size()));
  }
  const Node* version = body.find("version");
  if (version != nullptr && (!version->is_scalar() || version->text != "2.1")) {
    m_diags.error(version->pos, fmt::format("orb '{}' says version {}: orbs are CircleCI 2.1", full,
                                            version->is_scalar() ? version->text : "(not a number)"));
  }
}

// Whether `text` reads a pipeline parameter: << pipeline.parameters.x >>.
bool reads_pipeline_parameter(const std::string& text)
{
  for (auto at = text.find("<<"); at != std::string::npos; at = text.find("<<", at + 2)) {
    const auto name = text.find_first_not_of(' ', at + 2);
    if (name != std::string::npos && text.compare(name, 20, "pipeline.parameters.") == 0) {
      return true;
    }
  }
  return false;
}

// CircleCI keeps pipeline parameters out of orbs, inline ones too, so an
// orb cannot read what a config did not pass it.
void Resolver::check_no_pipeline_parameters(const Node& body, const std::string& full)
{
  std::unordered_set<const Node*> seen;
  std::vector<const Node*> todo{&body};
  while (!todo.empty()) {
    const Node* node = todo.back();
    todo.pop_back();
    if (!seen.insert(node).second) {
      continue;
    }
    if (node->is_scalar() && reads_pipeline_parameter(node->text)) {
      m_diags.error(node->pos, fmt::format("orb '{}' reads a pipeline parameter: CircleCI keeps pipeline parameters "
                                           "out of orbs; pass the value as a parameter of the orb's command or job",
                                           full));
    }
    for (const auto& item : node->items) {
      todo.push_back(item.get());
    }
    for (const auto& entry : node->entries) {
      todo.push_back(entry.value.get());
    }
  }
}

void Resolver::read_orb(const Node& body, const std::string& full, int depth)
{
  if (!body.is_mapping()) {
    unresolvable(full, body.pos, fmt::format("orb '{}' must be a mapping: commands:, executors:, jobs:", full));
    return;
  }
  check_orb_keys(body, full);
  check_no_pipeline_parameters(body, full);
  OrbScope scope{full, &body, {}};
  if (const Node* imported = body.find("orbs")) {
    read_orbs(*imported, full, depth);
    for (const auto& entry : imported->is_mapping() ? imported->entries : std::vector<config::Entry>{}) {
      scope.imports.insert(entry.key->text);
    }
  }
  for (const auto section : kSections) {
    const Node* defined = body.find(section);
    if (defined == nullptr || !defined->is_mapping()) {
      if (defined != nullptr && !defined->is_null()) {
        m_diags.error(defined->pos,
                      fmt::format("'{}' of orb '{}' must be a mapping of names to definitions", section, full));
      }
      continue;
    }
    auto& parts = m_parts.sections[std::string(section)];
    const std::size_t first = parts.size();
    for (const auto& entry : defined->entries) {
      parts.push_back({full + "/" + entry.key->text, entry.key->pos, entry.value});
    }
    m_renamed.clear();                                   // its names are this orb's
    for (std::size_t i = first; i < parts.size(); ++i) { // after all are known: a command may call a later one
      parts[i].definition = renamed(section, parts[i].definition, scope);
    }
  }
}

// ---- the names inside an orb, as the config reaches them ----

NodePtr Resolver::renamed_steps(const NodePtr& steps, const OrbScope& scope) const
{
  if (!steps->is_sequence()) {
    return steps;
  }
  auto copy = std::make_shared<Node>(*steps);
  for (auto& item : copy->items) {
    item = renamed_step(item, scope);
  }
  return copy;
}

// A step's name that stays as written: a built-in step the orb does not
// redefine, or a `<< parameters.x >>` its steps parameter fills.
bool keeps_its_name(const std::string& name, const OrbScope& scope)
{
  if (name.starts_with("<<")) {
    return true;
  }
  return is_builtin_step(name) && !scope.full_name("commands", name);
}

NodePtr Resolver::renamed_step(const NodePtr& item, const OrbScope& scope) const
{
  if (const auto found = m_renamed.find(item.get()); found != m_renamed.end()) {
    return found->second; // an alias's steps, renamed once: shared as the orb's text shares them
  }
  auto renamed = renamed_step_once(item, scope);
  m_renamed.emplace(item.get(), renamed);
  return renamed;
}

NodePtr Resolver::renamed_step_once(const NodePtr& item, const OrbScope& scope) const
{
  if (item->is_scalar()) {
    return keeps_its_name(item->text, scope) ? item : with_text(*item, scope.scoped_name("commands", item->text));
  }
  if (!item->is_mapping() || item->entries.size() != 1 || !item->entries.front().key->is_scalar()) {
    return item;
  }
  auto copy = std::make_shared<Node>(*item);
  NodePtr& key = copy->entries.front().key;
  NodePtr& value = copy->entries.front().value;
  const std::string name = key->text;
  if (name == "when" || name == "unless") {
    value = with_value(value, "steps", [&](const NodePtr& steps) { return renamed_steps(steps, scope); });
  } else if (name == "steps") {
    value = renamed_steps(value, scope);
  } else if (!keeps_its_name(name, scope)) {
    const std::string full = scope.scoped_name("commands", name);
    key = with_text(*key, full);
    if (const Node* definition = m_parts.find("commands", full)) {
      value = renamed_arguments(*definition, value, scope);
    }
  }
  return copy;
}

// A command's arguments written in an orb: the steps and executors they
// pass are the orb's.
NodePtr Resolver::renamed_arguments(const Node& definition, const NodePtr& args, const OrbScope& scope) const
{
  const Node* declared = definition.is_mapping() ? definition.find("parameters") : nullptr;
  if (declared == nullptr || !declared->is_mapping() || !args->is_mapping()) {
    return args;
  }
  auto copy = std::make_shared<Node>(*args);
  for (auto& entry : copy->entries) {
    const Node* declaration = declared->find(entry.key->text);
    const std::string type = declaration != nullptr ? parameter_type(*declaration) : "";
    entry.value = type == "steps"      ? renamed_steps(entry.value, scope)
                  : type == "executor" ? renamed_executor_use(entry.value, scope)
                                       : entry.value;
  }
  return copy;
}

NodePtr Resolver::renamed_parameters(const NodePtr& parameters, const OrbScope& scope) const
{
  if (!parameters->is_mapping()) {
    return parameters;
  }
  auto copy = std::make_shared<Node>(*parameters);
  for (auto& entry : copy->entries) {
    const std::string type = parameter_type(*entry.value);
    if (type == "steps") {
      entry.value = with_value(entry.value, "default",
                               [&](const NodePtr& steps) { return renamed_steps(steps, scope); });
    } else if (type == "executor") {
      entry.value = with_value(entry.value, "default",
                               [&](const NodePtr& use) { return renamed_executor_use(use, scope); });
    }
  }
  return copy;
}

NodePtr Resolver::renamed_executor_use(const NodePtr& use, const OrbScope& scope) const
{
  if (use->is_scalar()) {
    return use->text.starts_with("<<") ? use : with_text(*use, scope.scoped_name("executors", use->text));
  }
  return with_value(use, "name", [&](const NodePtr& name) { return renamed_executor_use(name, scope); });
}

NodePtr Resolver::renamed(std::string_view section, const NodePtr& definition, const OrbScope& scope) const
{
  if (section == "executors" || !definition->is_mapping()) {
    return definition; // an executor names nothing else
  }
  auto out = with_value(definition, "parameters", [&](const NodePtr& p) { return renamed_parameters(p, scope); });
  out = with_value(out, "steps", [&](const NodePtr& steps) { return renamed_steps(steps, scope); });
  return with_value(out, "executor", [&](const NodePtr& use) { return renamed_executor_use(use, scope); });
}

// ---- the config with its orbs' parts ----

NodePtr scalar_at(std::string text, Pos pos)
{
  auto node = std::make_shared<Node>();
  node->kind = NodeKind::scalar;
  node->pos = pos;
  node->length = std::max(1, static_cast<int>(text.size()));
  node->text = std::move(text);
  node->tag = "?";
  return node;
}

// The config's own parts named like an orb's (ALIAS/...) would be hidden by it or hide it.
void check_own_names(const Node& root, const Node& orbs, Diagnostics& diags)
{
  for (const auto section : kSections) {
    const Node* own = root.find(section);
    for (const auto& entry : own != nullptr && own->is_mapping() ? own->entries : std::vector<config::Entry>{}) {
      const std::string& name = entry.key->text;
      const auto slash = name.find('/');
      if (slash != std::string::npos && orbs.find(name.substr(0, slash)) != nullptr) {
        diags.error(entry.key->pos,
                    fmt::format("'{}' of the config's {} has the name of a part of orb '{}': orbs' parts are "
                                "ALIAS/NAME, so give it a name without '/'",
                                name, section, name.substr(0, slash)),
                    static_cast<int>(name.size()));
      }
    }
  }
}

// `root` with `section` holding its own entries and then the orbs' parts.
void add_parts(Node& root, std::string_view section, const std::vector<Part>& parts, Pos orbs_pos)
{
  std::vector<config::Entry> added;
  for (const auto& part : parts) {
    added.push_back({scalar_at(part.name, part.pos), part.definition, false});
  }
  for (auto& entry : root.entries) {
    if (entry.key->text != section) {
      continue;
    }
    if (entry.value->is_mapping() || entry.value->is_null()) { // otherwise the expansion says what is wrong
      auto extended = std::make_shared<Node>(*entry.value);
      extended->kind = NodeKind::mapping;
      extended->entries.insert(extended->entries.end(), added.begin(), added.end());
      entry.value = extended;
    }
    return;
  }
  auto mapping = std::make_shared<Node>();
  mapping->kind = NodeKind::mapping;
  mapping->pos = orbs_pos;
  mapping->entries = std::move(added);
  root.entries.push_back({scalar_at(std::string(section), orbs_pos), mapping, false});
}

void collect_registry_orbs(const Node& orbs, std::vector<OrbRef>& out, int depth)
{
  for (const auto& entry : orbs.is_mapping() && depth < kDeepestOrb ? orbs.entries : std::vector<config::Entry>{}) {
    if (entry.value->is_scalar()) {
      if (auto ref = parse_orb_ref(entry.value->text)) {
        out.push_back(std::move(*ref));
      }
    } else if (const Node* inner = entry.value->is_mapping() ? entry.value->find("orbs") : nullptr) {
      collect_registry_orbs(*inner, out, depth + 1);
    }
  }
}

} // namespace

tl::expected<OrbRef, std::string> parse_orb_ref(std::string_view written)
{
  const auto slash = written.find('/');
  const auto at = written.find('@');
  if (slash == std::string_view::npos || at == std::string_view::npos || at < slash) {
    return tl::unexpected(fmt::format("'{}' is not NAMESPACE/NAME@VERSION (such as circleci/node@5.1.0)", written));
  }
  OrbRef ref{std::string(written.substr(0, slash)), std::string(written.substr(slash + 1, at - slash - 1)),
             std::string(written.substr(at + 1))};
  if (!is_plain_name(ref.ns) || !is_plain_name(ref.name)) {
    return tl::unexpected(fmt::format("'{}': an orb's namespace and name are letters, digits, '-' and '_'", written));
  }
  if (!is_version(ref.version)) {
    return tl::unexpected(fmt::format("'{}': an orb's version is X.Y.Z, X.Y, X, volatile or dev:LABEL", written));
  }
  return ref;
}

bool is_full_version(std::string_view version)
{
  return is_version(version) && std::isdigit(static_cast<unsigned char>(version.front())) != 0
         && std::count(version.begin(), version.end(), '.') == 2;
}

bool version_means(std::string_view written, std::string_view full)
{
  if (written.starts_with("dev:")) {
    return written == full && is_version(written);
  }
  if (!is_full_version(full) || !is_version(written)) {
    return false; // a partial answer (5 for 5) is never a release of its own
  }
  if (written == "volatile") {
    return true;
  }
  const auto wanted = numbers_of(written);
  const auto have = numbers_of(full);
  return std::equal(wanted.begin(), wanted.end(), have.begin());
}

bool older_version(std::string_view full, std::string_view than) { return numbers_of(full) < numbers_of(than); }

WithOrbs with_orbs(const Node& root, const OrbLibrary& library, Diagnostics& diags)
{
  auto out = std::make_shared<Node>(root);
  const Node* orbs = root.is_mapping() ? root.find("orbs") : nullptr;
  if (orbs == nullptr) {
    return {out, {}, nullptr};
  }
  Resolver resolver(library, diags);
  resolver.read_orbs(*orbs, "", 0);
  check_own_names(root, *orbs, diags);
  Pos orbs_pos = orbs->pos;
  for (const auto& entry : root.entries) {
    orbs_pos = entry.key->text == "orbs" ? entry.key->pos : orbs_pos;
  }
  for (const std::string_view section : {"commands", "executors"}) {
    const auto& parts = resolver.parts().sections[std::string(section)];
    if (!parts.empty()) {
      add_parts(*out, section, parts, orbs_pos);
    }
  }
  // Jobs apart: only those a workflow runs are read (an orb's other jobs may use what drydock does not run).
  auto jobs = std::make_shared<Node>();
  jobs->kind = NodeKind::mapping;
  jobs->pos = orbs_pos;
  for (const auto& part : resolver.parts().sections["jobs"]) {
    jobs->entries.push_back({scalar_at(part.name, part.pos), part.definition, false});
  }
  return {out, std::move(resolver.unresolved()), jobs};
}

bool of_unresolved_orb(std::string_view name, const std::vector<std::string>& unresolved)
{
  return std::any_of(unresolved.begin(), unresolved.end(), [&](const std::string& orb) {
    return name.size() > orb.size() && name.starts_with(orb) && name[orb.size()] == '/';
  });
}

std::vector<OrbRef> registry_orbs(const Node& root)
{
  std::vector<OrbRef> out;
  if (const Node* orbs = root.is_mapping() ? root.find("orbs") : nullptr) {
    collect_registry_orbs(*orbs, out, 0);
  }
  return out;
}

const OrbLibrary& no_orbs()
{
  static const NoOrbs none;
  return none;
}

} // namespace drydock::circle2

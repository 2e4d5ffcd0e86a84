// The 2.1 expansion's steps (commands, steps parameters, when/unless),
// logic statements, executors and matrices; expand.cpp has values and
// parameters.
#include "frontends/circle2/expand.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <set>

#include "frontends/circle2/expand_support.hpp"
#include "util/regex.hpp"
#include "util/spelling.hpp"

namespace drydock::circle2 {

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
  } else if (of_unresolved_orb(key->text, unresolved_orbs)) {
    return; // its orb's error says why
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
  const std::string outer = std::exchange(binding, name);
  const auto bound = bind(definition.find("parameters"), args, owner, key.pos, types);
  binding = outer;
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
  if (found == executors.end() && of_unresolved_orb(name->text, unresolved_orbs)) {
    return job; // its orb's error says why
  }
  if (found == executors.end()) {
    std::vector<std::string> known;
    for (const auto& [known_name, definition] : executors) {
      known.push_back(known_name);
    }
    std::string message = fmt::format("job '{}' uses an unknown executor '{}'", job_name, name->text);
    if (const auto close = suggestion(name->text, known)) {
      message += fmt::format("; did you mean '{}'?", *close);
    } else if (name->text.find('/') != std::string::npos) {
      message += ": no orb of the config's `orbs:` has an executor of that name";
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
    only_matrix = true; // the rest was substituted with the workflows
    auto written = std::const_pointer_cast<Node>(substitute(without, Scope{}));
    only_matrix = false;
    matrix = nullptr;
    std::vector<std::string> shown;
    for (const auto& entry : spec.find("parameters")->entries) {
      written->entries.push_back({scalar(entry.key->text, entry.key->pos), combination.at(entry.key->text), false});
    }
    for (const auto& [parameter, value] : combination) { // by the parameters' names, as CircleCI names them
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
    if (m_impl->version_21) { // a `<< matrix.x >>` without a matrix is said here
      m_impl->only_matrix = true;
      out.items.push_back(std::const_pointer_cast<Node>(m_impl->substitute(std::make_shared<Node>(item), Scope{})));
      m_impl->only_matrix = false;
      return out;
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

} // namespace drydock::circle2

#include "frontends/circle2/expand.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <set>

#include "frontends/circle2/expand_support.hpp"
#include "util/regex.hpp"
#include "util/spelling.hpp"

namespace drydock::circle2 {

bool is_workflow_job_option(std::string_view key)
{
  static constexpr std::array kOptions = {std::string_view("requires"),  std::string_view("name"),
                                          std::string_view("filters"),   std::string_view("context"),
                                          std::string_view("type"),      std::string_view("matrix"),
                                          std::string_view("pre-steps"), std::string_view("post-steps")};
  return std::find(kOptions.begin(), kOptions.end(), key) != kOptions.end();
}

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
    if (matrix == nullptr) {
      diags.error(pos, fmt::format("'<< {} >>' has a value only in a workflow's job entry with a matrix", ref.name));
      return nullptr;
    }
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
    const Reference ref{0, 0, open->name};
    if (deferred(ref)) {
      out += text.substr(done, close->end - done); // its value comes in a later pass
      done = close->end;
      continue;
    }
    const NodePtr value = value_of(ref, pos, scope);
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

// A default's steps run inside the command they belong to: one that calls
// the command itself is a loop, said as one (arguments are the caller's).
NodePtr Reuse::Impl::checked_default(const std::string& name, const Node& declaration, NodePtr value,
                                     const std::string& owner, bool from_default)
{
  const std::string command = std::exchange(binding, {});
  const bool inside = from_default && !command.empty();
  if (inside) {
    stack.push_back(command);
  }
  auto checked = checked_value(name, declaration, std::move(value), owner);
  if (inside) {
    stack.pop_back();
  }
  binding = command;
  return checked;
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
      bool from_default = false;
      if (value == nullptr) {
        for (const auto& field : entry.value->entries) {
          from_default = from_default || field.key->text == "default";
          value = field.key->text == "default" ? field.value : value;
        }
      }
      if (value == nullptr) {
        diags.error(at, fmt::format("{} needs parameter '{}' (it has no default)", owner, name));
        bound.emplace(name, scalar("", at)); // said once, not at every use
        continue;
      }
      if (from_default && value->is_scalar()) {
        value = substitute(value, Scope{}); // `<< pipeline.* >>` in a default
      }
      auto checked = checked_default(name, *entry.value, value, owner, from_default);
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
  for (const auto& entry : declared != nullptr ? declared->entries : std::vector<config::Entry>{}) {
    const Node* type = entry.value->find("type");
    static constexpr std::array<std::string_view, 4> kPipelineTypes = {"string", "boolean", "integer", "enum"};
    if (type != nullptr && type->is_scalar()
        && std::find(kParameterTypes.begin(), kParameterTypes.end(), type->text) != kParameterTypes.end()
        && std::find(kPipelineTypes.begin(), kPipelineTypes.end(), type->text) == kPipelineTypes.end()) {
      diags.error(type->pos, fmt::format("pipeline parameter '{}' cannot be of type {}: pipeline parameters are "
                                         "string, boolean, integer or enum",
                                         entry.key->text, type->text));
    }
  }
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

Reuse::Reuse(const Node& root, const PipelineValues& values, Diagnostics& diags,
             const std::vector<std::string>& unresolved)
  : m_impl(std::make_shared<Impl>(diags, values))
{
  m_impl->unresolved_orbs = unresolved;
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
  m_impl->matrix_later = true;
  auto substituted = m_impl->substitute(std::make_shared<Node>(node), Scope{});
  m_impl->matrix_later = false;
  return substituted;
}

bool Reuse::condition_holds(const Node& condition, bool negate)
{
  return m_impl->holds(condition, 0) != negate; // substituted with the workflows it is part of
}

bool Reuse::gave_up() const { return m_impl->too_big; }

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

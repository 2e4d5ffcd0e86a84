#include "frontends/circle2/load_steps.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>

#include "config/scalar.hpp"
#include "env/environment.hpp"
#include "util/spelling.hpp"

namespace drydock::circle2 {
namespace {

using config::join_path;
using config::Node;
using config::Reader;

// The image's environment: a mapping, or a list of NAME=value strings or one-key mappings.
std::vector<EnvVar> environment_of(Reader& reader, const Node& node, std::string_view path)
{
  if (!node.is_sequence()) {
    return reader.read_env(node, path);
  }
  std::vector<EnvVar> vars;
  for (std::size_t i = 0; i < node.items.size(); ++i) {
    const Node& item = *node.items[i];
    const auto item_path = config::index_path(path, i);
    if (item.is_mapping()) {
      auto some = reader.read_env(item, item_path);
      vars.insert(vars.end(), some.begin(), some.end());
    } else if (const auto text = reader.read_string(item, item_path)) {
      const auto equals = text->value.find('=');
      if (equals == std::string::npos || !env::is_valid_name(text->value.substr(0, equals))) {
        reader.error(item, fmt::format("'{}' must be NAME=value with NAME letters, digits and _ (not starting "
                                       "with a digit), got '{}'",
                                       item_path, text->value));
        continue;
      }
      vars.push_back({text->value.substr(0, equals), text->value.substr(equals + 1), text->pos});
    }
  }
  return vars;
}

// ---- steps ----

// "10m", "30s", "1h30m", or a number of seconds.
std::optional<int> read_duration(Reader& reader, const Node& node, std::string_view path)
{
  const auto text = reader.read_string(node, path);
  if (!text) {
    return std::nullopt;
  }
  long long total = 0;
  long long number = -1;
  for (const char c : text->value) {
    if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
      number = (number < 0 ? 0 : number) * 10 + (c - '0');
    } else if ((c == 's' || c == 'm' || c == 'h') && number >= 0) {
      total += number * (c == 'h' ? 3600 : c == 'm' ? 60 : 1);
      number = -1;
    } else {
      number = -2;
      break;
    }
    if (number > 1'000'000 || total > 10'000'000) {
      number = -2;
      break;
    }
  }
  const bool bare = number >= 0 && total > 0; // "10m5": a number after a unit has no unit of its own
  if (number == -2 || bare || (number < 0 && total == 0)) {
    reader.error(node, fmt::format("'{}' must be a duration such as 10m, 30s or 1h, got '{}'", path, text->value));
    return std::nullopt;
  }
  return static_cast<int>(total + std::max(number, 0LL));
}

std::optional<StepWhen> read_when(Reader& reader, const Node& node, std::string_view path)
{
  const auto text = reader.read_string(node, path);
  if (!text) {
    return std::nullopt;
  }
  if (text->value == "on_success" || text->value == "on_fail" || text->value == "always") {
    return text->value == "always"    ? StepWhen::always
           : text->value == "on_fail" ? StepWhen::on_fail
                                      : StepWhen::on_success;
  }
  reader.error(node, fmt::format("'{}' must be on_success, on_fail or always, got '{}'", path, text->value));
  return std::nullopt;
}

constexpr std::array<config::Field<RunStep>, 8> kRunFields = {{
    {"command", [](Reader& r, const Node& v, std::string_view p,
                   RunStep& o) { o.command = r.read_string(v, p).value_or(config::Text{}); }},
    {"name", [](Reader& r, const Node& v, std::string_view p, RunStep& o) { o.name = r.read_string(v, p); }},
    {"shell", [](Reader& r, const Node& v, std::string_view p, RunStep& o) { o.shell = r.read_string(v, p); }},
    {"environment",
     [](Reader& r, const Node& v, std::string_view p, RunStep& o) { o.environment = environment_of(r, v, p); }},
    {"working_directory",
     [](Reader& r, const Node& v, std::string_view p, RunStep& o) { o.working_directory = r.read_string(v, p); }},
    {"background", [](Reader& r, const Node& v, std::string_view p,
                      RunStep& o) { o.background = r.read_bool(v, p).value_or(false); }},
    {"no_output_timeout",
     [](Reader& r, const Node& v, std::string_view p, RunStep& o) { o.no_output_timeout = read_duration(r, v, p); }},
    {"when", [](Reader& r, const Node& v, std::string_view p,
                RunStep& o) { o.when = read_when(r, v, p).value_or(StepWhen::on_success); }},
}};

RunStep read_run(Reader& reader, const Node& value, std::string_view path)
{
  RunStep run;
  if (value.is_scalar()) {
    run.command = config::Text{value.text, value.pos};
    return run;
  }
  config::read_fields<RunStep>(reader, value, path, kRunFields, run);
  if (value.is_mapping()) {
    config::require_keys(reader, value, value, path, {"command"});
  }
  return run;
}

CheckoutStep read_checkout(Reader& reader, const Node& value, std::string_view path)
{
  CheckoutStep checkout;
  if (value.is_null()) {
    return checkout;
  }
  static constexpr std::array<config::Field<CheckoutStep>, 1> kFields = {{
      {"path", [](Reader& r, const Node& v, std::string_view p, CheckoutStep& o) { o.path = r.read_string(v, p); }},
  }};
  config::read_fields<CheckoutStep>(reader, value, path, kFields, checkout);
  return checkout;
}

StoreStep read_store(Reader& reader, const Node& key, const Node& value, std::string_view path)
{
  StoreStep store;
  store.path.pos = key.pos;
  static constexpr std::array<config::Field<StoreStep>, 2> kFields = {{
      {"path", [](Reader& r, const Node& v, std::string_view p,
                  StoreStep& o) { o.path = r.read_string(v, p).value_or(config::Text{}); }},
      {"destination",
       [](Reader& r, const Node& v, std::string_view p, StoreStep& o) { o.destination = r.read_string(v, p); }},
  }};
  const std::span<const config::Field<StoreStep>> fields(kFields.data(), key.text == "store_artifacts" ? 2 : 1);
  config::read_fields<StoreStep>(reader, value, path, fields, store);
  if (value.is_mapping()) {
    config::require_keys(reader, value, key, path, {"path"});
  }
  return store;
}


// ---- caches and the workspace ----

constexpr std::array kKeyTemplates = {std::string_view("checksum \"FILE\""),
                                      std::string_view(".Branch"),
                                      std::string_view(".Revision"),
                                      std::string_view(".BuildNum"),
                                      std::string_view(".Environment.NAME"),
                                      std::string_view("epoch"),
                                      std::string_view("arch")};

// The name a template is known by: `checksum` of `checksum "FILE"`,
// `.Environment` of `.Environment.NAME`.
std::string_view template_name(std::string_view text)
{
  text = text.substr(0, text.find(' '));
  const auto second_dot = text.starts_with('.') ? text.find('.', 1) : std::string_view::npos;
  return text.substr(0, second_dot);
}

// The template whose name is close to the one written, in full.
std::optional<std::string_view> closest_template(std::string_view written)
{
  std::vector<std::string_view> names;
  for (const auto known : kKeyTemplates) {
    names.push_back(template_name(known));
  }
  const auto name = closest_match(template_name(written), names);
  if (!name) {
    return std::nullopt;
  }
  const auto at = std::find(names.begin(), names.end(), *name) - names.begin();
  return kKeyTemplates[static_cast<std::size_t>(at)];
}

// A quoted file name ("f" or `f`), as Go templates write strings.
std::optional<std::string> quoted(std::string_view text)
{
  if (text.size() < 2 || text.front() != text.back() || (text.front() != '"' && text.front() != '`')) {
    return std::nullopt;
  }
  return std::string(text.substr(1, text.size() - 2));
}

std::optional<pipeline::KeyPart> key_part(std::string_view inside)
{
  using Kind = pipeline::KeyPart::Kind;
  if (inside == ".Branch" || inside == ".Revision" || inside == ".BuildNum") {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kVars = {
        {{".Branch", "CIRCLE_BRANCH"}, {".Revision", "CIRCLE_SHA1"}, {".BuildNum", "CIRCLE_BUILD_NUM"}}};
    const auto* var = std::find_if(kVars.begin(), kVars.end(), [&](const auto& v) { return v.first == inside; });
    return pipeline::KeyPart{Kind::env, std::string(var->second)};
  }
  if (inside.starts_with(".Environment.") && inside.size() > 13) {
    return pipeline::KeyPart{Kind::env, std::string(inside.substr(13))};
  }
  if (inside == "epoch" || inside == "arch") {
    return pipeline::KeyPart{inside == "epoch" ? Kind::epoch : Kind::arch, ""};
  }
  if (inside.starts_with("checksum ")) {
    auto file = inside.substr(9);
    file.remove_prefix(std::min(file.find_first_not_of(' '), file.size()));
    if (auto name = quoted(file); name && !name->empty()) {
      return pipeline::KeyPart{Kind::checksum, *name};
    }
  }
  return std::nullopt;
}

std::string_view trimmed(std::string_view text)
{
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) {
    return {};
  }
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}


template <typename T>
void read_name(Reader& r, const Node& v, std::string_view p, T& o)
{
  o.name = r.read_string(v, p);
}

std::vector<KeyTemplate> read_keys(Reader& reader, const Node& node, std::string_view path)
{
  if (!node.is_sequence()) {
    return {read_key_template(reader, node, path)};
  }
  std::vector<KeyTemplate> keys;
  for (std::size_t i = 0; i < node.items.size(); ++i) {
    keys.push_back(read_key_template(reader, *node.items[i], config::index_path(path, i)));
  }
  return keys;
}

constexpr std::array<config::Field<SaveCacheStep>, 4> kSaveCacheFields = {{
    {"key", [](Reader& r, const Node& v, std::string_view p, SaveCacheStep& o) { o.key = read_key_template(r, v, p); }},
    {"paths",
     [](Reader& r, const Node& v, std::string_view p, SaveCacheStep& o) { o.paths = r.read_string_or_list(v, p); }},
    {"name", read_name<SaveCacheStep>},
    {"when", [](Reader& r, const Node& v, std::string_view p,
                SaveCacheStep& o) { o.when = read_when(r, v, p).value_or(StepWhen::on_success); }},
}};

constexpr std::array<config::Field<RestoreCacheStep>, 3> kRestoreCacheFields = {{
    {"key",
     [](Reader& r, const Node& v, std::string_view p, RestoreCacheStep& o) {
       auto keys = read_keys(r, v, p);
       o.keys.insert(o.keys.begin(), keys.begin(), keys.end()); // `key` is tried first
     }},
    {"keys",
     [](Reader& r, const Node& v, std::string_view p, RestoreCacheStep& o) {
       auto keys = read_keys(r, v, p);
       o.keys.insert(o.keys.end(), keys.begin(), keys.end());
     }},
    {"name", read_name<RestoreCacheStep>},
}};

constexpr std::array<config::Field<PersistStep>, 3> kPersistFields = {{
    {"root", [](Reader& r, const Node& v, std::string_view p,
                PersistStep& o) { o.root = r.read_string(v, p).value_or(Text{}); }},
    {"paths",
     [](Reader& r, const Node& v, std::string_view p, PersistStep& o) { o.paths = r.read_string_or_list(v, p); }},
    {"name", read_name<PersistStep>},
}};

constexpr std::array<config::Field<AttachStep>, 2> kAttachFields = {{
    {"at",
     [](Reader& r, const Node& v, std::string_view p, AttachStep& o) { o.at = r.read_string(v, p).value_or(Text{}); }},
    {"name", read_name<AttachStep>},
}};

// `needs` says what the mapping must hold when it is not one: "key and paths".
template <typename T, std::size_t N>
T read_mapping_step(Reader& reader, const Node& key, const Node& value, std::string_view path,
                    const std::array<config::Field<T>, N>& fields, std::initializer_list<std::string_view> required,
                    std::string_view needs)
{
  T step;
  if (!value.is_mapping()) {
    reader.error(value.is_null() ? key : value, fmt::format("'{}' must be a mapping of {}", path, needs));
    return step;
  }
  config::read_fields<T>(reader, value, path, std::span<const config::Field<T>>(fields), step);
  config::require_keys(reader, value, key, path, required);
  return step;
}

// The four steps of the files a job keeps; nothing for another kind.
std::optional<Step> read_kept_step(Reader& reader, const Node& key, const Node& value, std::string_view path)
{
  if (key.text == "save_cache") {
    return Step{key.text, key.pos,
                read_mapping_step(reader, key, value, path, kSaveCacheFields, {"key", "paths"}, "key and paths")};
  }
  if (key.text == "restore_cache") {
    auto restore = read_mapping_step(reader, key, value, path, kRestoreCacheFields, {}, "key or keys");
    if (value.is_mapping() && value.find("key") == nullptr && value.find("keys") == nullptr) {
      reader.error(key, fmt::format("'{}' needs key or keys: the cache keys to try, in order", path));
    }
    return Step{key.text, key.pos, std::move(restore)};
  }
  if (key.text == "persist_to_workspace") {
    return Step{key.text, key.pos,
                read_mapping_step(reader, key, value, path, kPersistFields, {"root", "paths"}, "root and paths")};
  }
  if (key.text == "attach_workspace") {
    return Step{key.text, key.pos, read_mapping_step(reader, key, value, path, kAttachFields, {"at"}, "at")};
  }
  return std::nullopt;
}


// The keys of the steps drydock notes: they are CircleCI's, and change nothing here.
std::optional<Step> read_note_step(Reader& reader, const Node& key, const Node& value, std::string_view path)
{
  if (key.text != "setup_remote_docker" && key.text != "add_ssh_keys") {
    return std::nullopt;
  }
  const std::vector<std::string_view> known = key.text == "setup_remote_docker"
                                                  ? std::vector<std::string_view>{"version", "docker_layer_caching",
                                                                                  "name"}
                                                  : std::vector<std::string_view>{"fingerprints", "name"};
  if (!value.is_null() && !value.is_mapping()) {
    reader.error(value, fmt::format("'{}' must be a mapping ({}), or nothing", path, fmt::join(known, ", ")));
  }
  for (const auto& entry : value.is_mapping() ? value.entries : std::vector<config::Entry>{}) {
    if (std::find(known.begin(), known.end(), entry.key->text) == known.end()) {
      reader.error(*entry.key, fmt::format("'{}' has no '{}'", path, entry.key->text));
    }
  }
  return Step{key.text, key.pos, NoteStep{}};
}

std::optional<Step> read_step_of_kind(Reader& reader, const Node& key, const Node& value, std::string_view path,
                                      const std::vector<std::string>& commands)
{
  const auto step_path = join_path(path, key.text);
  if (key.text == "run" || key.text == "deploy") {
    return Step{"run", key.pos, read_run(reader, value, step_path)};
  }
  if (key.text == "checkout") {
    return Step{"checkout", key.pos, read_checkout(reader, value, step_path)};
  }
  if (key.text == "store_artifacts" || key.text == "store_test_results") {
    return Step{key.text, key.pos, read_store(reader, key, value, step_path)};
  }
  if (auto kept = read_kept_step(reader, key, value, step_path)) {
    return kept;
  }
  if (auto note = read_note_step(reader, key, value, step_path)) {
    return note;
  }
  if (key.text == "when" || key.text == "unless") { // expanded before, when well formed
    reader.error(key, fmt::format("a '{}' step is a mapping of condition: and steps:", key.text));
    return std::nullopt;
  }
  std::vector<std::string_view> known(kStepKinds.begin(), kStepKinds.end());
  known.insert(known.end(), commands.begin(), commands.end());
  std::string message = fmt::format("unknown step '{}' in '{}'", key.text, path);
  if (const auto suggestion = closest_match(key.text, known)) {
    message += fmt::format("; did you mean '{}'?", *suggestion);
  } else if (key.text.find('/') != std::string::npos) {
    message += ": no orb of the config's `orbs:` has a command of that name";
  } else {
    message += fmt::format(" (steps: {}, and the config's `commands:`)", fmt::join(kStepKinds, ", "));
  }
  reader.error(key, std::move(message));
  return std::nullopt;
}

std::optional<Step> read_step(Reader& reader, const Node& item, std::string_view path,
                              const std::vector<std::string>& commands)
{
  if (item.is_scalar()) { // `- checkout`, or a command's name
    Node none;
    none.pos = item.pos; // what a bare `- run` lacks is reported where it is
    none.length = item.length;
    return read_step_of_kind(reader, item, none, path, commands);
  }
  if (!item.is_mapping() || item.entries.size() != 1 || !item.entries.front().key->is_scalar()) {
    reader.error(item, fmt::format("'{}' must be a step: a name such as checkout, or a mapping of one step "
                                   "such as run: COMMAND",
                                   path));
    return std::nullopt;
  }
  return read_step_of_kind(reader, *item.entries.front().key, *item.entries.front().value, path, commands);
}

std::vector<Step> steps_of(Reader& reader, const Node& node, std::string_view path,
                           const std::vector<std::string>& commands)
{
  std::vector<Step> steps;
  if (!node.is_sequence()) {
    reader.error(node, fmt::format("'{}' must be a list of steps, got {}", path, config::describe_kind(node)));
    return steps;
  }
  for (std::size_t i = 0; i < node.items.size(); ++i) {
    if (auto step = read_step(reader, *node.items[i], config::index_path(path, i), commands)) {
      steps.push_back(std::move(*step));
    }
  }
  return steps;
}

} // namespace

std::vector<EnvVar> read_environment(Reader& reader, const Node& node, std::string_view path)
{
  return environment_of(reader, node, path);
}

std::vector<Step> read_steps(Reader& reader, const Node& node, std::string_view path,
                             const std::vector<std::string>& commands)
{
  return steps_of(reader, node, path, commands);
}

KeyTemplate read_key_template(Reader& reader, const Node& node, std::string_view path)
{
  const Text key = reader.read_string(node, path).value_or(Text{});
  KeyTemplate out{key, {}};
  std::string_view rest = key.value;
  while (!rest.empty()) {
    const auto open = rest.find("{{");
    if (open != 0) {
      out.parts.push_back({pipeline::KeyPart::Kind::text, std::string(rest.substr(0, open))});
      if (open == std::string_view::npos) {
        break;
      }
      rest.remove_prefix(open);
    }
    const auto close = rest.find("}}");
    if (close == std::string_view::npos) {
      reader.error(node, fmt::format("'{}': '{{{{' without '}}}}' in the key '{}'", path, key.value));
      return out;
    }
    const auto inside = trimmed(rest.substr(2, close - 2));
    const auto part = key_part(inside);
    if (!part) {
      std::string message = fmt::format("'{}': unknown template '{{{{ {} }}}}' in the key '{}'", path, inside,
                                        key.value);
      if (const auto suggestion = closest_template(inside)) {
        message += fmt::format("; did you mean '{}'?", *suggestion);
      } else {
        message += fmt::format(" (templates: {})", fmt::join(kKeyTemplates, ", "));
      }
      reader.error(node, std::move(message));
      return out;
    }
    out.parts.push_back(*part);
    rest.remove_prefix(close + 2);
  }
  return out;
}

} // namespace drydock::circle2
